"""Database rows -> engine input (`FleetInput`). Never computes uptime.

A report reads, for its stores, the schedules and the polls in
`engine.poll_range(T)` in bulk; the engine asks `DbHistory` for older polls
of the few stores that need them. On PostgreSQL the bulk read is a binary
COPY parsed by numpy without a Python loop per poll; elsewhere (SQLite) it is
a plain query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from reports import engine
from stores.models import BusinessHours, Poll, Store

# PostgreSQL timestamps count microseconds from 2000-01-01 UTC.
_PG_EPOCH_US = 946_684_800 * engine.US
# One row of `COPY (SELECT store_id, observed_at_utc, active) TO STDOUT (FORMAT
# binary)`: field count, then (length, value) per field, all big-endian.
_PG_POLL_ROW = np.dtype(
    [("n", ">i2"), ("l1", ">i4"), ("store", ">i8"), ("l2", ">i4"), ("ts", ">i8"), ("l3", ">i4"), ("active", "u1")]
)
_PG_COPY_HEADER = 19  # signature (11) + flags (4) + header extension length (4)


def default_as_of(*, now: dt.datetime | None = None) -> dt.datetime:
    """T by default (SEMANTICS.md rule 2): the latest poll not later than now, else now."""
    now = now or timezone.now()
    latest = Poll.objects.filter(observed_at_utc__lte=now).aggregate(latest=Max("observed_at_utc"))["latest"]
    return latest or now


def report_stores(*, as_of: dt.datetime, store_ids: list[str] | None = None) -> QuerySet[Store]:
    """The stores a report as of `as_of` has a row for (rule 1), by primary key.

    A store counts if it has business hours or a timezone row, or a poll at or
    before `as_of`; a store known only from later polls does not.
    """
    stores = Store.objects.filter(
        Q(timezone_str__isnull=False)
        | Exists(BusinessHours.objects.filter(store=OuterRef("pk")))
        | Exists(Poll.objects.filter(store=OuterRef("pk"), observed_at_utc__lte=as_of))
    )
    if store_ids is not None:
        stores = stores.filter(store_id__in=store_ids)
    return stores.order_by("pk")


@dataclass
class ShardStores:
    """A contiguous slice of a report's stores: primary keys [first, last]."""

    pk_first: int
    pk_last: int
    count: int


def report_shards(*, as_of: dt.datetime, store_ids: list[str] | None, shard_size: int) -> list[ShardStores]:
    """Split a report's stores into slices of at most `shard_size` stores."""
    pks = list(report_stores(as_of=as_of, store_ids=store_ids).values_list("pk", flat=True))
    return [
        ShardStores(chunk[0], chunk[-1], len(chunk)) for chunk in (pks[i : i + shard_size] for i in range(0, len(pks), shard_size))
    ]


