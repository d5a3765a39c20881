"""manage.py report [--as-of ISO] [--out FILE] [--brand SLUG] [--store ID ...]: a report computed in this process.

The same shards, engine and merge as the workers: the CSV is byte-for-byte
the one GET /get_report serves for the same as_of (with --brand, a brand's report:
its stores only, as of its own latest poll by default).
"""

import functools
import sys
import time
from typing import TextIO, cast

from django.core.management.base import CommandError

from brands.models import Brand
from loopmonitor.commands import BAD_INPUT, ProjectCommand
from reports import services
from reports.serializers import TriggerSerializer


def _request_read(as_of: str | None, store_ids: list[str] | None) -> dict:
    """--as-of and --store read exactly as POST /trigger_report reads `as_of` and `store_ids` (its
    serializer: the same parser, bounds and messages); each --store may hold several ids separated
    by commas, spaces or new lines, as the API's string form."""
    body: dict = {}
    if as_of is not None:
        body["as_of"] = as_of
    if store_ids is not None:
        body["store_ids"] = "\n".join(store_ids)
    params = TriggerSerializer(data=body)
    if not params.is_valid():
        options = {"as_of": "--as-of", "store_ids": "--store"}
        field, messages = next(iter(params.errors.items()))
        given = as_of if field == "as_of" else " ".join(store_ids or [])
        raise CommandError(f"{options.get(field, field)} {given!r}: {' '.join(messages)}", returncode=BAD_INPUT)
    return params.validated_data


class Command(ProjectCommand):
    help = "Compute the uptime report in this process and write the CSV (stdout without --out)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", default=None, help="ISO 8601 instant, as POST /trigger_report takes it; default: the latest poll"
        )
        parser.add_argument("--out", default="-", help="output file, or - for stdout (default)")
        parser.add_argument(
            "--store",
            action="append",
            dest="store_ids",
            help="only this store_id (repeatable; or several separated by commas or spaces)",
        )
        parser.add_argument("--brand", default=None, help="the report of this brand (its slug): its stores only")

    def handle(self, *args, as_of, out, store_ids, brand, **options):
        started = time.perf_counter()
        params = _request_read(as_of, store_ids)
        brand_id = None
        if brand is not None:
            found = Brand.objects.filter(slug=brand).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"--brand {brand!r}: no brand with that slug", returncode=BAD_INPUT)
            brand_id = found
        write = functools.partial(
            services.report_write_csv,
            as_of=params.get("as_of"),
            store_ids=params.get("store_ids"),
            brand_id=brand_id,
            on_warning=lambda warning: print(f"warning: {warning}", file=sys.stderr),
        )
        try:
            if out == "-":
                # The wrapped stream itself: OutputWrapper.write would add line endings to the CSV's bytes.
                # django-stubs leave out OutputWrapper._out (the TextIO given to __init__), hence the cast.
                rows, polls = write(out=cast(TextIO, self.stdout._out))
            else:
                with open(out, "w", encoding="utf-8", newline="") as fh:
                    rows, polls = write(out=fh)
        except services.UnknownStores as exc:
            raise CommandError(f"--store: {exc}", returncode=BAD_INPUT) from exc
        except OSError as exc:
            raise CommandError(f"--out {out}: cannot write: {exc.strerror}", returncode=BAD_INPUT) from exc
        where = "stdout" if out == "-" else out
        print(
            f"report: {rows} stores, {polls} polls read, {time.perf_counter() - started:.2f} s -> {where}",
            file=sys.stderr,
        )
