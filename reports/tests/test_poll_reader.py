"""The bulk poll reader (`selectors.polls_read`): its binary COPY, parsed without a loop per
poll, returns exactly what a plain query returns, for every shape of store a report meets."""

import datetime as dt

import numpy as np
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


def _sample_copy() -> bytes:
    """A binary COPY of polls_copy_statement's shape: a store with NULL arrays, then two with polls."""

    def array(oid: int, size: int, values: list[bytes]) -> bytes:
        head = (1).to_bytes(4, "big") + bytes(4) + oid.to_bytes(4, "big") + len(values).to_bytes(4, "big")
        return head + (1).to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") + v for v in values)

    def row(store: int, ts: bytes | None, active: bytes | None) -> bytes:
        fields = (3).to_bytes(2, "big") + (8).to_bytes(4, "big") + store.to_bytes(8, "big")
        for value in (ts, active):
            fields += (-1).to_bytes(4, "big", signed=True) if value is None else len(value).to_bytes(4, "big") + value
        return fields

    header = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
    rows = [
        row(3, None, None),
        row(
            4,
            array(1184, 8, [(k * 1000).to_bytes(8, "big") for k in (1, 2, 3)]),
            array(16, 1, [b"\x01", b"\x00", b"\x01"]),
        ),
        row(8, array(1184, 8, [(7).to_bytes(8, "big")]), array(16, 1, [b"\x00"])),
    ]
    return header + b"".join(rows) + (-1).to_bytes(2, "big", signed=True)


@pytest.mark.parametrize("size", [1, 2, 7, 19, 64, 10_000])
def test_the_parser_fed_block_by_block_reads_what_it_reads_of_the_whole(size):
    # The server's blocks may end anywhere in a row: the parser waits for the rest of it.
    data = _sample_copy()
    whole = selectors.polls_copy_parse(bytearray(data))
    parser = selectors.PollsCopyParser()
    for at in range(0, len(data), size):
        parser.feed(data[at : at + size])
    pieces = parser.arrays()
    assert [a.tolist() for a in pieces] == [a.tolist() for a in whole]
    epoch = 946_684_800 * fleet.US
    assert whole[0].tolist() == [4, 4, 4, 8]
    assert whole[1].tolist() == [epoch + 1000, epoch + 2000, epoch + 3000, epoch + 7]
    assert whole[2].tolist() == [True, False, True, False]


def test_the_background_read_runs_in_a_copy_of_the_callers_context(monkeypatch):
    # reports/replica.py chooses the shard's database through a context variable: the thread
    # that reads the polls must see the caller's choice.
    import contextvars

    chosen: contextvars.ContextVar[str] = contextvars.ContextVar("chosen", default="primary")
    monkeypatch.setattr(selectors.connection, "close", lambda: None, raising=False)

    def reader(**bounds) -> selectors.PollArrays:
        seen = np.array([chosen.get() == "replica", bounds == {"pk_first": 1}])
        return np.arange(2), np.arange(2), seen

    token = chosen.set("replica")
    try:
        background = selectors.PollsInBackground(reader, {"pk_first": 1})
    finally:
        chosen.reset(token)
    assert background.result()[2].tolist() == [True, True]


def test_a_failed_background_read_raises_in_the_caller(monkeypatch):
    monkeypatch.setattr(selectors.connection, "close", lambda: None, raising=False)

    def fails(**bounds):
        raise RuntimeError("the read failed")

    background = selectors.PollsInBackground(fails, {})
    with pytest.raises(RuntimeError, match="the read failed"):
        background.result()


@pytest.mark.django_db(transaction=True)
def test_a_shards_input_read_with_its_polls_in_a_thread_is_the_one_read_in_line():
    lo_us, _ = fleet.poll_range(fleet.to_us(T))
    stores = [
        make_store("a", polls=[(T - dt.timedelta(minutes=m), m % 3 != 0) for m in range(0, 9000, 61)]),
        make_store("b"),
        make_store("c", polls=[(fleet.from_us(lo_us) - dt.timedelta(days=2), True), (T, False)]),
    ]
    assert selectors.overlap_possible()
    first, last = stores[0].pk, stores[-1].pk
    threaded = selectors.fleet_input(as_of=T, pk_first=first, pk_last=last, overlap=True)
    assert isinstance(threaded.polls, fleet.PendingPolls)  # read in the background, waited for on first look
    in_line = selectors.fleet_input(as_of=T, pk_first=first, pk_last=last)
    assert threaded.store_ids == in_line.store_ids and threaded.schedules == in_line.schedules
    for a, b in zip(
        (threaded.polls.store, threaded.polls.ts_us, threaded.polls.active),
        (in_line.polls.store, in_line.polls.ts_us, in_line.polls.active),
        strict=True,
    ):
        assert a.tolist() == b.tolist()
    assert len(in_line.polls.ts_us) > 100
