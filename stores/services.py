"""Load polls, business hours, special hours and timezones into the database (issue 4, "Real calendars").

Every load streams its rows, validated by `stores.csv_rows`, into a temporary
staging table (PostgreSQL: `COPY`; SQLite: batched `executemany`) and then
merges the staging table into the real tables with a few set-based
statements, so the cost per row is parsing plus one pass of SQL, and memory
stays bounded by one chunk whatever the file size (except for polls loaded
into an empty poll table, held as arrays of 13 bytes a poll: `stores.staging`).

What a load means (idempotent, so it can be repeated freely):

- polls are keyed by (store, observed_at_utc): a poll already stored is a
  duplicate, and two polls of one instant with different statuses are one
  inactive poll, within a file and across loads (docs/numbers.md rule 7);
- timezones *replace* those of the stores the file mentions and leave other
  stores alone;
- business hours replace, for each store the file mentions, the weekly
  *version* with the same `effective_from` (rows without one: the undated
  version; docs/numbers.md rule 10); the store's other versions stay;
- special hours replace the rows of each (store, local date) the file
  mentions (rule 11); the store's other dates stay;
- stores (`stores.csv`: `store_id`, `brand`, optional `name`) give each store
  the file mentions its brand, created by slug when new, and its name when the
  file has that column; a store repeated with another brand or name is a bad
  row (its first row stands);
- `replace=True` makes the given files the whole truth: weekly and special
  rows not in their file are removed (of any version, date or store),
  timezones of stores not in the timezones file are set to NULL, polls not
  in the polls file are deleted, stores not in the stores file lose their
  brand and name;
- stores are created for every store id mentioned, never deleted;
- once a load that changed anything commits, `stores.signals.polls_stored` names the
  stores it touched (all of them for `replace`), for the apps that follow the data.

A store with more than `settings.HOURS_ROWS_PER_STORE_MAX` business-hours rows
in one file is a bad row (`file:line: store_id: more than N business-hours rows
for store ...`, at the line of its first row over the cap) and none of its rows
of that file are stored: however a file is built, the hours of one store stay
small enough for every answer about it.

Bad rows are skipped and counted (`on_reject` gets each one); with
`strict=True` any bad row aborts the whole load with nothing stored
(`RowsRejected`). A file that is not a CSV of its kind raises `BadFile`.
Every value is stored exactly as given, or its row is a bad row (a timezone
name holding a NUL, which no PostgreSQL text can hold); a bad row never fails
the load (`stores.staging` escapes for COPY; `stores.merges` keeps the store
of a timezone name too long for the column, without a zone).

The staging tables and what differs between the databases live in
`stores.staging`, the set-based SQL of each merge in `stores.merges`; this
module reads the files, counts, and owns the transactions.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO, cast

from django.conf import settings
from django.db import connection, transaction

from loopmonitor.observability import metrics
from stores import csv_rows, merges, ownership, staging
from stores.csv_rows import HOURS, POLLS, SPECIAL, STORES, TIMEZONES, RowError
from stores.ownership import EVERY_STORE, PushScope
from stores.signals import polls_stored_on_commit
from stores.staging import Chunk

FIRST_REJECTS_KEPT = 20

Source = str | os.PathLike[str] | TextIO
OnReject = Callable[[RowError], None]
# progress(file, bytes_done, bytes_total): called after each chunk of a file.
Progress = Callable[[str, int, int], None]
# merging(file, statements_done): called as a file's rows, all read, are merged into the tables:
# with 0 when the merge starts, then after each of its SQL statements (their number varies).
Merging = Callable[[str, int], None]


@dataclass
class FileLoadResult:
    """What one file (or pushed batch) did to the database.

    `inserted`: new rows (polls, weekly or special hours) or timezones set on a store that
    had none; `updated`: polls turned inactive by a conflicting status, or timezones changed;
    `deleted`: hours rows or polls removed (replacing); `duplicates`: valid rows
    that changed nothing. `stores_touched`: distinct stores in the valid rows, and
    `stores_by_brand` how many of them each brand has (None: stores of no brand; a store
    that a stores file moves counts in both brands); `rows_by_brand`, for a pushed batch,
    its rows per brand. A stores file's `inserted` are new stores, `updated` stores whose
    brand or name changed, `deleted` (replacing) stores that lost theirs.
    """

    file: str
    kind: str
    rows_read: int = 0
    rejected: int = 0
    warnings: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    stores_touched: int = 0
    stores_created: int = 0
    seconds: float = 0.0
    first_rejects: list[RowError] = field(default_factory=list)
    stores_by_brand: dict[int | None, int] = field(default_factory=dict)
    rows_by_brand: dict[int | None, int] = field(default_factory=dict)
    store_pks: list[int] = field(default_factory=list, repr=False)  # of the stores in the valid rows

    @property
    def duplicates(self) -> int:
        return self.rows_read - self.rejected - self.inserted - self.updated

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


@dataclass
class DataLoadResult:
    files: list[FileLoadResult]
    seconds: float = 0.0
    # The brands whose stores the load touched (None: stores of no brand): every brand that
    # owns a store when replacing, since the files are then the whole truth for all of them.
    brand_ids: set[int | None] = field(default_factory=set)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)


class RowsRejected(Exception):
    """Strict mode met bad rows, so nothing of the load was stored."""

    def __init__(self, results: list[FileLoadResult], errors: list[RowError] | None = None):
        self.results = results
        # In strict mode a warning (a kept but questionable value) refuses the load too.
        self.rejected = sum(r.rejected + r.warnings for r in results)
        # Every error for a pushed batch; the first few per file otherwise.
        self.errors = errors if errors is not None else [e for r in results for e in r.first_rejects]
        super().__init__(f"{self.rejected} bad row(s); nothing was stored")


# --- Public services ----------------------------------------------------------------


def polls_load(
    source: Source,
    *,
    name: str | None = None,
    replace: bool = False,
    strict: bool = False,
    on_reject: OnReject | None = None,
    progress: Progress | None = None,
) -> FileLoadResult:
    """Load a polls CSV (`store_id`, `timestamp_utc`, `status`) in its own transaction.

    `source` is a path or an open text stream; `name` names it in RowErrors
    (default: the path). The options are those of `data_load`.
    """
    return _single_load(
        POLLS, source, name=name, replace=replace, strict=strict, on_reject=on_reject, progress=progress
    )


def business_hours_load(
    source: Source,
    *,
    name: str | None = None,
    replace: bool = False,
    strict: bool = False,
    on_reject: OnReject | None = None,
    progress: Progress | None = None,
) -> FileLoadResult:
    """Load a business hours CSV (`store_id`, `dayOfWeek`/`day`, `start_time_local`,
    `end_time_local`) in its own transaction; see `polls_load`."""
    return _single_load(
        HOURS, source, name=name, replace=replace, strict=strict, on_reject=on_reject, progress=progress
    )


def special_hours_load(
    source: Source,
    *,
    name: str | None = None,
    replace: bool = False,
    strict: bool = False,
    on_reject: OnReject | None = None,
    progress: Progress | None = None,
) -> FileLoadResult:
    """Load a special hours CSV (`store_id`, `date`, `start_time_local`, `end_time_local`; both
    times empty = closed that date, docs/numbers.md rule 11) in its own transaction: the rows of
    each (store, date) it mentions become the file's. See `polls_load`."""
    return _single_load(
        SPECIAL, source, name=name, replace=replace, strict=strict, on_reject=on_reject, progress=progress
    )


