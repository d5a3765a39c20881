"""The bulk poll reader (`selectors.polls_read`): its binary COPY, parsed without a loop per
poll, returns exactly what a plain query returns, for every shape of store a report meets."""

import datetime as dt

import pytest

from reports import fleet, selectors
from stores.conftest import make_store
from stores.models import Poll

UTC = dt.UTC
T = dt.datetime(2023, 1, 25, 18, 0, tzinfo=UTC)


def _plain(pk_first: int, pk_last: int, lo_us: int, hi_us: int) -> list[tuple[int, int, bool]]:
    rows = Poll.objects.filter(
        store_id__gte=pk_first,
        store_id__lte=pk_last,
        observed_at_utc__gte=fleet.from_us(lo_us),
        observed_at_utc__lte=fleet.from_us(hi_us),
    ).order_by("store_id", "observed_at_utc")
    return [(pk, fleet.to_us(t), a) for pk, t, a in rows.values_list("store_id", "observed_at_utc", "active")]


@pytest.mark.django_db
def test_the_bulk_read_is_the_plain_querys_polls_for_every_kind_of_store():
    # given stores with no poll at all, polls only before the range, one poll, many polls
    # stored out of order, and a poll at each end of the range
    lo_us, hi_us = fleet.poll_range(fleet.to_us(T))
    lo, hi = fleet.from_us(lo_us), fleet.from_us(hi_us)
    stores = [
        make_store("none"),
        make_store("older", polls=[(lo - dt.timedelta(hours=h), h % 2 == 0) for h in (1, 2, 30)]),
        make_store("one", polls=[(T - dt.timedelta(minutes=7), False)]),
        make_store(
            "many",
            polls=[(T - dt.timedelta(minutes=37 * k + (k * 7919) % 31), (k * 31) % 5 != 0) for k in range(400, 0, -1)],
        ),
        make_store("none-again"),
        make_store("edges", polls=[(lo, True), (hi, False), (hi + dt.timedelta(microseconds=1), True)]),
        make_store("last-empty", polls=[(hi + dt.timedelta(hours=1), True)]),
    ]
    first, last = stores[0].pk, stores[-1].pk

    # when the report's reader reads them
    store, ts, active = selectors.polls_read(pk_first=first, pk_last=last, lo_us=lo_us, hi_us=hi_us)

    # then it is the plain query's answer, sorted by (store, instant), as numpy arrays
    assert [str(a.dtype) for a in (store, ts, active)] == ["int64", "int64", "bool"]
    expected = _plain(first, last, lo_us, hi_us)
    assert list(zip(store.tolist(), ts.tolist(), active.tolist(), strict=True)) == expected
    assert len(expected) > 300 and {pk for pk, _, _ in expected} == {s.pk for s in stores[2:4]} | {stores[5].pk}


@pytest.mark.django_db
def test_a_range_of_stores_without_any_poll_reads_empty_arrays():
    stores = [make_store("a"), make_store("b")]
    lo_us, hi_us = fleet.poll_range(fleet.to_us(T))
    store, ts, active = selectors.polls_read(pk_first=stores[0].pk, pk_last=stores[1].pk, lo_us=lo_us, hi_us=hi_us)
    assert (len(store), len(ts), len(active)) == (0, 0, 0)


def test_the_parser_reads_empty_arrays_as_no_polls():
    # An empty array (ndim 0) where array_agg would give NULL: the older two-ARRAY form's output.
    def row(store: int, ts: bytes, active: bytes) -> bytes:
        return (
            (3).to_bytes(2, "big")
            + (8).to_bytes(4, "big")
            + store.to_bytes(8, "big")
            + len(ts).to_bytes(4, "big")
            + ts
            + len(active).to_bytes(4, "big")
            + active
        )

    empty = (0).to_bytes(4, "big") + (0).to_bytes(4, "big") + (1184).to_bytes(4, "big")
    header = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
    one_ts = (
        (1).to_bytes(4, "big") + bytes(4) + (1184).to_bytes(4, "big") + (1).to_bytes(4, "big") + (1).to_bytes(4, "big")
    )
    one_ts += (8).to_bytes(4, "big") + (5).to_bytes(8, "big")
    one_bool = (
        (1).to_bytes(4, "big") + bytes(4) + (16).to_bytes(4, "big") + (1).to_bytes(4, "big") + (1).to_bytes(4, "big")
    )
    one_bool += (1).to_bytes(4, "big") + b"\x01"
    buffer = bytearray(header + row(7, empty, empty) + row(9, one_ts, one_bool) + (-1).to_bytes(2, "big", signed=True))
    store, ts, active = selectors.polls_copy_parse(buffer)
    assert store.tolist() == [9]
    assert ts.tolist() == [5 + 946_684_800 * fleet.US]
    assert active.tolist() == [True]
