"""manage.py load_data --dir DIR | --polls FILE --hours FILE --timezones FILE --special-hours FILE
--stores FILE [--replace] [--strict] [--rejects FILE]

Loads the input CSVs in one transaction (stores.services.data_load) and records
the load in the audit log (`data.loaded`, one event per brand touched). Exit
status: 0 loaded (bad rows, if any, skipped and counted); 1 --strict met bad
rows, nothing stored; 2 a file is missing, empty or not a CSV of its kind,
nothing stored. A load that stored nothing is not recorded.
"""

import getpass
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import CommandError, CommandParser

from brands.audit import Action, audit_record
from loopmonitor.commands import ProjectCommand
from stores import csv_rows, selectors, services
from stores.csv_rows import BadFile, RowError, RowWarning

# In --dir mode: the names each kind goes by in the wild (docs/numbers.md, inputs).
DIR_NAMES = {
    "polls": ("store_status.csv",),
    "hours": ("menu_hours.csv", "business_hours.csv"),
    "timezones": ("timezones.csv", "store_timezone.csv"),
    "special": ("special_hours.csv", "holiday_hours.csv"),
    "stores": ("stores.csv",),
}
# The option that gives one file of each kind (its dest is the flag with "_" for "-").
OPTIONS = {
    "polls": "--polls",
    "hours": "--hours",
    "timezones": "--timezones",
    "special": "--special-hours",
    "stores": "--stores",
}
REJECTS_PRINTED = 20


class Command(ProjectCommand):
    help = (
        "Load store_status / menu_hours / timezones / special_hours / stores CSV files "
        "(one transaction; idempotent; recorded in the audit log)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir",
            type=Path,
            metavar="DIR",
            help="folder holding store_status.csv, menu_hours.csv, timezones.csv and optionally special_hours.csv "
            "and stores.csv",
        )
        parser.add_argument("--polls", type=Path, metavar="FILE", help="a store_status.csv file")
        parser.add_argument(
            "--hours",
            type=Path,
            metavar="FILE",
            help="a menu_hours.csv / business_hours.csv file; an effective_from column dates its versions: "
            "each (store, effective_from) in the file replaces that version only",
        )
        parser.add_argument("--timezones", type=Path, metavar="FILE", help="a timezones.csv / store_timezone.csv file")
        parser.add_argument(
            "--special-hours",
            type=Path,
            metavar="FILE",
            help="a special_hours.csv / holiday_hours.csv file (store_id, date, start_time_local, end_time_local; "
            "both times empty = closed): each (store, date) in the file replaces that date's rows only",
        )
        parser.add_argument(
            "--stores",
            type=Path,
            metavar="FILE",
            help="a stores.csv file (store_id, brand, optional name): each store's brand, by slug (created when new), "
            "and its name; stores are created as needed",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="the given files are the whole truth: drop hours/special hours/timezones/polls of the same kinds "
            "not in them (and, with a stores file, the brand and name of stores not in it)",
        )
        parser.add_argument("--strict", action="store_true", help="any bad row aborts the load; nothing is stored")
        parser.add_argument("--rejects", type=Path, metavar="FILE", help="write every bad row to this file")

    def handle(self, *args: Any, **opts: Any) -> None:
        files = _files(opts)
        rejects_out = _open_rejects(opts["rejects"])
        # The bars write straight to the stream: OutputWrapper would end each
        # "\r" redraw with a newline.
        terminal = getattr(self.stderr, "_out", sys.stderr)
        bars = _Bars(terminal) if terminal.isatty() else None
        shown = 0

        def on_reject(error: RowError) -> None:
            nonlocal shown
            if rejects_out is not None:
                rejects_out.write(f"{error}\n")
            if shown < REJECTS_PRINTED:
                label = "warning" if isinstance(error, RowWarning) else "bad row"
                if bars:
                    bars.write(f"{label}: {error}")
                else:
                    self.stderr.write(f"{label}: {error}")
            shown += 1

        try:
            result = services.data_load(
                **files,
                replace=opts["replace"],
                strict=opts["strict"],
                on_reject=on_reject,
                progress=bars.update if bars else None,
            )
        except BadFile as exc:
            raise CommandError(f"{exc}; nothing was loaded", returncode=2) from None
        except services.RowsRejected as exc:
            self._summary(exc.results)
            raise CommandError(
                f"--strict: {exc.rejected} bad row(s){_more(exc.rejected, opts['rejects'])}; nothing was loaded",
                returncode=1,
            ) from None
        finally:
            if bars:
                bars.close()
            if rejects_out is not None:
                rejects_out.close()
        _audit(result, replace=opts["replace"])
        self._summary(result.files)
        if result.rejected:
            self.stderr.write(f"{result.rejected} bad row(s) skipped{_more(result.rejected, opts['rejects'])}")
        warnings = sum(f.warnings for f in result.files)
        if warnings:
            self.stderr.write(
                f"{warnings} row(s) stored with a warning (unknown timezone names: reports use America/Chicago)"
            )

    def _summary(self, results: list[services.FileLoadResult]) -> None:
        head = (
            "file",
            "rows read",
            "inserted",
            "updated",
            "deleted",
            "duplicates",
            "rejected",
            "stores",
            "seconds",
            "rows/s",
        )
        rows = [
            (
                r.file,
                f"{r.rows_read:,}",
                f"{r.inserted:,}",
                f"{r.updated:,}",
                f"{r.deleted:,}",
                f"{r.duplicates:,}",
                f"{r.rejected:,}",
                f"{r.stores_touched:,}",
                f"{r.seconds:.2f}",
                f"{r.rows_per_second:,.0f}",
            )
            for r in results
        ]
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        for row in [head, *rows]:
            cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
            self.stdout.write("  ".join(cells))