def timezones_load(
    source: Source,
    *,
    name: str | None = None,
    replace: bool = False,
    strict: bool = False,
    on_reject: OnReject | None = None,
    progress: Progress | None = None,
) -> FileLoadResult:
    """Load a timezones CSV (`store_id`, `timezone_str`) in its own transaction; the
    last row of a repeated store wins. See `polls_load`."""
    return _single_load(
        TIMEZONES, source, name=name, replace=replace, strict=strict, on_reject=on_reject, progress=progress
    )


def data_load(
    *,
    polls: Source | None = None,
    hours: Source | None = None,
    timezones: Source | None = None,
    special: Source | None = None,
    stores: Source | None = None,
    replace: bool = False,
    strict: bool = False,
    on_reject: OnReject | None = None,
    progress: Progress | None = None,
    merging: Merging | None = None,
) -> DataLoadResult:
    """Load up to five files in ONE transaction: all of them are stored, or nothing.

    `hours` is a weekly schedule file (`menu_hours.csv`, with or without
    `effective_from`), `special` a special hours file (`special_hours.csv`),
    `stores` a stores file (`stores.csv`: brands and names), loaded first so that
    the stores the other files create already have their brands.

    `replace`: the given files are the whole truth for their kinds (module
    docstring). `strict`: any bad row aborts the load. `on_reject(RowError)` is
    called for every bad row (the results keep the first 20 per file);
    `progress(file, bytes_done, bytes_total)` after each chunk of rows, and `merging(file,
    statements_done)` through the database phase that follows each file's reading.

    Every file's header is checked before anything is written, so a wrong file
    fails in milliseconds, not after the polls. Raises BadFile, or RowsRejected
    when `strict` and any file has a bad row (all files are still read, so every
    bad row is reported).
    """
    given = ((STORES, stores), (TIMEZONES, timezones), (HOURS, hours), (SPECIAL, special), (POLLS, polls))
    sources = [(kind, src) for kind, src in given if src is not None]
    if not sources:
        raise ValueError("data_load needs at least one of polls, hours, special, timezones, stores")
    for kind, src in sources:
        if not hasattr(src, "read"):
            csv_rows.header_check(src, kind)
    started = time.perf_counter()
    halt = _Halt(strict)
    results: list[FileLoadResult] = []
    with transaction.atomic():
        staging.loads_serialize()
        for kind, src in sources:
            results.append(
                _file_load(
                    kind,
                    src,
                    name=None,
                    replace=replace,
                    halt=halt,
                    on_reject=on_reject,
                    progress=progress,
                    merging=merging,
                )
            )
        if halt.halted:
            raise RowsRejected(results)
        brand_ids = {brand_id for result in results for brand_id in result.stores_by_brand}
        if replace:
            brand_ids |= merges.brands_of_stores()
        _announce(results, replace=replace)
    metrics.polls_stored(source="file", count=sum(r.inserted for r in results if r.kind == POLLS))
    return DataLoadResult(files=results, seconds=time.perf_counter() - started, brand_ids=brand_ids)


