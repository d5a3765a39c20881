"""What a load does differently on PostgreSQL and SQLite: staging tables, bulk writes, locks.

A load streams its valid rows into a temporary staging table (PostgreSQL:
`COPY`; SQLite: batched `executemany`); `stores.merges` then merges that
table into the real ones with set-based SQL through the `Backend` here, which
hides the few differences between the two databases.

One exception, on PostgreSQL: polls loaded into an empty poll table (a new
database's first load) are held in memory as arrays (`PollsHeld`, 13 bytes a
poll, up to POLLS_HELD_MAX_ROWS), sorted and deduplicated there with numpy,
and written into stores_poll by one binary COPY, its indexes built afterwards
(`PostgresBackend.polls_bulk`).
"""

from __future__ import annotations

import abc
import array
import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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
# The most polls a load into an empty poll table holds in memory (`PollsHeld`, 13 bytes
# a poll: 260 MB) before it stages them in the database like any other load.
POLLS_HELD_MAX_ROWS = 20_000_000

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


# --- Polls held in memory ---------------------------------------------------------------

# PostgreSQL's binary COPY: its signature, flags and header extension, then per row the
# field count and each field's length and big-endian value; -1 as a field count ends it.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_PG_EPOCH_UNIX_US = 946_684_800_000_000
_BINARY_ROW = 43  # 2 + (4 + 8) + (4 + 8) + (4 + 1) + (4 + 8)
BLOCK_ROWS = 1 << 16  # 2.8 MB of binary COPY a block


def _pg_microseconds(moment: dt.datetime) -> int:
    return (moment - _PG_EPOCH) // dt.timedelta(microseconds=1)


def _polls_binary(store_pk: Any, ts_us: Any, active: Any, stamp: Any) -> bytes:
    """Rows (store_id, observed_at_utc, active, received_at) in binary COPY form: `ts_us`
    microseconds since 1970 (UTC), `stamp` the received_at field's 8 bytes."""
    n = len(store_pk)
    out = np.empty((n, _BINARY_ROW), dtype=np.uint8)
    out[:, 0:6] = np.frombuffer(b"\x00\x04\x00\x00\x00\x08", np.uint8)
    out[:, 6:14] = store_pk.astype(">i8").view(np.uint8).reshape(n, 8)
    out[:, 14:18] = np.frombuffer(b"\x00\x00\x00\x08", np.uint8)
    out[:, 18:26] = (ts_us - _PG_EPOCH_UNIX_US).astype(">i8").view(np.uint8).reshape(n, 8)
    out[:, 26:30] = np.frombuffer(b"\x00\x00\x00\x01", np.uint8)
    out[:, 30] = active
    out[:, 31:35] = np.frombuffer(b"\x00\x00\x00\x08", np.uint8)
    out[:, 35:43] = stamp
    return out.tobytes()


