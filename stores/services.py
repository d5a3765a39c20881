"""Load polls, business hours and timezones into the database (issue 4).

Every load streams its rows, validated by `stores.csv_rows`, into a temporary
staging table (PostgreSQL: `COPY`; SQLite: batched `executemany`) and then
merges the staging table into the real tables with a few set-based
statements, so the cost per row is parsing plus one pass of SQL, and memory
stays bounded by one chunk whatever the file size.

What a load means (idempotent, so it can be repeated freely):

- polls are keyed by (store, observed_at_utc): a poll already stored is a
  duplicate, and two polls of one instant with different statuses are one
  inactive poll, within a file and across loads (SEMANTICS.md rule 7);
- business hours and timezones *replace* those of the stores the file
  mentions and leave other stores alone;
- `replace=True` makes the given files the whole truth: hours of stores not
  in the hours file are removed, timezones of stores not in the timezones
  file are set to NULL, polls not in the polls file are deleted;
- stores are created for every store id mentioned, never deleted.

Bad rows are skipped and counted (`on_reject` gets each one); with
`strict=True` any bad row aborts the whole load with nothing stored
(`RowsRejected`). A file that is not a CSV of its kind raises `BadFile`.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from stores import csv_rows
from stores.csv_rows import HOURS, POLLS, TIMEZONES, RowError

FIRST_REJECTS_KEPT = 20
# PostgreSQL bulk mode (see _Postgres.polls_bulk): at least this many new polls,
# and at least 1/BULK_MAX_GROWTH of the rows already stored.
BULK_MIN_ROWS = 200_000
BULK_MAX_GROWTH = 4
# pg_advisory_xact_lock key that loads take turns on (any constant unique to us).
LOADS_LOCK_KEY = 0x6C6D5F6C6F6164  # "lm_load"

Source = str | os.PathLike | TextIO
OnReject = Callable[[RowError], None]
# progress(file, bytes_done, bytes_total): called after each chunk of a file.
Progress = Callable[[str, int, int], None]


@dataclass
class FileLoadResult:
    """What one file (or pushed batch) did to the database.

    `inserted`: new rows (polls, hours) or timezones set on a store that had none;
    `updated`: polls turned inactive by a conflicting status, or timezones changed;
    `deleted`: hours rows or polls removed (replacing); `duplicates`: valid rows
    that changed nothing. `stores_touched`: distinct stores in the valid rows.
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
    replace: bool = False,
    strict: bool = False,
    on_reject: OnReject | None = None,
    progress: Progress | None = None,
) -> DataLoadResult:
    """Load up to three files in ONE transaction: all of them are stored, or nothing.

    `replace`: the given files are the whole truth for their kinds (module
    docstring). `strict`: any bad row aborts the load. `on_reject(RowError)` is
    called for every bad row (the results keep the first 20 per file);
    `progress(file, bytes_done, bytes_total)` after each chunk of rows.

    Every file's header is checked before anything is written, so a wrong file
    fails in milliseconds, not after the polls. Raises BadFile, or RowsRejected
    when `strict` and any file has a bad row (all files are still read, so every
    bad row is reported).
    """
    sources = [(kind, src) for kind, src in ((TIMEZONES, timezones), (HOURS, hours), (POLLS, polls)) if src is not None]
    if not sources:
        raise ValueError("data_load needs at least one of polls, hours, timezones")
    for kind, src in sources:
        if not hasattr(src, "read"):
            csv_rows.header_check(src, kind)
    started = time.perf_counter()
    halt = _Halt(strict)
    results: list[FileLoadResult] = []
    with transaction.atomic():
        _loads_serialize()
        for kind, src in sources:
            results.append(
                _file_load(kind, src, name=None, replace=replace, halt=halt, on_reject=on_reject, progress=progress)
            )
        if halt.halted:
            raise RowsRejected(results)
    return DataLoadResult(files=results, seconds=time.perf_counter() - started)


