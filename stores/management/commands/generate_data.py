"""manage.py generate_data --out DIR [--stores N] [--days D] [--seed S] [--start DATE]
[--special-share F] [--versions-share F] [--brands N]: synthetic CSVs.

Writes store_status.csv, menu_hours.csv and timezones.csv in the shapes of the
real 2023 files, and with --special-share special_hours.csv (with
--versions-share, menu_hours.csv gets dated versions in an effective_from
column; with --brands, stores.csv puts the stores in N brands); what is in
them is described in stores/generator.py. The
defaults give the real fleet's size (14,000 stores, ~1.85 M polls over 7.75
days). Needs no database.
"""

import time
from datetime import date
from pathlib import Path

from django.core.management.base import CommandError

from loopmonitor.commands import BAD_INPUT, ProjectCommand
from stores.generator import DEFAULT_START, generate


class Command(ProjectCommand):
    help = "Write synthetic store_status.csv, menu_hours.csv and timezones.csv into --out."
    requires_system_checks = []  # no database, no models: runs anywhere the settings import

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="directory to write the three CSVs into")
        parser.add_argument("--stores", type=int, default=14_000)
        parser.add_argument("--days", type=float, default=7.75, help="length of the poll window in days")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--start", type=date.fromisoformat, default=DEFAULT_START, help="first day of polls, 00:00 UTC (YYYY-MM-DD)"
        )
        parser.add_argument(
            "--special-share",
            type=float,
            default=0.0,
            metavar="F",
            help="share of the stores (0-1) with special days in special_hours.csv: closures, short days, "
            "past midnight, whole days (default 0: no special_hours.csv)",
        )
        parser.add_argument(
            "--versions-share",
            type=float,
            default=0.0,
            metavar="F",
            help="share of the stores with hours (0-1) whose weekly schedule changes on a date "
            "(menu_hours.csv gains effective_from; default 0: four columns, no versions)",
        )
        parser.add_argument(
            "--brands",
            type=int,
            default=0,
            metavar="N",
            help="write stores.csv with every store in one of N brands (demo, other, brand-3, ...; "
            "default 0: no stores.csv); changes no other file",
        )

    def handle(self, *args, out, stores, days, seed, start, special_share, versions_share, brands, **options):
        began = time.perf_counter()
        try:
            summary = generate(
                out,
                stores=stores,
                days=days,
                seed=seed,
                start=start,
                special_share=special_share,
                versions_share=versions_share,
                brands=brands,
            )
        except ValueError as error:
            raise CommandError(str(error), returncode=BAD_INPUT) from None
        except OSError as error:
            raise CommandError(f"--out {out}: cannot write: {error.strerror or error}", returncode=BAD_INPUT) from None
        seconds = time.perf_counter() - began
        self.stdout.write(f"{summary.line()} in {out}/ ({seconds:.1f} s)")
