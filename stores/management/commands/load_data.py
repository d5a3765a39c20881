"""manage.py load_data --dir DIR | --polls FILE --hours FILE --timezones FILE --special-hours FILE
--stores FILE [--replace] [--strict] [--rejects FILE] [--if-empty]

Loads the input CSVs in one transaction (stores.services.data_load) and records
the load in the audit log (`data.loaded`, one event per brand touched). Exit
status: 0 loaded (bad rows, if any, skipped and counted), or nothing to do
(--if-empty and the database holds stores); 1 --strict met bad rows, nothing
stored; 2 bad input: an option, or a file missing, empty or not a CSV of its
kind, nothing stored. A load that stored nothing is not recorded.

--rejects FILE writes the bad rows themselves as CSV (each file's header plus
`line` and `reason`), to be fixed and loaded again: FILE for a load of one
file; for several, one file per input beside it, named after its kind
(rejects.csv -> rejects-polls.csv, rejects-hours.csv, ...).
"""

import getpass
import os
import sys
import threading
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
        parser.add_argument(
            "--rejects",
            type=Path,
            metavar="FILE",
            help="write the bad rows themselves to this CSV (their file's columns plus line and reason), "
            "to fix and load again; with several input files, one CSV per file: FILE's name plus its kind",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="load only into an empty database (no store yet): make run seeds the sample this way, "
            "so a second run keeps what was loaded or pushed since",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        files = _files(opts)
        if opts["if_empty"] and (held := selectors.stores_held()):
            self.stdout.write(f"load_data --if-empty: the database holds {held:,} store(s) already; nothing was loaded")
            return
        rejects = _Rejects(opts["rejects"], files) if opts["rejects"] is not None else None
        # The bars write straight to the stream: OutputWrapper would end each
        # "\r" redraw with a newline.
        terminal = getattr(self.stderr, "_out", sys.stderr)
        bars = _Bars(terminal) if terminal.isatty() else None
        shown = 0

        def on_reject(error: RowError) -> None:
            nonlocal shown
            if rejects is not None:
                rejects.add(error)
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
                merging=bars.merging if bars else None,
            )
        except BadFile as exc:
            raise CommandError(f"{exc}; nothing was loaded", returncode=2) from None
        except services.RowsRejected as exc:
            self._summary(exc.results)
            bad, warned = _counts(exc.results)
            refused = f"{bad} bad row(s)" + (f" and {warned} warning(s)" if warned else "")
            raise CommandError(
                f"--strict: {refused}{self._rejects_written(rejects) or _more(bad)}; nothing was loaded",
                returncode=1,
            ) from None
        finally:
            if bars:
                bars.close()
        _audit(result, replace=opts["replace"])
        self._summary(result.files)
        written = self._rejects_written(rejects)
        bad, warned = _counts(result.files)
        if bad:
            self.stderr.write(f"{bad} bad row(s) skipped{written or _more(bad)}")
        if warned:
            self.stderr.write(
                f"{warned} row(s) stored with a warning (unknown timezone names: reports use America/Chicago)"
                + ("" if bad else written)
            )

    def _rejects_written(self, rejects: "_Rejects | None") -> str:
        """Writes the rejects CSVs (if asked for) and says where, for the final message."""
        if rejects is None:
            return ""
        try:
            paths = rejects.write()
        except (OSError, BadFile) as exc:
            raise CommandError(f"--rejects: cannot write the bad rows: {exc}", returncode=2) from None
        return ", all written to " + ", ".join(str(path) for path in paths) if paths else ""

    def _summary(self, results: list[services.FileLoadResult]) -> None:
        head = (
            "file",
            "rows read",
            "inserted",
            "updated",
            "deleted",
            "duplicates",
            "rejected",
            "warnings",
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
                f"{r.warnings:,}",
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


def _counts(results: list[services.FileLoadResult]) -> tuple[int, int]:
    """(bad rows, rows stored with a warning) of a load: the sums of the summary's two columns, so
    that the final message and the table always agree."""
    return sum(r.rejected for r in results), sum(r.warnings for r in results)


def _more(count: int) -> str:
    if count > REJECTS_PRINTED:
        return f", the first {REJECTS_PRINTED} shown (--rejects FILE writes them all)"
    return ""


class _Rejects:
    """The bad rows of a load, by input file and line, written as CSV once the load is done
    (`csv_rows.rejects_write`: the file is read again for the rows themselves, so only lines and
    reasons are held meanwhile). Every target is opened for writing before the load starts, so a
    folder that is not there fails in milliseconds, not after the polls."""

    def __init__(self, path: Path, files: dict[str, Path]):
        self.targets = {str(source): _rejects_path(path, kind, len(files)) for kind, source in files.items()}
        self.reasons: dict[str, dict[int, list[str]]] = {source: {} for source in self.targets}
        for target in self.targets.values():
            try:
                target.open("w", encoding="utf-8").close()
            except OSError as exc:
                raise CommandError(f"--rejects {target}: {exc.strerror or exc}", returncode=2) from None

    def add(self, error: RowError) -> None:
        lines = self.reasons.setdefault(error.file, {})
        lines.setdefault(error.line, []).append(f"{error.field}: {error.reason}")

    def write(self) -> list[Path]:
        """Writes one CSV per input file (its header alone when it had no bad row, so that no file of
        an earlier load is left to mislead); returns the paths of those that hold rows."""
        written = []
        for source, target in self.targets.items():
            with target.open("w", encoding="utf-8", newline="") as out:
                if csv_rows.rejects_write(source, self.reasons.get(source, {}), out):
                    written.append(target)
        return written


def _rejects_path(path: Path, kind: str, inputs: int) -> Path:
    """Where the bad rows of the input of `kind` go: `path` itself when the load reads one file."""
    return path if inputs == 1 else path.with_name(f"{path.stem}-{kind}{path.suffix or '.csv'}")


class _Bars:
    """A tqdm bar per file and phase in turn, on stderr (only when it is a terminal): the file read,
    in bytes, then its merge into the tables, in SQL statements, its clock kept running while one
    statement takes long (a merge of two million polls is a few statements of seconds each)."""

    TICK_SECONDS = 0.5

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.bar: Any = None  # the tqdm bar of the phase under way
        self.phase: tuple[str, str] | None = None  # (file, "read" or "database")
        self.ticker: threading.Event | None = None

    def _open(self, name: str, phase: str, **bar: Any) -> None:
        from tqdm import tqdm

        if self.phase != (name, phase):
            self.close()
            self.phase = (name, phase)
            self.bar = tqdm(file=self.stream, leave=False, **bar)

    def update(self, name: str, done: int, total: int) -> None:
        self._open(name, "read", total=total or None, desc=Path(name).name, unit="B", unit_scale=True)
        self.bar.update(done - self.bar.n)

    def merging(self, name: str, statements: int) -> None:
        self._open(name, "database", desc=f"{Path(name).name}: writing to the database", unit=" statements")
        if self.ticker is None:
            self.ticker = self._tick(self.bar)
        self.bar.update(statements - self.bar.n)

    def _tick(self, bar: Any) -> threading.Event:
        """Redraws `bar` every TICK_SECONDS (its elapsed time) until the returned event is set."""
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(self.TICK_SECONDS):
                bar.refresh()

        threading.Thread(target=run, name="load_data-bar", daemon=True).start()
        return stop

    def write(self, line: str) -> None:
        from tqdm import tqdm

        tqdm.write(line, file=self.stream)  # above the bar, which is then redrawn

    def close(self) -> None:
        if self.ticker is not None:
            self.ticker.set()
            self.ticker = None
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            self.phase = None