def polls_push(*, items: list | None = None, csv_text: str | None = None, name: str = "request") -> FileLoadResult:
    """Store a batch of polls pushed over HTTP, all or nothing.

    `items`: a JSON list of `{"store_id", "timestamp_utc", "status"}` (errors
    carry the 0-based index); `csv_text`: a CSV body with the file's header
    rules (errors carry the line number). Raises RowsRejected listing every bad
    row, or BadFile for a CSV body that is not a polls CSV.
    """
    errors: list[RowError] = []
    if csv_text is not None:
        try:
            return _single_load(
                POLLS, io.StringIO(csv_text, newline=""), name=name, strict=True, on_reject=errors.append
            )
        except RowsRejected as exc:
            raise RowsRejected(exc.results, errors) from None
    rows, errors = csv_rows.poll_items_read(items if items is not None else [], file=name)
    result = FileLoadResult(file=name, kind=POLLS, rows_read=len(rows) + len(errors), rejected=len(errors))
    if errors:
        result.first_rejects = errors[:FIRST_REJECTS_KEPT]
        raise RowsRejected([result], errors)
    started = time.perf_counter()
    chunks = (rows[i : i + csv_rows.CHUNK_ROWS] for i in range(0, len(rows), csv_rows.CHUNK_ROWS))
    with transaction.atomic():
        _loads_serialize()
        _rows_store(POLLS, chunks, result, replace=False, halt=_Halt(strict=True))
    result.seconds = time.perf_counter() - started
    return result


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
        _loads_serialize()
        result = _file_load(kind, source, name=name, replace=replace, halt=halt, on_reject=on_reject, progress=progress)
        if halt.halted:
            raise RowsRejected([result])
    return result


