"""The benchmark's poll readers, and the in-process report that takes one (run with Django set up).

The report reads its polls with `reports.selectors.polls_read`: on PostgreSQL
one binary COPY row per store, its polls as two arrays. The "before" of the
benchmark is the straightforward form, one COPY row per poll: psycopg 3
spends ~1.2 us of Python per COPY message, so it read 1.85 M polls in 2.2 s
against 0.6 s. It lives here, not in the service: nothing but the benchmark
runs it. Both are `selectors.PollsReader`s, handed to `selectors.fleet_input`.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TextIO

import numpy as np
from django.conf import settings

from reports import engine, selectors, services
from reports.fleet import US, from_us, to_us

# PostgreSQL timestamps count microseconds from 2000-01-01 UTC.
PG_EPOCH_US = 946_684_800 * US
PG_COPY_HEADER = 19  # binary COPY: signature (11) + flags (4) + header extension length (4)
PG_COPY_TRAILER = 2  # a field count of -1

POLLS_BY_ROW_COPY = """
COPY (
    SELECT store_id, observed_at_utc, active FROM stores_poll
    WHERE store_id BETWEEN %s AND %s AND observed_at_utc BETWEEN %s AND %s AND received_at <= %s
    ORDER BY store_id, observed_at_utc
) TO STDOUT (FORMAT binary)
"""
# One binary COPY row: field count, then (length, value) per field.
POLL_ROW = np.dtype(
    [("n", ">i2"), ("l1", ">i4"), ("store", ">i8"), ("l2", ">i4"), ("ts", ">i8"), ("l3", ">i4"), ("active", "u1")]
)


def polls_read_by_row(
    *, pk_first: int, pk_last: int, lo_us: int, hi_us: int, received_before: dt.datetime | None = None
) -> selectors.PollArrays:
    """What `selectors.polls_read` returns, read on PostgreSQL with one COPY row per poll (the "before")."""
    cutoff = received_before or dt.datetime.max.replace(tzinfo=dt.UTC)
    params = (pk_first, pk_last, from_us(lo_us), from_us(hi_us), cutoff)
    buffer = selectors.pg_copy_read(POLLS_BY_ROW_COPY, params)
    rows = (len(buffer) - PG_COPY_HEADER - PG_COPY_TRAILER) // POLL_ROW.itemsize
    table = np.frombuffer(buffer, dtype=POLL_ROW, count=rows, offset=PG_COPY_HEADER)
    return table["store"].astype(np.int64), table["ts"].astype(np.int64) + PG_EPOCH_US, table["active"].astype(bool)


# The readers the before/after compares, by the names BENCHMARKS.md uses.
READERS: dict[str, selectors.PollsReader] = {"by_row": polls_read_by_row, "by_store": selectors.polls_read}


def report_write_csv(*, as_of: dt.datetime, out: TextIO, polls_reader: selectors.PollsReader) -> tuple[int, int]:
    """`services.report_write_csv` for every store, with the polls read by `polls_reader`.

    The service's steps (shards, `fleet_input`, the engine, `services.report_csv_merge`)
    with the reader as the one difference; `bench.inproc` checks that the bytes equal the
    service's. Returns (rows, polls read).
    """
    cutoff = services.data_cutoff(received_before=None)  # one moment for every shard, as the service reads
    shards = selectors.report_shards(
        as_of=as_of, store_ids=None, shard_size=settings.REPORT_SHARD_STORES, received_before=cutoff
    )
    parts, rows, polls = [], 0, 0
    for s in shards:
        fleet = selectors.fleet_input(
            as_of=as_of,
            pk_first=s.pk_first,
            pk_last=s.pk_last,
            polls_reader=polls_reader,
            received_before=cutoff,
            overlap=True,
        )
        result = engine.compute_fleet(fleet, as_of_us=to_us(as_of))
        text = io.StringIO()
        rows += engine.write_csv(result, text, header=False)
        polls += result.polls_read
        parts.append(text.getvalue())
    services.report_csv_merge(parts, out)
    return rows, polls
