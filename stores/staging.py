"""What a load does differently on PostgreSQL and SQLite: staging tables, bulk writes, locks.

A load streams its valid rows into a temporary staging table (PostgreSQL:
`COPY`; SQLite: batched `executemany`); `stores.merges` then merges that
table into the real ones with set-based SQL through the `Backend` here, which
hides the few differences between the two databases.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from stores.csv_rows import HOURS, POLLS, SPECIAL, STORES, TIMEZONES

# PostgreSQL bulk mode (see PostgresBackend.polls_bulk): at least this many new polls,
# and at least 1/BULK_MAX_GROWTH of the rows already stored.
BULK_MIN_ROWS = 200_000
BULK_MAX_GROWTH = 4
# pg_advisory_xact_lock key that loads take turns on (any constant unique to us).
LOADS_LOCK_KEY = 0x6C6D5F6C6F6164  # "lm_load"

# A chunk of validated rows, as `stores.csv_rows` yields them.
Chunk = list[tuple[Any, ...]]
# Writes one chunk into the staging table.
ChunkWrite = Callable[[Chunk], object]


def loads_serialize() -> None:
    """Let one load at a time write (until its transaction ends).

    Loads lock tables in different orders (a bulk load re-adds the polls foreign
    key, which locks stores_store; another load may hold stores rows while it
    waits for the polls): taking turns up front means they never deadlock.
    On SQLite the transaction's write lock already does this.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOADS_LOCK_KEY])


# --- Received stamps and data cutoffs -------------------------------------------------
#
# A report's shards run one after another or side by side, for seconds, in other
# processes, while polls keep arriving; each shard reads only the polls with
# received_at <= the report's data cutoff, so they all read the same polls. That needs:
# every poll stamped at or before a cutoff is committed when the cutoff is handed out,
# and every poll committed later is stamped after it. So a load reads its stamp while
# it holds the loads lock (exclusive), and a cutoff is read while holding the same lock
# shared: a cutoff waits for the load in flight to commit (its rows: stamped before),
# and the next load waits for the cutoff (its rows: stamped after). Commit and lock
# hand-over lie between the two clock readings, so they never fall in the same
# microsecond. One clock, the database's, reads both (PostgreSQL's clock_timestamp();
# SQLite is in this process). The stamp is an instant, not a transaction id: it can be
# given back (`received_before`) to re-read the same polls later.
#
# Why not a PostgreSQL exported snapshot: it lives only as long as the transaction
# that exported it stays open, across every shard of every worker, retries and
# redeliveries included, and it cannot be given again to re-run a report next week.


def received_stamp() -> dt.datetime:
    """The `received_at` of the polls the current load writes: now (UTC), read while holding
    the loads lock (taken here if the caller has not yet: it is held until the transaction ends)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Re-entrant: a second hold by the same transaction costs one round trip.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOADS_LOCK_KEY])
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]
    # SQLite: loads run in BEGIN IMMEDIATE transactions, which hold the one write lock.
    return timezone.now()


def polls_received_cutoff() -> dt.datetime:
    """A data cutoff for a report, now (UTC): every poll with received_at at or before it is
    committed, and every poll a load commits from now on is stamped later.

    Waits for the load in flight, if any, to commit (PostgreSQL: the loads lock, shared, so
    cutoffs do not wait for each other; SQLite: the write lock). Called outside a
    transaction, the lock is let go at once; inside one, when that transaction ends.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOADS_LOCK_KEY])
                cursor.execute("SELECT clock_timestamp()")
                return cursor.fetchone()[0]
        # SQLite's BEGIN IMMEDIATE waited for the write lock: no load is in flight.
        return timezone.now()


# --- Staging tables -------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    table: str
    # (name, PostgreSQL type, SQLite type), in the order of the row tuples
    columns: tuple[tuple[str, str, str], ...]
    # A chunk of rows as COPY text (PostgreSQL), every value as given (`copy_escaped`).
    copy_text: Callable[[Chunk], str]
    # The columns whose rows may hold None (NULL); every other column is NOT NULL.
    nullable: tuple[str, ...] = ()