def _loads_serialize() -> None:
    """Let one load at a time write (until its transaction ends).

    Loads lock tables in different orders (a bulk load re-adds the polls foreign
    key, which locks stores_store; another load may hold stores rows while it
    waits for the polls): taking turns up front means they never deadlock.
    On SQLite the transaction's write lock already does this.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOADS_LOCK_KEY])


def _file_load(kind, source, *, name, replace, halt, on_reject, progress) -> FileLoadResult:
    started = time.perf_counter()
    name = name or _source_name(source)
    result = FileLoadResult(file=name, kind=kind)

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

    with _opened(source, name) as stream:
        chunks = csv_rows.rows_read(stream, kind, file=name, on_error=rejected)
        if progress is not None:
            chunks = _reporting(chunks, stream, name, progress)
        _rows_store(kind, chunks, result, replace=replace, halt=halt)
    result.rows_read += result.rejected
    result.seconds = time.perf_counter() - started
    return result


def _source_name(source: Source) -> str:
    if hasattr(source, "read"):
        return str(getattr(source, "name", "<stream>"))
    return str(source)


@contextlib.contextmanager
def _opened(source: Source, name: str) -> Iterator[TextIO]:
    if hasattr(source, "read"):
        yield source
        return
    with csv_rows.csv_open(source) as stream:
        yield stream


def _reporting(chunks: Iterable[list], stream, name: str, progress: Progress) -> Iterator[list]:
    raw = getattr(stream, "buffer", None)
    try:
        total = os.fstat(raw.fileno()).st_size if raw is not None else 0
    except (OSError, AttributeError, io.UnsupportedOperation):
        total = 0
    for chunk in chunks:
        yield chunk
        progress(name, raw.tell() if total else 0, total)
    if total:
        progress(name, total, total)


def _rows_store(kind: str, chunks: Iterable[list], result: FileLoadResult, *, replace: bool, halt: _Halt) -> None:
    """Stage the valid rows, then merge them (unless strict mode has halted the load)."""
    stage = _STAGES[kind]
    with connection.cursor() as cursor:
        backend = (_Postgres if connection.vendor == "postgresql" else _Sqlite)(cursor)
        backend.table_create(stage.table, stage.columns)
        valid = 0
        with backend.writer(stage) as write:
            for chunk in chunks:
                valid += len(chunk)
                if not halt.halted:
                    write(chunk)
        result.rows_read = valid
        if not halt.halted:
            _MERGES[kind](backend, result, replace=replace)
        backend.table_drop(stage.table)


# --- Staging ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stage:
    table: str
    # (name, PostgreSQL type, SQLite type), in the order of the row tuples
    columns: tuple[tuple[str, str, str], ...]
    # A chunk of rows as COPY text (PostgreSQL). Fields are validated already:
    # only a store id (printable, so no tab or newline) can hold a backslash.
    copy_text: Callable[[list[tuple]], str]


def _copy_escaped(value: str) -> str:
    return value.replace("\\", "\\\\") if "\\" in value else value


def _polls_copy_text(chunk: list[tuple]) -> str:
    # No call per row on the common path (a function call per row measured 0.25 s
    # per 1.85 M rows); a backslash anywhere means some store id needs escaping.
    text = "".join([f"{s}\t{t}+00\t{'t' if a else 'f'}\n" for s, t, a in chunk])
    if "\\" in text:
        text = "".join([f"{_copy_escaped(s)}\t{t}+00\t{'t' if a else 'f'}\n" for s, t, a in chunk])
    return text


_STAGES = {
    POLLS: _Stage(
        "lm_stage_polls",
        (("store_ext", "text", "text"), ("ts", "timestamptz", "text"), ("active", "boolean", "integer")),
        _polls_copy_text,
    ),
    HOURS: _Stage(
        "lm_stage_hours",
        (
            ("store_ext", "text", "text"),
            ("day", "smallint", "integer"),
            ("start_t", "time", "text"),
            ("end_t", "time", "text"),
        ),
        lambda chunk: "".join([f"{_copy_escaped(s)}\t{d}\t{a}\t{b}\n" for s, d, a, b in chunk]),
    ),
    TIMEZONES: _Stage(
        "lm_stage_tz",
        (("line", "bigint", "integer"), ("store_ext", "text", "text"), ("tz", "text", "text")),
        lambda chunk: "".join([f"{n}\t{_copy_escaped(s)}\t{z}\n" for n, s, z in chunk]),
    ),
}


class _Backend:
    """The few things PostgreSQL and SQLite do differently; the merges share the rest."""

    temp = ""  # schema prefix of temporary tables
    all_true = ""  # aggregate: true when every value is true

    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, sql: str, params=()):
        self.cursor.execute(sql.format(t=self.temp), params or None)
        return self.cursor

    def scalar(self, sql: str, params=()):
        return self.execute(sql, params).fetchone()[0]

    def table_drop(self, table: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {{t}}{table}")

    def table_create(self, table: str, columns) -> None:
        self.table_drop(table)
        cols = ", ".join(f"{n} {self.column_type(pg, lite)} NOT NULL" for n, pg, lite in columns)
        self.execute(f"CREATE TEMP TABLE {table} ({cols})")

    def table_create_as(self, table: str, select: str) -> None:
        self.table_drop(table)
        self.execute(f"CREATE TEMP TABLE {table} AS {select}")

    def now(self):
        return connection.ops.adapt_datetimefield_value(timezone.now())

    def temp_index(self, table: str, columns: str) -> None:
        """An index for the correlated lookups SQLite runs into a temp table."""


class _Postgres(_Backend):
    temp = "pg_temp."
    all_true = "bool_and"

    @staticmethod
    def column_type(pg: str, lite: str) -> str:
        return pg

    def table_create(self, table: str, columns) -> None:
        super().table_create(table, columns)
        # The merge groups and joins a million rows: let it hash in memory
        # rather than spill to disk (reset at the end of the transaction).
        self.execute("SET LOCAL work_mem = '256MB'")

    @contextlib.contextmanager
    def writer(self, stage: _Stage):
        names = ", ".join(n for n, _, _ in stage.columns)
        with self.cursor.copy(f"COPY {self.temp}{stage.table} ({names}) FROM STDIN") as copy:
            # One write per chunk of joined text: per-row write_row() costs more
            # than the parsing.
            yield lambda chunk: copy.write(stage.copy_text(chunk))

    @contextlib.contextmanager
    def sorted_grouping(self):
        # Grouping by sorting (int8, timestamptz) measured 0.3-0.8 s faster than
        # hashing for 1.85 M rows, and leaves the rows in key order for the
        # INSERT (whose ORDER BY then finds them presorted). The setting is put
        # back as it was, for the rest of the caller's transaction.
        was = self.scalar("SELECT current_setting('enable_hashagg')")
        self.execute("SET LOCAL enable_hashagg = off")
        yield
        self.execute("SELECT set_config('enable_hashagg', %s, true)", [was])

    def polls_lock(self) -> None:
        # Loads of polls take turns (readers do not wait): the anti-join below
        # then sees every poll that exists, so a plain INSERT never conflicts.
        # INSERT ... ON CONFLICT would need no lock, but its speculative
        # insertion measured 2.4 us more per row (4.5 s for a 1.85 M-row file).
        self.execute("LOCK TABLE stores_poll IN SHARE ROW EXCLUSIVE MODE")

    @contextlib.contextmanager
    def polls_bulk(self, rows: int):
        """Insert `rows` new polls with the indexes and constraints of stores_poll
        (all but its primary key) dropped, and rebuilt afterwards, when that is cheaper.

        Measured per inserted row: the deferred foreign-key check 3.5 us, the
        random inserts into the time index 2.7 us, the unique index ~1 us;
        rebuilding all three costs ~1 us per row of the whole table. The rebuild
        holds an exclusive lock on stores_poll until commit, so readers wait:
        only worth it for big loads. Uniqueness cannot be broken meanwhile: the
        rows come from the anti-join, and no other writer gets in.
        """
        big = rows >= BULK_MIN_ROWS and rows * BULK_MAX_GROWTH >= self._polls_estimate()
        dropped = self._polls_secondary_drop() if big and self._polls_owned() else []
        yield
        if dropped:
            self.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for what, name, definition in dropped:
            # The catalog's own definitions: the same names, columns and options
            # (the foreign key is validated by one set-based check here).
            if what == "index":
                self.execute(definition)
            else:
                self.execute(f"ALTER TABLE stores_poll ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")

    def _polls_secondary_drop(self) -> list[tuple[str, str, str]]:
        """Drop the plain indexes, unique constraints and foreign keys of stores_poll;
        return (kind, name, definition) of each in the order to rebuild them, or []
        if the table cannot be altered now (the rows then go in with every check)."""
        dropped = self.execute(
            """
            SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index AS i
            WHERE i.indrelid = 'stores_poll'::regclass AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
            UNION ALL
            SELECT 'constraint', conname, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE conrelid = 'stores_poll'::regclass AND contype IN ('u', 'f')
            ORDER BY 1 DESC, 3 DESC  -- indexes, then UNIQUE before FOREIGN KEY
            """
        ).fetchall()
        quote = connection.ops.quote_name
        try:
            with transaction.atomic():  # a savepoint, so a refusal leaves the load going
                for what, name, definition in dropped:
                    if definition.startswith("FOREIGN KEY"):
                        # Checks still pending in this transaction run now: a
                        # table with pending trigger events cannot be altered.
                        self.execute(f"SET CONSTRAINTS {quote(name)} IMMEDIATE")
                for what, name, _ in dropped:
                    if what == "index":
                        self.execute(f"DROP INDEX {name}")  # regclass text: qualified and quoted as needed
                    else:
                        self.execute(f"ALTER TABLE stores_poll DROP CONSTRAINT {quote(name)}")
        except DatabaseError:
            return []
        return dropped

    def _polls_estimate(self) -> int:
        estimate = self.scalar("SELECT reltuples FROM pg_class WHERE oid = 'stores_poll'::regclass")
        if estimate < 0:  # never analyzed yet
            estimate = self.scalar("SELECT count(*) FROM stores_poll")
        return int(estimate)

    def _polls_owned(self) -> bool:
        return self.scalar("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'stores_poll'::regclass")


class _Sqlite(_Backend):
    temp = "temp."
    all_true = "min"

    @staticmethod
    def column_type(pg: str, lite: str) -> str:
        return lite

    @contextlib.contextmanager
    def writer(self, stage: _Stage):
        marks = ", ".join(["%s"] * len(stage.columns))
        sql = f"INSERT INTO {self.temp}{stage.table} VALUES ({marks})"
        yield lambda chunk: self.cursor.executemany(sql, chunk)

    @contextlib.contextmanager
    def sorted_grouping(self):
        yield

    def temp_index(self, table: str, columns: str) -> None:
        # SQLite answers NOT EXISTS / UPDATE ... FROM with a nested loop; without
        # an index each outer row scans the temp table (minutes for 86 k hours).
        self.execute(f"CREATE INDEX temp.{table}_idx ON {table} ({columns})")

    def polls_lock(self) -> None:
        pass  # the transaction holds SQLite's one write lock (BEGIN IMMEDIATE)

    @contextlib.contextmanager
    def polls_bulk(self, rows: int):
        yield


# --- Merges (set-based SQL shared by both databases) -------------------------------------


def _stores_create(backend: _Backend, stage_table: str, result: FileLoadResult) -> None:
    """Create the stores the staged rows mention (one statement); count them."""
    backend.table_create_as("lm_touched", f"SELECT DISTINCT store_ext FROM {{t}}{stage_table}")
    result.stores_touched = backend.scalar("SELECT count(*) FROM {t}lm_touched")
    result.stores_created = backend.execute(
        """
        INSERT INTO stores_store (store_id, timezone_str, created_at)
        SELECT store_ext, NULL, %s FROM {t}lm_touched WHERE true
        ON CONFLICT (store_id) DO NOTHING
        """,
        [backend.now()],
    ).rowcount
    backend.table_drop("lm_touched")


def _polls_merge(backend: _Backend, result: FileLoadResult, *, replace: bool) -> None:
    """Add the new polls and turn stored polls inactive where the file says so
    (rule 7: one instant with both statuses is one inactive poll); a poll already
    stored as the file has it is not written at all, so a reload writes nothing."""
    _stores_create(backend, "lm_stage_polls", result)
    backend.polls_lock()
    # Only what has to be written: polls not stored yet, and stored polls whose
    # status changes (active -> inactive; with replace, either way).
    changes = "p.active <> g.active" if replace else "p.active AND NOT g.active"
    with backend.sorted_grouping():
        backend.table_create_as(
            "lm_write",
            f"""
            SELECT g.store_pk, g.ts, g.active, p.store_id IS NOT NULL AS present
            FROM (SELECT s.id AS store_pk, st.ts, {backend.all_true}(st.active) AS active
                  FROM {{t}}lm_stage_polls AS st JOIN stores_store AS s ON s.store_id = st.store_ext
                  GROUP BY s.id, st.ts) AS g
            LEFT JOIN stores_poll AS p ON p.store_id = g.store_pk AND p.observed_at_utc = g.ts
            WHERE p.store_id IS NULL OR ({changes})
            """,
        )
    inserted, updated = backend.execute(
        "SELECT coalesce(sum(CASE WHEN present THEN 0 ELSE 1 END), 0),"
        " coalesce(sum(CASE WHEN present THEN 1 ELSE 0 END), 0) FROM {t}lm_write"
    ).fetchone()
    result.inserted, result.updated = int(inserted), int(updated)
    if result.updated:
        backend.temp_index("lm_write", "store_pk, ts")
        backend.execute(
            """
            UPDATE stores_poll SET active = w.active FROM {t}lm_write AS w
            WHERE w.present AND stores_poll.store_id = w.store_pk AND stores_poll.observed_at_utc = w.ts
            """
        )
    if result.inserted:
        with backend.polls_bulk(result.inserted):
            # In key order: the unique index then grows at the right of each store.
            backend.execute(
                """
                INSERT INTO stores_poll (store_id, observed_at_utc, active)
                SELECT store_pk, ts, active FROM {t}lm_write WHERE NOT present ORDER BY store_pk, ts
                """
            )
    backend.table_drop("lm_write")
    if replace:
        backend.temp_index("lm_stage_polls", "store_ext, ts")
        result.deleted = backend.execute(
            """
            DELETE FROM stores_poll
            WHERE NOT EXISTS (
                SELECT 1 FROM {t}lm_stage_polls AS st JOIN stores_store AS s ON s.store_id = st.store_ext
                WHERE s.id = stores_poll.store_id AND st.ts = stores_poll.observed_at_utc
            )
            """
        ).rowcount


def _hours_merge(backend: _Backend, result: FileLoadResult, *, replace: bool) -> None:
    """Make each mentioned store's rows exactly the file's distinct rows; rows that
    stay are not rewritten, so a repeated load changes nothing (not even ids)."""
    _stores_create(backend, "lm_stage_hours", result)
    backend.table_create_as(
        "lm_new_hours",
        """
        SELECT DISTINCT s.id AS store_pk, st.day, st.start_t, st.end_t
        FROM {t}lm_stage_hours AS st JOIN stores_store AS s ON s.store_id = st.store_ext
        """,
    )
    backend.temp_index("lm_new_hours", "store_pk, day, start_t, end_t")
    same = """
        SELECT 1 FROM {t}lm_new_hours AS n
        WHERE n.store_pk = b.store_id AND n.day = b.day_of_week
          AND n.start_t = b.start_time_local AND n.end_t = b.end_time_local
    """
    mentioned = "" if replace else "b.store_id IN (SELECT store_pk FROM {t}lm_new_hours) AND"
    deleted = backend.execute(
        f"""
        DELETE FROM stores_businesshours WHERE id IN (
            SELECT b.id FROM stores_businesshours AS b WHERE {mentioned} NOT EXISTS ({same})
        )
        """
    ).rowcount
    # Rows repeated in the table itself (stored by something other than this
    # loader) would survive the diff above; keep one of each.
    deleted += backend.execute(
        """
        DELETE FROM stores_businesshours
        WHERE store_id IN (SELECT store_pk FROM {t}lm_new_hours)
          AND id NOT IN (
            SELECT min(id) FROM stores_businesshours
            WHERE store_id IN (SELECT store_pk FROM {t}lm_new_hours)
            GROUP BY store_id, day_of_week, start_time_local, end_time_local
          )
        """
    ).rowcount
    result.deleted = deleted
    result.inserted = backend.execute(
        """
        INSERT INTO stores_businesshours (store_id, day_of_week, start_time_local, end_time_local)
        SELECT n.store_pk, n.day, n.start_t, n.end_t FROM {t}lm_new_hours AS n
        WHERE NOT EXISTS (
            SELECT 1 FROM stores_businesshours AS b
            WHERE n.store_pk = b.store_id AND n.day = b.day_of_week
              AND n.start_t = b.start_time_local AND n.end_t = b.end_time_local
        )
        """
    ).rowcount
    backend.table_drop("lm_new_hours")


def _timezones_merge(backend: _Backend, result: FileLoadResult, *, replace: bool) -> None:
    _stores_create(backend, "lm_stage_tz", result)
    backend.table_create_as(
        "lm_new_tz",
        """
        SELECT store_ext, tz FROM (
            SELECT store_ext, tz, row_number() OVER (PARTITION BY store_ext ORDER BY line DESC) AS rn
            FROM {t}lm_stage_tz
        ) AS ranked WHERE rn = 1
        """,
    )
    backend.temp_index("lm_new_tz", "store_ext")
    inserted, changed = backend.execute(
        """
        SELECT coalesce(sum(CASE WHEN s.timezone_str IS NULL THEN 1 ELSE 0 END), 0),
               coalesce(sum(CASE WHEN s.timezone_str <> n.tz THEN 1 ELSE 0 END), 0)
        FROM stores_store AS s JOIN {t}lm_new_tz AS n ON n.store_ext = s.store_id
        """
    ).fetchone()
    result.inserted, result.updated = int(inserted), int(changed)
    backend.execute(
        """
        UPDATE stores_store SET timezone_str = n.tz FROM {t}lm_new_tz AS n
        WHERE stores_store.store_id = n.store_ext
          AND (stores_store.timezone_str IS NULL OR stores_store.timezone_str <> n.tz)
        """
    )
    if replace:
        result.deleted = backend.execute(
            """
            UPDATE stores_store SET timezone_str = NULL
            WHERE timezone_str IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {t}lm_new_tz AS n WHERE n.store_ext = stores_store.store_id)
            """
        ).rowcount
    backend.table_drop("lm_new_tz")


_MERGES = {POLLS: _polls_merge, HOURS: _hours_merge, TIMEZONES: _timezones_merge}
