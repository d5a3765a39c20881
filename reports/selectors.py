"""Database rows -> engine input (`FleetInput`). Never computes uptime.

A report reads, for its stores, the schedules (weekly rows with their
effective_from, special days from `SPECIALS_MARGIN_DAYS` before the report's
dates to T) and the polls in `fleet.poll_range(T)` in bulk; the engine asks
`DbHistory` for older polls, and `DbOlderSpecials` for older special days, of
the few stores that need them. On PostgreSQL the bulk read is a binary
COPY parsed by numpy without a Python loop per poll; elsewhere (SQLite) it is
a plain query. `fleet_input(polls_reader=...)` takes another bulk reader: the
benchmark (bench/readers.py) times its old per-row reader against `polls_read`.

A report reads one moment of the data: every poll read (bulk, history, and the
polls that make a store part of the report) is filtered by the report's data
cutoff, `received_at <= received_before` (`stores.staging.polls_received_cutoff`),
so its shards agree however many polls arrive while they run. `received_before`
None reads whatever is stored (the per-store views).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import struct
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from brands.access import Caller, scoped
from reports import fleet
from reports.models import Report, ReportSchedule
from reports.replica import connection  # the database this report's shard reads (reports/replica.py)
from stores.models import BusinessHours, Poll, SpecialHours, Store

# PostgreSQL timestamps count microseconds from 2000-01-01 UTC.
_PG_EPOCH_US = 946_684_800 * fleet.US
_PG_COPY_HEADER = 19  # binary COPY: signature (11) + flags (4) + header extension length (4)

# One row per store, its polls as two arrays. psycopg 3 spends ~1.2 us of
# Python per COPY message, and PostgreSQL sends one message per row: one row
# per store instead of one per poll cut the read of 1.85 M polls from 2.2 s to
# 0.6 s. The LATERAL subquery is one index-only range scan of
# poll_store_time_uniq per store, both arrays aggregated from it (two ARRAY(...)
# subqueries scanned the range twice: 0.47 s -> 0.37 s of server time for
# 1.85 M polls): (store_id = s.id AND time range) seeks straight to the week,
# whereas `store_id BETWEEN a AND b AND time range` walks every index entry of
# those stores, all their history included (8 weeks: 0.85 s -> 0.6 s). The
# sorted subquery hands its rows to array_agg in index order, so both arrays
# are in instant order (`polls_copy_parse` checks it); a store without a poll
# there gets two NULLs.
# The cutoff is tested on `received_at`, INCLUDEd in that index (stores migration 0004),
# so the scan stays index-only.
_PG_POLLS_BY_STORE = """
COPY (
    SELECT s.id, p.ts, p.active
    FROM stores_store s CROSS JOIN LATERAL (
        SELECT array_agg(observed_at_utc) AS ts, array_agg(active) AS active
        FROM (
            SELECT observed_at_utc, active FROM stores_poll
            WHERE store_id = s.id AND observed_at_utc BETWEEN %(lo)s AND %(hi)s{received}
            ORDER BY observed_at_utc
        ) polls
    ) p
    WHERE {stores}
    ORDER BY s.id
) TO STDOUT (FORMAT binary)
"""
_PG_RECEIVED_BEFORE = " AND received_at <= %(received_before)s"
_PG_STORE_RANGE = "s.id BETWEEN %(first)s AND %(last)s"
_PG_STORE_LIST = "s.id = ANY(%(pks)s)"
# The straightforward form, one COPY row per poll, lives on as the benchmark's
# "before" (bench/readers.py).

# The special rows read with the schedules start this many days before the first date that
# can touch the report's range: the search for older observations mostly reads the weeks just
# before it, and asks `DbOlderSpecials` for anything older. Measured on 10 000 stores with 30
# special rows each over two years: all rows up to T (212 696) take 0.15 s to read, those
# from 30 days before the report's range (16 800) 0.03 s.
SPECIALS_MARGIN_DAYS = 30
# The first day number a date can have (0001-01-01).
_FIRST_DAY = fleet.local_day(dt.date.min)

# Binary array header: ndim, has-null flag, element type oid, then (size,
# lower bound) for the one dimension; each element is (length int4, value).
_PG_ARRAY_HEADER = 20
# One element of each array: its length, then its value (a timestamp: int8 us; a boolean: one byte).
_PG_TS_ELEMENT = np.dtype([("len", ">i4"), ("value", ">i8")])
_PG_BOOL_ELEMENT = np.dtype([("len", ">i4"), ("value", "u1")])


def polls_received_by(polls: QuerySet[Poll], received_before: dt.datetime | None) -> QuerySet[Poll]:
    """`polls` limited to those received at or before `received_before` (all of them for None)."""
    return polls if received_before is None else polls.filter(received_at__lte=received_before)


def default_as_of(
    *, now: dt.datetime | None = None, received_before: dt.datetime | None = None, brand_id: int | None = None
) -> dt.datetime:
    """T by default (docs/numbers.md rule 2): the latest poll not later than now (among those
    received at or before `received_before`, when given), else now.

    With `brand_id`, the latest poll of that brand's stores: a brand's report (and what its
    callers see of a store) never starts from, and so never reveals, another brand's poll.
    """
    now = now or timezone.now()
    polls = polls_received_by(Poll.objects.filter(observed_at_utc__lte=now), received_before)
    if brand_id is not None:
        polls = polls.filter(store__brand_id=brand_id)
    latest = polls.aggregate(latest=Max("observed_at_utc"))["latest"]
    return latest or now


def report_stores(
    *,
    as_of: dt.datetime,
    store_ids: list[str] | None = None,
    received_before: dt.datetime | None = None,
    brand_id: int | None = None,
) -> QuerySet[Store]:
    """The stores a report as of `as_of` has a row for (rule 1), by primary key: of the brand
    `brand_id` only when given (a brand's report), of every brand and none when None.

    A store counts if it has business hours (weekly or special) or a timezone
    row, or a poll at or before `as_of` (received at or before `received_before`);
    a store known only from later polls does not.
    """
    polls = polls_received_by(Poll.objects.filter(store=OuterRef("pk"), observed_at_utc__lte=as_of), received_before)
    stores = Store.objects.filter(
        Q(timezone_str__isnull=False)
        | Exists(BusinessHours.objects.filter(store=OuterRef("pk")))
        | Exists(SpecialHours.objects.filter(store=OuterRef("pk")))
        | Exists(polls)
    )
    if brand_id is not None:
        stores = stores.filter(brand_id=brand_id)
    if store_ids is not None:
        stores = stores.filter(store_id__in=store_ids)
    return stores.order_by("pk")


@dataclass
class ShardStores:
    """A contiguous slice of a report's stores: primary keys [first, last]."""

    pk_first: int
    pk_last: int
    count: int


def report_shards(
    *,
    as_of: dt.datetime,
    store_ids: list[str] | None,
    shard_size: int,
    min_shards: int = 1,
    received_before: dt.datetime | None = None,
    brand_id: int | None = None,
) -> list[ShardStores]:
    """Split a report's stores (`report_stores`) into equal slices of at most `shard_size` stores,
    and into at least `min_shards` slices when there are that many stores."""
    stores = report_stores(as_of=as_of, store_ids=store_ids, received_before=received_before, brand_id=brand_id)
    pks = list(stores.values_list("pk", flat=True))
    if not pks:
        return []
    count = min(len(pks), max(min_shards, -(-len(pks) // shard_size)))
    bounds = [round(i * len(pks) / count) for i in range(count + 1)]
    return [ShardStores(pks[a], pks[b - 1], b - a) for a, b in zip(bounds, bounds[1:], strict=False)]


# (store pk, instant us, active): one entry per poll, sorted by (store, instant).
PollArrays = tuple[np.ndarray, np.ndarray, np.ndarray]
# A bulk poll reader, called as reader(pk_first=, pk_last=, lo_us=, hi_us=, received_before=): see `polls_read`.
PollsReader = Callable[..., PollArrays]


def fleet_input(
    *,
    as_of: dt.datetime,
    pk_first: int,
    pk_last: int,
    store_ids: list[str] | None = None,
    polls_reader: PollsReader | None = None,
    received_before: dt.datetime | None = None,
    brand_id: int | None = None,
    only_pks: Sequence[int] | None = None,
    overlap: bool = False,
) -> fleet.FleetInput:
    """The engine's input for the report's stores (`report_stores`: of brand `brand_id` when
    given) with primary keys in [pk_first, pk_last]; with `only_pks`, only those of them (a few
    stores spread over the fleet, such as a page of the overview, read without the others).

    The polls in `fleet.poll_range(as_of)` are read by `polls_reader` (default `polls_read`,
    what every report uses); any reader returning the same arrays gives the same report.
    Every poll read, history included, was received at or before `received_before` (the
    report's data cutoff; None: every stored poll).

    With `overlap` (a report's shard), the bulk poll read runs in a thread on a connection of
    its own (`PollsInBackground`) while this one reads the stores and their schedules, and the
    input's polls are `fleet.PendingPolls`, waited for when the engine first reads them (after
    it has turned the schedules into open spans): the server scans the polls meanwhile. Not
    inside a transaction (a second connection would not see what it wrote): there the polls
    are read here, after the schedules.
    """
    lo_us, hi_us = fleet.poll_range(fleet.to_us(as_of))
    reader = polls_reader or polls_read
    bounds = {
        "pk_first": pk_first,
        "pk_last": pk_last,
        "lo_us": lo_us,
        "hi_us": hi_us,
        "received_before": received_before,
    }
    background = PollsInBackground(reader, bounds) if overlap and only_pks is None and overlap_possible() else None
    try:
        # With a background read, its polls are waited for on the engine's first look at them.
        return _fleet_input(
            as_of=as_of,
            pk_first=pk_first,
            pk_last=pk_last,
            store_ids=store_ids,
            polls_later=background.result if background is not None else None,
            reader=reader,
            bounds=bounds,
            brand_id=brand_id,
            only_pks=only_pks,
        )
    except BaseException:
        if background is not None:
            background.join()  # its connection closed before the error goes up
        raise


def _fleet_input(
    *,
    as_of: dt.datetime,
    pk_first: int,
    pk_last: int,
    store_ids: list[str] | None,
    polls_later: Callable[[], PollArrays] | None,
    reader: PollsReader,
    bounds: dict[str, Any],
    brand_id: int | None,
    only_pks: Sequence[int] | None,
) -> fleet.FleetInput:
    """`fleet_input`'s reads; `polls_later` hands over the bulk polls read meanwhile (None: read them here)."""
    received_before, lo_us, hi_us = bounds["received_before"], bounds["lo_us"], bounds["hi_us"]
    among = report_stores(as_of=as_of, store_ids=store_ids, received_before=received_before, brand_id=brand_id)
    if only_pks is not None:
        among = among.filter(pk__in=only_pks)
    stores = list(among.filter(pk__gte=pk_first, pk__lte=pk_last).values_list("pk", "store_id", "timezone_str"))
    pks = np.array([s[0] for s in stores], dtype=np.int64)
    hours: dict[int, list[fleet.WeeklyRow]] = {}
    for store_pk, day, start_s, end_s, effective_from in _hours_rows(pk_first, pk_last, only_pks=only_pks):
        # An undated row stays a 3-tuple: the engine's plain path for the version since always.
        hours.setdefault(store_pk, []).append(
            (day, start_s, end_s) if effective_from is None else (day, start_s, end_s, effective_from)
        )
    specials_from = lo_us // fleet.DAY_US - SPECIALS_MARGIN_DAYS
    special: dict[int, list[fleet.SpecialRow]] = {}
    for store_pk, date, special_start_s, special_end_s in _special_rows(
        pk_first, pk_last, from_day=specials_from, as_of=as_of, only_pks=only_pks
    ):
        special.setdefault(store_pk, []).append((date, special_start_s, special_end_s))
    schedules = [fleet.Schedule(tz, tuple(hours.get(pk, ())), tuple(special.get(pk, ()))) for pk, _, tz in stores]

    polls: fleet.Polls
    if polls_later is not None:
        # Still being read: the engine first turns the schedules into open spans, then waits for them.
        later = polls_later
        polls = fleet.PendingPolls(lambda: _polls_of(pks, *later()))
    elif only_pks is None:
        polls = _polls_of(pks, *reader(**bounds))
    else:
        polls = _polls_of(pks, *polls_read_of(pks=only_pks, lo_us=lo_us, hi_us=hi_us, received_before=received_before))
    return fleet.FleetInput(
        store_ids=[s[1] for s in stores],
        schedules=schedules,
        polls=polls,
        history=DbHistory(pks, received_before=received_before),
        older_specials=DbOlderSpecials(pks, specials_from),
    )


def _polls_of(pks: np.ndarray, poll_pk: np.ndarray, ts_us: np.ndarray, active: np.ndarray) -> fleet.Polls:
    """The engine's polls (store index, not pk) of the stores at `pks` (sorted primary keys):
    polls of stores outside the report (filtered by scope) are dropped here."""
    index = np.searchsorted(pks, poll_pk)
    known = (index < len(pks)) & (pks[np.minimum(index, len(pks) - 1)] == poll_pk) if len(pks) else index < 0
    return fleet.Polls(index[known], ts_us[known], active[known])


def overlap_possible() -> bool:
    """Whether a second connection reads what this one does: PostgreSQL, outside a transaction."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class PollsInBackground:
    """`reader(**bounds)` run at once in a thread of its own, on that thread's own connection to
    the database this context reads (reports/replica.py: the thread runs in a copy of the
    context, so a shard on the replica reads its polls there too), closed when it is done.

    psycopg 3 waits for the server without the GIL, so the caller meanwhile runs its own
    queries and Python. `result()` waits for the arrays (or raises what the read raised).
    """

    def __init__(self, reader: PollsReader, bounds: dict[str, Any]):
        self._reader, self._bounds = reader, bounds
        self._arrays: PollArrays | None = None
        self._error: BaseException | None = None
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), name="report-polls", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._arrays = self._reader(**self._bounds)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            connection.close()  # this thread's own connection: a thread never reuses it

    def join(self) -> None:
        self._thread.join()

    def result(self) -> PollArrays:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._arrays is not None
        return self._arrays


def _hours_rows(
    pk_first: int, pk_last: int, *, only_pks: Sequence[int] | None = None
) -> list[tuple[int, int, int, int, int | None]]:
    """(store pk, day, start s, end s, effective_from as days since 1970-01-01 or None) of the
    weekly business hours of stores in [pk_first, pk_last] (among `only_pks`, when given) (rules 5, 10)."""
    if connection.vendor == "postgresql":
        # Seconds and day numbers computed by the server: no time or date objects built per row.
        only, params = "", list[Any]([pk_first, pk_last])
        if only_pks is not None:
            only, params = " AND store_id = ANY(%s)", [pk_first, pk_last, list(only_pks)]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT store_id, day_of_week, EXTRACT(EPOCH FROM start_time_local)::int,"
                " EXTRACT(EPOCH FROM end_time_local)::int, effective_from - DATE '1970-01-01'"
                " FROM stores_businesshours WHERE store_id BETWEEN %s AND %s" + only,
                params,
            )
            return cursor.fetchall()
    hours = BusinessHours.objects.filter(store_id__gte=pk_first, store_id__lte=pk_last)
    if only_pks is not None:
        hours = hours.filter(store_id__in=only_pks)
    rows = hours.values_list("store_id", "day_of_week", "start_time_local", "end_time_local", "effective_from")
    return [
        (pk, day, _seconds(start), _seconds(end), None if since is None else fleet.local_day(since))
        for pk, day, start, end, since in rows.iterator(chunk_size=20_000)
    ]


def _special_rows(
    pk_first: int, pk_last: int, *, from_day: int, as_of: dt.datetime, only_pks: Sequence[int] | None = None
) -> list[tuple[int, int, int | None, int | None]]:
    """(store pk, local date as days since 1970-01-01, start s, end s; both None = closed) of the
    special hours (rule 11) of stores in [pk_first, pk_last] (among `only_pks`, when given) dated
    from `from_day` to T's UTC date + 1 (no later local date starts a period before T)."""
    first, last = fleet.day_date(from_day), as_of.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    where = Q(store_id__gte=pk_first, store_id__lte=pk_last, date__gte=first, date__lte=last)
    if only_pks is None:
        return _special_rows_where(
            "store_id BETWEEN %s AND %s AND date BETWEEN %s AND %s", [pk_first, pk_last, first, last], where
        )
    return _special_rows_where(
        "store_id BETWEEN %s AND %s AND store_id = ANY(%s) AND date BETWEEN %s AND %s",
        [pk_first, pk_last, list(only_pks), first, last],
        where & Q(store_id__in=only_pks),
    )


def _special_rows_where(sql: str, params: list, where: Q) -> list[tuple[int, int, int | None, int | None]]:
    """Special rows as (store pk, day, start s, end s): `sql`/`params` on PostgreSQL, `where` elsewhere."""
    if connection.vendor == "postgresql":
        # Seconds and day numbers computed by the server, as for the weekly rows.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT store_id, date - DATE '1970-01-01', EXTRACT(EPOCH FROM start_time_local)::int,"
                f" EXTRACT(EPOCH FROM end_time_local)::int FROM stores_specialhours WHERE {sql}",  # sql: a literal here
                params,
            )
            return cursor.fetchall()
    rows = SpecialHours.objects.filter(where).values_list("store_id", "date", "start_time_local", "end_time_local")
    return [
        (pk, fleet.local_day(date), None if start is None else _seconds(start), None if end is None else _seconds(end))
        for pk, date, start, end in rows.iterator(chunk_size=20_000)
    ]


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def polls_read(
    *, pk_first: int, pk_last: int, lo_us: int, hi_us: int, received_before: dt.datetime | None = None
) -> PollArrays:
    """(store pk, instant us, active) of the polls of stores with primary keys in [pk_first, pk_last]
    observed in [lo_us, hi_us] (UTC microseconds) and received at or before `received_before`
    (None: any), sorted by (store, instant).

    PostgreSQL: the COPY of `polls_copy_statement` streamed by `pg_copy_stream` into a
    `PollsCopyParser` (each row parsed as it arrives); elsewhere a plain query.
    """
    bounds = {"pk_first": pk_first, "pk_last": pk_last, "lo_us": lo_us, "hi_us": hi_us}
    if connection.vendor == "postgresql":
        parser = PollsCopyParser()
        pg_copy_stream(*polls_copy_statement(**bounds, received_before=received_before), parser.feed)
        return parser.arrays()
    rows = Poll.objects.filter(
        store_id__gte=pk_first,
        store_id__lte=pk_last,
        observed_at_utc__gte=fleet.from_us(lo_us),
        observed_at_utc__lte=fleet.from_us(hi_us),
    )
    rows = polls_received_by(rows, received_before).order_by("store_id", "observed_at_utc")
    return _rows_to_arrays(rows.values_list("store_id", "observed_at_utc", "active"))


def polls_copy_statement(
    *, pk_first: int, pk_last: int, lo_us: int, hi_us: int, received_before: dt.datetime | None = None
) -> tuple[str, dict]:
    """The binary COPY statement `polls_read` runs on PostgreSQL, and its parameters: one row per
    store with primary key in [pk_first, pk_last], its polls in [lo_us, hi_us] received at or
    before `received_before` (None: any) as two arrays."""
    params = {"first": pk_first, "last": pk_last, "lo": fleet.from_us(lo_us), "hi": fleet.from_us(hi_us)}
    return _polls_copy(_PG_STORE_RANGE, params, received_before)


def _polls_copy(stores: str, params: dict, received_before: dt.datetime | None) -> tuple[str, dict]:
    """The by-store COPY of the stores `stores` (SQL on `s`) selects, with the cutoff when given."""
    if received_before is None:
        return _PG_POLLS_BY_STORE.format(stores=stores, received=""), params
    return (
        _PG_POLLS_BY_STORE.format(stores=stores, received=_PG_RECEIVED_BEFORE),
        {**params, "received_before": received_before},
    )


def polls_read_of(
    *, pks: Sequence[int], lo_us: int, hi_us: int, received_before: dt.datetime | None = None
) -> PollArrays:
    """`polls_read` of the stores with these primary keys only (a page of the overview: a few stores
    spread over the fleet), with the same COPY by store on PostgreSQL."""
    if connection.vendor == "postgresql":
        params = {"pks": list(pks), "lo": fleet.from_us(lo_us), "hi": fleet.from_us(hi_us)}
        return polls_copy_parse(pg_copy_read(*_polls_copy(_PG_STORE_LIST, params, received_before)))
    rows = Poll.objects.filter(
        store_id__in=pks, observed_at_utc__gte=fleet.from_us(lo_us), observed_at_utc__lte=fleet.from_us(hi_us)
    )
    rows = polls_received_by(rows, received_before).order_by("store_id", "observed_at_utc")
    return _rows_to_arrays(rows.values_list("store_id", "observed_at_utc", "active"))


def pg_copy_read(query: str, params: tuple | dict) -> bytearray:
    """The whole output of a `COPY (...) TO STDOUT` statement on PostgreSQL, as bytes, run with JIT off."""
    buffer = bytearray()
    pg_copy_stream(query, params, buffer.extend)
    return buffer


def pg_copy_stream(query: str, params: tuple | dict, sink: Callable[[bytes | bytearray | memoryview], Any]) -> None:
    """Hand each block of a `COPY (...) TO STDOUT` statement's output to `sink` as it arrives, with JIT off."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:  # it scopes SET LOCAL
        raw = cursor.cursor
        raw.execute("SET LOCAL jit = off")  # compiling this plain scan costs more than it saves
        with raw.copy(query, params) as copy:
            while chunk := copy.read():
                sink(chunk)


def polls_copy_parse(buffer: bytes | bytearray) -> PollArrays:
    """(store pk, instant us, active) arrays, sorted by (store, instant), from the output of
    `polls_copy_statement`'s binary COPY (`PollsCopyParser` fed all of it at once)."""
    parser = PollsCopyParser()
    parser.feed(buffer)
    return parser.arrays()


_COPY_HEAD = struct.Struct(">6xqi").unpack_from  # (field count, len,) store pk, len of the ts array
_INT4 = struct.Struct(">i").unpack_from
_INT2 = struct.Struct(">h").unpack_from


class PollsCopyParser:
    """The output of `polls_copy_statement`'s binary COPY, parsed as it arrives (`feed` each block,
    in order, then `arrays()`): `polls_read` parses each store's row while the server is still
    scanning the next ones, instead of parsing the whole output once it is all there.

    A short Python step per *store* finds where its two arrays' elements lie and keeps those
    bytes (12 per timestamp, 5 per boolean, each with its length); numpy then reads every
    element of every store as one structured array. A row split over two blocks waits for the next.
    """

    def __init__(self) -> None:
        self._pending = bytearray()  # received, not parsed yet: the start of an incomplete row
        self._header = True
        self._stores: list[int] = []
        self._counts: list[int] = []
        self._ts_parts: list[bytes] = []
        self._active_parts: list[bytes] = []

    def feed(self, block: bytes | bytearray | memoryview) -> None:
        buffer = self._pending
        buffer += block
        pos, end = 0, len(buffer)
        if self._header:
            if end < _PG_COPY_HEADER:
                return
            pos, self._header = _PG_COPY_HEADER, False
        with memoryview(buffer) as view:  # released before the parsed bytes are dropped
            while pos + 2 <= end:
                if _INT2(buffer, pos)[0] == -1:  # the trailer: a field count of -1
                    pos += 2
                    break
                ts_start = pos + 18
                if ts_start + 4 > end:
                    break
                store, ts_len = _COPY_HEAD(buffer, pos)
                active_len_at = ts_start + max(ts_len, 0)  # a NULL ts array (-1) has no bytes
                if active_len_at + 4 > end:
                    break
                (active_len,) = _INT4(buffer, active_len_at)
                row_end = active_len_at + 4 + max(active_len, 0)
                if row_end > end:
                    break
                # NULL arrays (the store has no polls here) or an empty one (ndim 0): no polls either.
                if ts_len >= 0 and _INT4(buffer, ts_start)[0] != 0:
                    (n,) = _INT4(buffer, ts_start + 12)
                    ts_at = ts_start + _PG_ARRAY_HEADER
                    active_at = ts_at + 12 * n + 4 + _PG_ARRAY_HEADER
                    self._stores.append(store)
                    self._counts.append(n)
                    self._ts_parts.append(view[ts_at : ts_at + 12 * n].tobytes())
                    self._active_parts.append(view[active_at : active_at + 5 * n].tobytes())
                pos = row_end
        del buffer[:pos]

    def arrays(self) -> PollArrays:
        """Every poll fed so far, as (store pk, instant us, active), sorted by (store, instant)."""
        counts = np.array(self._counts, np.int64)
        ts = np.frombuffer(b"".join(self._ts_parts), _PG_TS_ELEMENT)["value"].astype(np.int64) + _PG_EPOCH_US
        active = np.frombuffer(b"".join(self._active_parts), _PG_BOOL_ELEMENT)["value"].astype(bool)
        store = np.repeat(np.array(self._stores, np.int64), counts)
        if len(ts) > 1 and not ((ts[1:] > ts[:-1]) | (store[1:] != store[:-1])).all():
            order = np.lexsort((ts, store))  # never seen: the index hands them over in order
            store, ts, active = store[order], ts[order], active[order]
        return store, ts, active


def _rows_to_arrays(rows) -> PollArrays:
    store, ts, active = [], [], []
    for s, t, a in rows.iterator(chunk_size=50_000):
        store.append(s)
        ts.append(fleet.to_us(t))
        active.append(a)
    return np.array(store, np.int64), np.array(ts, np.int64), np.array(active, bool)


class DbHistory:
    """`fleet.History` over the polls table, for the stores at `pks` (engine index -> pk), reading
    only polls received at or before `received_before` (None: any), like the bulk read."""

    def __init__(self, pks: np.ndarray, *, received_before: dt.datetime | None = None):
        self.pks = pks
        self.received_before = received_before

    def latest_before(self, stores: np.ndarray, before_us: np.ndarray) -> np.ndarray:
        latest = np.full(len(stores), fleet.NO_POLL, np.int64)
        pairs = [(int(pk), fleet.from_us(b)) for pk, b in zip(self.pks[stores], before_us, strict=True)]
        if connection.vendor == "postgresql":
            # One index probe per store, each with its own cutoff.
            # (NULL::timestamptz IS NULL: no cutoff.)
            query = (
                "SELECT (SELECT max(observed_at_utc) FROM stores_poll p"
                " WHERE p.store_id = c.id AND p.observed_at_utc < c.cutoff"
                " AND (%s::timestamptz IS NULL OR p.received_at <= %s::timestamptz))"
                " FROM unnest(%s::bigint[], %s::timestamptz[]) WITH ORDINALITY AS c(id, cutoff, n) ORDER BY c.n"
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    query, [self.received_before, self.received_before, [p for p, _ in pairs], [b for _, b in pairs]]
                )
                rows = [r[0] for r in cursor.fetchall()]
        else:
            rows = [
                polls_received_by(
                    Poll.objects.filter(store_id=pk, observed_at_utc__lt=b), self.received_before
                ).aggregate(m=Max("observed_at_utc"))["m"]
                for pk, b in pairs
            ]
        for i, value in enumerate(rows):
            if value is not None:
                latest[i] = fleet.to_us(value)
        return latest

    def polls_between(self, stores: np.ndarray, start_us: int, end_us: int) -> fleet.Polls:
        if connection.vendor == "postgresql":
            # The bulk read's COPY by store over these stores (instants are whole microseconds:
            # ts < end_us is ts <= end_us - 1), without a datetime built per poll.
            if len(stores) == 0 or end_us <= start_us:
                return fleet.Polls.empty()
            pks = self.pks[stores]
            params = {"pks": pks.tolist(), "lo": fleet.from_us(start_us), "hi": fleet.from_us(end_us - 1)}
            poll_pk, read_ts, read_active = polls_copy_parse(
                pg_copy_read(*_polls_copy(_PG_STORE_LIST, params, self.received_before))
            )
            order = np.argsort(pks, kind="stable")
            at = np.searchsorted(pks[order], poll_pk)
            return fleet.Polls(np.asarray(stores, np.int64)[order][at], read_ts, read_active)
        index = {int(pk): int(i) for pk, i in zip(self.pks[stores], stores, strict=True)}
        store, ts, active = [], [], []
        for chunk in _chunks(list(index), 5_000):
            rows = polls_received_by(
                Poll.objects.filter(
                    store_id__in=chunk,
                    observed_at_utc__gte=fleet.from_us(start_us),
                    observed_at_utc__lt=fleet.from_us(end_us),
                ),
                self.received_before,
            ).values_list("store_id", "observed_at_utc", "active")
            for pk, t, a in rows.iterator(chunk_size=20_000):
                store.append(index[pk])
                ts.append(fleet.to_us(t))
                active.append(a)
        return fleet.Polls(store, ts, active)


class DbOlderSpecials:
    """`fleet.OlderSpecials` over the special hours table, for the stores at `pks` (engine index -> pk).

    `fleet_input` reads the special rows dated `from_day` or later with the schedules; the
    engine asks for older ones only for the stores whose older observations it searches.
    """

    def __init__(self, pks: np.ndarray, from_day: int):
        self.pks = pks
        self._from_day = from_day

    @property
    def from_day(self) -> int:
        return self._from_day

    def special_rows(self, stores: np.ndarray, first_day: int, last_day: int) -> list[tuple[int, fleet.SpecialRow]]:
        index = {int(pk): int(i) for pk, i in zip(self.pks[stores], stores, strict=True)}
        out: list[tuple[int, fleet.SpecialRow]] = []
        first, last = fleet.day_date(max(first_day, _FIRST_DAY)), fleet.day_date(last_day)
        for chunk in _chunks(list(index), 5_000):
            rows = _special_rows_where(
                "store_id = ANY(%s) AND date BETWEEN %s AND %s",
                [chunk, first, last],
                Q(store_id__in=chunk, date__gte=first, date__lte=last),
            )
            out += [(index[pk], (day, start, end)) for pk, day, start, end in rows]
        return out


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def reports_visible(caller: Caller) -> QuerySet[Report]:
    """The reports `caller` may read: those of its brands (every report, the whole fleet's
    included, for platform staff), their brands fetched with them. Another brand's report is
    exactly as absent as one that does not exist."""
    return scoped(Report.objects.select_related("brand"), caller)


def report_list(*, caller: Caller) -> QuerySet[Report]:
    """The reports `caller` may read, newest first."""
    return reports_visible(caller).order_by("-created_at")


def report_visible(*, caller: Caller, report_id: uuid.UUID) -> Report:
    """The report `report_id` if `caller` may read it. Raises Report.DoesNotExist otherwise."""
    return reports_visible(caller).get(pk=report_id)


def schedules_visible(caller: Caller) -> QuerySet[ReportSchedule]:
    """The report schedules `caller` may read (viewer of their brand; every one for platform staff),
    by brand and name, with their brand, beat entry and last report fetched with them."""
    schedules = ReportSchedule.objects.select_related("brand", "periodic_task", "last_report")
    return scoped(schedules, caller).order_by("brand__slug", "name", "created_at")


def schedule_visible(*, caller: Caller, schedule_id: str) -> ReportSchedule:
    """The schedule `schedule_id` if `caller` may read it. Raises ReportSchedule.DoesNotExist
    otherwise, for an id that is no UUID too: another brand's schedule, one that does not exist
    and a malformed id are the same answer."""
    try:
        key = uuid.UUID(schedule_id)
    except ValueError:
        raise ReportSchedule.DoesNotExist(schedule_id) from None
    return schedules_visible(caller).get(pk=key)


# --- One store (the per-store uptime, timeline and SVG) ---------------------------------


class StoreNotInReport(Exception):
    """The store has no row in a report as of T (docs/numbers.md rule 1): it is known only from later polls."""

    def __init__(self, store: Store, as_of: dt.datetime):
        self.store, self.as_of = store, as_of
        super().__init__(
            f"Store {store.store_id} has no timezone, no business hours and no poll at or before "
            f"{as_of.isoformat()}: a report as of then has no row for it (docs/numbers.md rule 1)."
        )


def store_fleet_input(store: Store, *, as_of: dt.datetime) -> fleet.FleetInput:
    """The engine's input for this one store as of `as_of`: the very reader a report uses
    (`fleet_input` over the primary-key range [pk, pk]), history included.

    Raises StoreNotInReport when a report as of `as_of` would have no row for the store.
    """
    one_store = fleet_input(as_of=as_of, pk_first=store.pk, pk_last=store.pk)
    if len(one_store.store_ids) != 1:
        raise StoreNotInReport(store, as_of)
    return one_store


@dataclass(frozen=True)
class PollSpan:
    """The first and last poll instants of a report's stores (None, None: no poll at all)."""

    first: dt.datetime | None
    last: dt.datetime | None


def polls_span(
    *, store_ids: list[str] | None = None, brand_id: int | None = None, received_before: dt.datetime | None = None
) -> PollSpan:
    """The first and last poll of the stores a report covers (brand `brand_id`'s, those of
    `store_ids`, or all), among the polls received at or before `received_before`: what a report
    that read no poll says about why (`services.report_warnings`)."""
    polls = polls_received_by(Poll.objects.all(), received_before)
    if brand_id is not None:
        polls = polls.filter(store__brand_id=brand_id)
    if store_ids is not None:
        polls = polls.filter(store__store_id__in=store_ids)
    span = polls.aggregate(first=Min("observed_at_utc"), last=Max("observed_at_utc"))
    return PollSpan(span["first"], span["last"])