class PollsHeld:
    """The valid polls of a file, as arrays: each store id once (`index`: id -> ix, in
    order of first mention) and per row its ix, its instant (microseconds since 1970,
    UTC) and its status; 13 bytes a row."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.ix = array.array("i")
        self.ts_us = array.array("q")
        self.active = array.array("B")

    @property
    def rows(self) -> int:
        return len(self.ix)

    def add(self, chunk: Chunk) -> None:
        index = self.index
        ids = [row[0] for row in chunk]
        for store_id in set(ids).difference(index):
            index[store_id] = len(index)
        n = len(chunk)
        self.ix.frombytes(np.fromiter(map(index.__getitem__, ids), np.int32, n).tobytes())
        # The reader's instants are `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC, 1971 to 9999.
        instants = np.array([row[1] for row in chunk], dtype="datetime64[us]")
        self.ts_us.frombytes(instants.view(np.int64).tobytes())
        self.active.frombytes(np.fromiter((row[2] for row in chunk), np.bool_, n).tobytes())

    def months(self) -> list[dt.date]:
        """The calendar months (UTC, their first days) of the instants held."""
        _, ts_us, _ = self._arrays()
        if not len(ts_us):
            return []
        # Block by block: a month number per instant of all of them at once would cost
        # 16 bytes a poll more at the load's peak (300 MB for 18.5 M polls).
        seen: set[int] = set()
        first, last = (
            int(v)
            for v in np.array([ts_us.min(), ts_us.max()]).view("datetime64[us]").astype("datetime64[M]").view(np.int64)
        )
        if last - first < 3:
            seen.update(range(first, last + 1))
        else:
            for start in range(0, len(ts_us), BLOCK_ROWS):
                block = ts_us[start : start + BLOCK_ROWS].view("datetime64[us]").astype("datetime64[M]")
                seen.update(np.unique(block.view(np.int64)).tolist())
        return [dt.date(1970 + m // 12, m % 12 + 1, 1) for m in sorted(seen)]

    def chunks(self) -> Iterator[Chunk]:
        """The rows as the reader gave them (instants in ISO form), to stage them after all."""
        ids = list(self.index)
        ix, ts_us, active = self._arrays()
        for start in range(0, self.rows, 50_000):
            stop = start + 50_000
            instants = np.datetime_as_string(ts_us[start:stop].view("datetime64[us]"), unit="us")
            yield [
                (ids[i], t, bool(a))
                for i, t, a in zip(ix[start:stop].tolist(), instants.tolist(), active[start:stop].tolist(), strict=True)
            ]

    def _arrays(self) -> tuple[Any, Any, Any]:
        return (
            np.frombuffer(self.ix, dtype=np.int32),
            np.frombuffer(self.ts_us, dtype=np.int64),
            np.frombuffer(self.active, dtype=np.uint8),
        )

    def sorted_blocks(self, pks: Any) -> Callable[[], Iterator[tuple[Any, Any, Any, Any]]]:
        """Given each ix's store primary key, a function giving the rows in (store pk, instant)
        order, by blocks of (store pk, ts_us, active, first): `first` marks the first row of
        each (store, instant), whose `active` is then false if any of its rows is (rule 7:
        inactive rows sort first). The arrays are reordered in place, so this is done once."""
        ix, ts_us, active = self._arrays()
        order = np.argsort(pks, kind="stable")
        rank = np.empty(len(pks), dtype=np.int64)
        rank[order] = np.arange(len(pks), dtype=np.int64)
        pk_of_rank = pks[order]
        n = self.rows
        if n == 0:
            return lambda: iter(())
        low = int(ts_us.min())
        time_bits = (int(ts_us.max()) - low).bit_length()
        rank_bits = max(len(pks) - 1, 0).bit_length()
        if rank_bits + time_bits + 1 <= 63:
            # One int64 key per row, (rank, instant, status) from the high bits down, sorted
            # in place: no index array, no copies of the columns.
            key = ts_us
            key -= low
            key <<= 1
            key |= active
            for start in range(0, n, BLOCK_ROWS):
                key[start : start + BLOCK_ROWS] |= rank[ix[start : start + BLOCK_ROWS]] << (time_bits + 1)
            key.sort()
            time_mask = (1 << time_bits) - 1

            def packed() -> Iterator[tuple[Any, Any, Any, Any]]:
                for start in range(0, n, BLOCK_ROWS):
                    block = key[start : start + BLOCK_ROWS]
                    group = block >> 1
                    first = np.empty(len(block), dtype=np.bool_)
                    first[0] = start == 0 or group[0] != key[start - 1] >> 1
                    np.not_equal(group[1:], group[:-1], out=first[1:])
                    yield pk_of_rank[block >> (time_bits + 1)], (group & time_mask) + low, block & 1, first

            return packed
        # Instants too far apart for one key: sort by index (more memory, as rare as such files).
        ranks = rank[ix]
        order = np.lexsort((active, ts_us, ranks))

        def sorted_rows() -> Iterator[tuple[Any, Any, Any, Any]]:
            for start in range(0, n, BLOCK_ROWS):
                rows = order[max(start - 1, 0) : start + BLOCK_ROWS]
                r, t = ranks[rows], ts_us[rows]
                first = np.empty(len(rows), dtype=np.bool_)
                first[0] = True
                np.logical_or(r[1:] != r[:-1], t[1:] != t[:-1], out=first[1:])
                if start:
                    r, t, first, rows = r[1:], t[1:], first[1:], rows[1:]
                yield pk_of_rank[r], t, active[rows], first

        return sorted_rows


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
        # The polls of a load into an empty poll table, held here rather than staged
        # (PostgreSQL only: `PostgresBackend.writer`); `merges.polls_merge` writes them.
        self.polls_held: PollsHeld | None = None

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

    def polls_held_insert(self, received_at: Any) -> int:
        """Write `polls_held` into the empty stores_poll; returns the rows written (PostgreSQL only)."""
        raise NotImplementedError("only PostgreSQL holds polls")

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
        if stage is not STAGES[POLLS] or not self._polls_empty():
            with self._copy(stage) as write:
                yield write
            return
        # Into an empty poll table, the polls are held in memory (`PollsHeld`) and
        # written by one binary COPY once sorted and deduplicated there: no staging
        # table, no GROUP BY or INSERT ... SELECT in the database (measured 4 s of a
        # 1.85 M-poll load). Past POLLS_HELD_MAX_ROWS they are staged after all.
        held: PollsHeld | None = PollsHeld()
        with contextlib.ExitStack() as stack:
            staged: ChunkWrite | None = None

            def write(chunk: Chunk) -> None:
                nonlocal held, staged
                if staged is None:
                    assert held is not None
                    if held.rows + len(chunk) <= POLLS_HELD_MAX_ROWS:
                        held.add(chunk)
                        return
                    staged = stack.enter_context(self._copy(stage))
                    for block in held.chunks():
                        staged(block)
                    held = None
                staged(chunk)

            yield write
        if held is not None:
            self.polls_held = held
            self.table_create("lm_held_stores", (("ix", "integer", "integer"), ("store_ext", "text", "text")))
            with self.cursor.copy(f"COPY {self.temp}lm_held_stores (ix, store_ext) FROM STDIN") as copy:
                copy.write("".join([f"{ix}\t{copy_escaped(s)}\n" for ix, s in enumerate(held.index)]))

    @contextlib.contextmanager
    def _copy(self, stage: Stage) -> Iterator[ChunkWrite]:
        names = ", ".join(n for n, _, _ in stage.columns)
        with self.cursor.copy(f"COPY {self.temp}{stage.table} ({names}) FROM STDIN") as copy:
            # One write per chunk of joined text: per-row write_row() costs more
            # than the parsing.
            yield lambda chunk: copy.write(stage.copy_text(chunk))

    def _polls_empty(self) -> bool:
        """True when stores_poll holds no row, under the lock the merge takes anyway (so it stays empty)."""
        self.polls_lock()
        return not self.scalar("SELECT EXISTS (SELECT 1 FROM stores_poll)")

    def polls_held_insert(self, received_at: Any) -> int:
        """Write the held polls into stores_poll (empty): one row per (store, instant), inactive
        when any row of it is (rule 7), stamped `received_at`, in (store, time) order; the
        stores are in the table already (`merges.stores_create` on lm_held_stores).
        Returns the rows written."""
        held = self.polls_held
        assert held is not None
        pk_of = dict(
            self.execute(
                "SELECT h.ix, s.id FROM {t}lm_held_stores AS h JOIN stores_store AS s ON s.store_id = h.store_ext"
            ).fetchall()
        )
        self.table_drop("lm_held_stores")
        pks = np.array([pk_of[ix] for ix in range(len(held.index))], dtype=np.int64)
        blocks = held.sorted_blocks(pks)
        rows = sum(int(np.count_nonzero(first)) for _, _, _, first in blocks())
        stamp = np.frombuffer(_pg_microseconds(received_at).to_bytes(8, "big"), np.uint8)
        with self.polls_bulk(rows):
            with self.cursor.copy(
                "COPY stores_poll (store_id, observed_at_utc, active, received_at) FROM STDIN (FORMAT binary)"
            ) as copy:
                copy.write(_BINARY_HEADER)
                for store_pk, ts_us, active, first in blocks():
                    copy.write(_polls_binary(store_pk[first], ts_us[first], active[first], stamp))
                copy.write(b"\xff\xff")
        if self.on_statement is not None:
            self.on_statement()
        self.polls_held = None
        return rows

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
                # A partitioned table's index reads "ON ONLY" in the catalog: built on every partition.
                self.execute(definition.replace(" ON ONLY ", " ON ", 1))
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
        # The table's own estimate, or its partitions' (stores.partitions): a partitioned
        # table's own is not kept up to date by autovacuum. A table never analyzed has -1.
        unknown, estimate = self.execute(
            """
            SELECT bool_or(c.reltuples < 0), coalesce(sum(greatest(c.reltuples, 0)), 0)
            FROM pg_partition_tree('stores_poll'::regclass) AS t JOIN pg_class AS c ON c.oid = t.relid
            WHERE t.isleaf
            """
        ).fetchone()
        if unknown:
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