# PostgreSQL's text COPY format gives these characters a meaning; a backslash before
# each (and `\\` for the backslash itself) makes them plain data again. NUL cannot be
# stored in PostgreSQL text at all: callers make such a row a bad row (`UNSTORABLE`).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
UNSTORABLE = "\x00"


def copy_escaped(value: str) -> str:
    """`value` as a field of PostgreSQL's text COPY format, which COPY reads back as exactly `value`."""
    return value.translate(_COPY_ESCAPES)


# Polls and hours: the reader refuses control characters in store ids (tests pin it for
# every kind of file and the pushed batches) and writes the other fields in fixed forms,
# so only a backslash in an id needs escaping. The check is one scan of the joined text
# in C: a function call per row measured 0.25 s per 1.85 M polls, and each further scan
# of the text ~1 ms per chunk.


def _polls_copy_text(chunk: Chunk) -> str:
    text = "".join([f"{s}\t{t}+00\t{'t' if a else 'f'}\n" for s, t, a in chunk])
    if "\\" in text:
        text = "".join([f"{copy_escaped(s)}\t{t}+00\t{'t' if a else 'f'}\n" for s, t, a in chunk])
    return text


# NULL in the text COPY format. The other fields of a row that may hold None (a date,
# a time) are in fixed forms that never read as it.
_COPY_NULL = "\\N"


def _hours_copy_text(chunk: Chunk) -> str:
    # The NULLs hold backslashes of their own: only the ids are looked at.
    escape = copy_escaped if "\\" in "".join([row[0] for row in chunk]) else str
    null = _COPY_NULL
    return "".join([f"{escape(s)}\t{d}\t{a}\t{b}\t{e or null}\n" for s, d, a, b, e in chunk])


def _special_copy_text(chunk: Chunk) -> str:
    # Special-hours files are small (a row per store and holiday): each id is escaped.
    null = _COPY_NULL
    return "".join([f"{copy_escaped(s)}\t{d}\t{a or null}\t{b or null}\n" for s, d, a, b in chunk])


def _stores_copy_text(chunk: Chunk) -> str:
    # Stores files are small (a row per store): every text value is escaped; no name given is NULL.
    null = _COPY_NULL
    return "".join(
        [f"{copy_escaped(s)}\t{copy_escaped(b)}\t{null if n is None else copy_escaped(n)}\n" for s, b, n in chunk]
    )


def _timezones_copy_text(chunk: Chunk) -> str:
    # A timezone name may hold any character but NUL (an unknown name is stored as
    # given): a backslash, a carriage return or one delimiter too many, and the chunk
    # is written again with its text values escaped.
    text = "".join([f"{n}\t{s}\t{z}\n" for n, s, z in chunk])
    rows = len(chunk)
    if "\\" in text or "\r" in text or text.count("\n") != rows or text.count("\t") != 2 * rows:
        text = "".join([f"{n}\t{copy_escaped(s)}\t{copy_escaped(z)}\n" for n, s, z in chunk])
    return text


# The staging table of each kind of file (`stores.csv_rows` kinds).
STAGES: dict[str, Stage] = {
    POLLS: Stage(
        "lm_stage_polls",
        (("store_ext", "text", "text"), ("ts", "timestamptz", "text"), ("active", "boolean", "integer")),
        _polls_copy_text,
    ),
    HOURS: Stage(
        "lm_stage_hours",
        (
            ("store_ext", "text", "text"),
            ("day", "smallint", "integer"),
            ("start_t", "time", "text"),
            ("end_t", "time", "text"),
            ("effective_from", "date", "text"),
        ),
        _hours_copy_text,
        nullable=("effective_from",),
    ),
    TIMEZONES: Stage(
        "lm_stage_tz",
        (("line", "bigint", "integer"), ("store_ext", "text", "text"), ("tz", "text", "text")),
        _timezones_copy_text,
    ),
    SPECIAL: Stage(
        "lm_stage_special",
        (
            ("store_ext", "text", "text"),
            ("day", "date", "text"),
            ("start_t", "time", "text"),
            ("end_t", "time", "text"),
        ),
        _special_copy_text,
        nullable=("start_t", "end_t"),
    ),
    STORES: Stage(
        "lm_stage_stores",
        (("store_ext", "text", "text"), ("brand_slug", "text", "text"), ("name", "text", "text")),
        _stores_copy_text,
        nullable=("name",),
    ),
}


