"""manage.py report [--as-of ISO] [--out FILE] [--brand SLUG] [--store ID ...]: a report computed in this process.

The same shards, engine and merge as the workers: the CSV is byte-for-byte
the one GET /get_report serves for the same as_of (with --brand, a brand's report:
its stores only, as of its own latest poll by default).
"""

import datetime as dt
import re
import sys
import time
from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError

from brands.models import Brand
from reports import services
from stores.csv_rows import instant_parse

# On the command line an instant names its zone: a shell default of local time must not
# pass silently as UTC.
_HAS_ZONE = re.compile(r"(?:Z|UTC|[+-]\d\d(?::?\d\d)?)\s*$", re.IGNORECASE)


def _instant(text: str) -> dt.datetime:
    """--as-of, read by the parser of the input files and the API (stores.csv_rows.instant_parse)."""
    if not _HAS_ZONE.search(text):
        raise CommandError(f"--as-of {text!r}: expected an ISO 8601 instant with a timezone, e.g. 2023-01-25T18:00:00Z")
    try:
        value = instant_parse(text)
    except ValueError as exc:
        raise CommandError(f"--as-of {text!r}: {exc}") from None
    if problem := services.as_of_problem(value):
        raise CommandError(f"--as-of {text!r}: {problem}")
    return value


class Command(BaseCommand):
    help = "Compute the uptime report in this process and write the CSV (stdout without --out)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=_instant, default=None, help="ISO 8601 instant; default: the latest poll")
        parser.add_argument("--out", default="-", help="output file, or - for stdout (default)")
        parser.add_argument("--store", action="append", dest="store_ids", help="only this store_id (repeatable)")
        parser.add_argument("--brand", default=None, help="the report of this brand (its slug): its stores only")

    def handle(self, *args, as_of, out, store_ids, brand, **options):
        started = time.perf_counter()
        brand_id = None
        if brand is not None:
            found = Brand.objects.filter(slug=brand).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"--brand {brand!r}: no brand with that slug")
            brand_id = found
        try:
            if out == "-":
                # The wrapped stream itself: OutputWrapper.write would add line endings to the CSV's bytes.
                # django-stubs leave out OutputWrapper._out (the TextIO given to __init__), hence the cast.
                stream = cast(TextIO, self.stdout._out)
                rows, polls = services.report_write_csv(as_of=as_of, out=stream, store_ids=store_ids, brand_id=brand_id)
            else:
                with open(out, "w", encoding="utf-8", newline="") as fh:
                    rows, polls = services.report_write_csv(as_of=as_of, out=fh, store_ids=store_ids, brand_id=brand_id)
        except services.UnknownStores as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}") from exc
        where = "stdout" if out == "-" else out
        print(
            f"report: {rows} stores, {polls} polls read, {time.perf_counter() - started:.2f} s -> {where}",
            file=sys.stderr,
        )
