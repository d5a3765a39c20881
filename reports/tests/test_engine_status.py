"""Each store's status at T (`PreparedFleet.status`, what the fleet overview shows): its latest
observation and since when its status holds (docs/numbers.md rule 7). No database."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from reports.engine import PreparedFleet, compute_fleet
from reports.fleet import NO_OBSERVATION, FleetInput, Polls, Schedule, StoreExplanation, to_us
from reports.status_rows import status_rows_read, status_rows_text
from reports.tests.test_engine import EXAMPLE_A_AS_OF, EXAMPLE_A_HOURS, EXAMPLE_A_POLLS
from reports.tests.test_timeline import random_fleet

UTC = dt.UTC


def expected_status(explanation: StoreExplanation) -> tuple[int, bool, int]:
    """(last, active, since) read one observation at a time, backwards from the latest."""
    times, active = explanation.observed_us.tolist(), explanation.observed_active.tolist()
    if not times:
        return NO_OBSERVATION, False, NO_OBSERVATION
    i = len(times) - 1
    while i > 0 and active[i - 1] == active[-1]:
        i -= 1
    since = NO_OBSERVATION if i == 0 else times[i - 1] + (times[i] - times[i - 1]) // 2
    return times[-1], active[-1], since


def test_example_a_is_down_since_the_midpoint_of_its_two_observations():
    # given docs/numbers.md example A: active at 15:14, inactive at 16:15 UTC, T = 17:00
    fleet = FleetInput(
        ["1481966498820158979"],
        [Schedule("America/New_York", EXAMPLE_A_HOURS)],
        Polls(
            np.zeros(len(EXAMPLE_A_POLLS), np.int64),
            [to_us(t) for t, _ in EXAMPLE_A_POLLS],
            [a for _, a in EXAMPLE_A_POLLS],
        ),
    )

    status = compute_fleet(fleet, as_of_us=to_us(EXAMPLE_A_AS_OF), status=True).status

    assert status is not None
    assert status.last_us.tolist() == [to_us(dt.datetime(2023, 1, 23, 16, 15, tzinfo=UTC))]
    assert status.last_active.tolist() == [False]
    # the status switches where the row's downtime starts: 15:44:30 (rule 7)
    assert status.since_us.tolist() == [to_us(dt.datetime(2023, 1, 23, 15, 44, 30, tzinfo=UTC))]


def test_a_store_never_observed_has_no_status_and_one_always_up_has_no_since():
    as_of = dt.datetime(2023, 1, 23, 17, tzinfo=UTC)
    polls = [(as_of - dt.timedelta(hours=h), True) for h in (1, 30, 100)]
    fleet = FleetInput(
        ["never", "always-up"],
        [Schedule(None), Schedule("America/New_York")],
        Polls([1] * len(polls), [to_us(t) for t, _ in polls], [a for _, a in polls]),
    )

    status = compute_fleet(fleet, as_of_us=to_us(as_of), status=True).status

    assert status is not None
    assert status.last_us.tolist() == [NO_OBSERVATION, to_us(as_of - dt.timedelta(hours=1))]
    assert status.last_active.tolist() == [False, True]
    assert status.since_us.tolist() == [NO_OBSERVATION, NO_OBSERVATION]


@pytest.mark.parametrize("seed", range(10))
def test_the_fleets_statuses_are_each_stores_read_alone(seed):
    # given 30 random stores of one fleet (polls while closed, older than the week, none at all...)
    fleet, as_of = random_fleet(seed)
    prepared = PreparedFleet(fleet, as_of_us=to_us(as_of))

    # when
    status = prepared.status()

    # then every store's status is the one its explanation gives, observation by observation
    for i, store_id in enumerate(fleet.store_ids):
        want = expected_status(prepared.explain(i))
        got = (int(status.last_us[i]), bool(status.last_active[i]), int(status.since_us[i]))
        assert got == want, store_id
        assert got[0] == NO_OBSERVATION or got[0] <= to_us(as_of)
        assert got[2] == NO_OBSERVATION or got[2] < got[0]


def test_the_status_lines_a_shard_keeps_read_back_as_they_were(seed=3):
    fleet, as_of = random_fleet(seed)
    status = PreparedFleet(fleet, as_of_us=to_us(as_of)).status()

    read = status_rows_read([status_rows_text(fleet.store_ids, status)])

    assert read.store_ids == list(fleet.store_ids)
    assert read.last_us.tolist() == status.last_us.tolist()
    assert read.since_us.tolist() == status.since_us.tolist()
    never = status.last_us == NO_OBSERVATION
    assert read.active.tolist() == np.where(never, -1, status.last_active.astype(np.int8)).tolist()


def test_the_status_is_computed_only_when_asked_for():
    fleet, as_of = random_fleet(1, size=3)

    assert compute_fleet(fleet, as_of_us=to_us(as_of)).status is None


def test_a_store_id_with_a_comma_or_a_quote_reads_back_whole():
    fleet, as_of = random_fleet(4, size=4)
    odd = ["a,b", 'say "hi"', "plain", "two\nlines"]
    status = PreparedFleet(fleet, as_of_us=to_us(as_of)).status()

    assert status_rows_read([status_rows_text(odd, status)]).store_ids == odd