def polls_push(
    *, items: list | None = None, csv_text: str | None = None, name: str = "request", scope: PushScope = EVERY_STORE
) -> FileLoadResult:
    """Store a batch of polls pushed over HTTP, all or nothing, into the stores `scope` allows.

    `items`: a JSON list of `{"store_id", "timestamp_utc", "status"}` (errors
    carry the 0-based index); `csv_text`: a CSV body with the file's header
    rules (errors carry the line number). Stores not known yet are created in the
    scope's brand (`ownership.stores_claim`). Raises RowsRejected listing every bad
    row (a row of a store outside the scope is one, `scope.refusal`), BadFile for a
    CSV body that is not a polls CSV, or ownership.BrandNeeded.
    """
    if csv_text is not None:
        rows, errors = _csv_push_read(csv_text, name)
    else:
        rows, errors = csv_rows.poll_items_read(items if items is not None else [], file=name)
    result = FileLoadResult(file=name, kind=POLLS, rows_read=len(rows) + len(errors), rejected=len(errors))
    if errors:
        result.first_rejects = errors[:FIRST_REJECTS_KEPT]
        raise RowsRejected([result], errors)
    started = time.perf_counter()
    chunks = (rows[i : i + csv_rows.CHUNK_ROWS] for i in range(0, len(rows), csv_rows.CHUNK_ROWS))
    try:
        with transaction.atomic():
            staging.loads_serialize()
            claimed = ownership.stores_claim((row[0] for row in rows), scope)
            _rows_store(POLLS, chunks, result, replace=False, halt=_Halt(strict=True))
            _announce([result], replace=False)
    except ownership.StoresRefused as refused:
        errors = _refused_rows(refused.store_ids, rows, csv_text, name, scope.refusal)
        result.rejected = len(errors)
        result.first_rejects = errors[:FIRST_REJECTS_KEPT]
        raise RowsRejected([result], errors) from None
    # The claim made the new stores, so the merge found them all.
    result.stores_created = claimed.created
    result.stores_by_brand = dict(Counter(claimed.brands.values()))
    result.rows_by_brand = dict(Counter(claimed.brands[row[0]] for row in rows))
    result.seconds = time.perf_counter() - started
    metrics.polls_stored(source="push", count=result.inserted)
    return result