def _files(opts: dict[str, Any]) -> dict[str, Path]:
    """The file of each kind (`services.data_load` keyword) to load, from --dir and the one-file options."""
    given = {kind: opts[flag[2:].replace("-", "_")] for kind, flag in OPTIONS.items()}
    files: dict[str, Path] = {}
    if opts["dir"] is not None:
        folder: Path = opts["dir"]
        if not folder.is_dir():
            raise CommandError(f"--dir {folder}: not a directory", returncode=2)
        for kind, names in DIR_NAMES.items():
            present = [folder / name for name in names if (folder / name).is_file()]
            if len(present) > 1:
                raise CommandError(
                    f"--dir {folder}: both {present[0].name} and {present[1].name}; keep one", returncode=2
                )
            if present:
                files[kind] = present[0]
        if not files and not any(given.values()):
            expected = ", ".join(" or ".join(names) for names in DIR_NAMES.values())
            raise CommandError(f"--dir {folder}: none of the input files is there (expected {expected})", returncode=2)
    for kind, path in given.items():
        if path is not None:  # an explicit file wins over the folder's
            files[kind] = path
    if not files:
        raise CommandError(
            "nothing to load: give --dir DIR or at least one of --polls, --hours, --timezones, --special-hours, "
            "--stores",
            returncode=2,
        )
    for kind, path in files.items():
        if not path.is_file():
            raise CommandError(f"{OPTIONS[kind]} {path}: no such file; nothing was loaded", returncode=2)
    return files


def _audit(result: services.DataLoadResult, *, replace: bool) -> None:
    """Record the load: one event per brand it touched (none: one event, staff's log). Each
    brand's event counts its own stores per file; the files' row counts only when the load
    touched that brand alone, so that no brand's log shows the size of another's data."""
    brand_ids = result.brand_ids or {None}
    alone = len(brand_ids) == 1
    names = ", ".join(Path(f.file).name for f in result.files)
    for brand_id in brand_ids:
        files = [_file_detail(f, brand_id, alone=alone) for f in result.files]
        audit_record(
            action=Action.DATA_LOADED,
            brand_ids=[brand_id],
            actor=f"manage.py load_data ({_os_user()})",
            target=f"{len(files)} file(s): {names}"[:300],
            detail={"files": files, "replace": replace},
        )


def _file_detail(f: services.FileLoadResult, brand_id: int | None, *, alone: bool) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "file": Path(f.file).name,
        "kind": f.kind,
        "stores_touched": f.stores_by_brand.get(brand_id, 0),
    }
    if alone:
        detail.update(
            rows_read=f.rows_read,
            inserted=f.inserted,
            updated=f.updated,
            deleted=f.deleted,
            duplicates=f.duplicates,
            rejected=f.rejected,
            stores_created=f.stores_created,
        )
    return detail


def _os_user() -> str:
    """Who ran the command, as the operating system names them."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (a container's): the number says who
        return f"uid {os.getuid()}"


def _open_rejects(path: Path | None) -> TextIO | None:
    if path is None:
        return None
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--rejects {path}: {exc.strerror or exc}", returncode=2) from None


def _more(count: int, rejects_path: Path | None) -> str:
    if rejects_path is not None:
        return f", all written to {rejects_path}"
    if count > REJECTS_PRINTED:
        return f", the first {REJECTS_PRINTED} shown (--rejects FILE writes them all)"
    return ""


class _Bars:
    """A tqdm bar per file in turn, in bytes read, on stderr (only when it is a terminal)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.bar: Any = None  # the tqdm bar of the file being read
        self.name: str | None = None

    def update(self, name: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if name != self.name:
            self.close()
            self.name = name
            self.bar = tqdm(
                total=total or None, desc=Path(name).name, unit="B", unit_scale=True, file=self.stream, leave=False
            )
        self.bar.update(done - self.bar.n)
        if total and done >= total:
            self.bar.set_postfix_str("read; writing to the database")

    def write(self, line: str) -> None:
        from tqdm import tqdm

        tqdm.write(line, file=self.stream)  # above the bar, which is then redrawn

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