def fleet_input(
    *, as_of: dt.datetime, pk_first: int, pk_last: int, store_ids: list[str] | None = None
) -> engine.FleetInput:
    """The engine's input for the report's stores with primary keys in [pk_first, pk_last]."""
    stores = list(
        report_stores(as_of=as_of, store_ids=store_ids)
        .filter(pk__gte=pk_first, pk__lte=pk_last)
        .values_list("pk", "store_id", "timezone_str")
    )
    pks = np.array([s[0] for s in stores], dtype=np.int64)
    hours: dict[int, list[tuple[int, int, int]]] = {}
    rows = BusinessHours.objects.filter(store_id__gte=pk_first, store_id__lte=pk_last).values_list(
        "store_id", "day_of_week", "start_time_local", "end_time_local"
    )
    for store_pk, day, start, end in rows.iterator(chunk_size=20_000):
        hours.setdefault(store_pk, []).append((day, _seconds(start), _seconds(end)))
    schedules = [engine.Schedule(tz, tuple(hours.get(pk, ()))) for pk, _, tz in stores]

    lo_us, hi_us = engine.poll_range(engine.to_us(as_of))
    store_pk, ts_us, active = _polls(pk_first, pk_last, lo_us, hi_us)
    # Polls of stores outside the report (filtered by scope) are dropped here.
    index = np.searchsorted(pks, store_pk)
    known = (index < len(pks)) & (pks[np.minimum(index, len(pks) - 1)] == store_pk) if len(pks) else index < 0
    polls = engine.Polls(index[known], ts_us[known], active[known])
    return engine.FleetInput(
        store_ids=[s[1] for s in stores], schedules=schedules, polls=polls, history=DbHistory(pks)
    )


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _polls(pk_first: int, pk_last: int, lo_us: int, hi_us: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(store pk, instant us, active) of the polls in [lo_us, hi_us], sorted by (store, instant)."""
    lo, hi = engine.from_us(lo_us), engine.from_us(hi_us)
    if connection.vendor == "postgresql":
        query = (
            "COPY (SELECT store_id, observed_at_utc, active FROM stores_poll"
            " WHERE store_id BETWEEN %s AND %s AND observed_at_utc BETWEEN %s AND %s"
            " ORDER BY store_id, observed_at_utc) TO STDOUT (FORMAT binary)"
        )
        return _pg_copy_polls(query, (pk_first, pk_last, lo, hi))
    rows = Poll.objects.filter(
        store_id__gte=pk_first, store_id__lte=pk_last, observed_at_utc__gte=lo, observed_at_utc__lte=hi
    ).order_by("store_id", "observed_at_utc")
    return _rows_to_arrays(rows.values_list("store_id", "observed_at_utc", "active"))


def _pg_copy_polls(query: str, params: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    buffer = bytearray()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(query, params) as copy:
            for chunk in copy:
                buffer += chunk
    rows = (len(buffer) - _PG_COPY_HEADER - 2) // _PG_POLL_ROW.itemsize
    table = np.frombuffer(buffer, dtype=_PG_POLL_ROW, count=rows, offset=_PG_COPY_HEADER)
    return (
        table["store"].astype(np.int64),
        table["ts"].astype(np.int64) + _PG_EPOCH_US,
        table["active"].astype(bool),
    )


def _rows_to_arrays(rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    store, ts, active = [], [], []
    for s, t, a in rows.iterator(chunk_size=50_000):
        store.append(s)
        ts.append(engine.to_us(t))
        active.append(a)
    return np.array(store, np.int64), np.array(ts, np.int64), np.array(active, bool)


class DbHistory:
    """`engine.History` over the polls table, for the stores at `pks` (engine index -> pk)."""

    def __init__(self, pks: np.ndarray):
        self.pks = pks

    def earliest_us(self, stores: np.ndarray) -> np.ndarray:
        earliest = np.full(len(stores), engine.NO_POLL, np.int64)
        where = {int(pk): i for i, pk in enumerate(self.pks[stores])}
        for chunk in _chunks(list(where), 5_000):
            rows = (
                Poll.objects.filter(store_id__in=chunk)
                .values("store_id")
                .order_by("store_id")
                .annotate(first=Min("observed_at_utc"))
                .values_list("store_id", "first")
            )
            for pk, first in rows:
                earliest[where[pk]] = engine.to_us(first)
        return earliest

    def polls_between(self, stores: np.ndarray, start_us: int, end_us: int) -> engine.Polls:
        index = {int(pk): int(i) for pk, i in zip(self.pks[stores], stores)}
        store, ts, active = [], [], []
        for chunk in _chunks(list(index), 5_000):
            rows = Poll.objects.filter(
                store_id__in=chunk,
                observed_at_utc__gte=engine.from_us(start_us),
                observed_at_utc__lt=engine.from_us(end_us),
            ).values_list("store_id", "observed_at_utc", "active")
            for pk, t, a in rows.iterator(chunk_size=20_000):
                store.append(index[pk])
                ts.append(engine.to_us(t))
                active.append(a)
        return engine.Polls(store, ts, active)


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def report_list():
    from reports.models import Report

    return Report.objects.order_by("-created_at")