def _csv_push_read(csv_text: str, name: str) -> tuple[list[csv_rows.Row], list[RowError]]:
    """Every valid row of a pushed polls CSV, and every bad one; BadFile if it is not a polls CSV."""
    rows: list[csv_rows.Row] = []
    errors: list[RowError] = []
    for chunk in csv_rows.rows_read(io.StringIO(csv_text, newline=""), POLLS, file=name, on_error=errors.append):
        rows.extend(chunk)
    return rows, errors


def _refused_rows(
    store_ids: set[str], rows: list[csv_rows.Row], csv_text: str | None, name: str, reason: str
) -> list[RowError]:
    """The bad rows of a batch whose stores are outside the push's scope: by CSV line, or by
    the index in the JSON list (every item is a row here: the batch had no other bad row)."""
    if csv_text is not None:
        lines = csv_rows.store_id_lines(io.StringIO(csv_text, newline=""), POLLS, store_ids, file=name)
    else:
        lines = (index for index, row in enumerate(rows) if row[0] in store_ids)
    return [RowError(name, line, "store_id", reason) for line in lines]


# --- One file -----------------------------------------------------------------------


class _Halt:
    """Shared by the files of one load: in strict mode, the first bad row stops all writing."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.halted = False


def _single_load(
    kind: str,
    source: Source,
    *,
    name: str | None,
    replace: bool = False,
    strict: bool = False,
    on_reject: OnReject | None = None,
    progress: Progress | None = None,
) -> FileLoadResult:
    halt = _Halt(strict)
    with transaction.atomic():
        staging.loads_serialize()
        result = _file_load(kind, source, name=name, replace=replace, halt=halt, on_reject=on_reject, progress=progress)
        if halt.halted:
            raise RowsRejected([result])
        _announce([result], replace=replace)
    if kind == POLLS:
        metrics.polls_stored(source="file", count=result.inserted)
    return result


def _announce(results: list[FileLoadResult], *, replace: bool) -> None:
    """Once the load commits, tell the apps that follow the stores' data which stores it changed
    (stores.signals.polls_stored; every store for a replacing load, which deletes what its files lack)."""
    if any(r.inserted or r.updated or r.deleted for r in results):
        polls_stored_on_commit(None if replace else sorted({pk for r in results for pk in r.store_pks}))


def _file_load(
    kind: str,
    source: Source,
    *,
    name: str | None,
    replace: bool,
    halt: _Halt,
    on_reject: OnReject | None,
    progress: Progress | None,
    merging: Merging | None = None,
) -> FileLoadResult:
    started = time.perf_counter()
    file = name or _source_name(source)
    result = FileLoadResult(file=file, kind=kind)

    def rejected(error: RowError) -> None:
        if isinstance(error, csv_rows.RowWarning):
            result.warnings += 1  # reported, but the row is stored
        else:
            result.rejected += 1
        if len(result.first_rejects) < FIRST_REJECTS_KEPT:
            result.first_rejects.append(error)
        if on_reject is not None:
            on_reject(error)
        if halt.strict:
            halt.halted = True

    with _opened(source) as stream:
        chunks: Iterable[Chunk]
        cap = None
        if kind == TIMEZONES:
            unstorable = _UnstorableTimezones(file, rejected)
            chunks = unstorable.dropped(csv_rows.rows_read(stream, kind, file=file, on_error=unstorable.on_error))
        elif kind == STORES:
            # One row a chunk, so that a repeat is reported in line order among the reader's reports.
            rows = csv_rows.rows_read(stream, kind, file=file, on_error=rejected, chunk_rows=1)
            chunks = _StoreRepeats(file, rejected).kept(rows)
        elif kind == HOURS:
            cap = _HoursCap(file, settings.HOURS_ROWS_PER_STORE_MAX, rejected)
            lines = _LineCount(stream)
            # One row a chunk, so that the line count is that row's line; `kept` batches them again.
            chunks = cap.kept(csv_rows.rows_read(lines, kind, file=file, on_error=rejected, chunk_rows=1), lines)
        else:
            chunks = csv_rows.rows_read(stream, kind, file=file, on_error=rejected)
        if progress is not None:
            chunks = _reporting(chunks, stream, file, progress)
        on_statement = None
        if merging is not None:
            on_statement = _statements_counted(file, merging)
        _rows_store(kind, chunks, result, replace=replace, halt=halt, cap=cap, on_statement=on_statement)
    result.rows_read += result.rejected
    result.seconds = time.perf_counter() - started
    return result


class _UnstorableTimezones:
    """Makes a timezones row whose name holds a NUL a bad row: no PostgreSQL text can hold
    one, and any other stored value would not be the value given.

    The reader has already warned about such a row (no zone has a NUL in its name: an
    unknown name, "stored"). Each warning is held until its row comes by in a chunk, then
    passed on, or replaced by the bad row: every row is reported once, in line order.
    Store ids need no such check: the reader refuses control characters in them.
    What is held is the reports of at most one chunk (timezones files are small).
    """

    REASON = "contains a NUL character, which the database cannot store"

    def __init__(self, file: str, report: OnReject):
        self.file = file
        self.report = report
        self.held: list[RowError] = []

    def on_error(self, error: RowError) -> None:
        # Once a warning waits, the reports after it wait too (line order).
        if self.held or isinstance(error, csv_rows.RowWarning):
            self.held.append(error)
        else:
            self.report(error)

    def dropped(self, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        """The chunks without the rows (line, store_id, timezone_str) whose name holds a NUL."""
        for chunk in chunks:
            bad = {line for line, _, name in chunk if staging.UNSTORABLE in name}
            if bad:
                chunk = [row for row in chunk if row[0] not in bad]
            self._release(bad)
            yield chunk
        self._release(set())

    def _release(self, bad: set[int]) -> None:
        warned = {e.line: e for e in self.held if isinstance(e, csv_rows.RowWarning)}
        reports = [e for e in self.held if not (e.line in bad and e is warned.get(e.line))]
        for line in bad:
            field = warned[line].field if line in warned else "timezone_str"
            reports.append(RowError(self.file, line, field, self.REASON))
        reports.sort(key=lambda e: e.line)  # stable: one line's reports keep their order
        self.held = []
        for error in reports:
            self.report(error)


class _StoreRepeats:
    """Makes a stores row that repeats an earlier row's store with another brand or name a bad
    row (the first row stands: which brand a store has is never decided by row order), and
    drops the line from the reader's (line, store_id, brand, name) rows. A repeat that says
    the same again is a duplicate. Holds one entry per store of the file (stores files have
    a row per store)."""

    def __init__(self, file: str, report: OnReject):
        self.file = file
        self.report = report
        self.first: dict[str, tuple[int, str, str | None]] = {}

    def kept(self, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        """The rows of `chunks` without their lines and conflicting repeats, in chunks of CHUNK_ROWS."""
        batch: Chunk = []
        for chunk in chunks:
            for line, store_id, brand, name in chunk:
                seen = self.first.setdefault(store_id, (line, brand, name))
                if seen[1:] != (brand, name):
                    said = f"brand {seen[1]!r}" + ("" if seen[2] is None else f", name {seen[2]!r}")
                    reason = f"store {store_id!r} again, with another brand or name ({said} on line {seen[0]})"
                    self.report(RowError(self.file, line, "store_id", reason))
                    continue
                batch.append((store_id, brand, name))
            if len(batch) >= csv_rows.CHUNK_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch


class _LineCount:
    """The lines of a text stream, counted as the CSV reader takes them (the header is line 1)."""

    def __init__(self, stream: Iterable[str]):
        self.stream = stream
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for text in self.stream:
            self.line += 1
            yield text


class _HoursCap:
    """Drops the rows of a store with more than `limit` hours rows in the file, reporting it once.

    Its first `limit` rows are already staged by the time the next one comes: `over` names the
    stores whose staged rows `_rows_store` deletes before the merge, and `staged` how many each
    has there.
    """

    def __init__(self, file: str, limit: int, report: OnReject):
        self.file = file
        self.limit = limit
        self.report = report
        self.rows: dict[str, int] = {}
        self.over: set[str] = set()

    def kept(self, chunks: Iterable[Chunk], lines: _LineCount) -> Iterator[Chunk]:
        """The rows of `chunks` (one a chunk, read from `lines`) in chunks of CHUNK_ROWS, capped."""
        batch: Chunk = []
        for chunk in chunks:
            for row in chunk:
                store_id = row[0]
                count = self.rows[store_id] = self.rows.get(store_id, 0) + 1
                if count <= self.limit:
                    batch.append(row)
                elif store_id not in self.over:
                    self.over.add(store_id)
                    reason = (
                        f"more than {self.limit} business-hours rows for store {store_id!r} in this file; "
                        "none of its rows are stored"
                    )
                    self.report(RowError(self.file, lines.line, "store_id", reason))
            if len(batch) >= csv_rows.CHUNK_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch

    def drop_staged(self, backend: staging.Backend, table: str, result: FileLoadResult) -> int:
        """Delete the over-cap stores' rows from the staging table; count all their rows as rejected
        (each store's report counted one already). Returns how many staged rows went."""
        over = sorted(self.over)
        for i in range(0, len(over), 500):
            part = over[i : i + 500]
            backend.execute(f"DELETE FROM {{t}}{table} WHERE store_ext IN ({', '.join(['%s'] * len(part))})", part)
        result.rejected += sum(self.rows[s] for s in over) - len(over)
        return len(over) * self.limit


def _source_name(source: Source) -> str:
    if hasattr(source, "read"):
        return str(getattr(source, "name", "<stream>"))
    return str(source)


@contextlib.contextmanager
def _opened(source: Source) -> Iterator[TextIO]:
    if hasattr(source, "read"):
        yield cast(TextIO, source)
        return
    with csv_rows.csv_open(source) as stream:
        yield stream


def _statements_counted(file: str, merging: Merging) -> Callable[[], None]:
    """A callback that reports `merging(file, n)`: 0 at its first call, then one more each call."""
    calls = 0

    def counted() -> None:
        nonlocal calls
        merging(file, calls)
        calls += 1

    return counted


def _reporting(chunks: Iterable[Chunk], stream: TextIO, name: str, progress: Progress) -> Iterator[Chunk]:
    raw: Any = getattr(stream, "buffer", None)
    try:
        total = os.fstat(raw.fileno()).st_size if raw is not None else 0
    except (OSError, AttributeError, io.UnsupportedOperation):
        total = 0
    for chunk in chunks:
        yield chunk
        progress(name, raw.tell() if total else 0, total)
    if total:
        progress(name, total, total)


def _rows_store(
    kind: str,
    chunks: Iterable[Chunk],
    result: FileLoadResult,
    *,
    replace: bool,
    halt: _Halt,
    cap: _HoursCap | None = None,
    on_statement: Callable[[], None] | None = None,
) -> None:
    """Stage the valid rows, then merge them (unless strict mode has halted the load); `cap` names
    stores whose staged rows are deleted first; `on_statement` is called as the merge begins and
    after each of its statements."""
    stage = staging.STAGES[kind]
    with connection.cursor() as cursor:
        backend = staging.backend_create(cursor)
        backend.table_create(stage.table, stage.columns, stage.nullable)
        valid = 0
        with backend.writer(stage) as write:
            for chunk in chunks:
                valid += len(chunk)
                if not halt.halted:
                    write(chunk)
        if cap is not None and cap.over and not halt.halted:
            valid -= cap.drop_staged(backend, stage.table, result)
        result.rows_read = valid
        if not halt.halted:
            if on_statement is not None:
                on_statement()
                backend.on_statement = on_statement
            merged = merges.MERGES[kind](backend, replace=replace)
            backend.on_statement = None
            result.inserted, result.updated, result.deleted = merged.inserted, merged.updated, merged.deleted
            result.stores_touched, result.stores_created = merged.stores_touched, merged.stores_created
            result.stores_by_brand = merged.stores_by_brand
            result.store_pks = merged.store_pks
        backend.table_drop(stage.table)