# --- Backends -------------------------------------------------------------------------


def backend_create(cursor: CursorWrapper) -> Backend:
    """The backend of the default connection's database, writing through `cursor`."""
    return (PostgresBackend if connection.vendor == "postgresql" else SqliteBackend)(cursor)


class Backend(abc.ABC):
    """The few things PostgreSQL and SQLite do differently; the merges share the rest."""

    temp = ""  # schema prefix of temporary tables
    all_true = ""  # aggregate: true when every value is true
    # `a {same} b`: true when both are equal or both NULL (an undated version, a closed day).
    same = ""

    def __init__(self, cursor: CursorWrapper):
        self.cursor = cursor
        # Called after each statement: a load's progress through its merge (stores.services).
        self.on_statement: Callable[[], None] | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> CursorWrapper:
        """Run `sql`, with `{t}` replaced by the schema prefix of temporary tables."""
        self.cursor.execute(sql.format(t=self.temp), params or None)
        if self.on_statement is not None:
            self.on_statement()
        return self.cursor

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.execute(sql, params).fetchone()[0]

    def table_drop(self, table: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {{t}}{table}")

    def table_create(self, table: str, columns: Sequence[tuple[str, str, str]], nullable: Sequence[str] = ()) -> None:
        self.table_drop(table)
        cols = ", ".join(
            f"{n} {self.column_type(pg, lite)}{'' if n in nullable else ' NOT NULL'}" for n, pg, lite in columns
        )
        self.execute(f"CREATE TEMP TABLE {table} ({cols})")

    def table_create_as(self, table: str, select: str) -> None:
        self.table_drop(table)
        self.execute(f"CREATE TEMP TABLE {table} AS {select}")

    def now(self) -> Any:
        """The current time as the database driver takes a datetime parameter."""
        return connection.ops.adapt_datetimefield_value(timezone.now())

    def received_stamp(self) -> Any:
        """`received_stamp()` as the database driver takes a datetime parameter."""
        return connection.ops.adapt_datetimefield_value(received_stamp())

    @staticmethod
    @abc.abstractmethod
    def column_type(pg: str, lite: str) -> str:
        """The column type of this database, of the PostgreSQL and SQLite spellings."""

    @abc.abstractmethod
    def writer(self, stage: Stage) -> contextlib.AbstractContextManager[ChunkWrite]:
        """A context giving the function that writes a chunk into `stage`'s table."""

    @abc.abstractmethod
    def sorted_grouping(self) -> contextlib.AbstractContextManager[None]:
        """A context in which GROUP BY sorts rather than hashes, where that is a choice."""

    @abc.abstractmethod
    def temp_index(self, table: str, columns: str) -> None:
        """An index for the correlated lookups SQLite runs into a temp table."""

    @abc.abstractmethod
    def polls_lock(self) -> None:
        """Keep other writers of stores_poll out until the transaction ends."""

    @abc.abstractmethod
    def polls_bulk(self, rows: int) -> contextlib.AbstractContextManager[None]:
        """A context to insert `rows` new polls in, the cheapest way this database has."""


class PostgresBackend(Backend):
    temp = "pg_temp."
    all_true = "bool_and"
    same = "IS NOT DISTINCT FROM"

    @staticmethod
    def column_type(pg: str, lite: str) -> str:
        return pg

    def table_create(self, table: str, columns: Sequence[tuple[str, str, str]], nullable: Sequence[str] = ()) -> None:
        super().table_create(table, columns, nullable)
        # The merge groups and joins a million rows: let it hash in memory
        # rather than spill to disk (reset at the end of the transaction).
        self.execute("SET LOCAL work_mem = '256MB'")

    @contextlib.contextmanager
    def writer(self, stage: Stage) -> Iterator[ChunkWrite]:
        names = ", ".join(n for n, _, _ in stage.columns)
        with self.cursor.copy(f"COPY {self.temp}{stage.table} ({names}) FROM STDIN") as copy:
            # One write per chunk of joined text: per-row write_row() costs more
            # than the parsing.
            yield lambda chunk: copy.write(stage.copy_text(chunk))

    @contextlib.contextmanager
    def sorted_grouping(self) -> Iterator[None]:
        # Grouping by sorting (int8, timestamptz) measured 0.3-0.8 s faster than
        # hashing for 1.85 M rows, and leaves the rows in key order for the
        # INSERT (whose ORDER BY then finds them presorted). The setting is put
        # back as it was, for the rest of the caller's transaction.
        was = self.scalar("SELECT current_setting('enable_hashagg')")
        self.execute("SET LOCAL enable_hashagg = off")
        yield
        self.execute("SELECT set_config('enable_hashagg', %s, true)", [was])

    def temp_index(self, table: str, columns: str) -> None:
        pass  # PostgreSQL hashes or merges these joins: no index to build

    def polls_lock(self) -> None:
        # Loads of polls take turns (readers do not wait): the anti-join of
        # `merges.polls_merge` then sees every poll that exists, so a plain INSERT
        # never conflicts. INSERT ... ON CONFLICT would need no lock, but its
        # speculative insertion measured 2.4 us more per row (4.5 s for a 1.85 M-row file).
        self.execute("LOCK TABLE stores_poll IN SHARE ROW EXCLUSIVE MODE")

    @contextlib.contextmanager
    def polls_bulk(self, rows: int) -> Iterator[None]:
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
        dropped: list[tuple[str, str, str]] = self.execute(
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
        # Dropping the foreign key alters stores_store too, and neither table may have
        # checks pending in this transaction then (the load itself has just created
        # stores, queueing their brand key's checks): every deferred foreign key into
        # or out of either table checks its rows now, and is deferred again after.
        pending = [
            quote(name)
            for (name,) in self.execute(
                """
                SELECT conname FROM pg_constraint
                WHERE contype = 'f' AND condeferred
                  AND (conrelid IN ('stores_poll'::regclass, 'stores_store'::regclass)
                       OR confrelid IN ('stores_poll'::regclass, 'stores_store'::regclass))
                ORDER BY conname
                """
            ).fetchall()
        ]
        try:
            with transaction.atomic():  # a savepoint, so a refusal leaves the load going
                if pending:
                    self.execute(f"SET CONSTRAINTS {', '.join(pending)} IMMEDIATE")
                for what, name, _ in dropped:
                    if what == "index":
                        self.execute(f"DROP INDEX {name}")  # regclass text: qualified and quoted as needed
                    else:
                        self.execute(f"ALTER TABLE stores_poll DROP CONSTRAINT {quote(name)}")
                kept = [name for name in pending if name not in {quote(n) for w, n, _ in dropped if w != "index"}]
                if kept:
                    self.execute(f"SET CONSTRAINTS {', '.join(kept)} DEFERRED")
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


class SqliteBackend(Backend):
    temp = "temp."
    all_true = "min"
    same = "IS"

    @staticmethod
    def column_type(pg: str, lite: str) -> str:
        return lite

    @contextlib.contextmanager
    def writer(self, stage: Stage) -> Iterator[ChunkWrite]:
        marks = ", ".join(["%s"] * len(stage.columns))
        sql = f"INSERT INTO {self.temp}{stage.table} VALUES ({marks})"
        yield lambda chunk: self.cursor.executemany(sql, chunk)

    @contextlib.contextmanager
    def sorted_grouping(self) -> Iterator[None]:
        yield

    def temp_index(self, table: str, columns: str) -> None:
        # SQLite answers NOT EXISTS / UPDATE ... FROM with a nested loop; without
        # an index each outer row scans the temp table (minutes for 86 k hours).
        self.execute(f"CREATE INDEX temp.{table}_idx ON {table} ({columns})")

    def polls_lock(self) -> None:
        pass  # the transaction holds SQLite's one write lock (BEGIN IMMEDIATE)

    @contextlib.contextmanager
    def polls_bulk(self, rows: int) -> Iterator[None]:
        yield
