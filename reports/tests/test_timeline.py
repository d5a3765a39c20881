"""A store's week as segments (reports/timeline.py) against the engine: same numbers, exactly.

No database: like the engine, `reports.timeline` imports no Django.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

import numpy as np
import pytest

from reports.engine import PreparedFleet, compute_fleet
from reports.fleet import (
    DAY_SOURCES,
    DAY_US,
    US,
    WEEK_US,
    WEEKLY,
    ArrayHistory,
    ArraySpecials,
    FleetInput,
    Polls,
    Schedule,
    SpecialRow,
    WeeklyRow,
    to_us,
)
from reports.svg import day_rows
from reports.tests.test_engine import (
    CHICAGO_CHANGES,
    EXAMPLE_A_AS_OF,
    EXAMPLE_A_HOURS,
    EXAMPLE_A_POLLS,
    NEW_YORK_CHANGES,
    QUIET_INSTANTS,
    H,
    ny,
    random_store_on_minutes,
)
from reports.timeline import (
    ACTIVE,
    CLOSED,
    INACTIVE,
    WINDOWS_US,
    StoreTimeline,
    store_timeline,
    timeline_of,
)
from stores.schedule import weekly_open_intervals

UTC = dt.UTC
UNITS_US = {"hour": 60 * US, "day": 3600 * US, "week": 3600 * US}  # minutes, hours, hours (rule 8)


def one_store(schedule: Schedule, polls: list[tuple[dt.datetime, bool]], store_id: str = "s") -> FleetInput:
    return FleetInput(
        store_ids=[store_id],
        schedules=[schedule],
        polls=Polls(np.zeros(len(polls), np.int64), [to_us(t) for t, _ in polls], [a for _, a in polls]),
    )


def store_polls(polls: Polls, index: int) -> Polls:
    """The polls of the store at `index`, as the polls of store 0."""
    mine = polls.take(np.flatnonzero(polls.store == index))
    return Polls(np.zeros(len(mine), np.int64), mine.ts_us, mine.active)


def six(line: StoreTimeline) -> list[float]:
    v = line.values
    return [
        v.uptime_last_hour,
        v.uptime_last_day,
        v.uptime_last_week,
        v.downtime_last_hour,
        v.downtime_last_day,
        v.downtime_last_week,
    ]


def assert_segments_explain_values(line: StoreTimeline) -> None:
    """The segments cover the week, consecutively, and add up to the six values in every window."""
    segments = line.segments
    assert segments[0].start_us == line.as_of_us - WEEK_US
    assert segments[-1].end_us == line.as_of_us
    for segment in segments:
        assert segment.start_us < segment.end_us
        assert segment.state in (CLOSED, ACTIVE, INACTIVE)
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.end_us == after.start_us  # no gap, no overlap
        assert before.state != after.state  # neighbours in one state are joined
    values = six(line)
    for w, (name, window_us) in enumerate(WINDOWS_US.items()):
        assert line.state_us(ACTIVE, window_us=window_us) / UNITS_US[name] == pytest.approx(values[w], abs=1e-6)
        assert line.state_us(INACTIVE, window_us=window_us) / UNITS_US[name] == pytest.approx(values[3 + w], abs=1e-6)


def random_fleet(seed: int, size: int = 30) -> tuple[FleetInput, dt.datetime]:
    """`size` random stores (test_engine's generator) sharing one T, shuffled polls, ids of both shapes."""
    rng = random.Random(seed)
    as_of = rng.choice(NEW_YORK_CHANGES + CHICAGO_CHANGES + QUIET_INSTANTS) + dt.timedelta(
        minutes=rng.randint(-1440, 8 * 1440)
    )
    stores = [random_store_on_minutes(1000 * seed + index, as_of=as_of) for index in range(size)]
    rows = [(i, to_us(t), a) for i, (_, _, polls, _) in enumerate(stores) for t, a in polls]
    rng.shuffle(rows)
    fleet = FleetInput(
        store_ids=[
            str(rng.randrange(10**18, 10**19)) if i % 2 else str(uuid.UUID(int=rng.getrandbits(128)))
            for i in range(size)
        ],
        schedules=[Schedule(tz, hours) for tz, hours, _, _ in stores],
        polls=Polls([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
    )
    return fleet, as_of


@pytest.mark.parametrize("seed", range(12))
def test_timeline_values_are_the_engines_row_and_segments_add_up_to_them(seed):
    # given: 30 random stores of one fleet (DST weeks, overnight rows, polls older than the week...)
    fleet, as_of = random_fleet(seed)
    as_of_us = to_us(as_of)

    # when: the fleet explained store by store, and each store as a fleet of its own (as the store API reads it)
    report = compute_fleet(fleet, as_of_us=as_of_us)
    prepared = PreparedFleet(fleet, as_of_us=as_of_us)
    lines = [timeline_of(prepared.explain(i)) for i in range(len(fleet.store_ids))]
    alone = [
        store_timeline(FleetInput([store_id], [schedule], store_polls(fleet.polls, i)), as_of_us=as_of_us, index=0)
        for i, (store_id, schedule) in enumerate(zip(fleet.store_ids, fleet.schedules, strict=True))
    ]

    # then: bit for bit the report's row, and the segments explain it; the same timeline either way
    for i, line in enumerate(lines):
        assert line.store_id == fleet.store_ids[i]
        assert six(line) == report.values[i].tolist(), line.store_id
        assert_segments_explain_values(line)
        assert alone[i] == line, line.store_id
    assert store_timeline(fleet, as_of_us=as_of_us, index=len(lines) - 1) == lines[-1]


@pytest.mark.parametrize("seed", range(4))
def test_timeline_reads_older_observations_through_the_fleets_history(seed):
    # given: the bulk polls only in the report's range, older ones behind a History (as from the database)
    fleet, as_of = random_fleet(100 + seed, size=12)
    as_of_us = to_us(as_of)
    lo = as_of_us - WEEK_US - DAY_US
    polls = fleet.polls
    bulk = polls.take(np.flatnonzero((polls.ts_us >= lo) & (polls.ts_us <= as_of_us)))
    older = polls.take(np.flatnonzero(polls.ts_us < lo))
    with_history = FleetInput(fleet.store_ids, fleet.schedules, bulk, history=ArrayHistory(older))

    # when
    report = compute_fleet(fleet, as_of_us=as_of_us)
    prepared = PreparedFleet(with_history, as_of_us=as_of_us)
    lines = [timeline_of(prepared.explain(i)) for i in range(len(fleet.store_ids))]
    alone = [
        store_timeline(
            FleetInput([store_id], [schedule], store_polls(bulk, i), history=ArrayHistory(store_polls(older, i))),
            as_of_us=as_of_us,
        )
        for i, (store_id, schedule) in enumerate(zip(fleet.store_ids, fleet.schedules, strict=True))
    ]

    # then
    for i, line in enumerate(lines):
        assert six(line) == report.values[i].tolist(), line.store_id
        assert_segments_explain_values(line)
        assert alone[i] == line, line.store_id


def calendar_fleet(seed: int, size: int = 24) -> tuple[FleetInput, dt.datetime]:
    """`random_fleet` with schedule versions and special days added (rules 10, 11): some stores get a
    second (or only dated) version near T, some special dates in and before the week, closed or not."""
    fleet, as_of = random_fleet(500 + seed, size=size)
    rng = random.Random(seed)
    as_of_day = to_us(as_of) // DAY_US
    schedules = []
    for schedule in fleet.schedules:
        hours: list[WeeklyRow] = list(schedule.hours)
        if hours and rng.random() < 0.6:
            new_from = as_of_day + rng.randint(-9, 2)
            new = [(dow, rng.randrange(0, 86400, 900), rng.randrange(0, 86400, 900), new_from) for dow, *_ in hours]
            if rng.random() < 0.3:  # only dated versions: the older one dated too
                hours = [(row[0], row[1], row[2], new_from - rng.randint(1, 20)) for row in hours]
            hours += new[: rng.randint(1, len(new))]
        special: list[SpecialRow] = []
        for _ in range(rng.choice([0, 1, 2, 4])):
            date = as_of_day + rng.randint(-16, 1)
            if rng.random() < 0.5:
                special.append((date, None, None))
            else:
                special.append((date, rng.randrange(0, 86400, 900), rng.randrange(0, 86400, 900)))
        schedules.append(Schedule(schedule.timezone_str, tuple(hours), tuple(special)))
    return FleetInput(fleet.store_ids, schedules, fleet.polls), as_of


@pytest.mark.parametrize("seed", range(8))
def test_calendar_timelines_are_the_engines_row_and_name_each_dates_rows(seed):
    # given: random stores with versions and special days, their older polls and special rows behind
    # History / OlderSpecials as from the database
    fleet, as_of = calendar_fleet(seed)
    as_of_us = to_us(as_of)
    lo = as_of_us - WEEK_US - DAY_US
    polls = fleet.polls
    bulk = polls.take(np.flatnonzero((polls.ts_us >= lo) & (polls.ts_us <= as_of_us)))
    older = polls.take(np.flatnonzero(polls.ts_us < lo))
    recent, older_specials = ArraySpecials.split(fleet.schedules, lo // DAY_US - 3)
    split = FleetInput(fleet.store_ids, recent, bulk, history=ArrayHistory(older), older_specials=older_specials)

    # when
    report = compute_fleet(fleet, as_of_us=as_of_us)
    prepared = PreparedFleet(split, as_of_us=as_of_us)
    lines = [timeline_of(prepared.explain(i)) for i in range(len(fleet.store_ids))]
    alone = [
        store_timeline(FleetInput([store_id], [schedule], store_polls(polls, i)), as_of_us=as_of_us)
        for i, (store_id, schedule) in enumerate(zip(fleet.store_ids, fleet.schedules, strict=True))
    ]

    # then: the report's row bit for bit, explained by the segments, the same for the store alone; one
    # DaySchedule per local date the week touches, in order, as the SVG draws them
    for i, line in enumerate(lines):
        assert six(line) == report.values[i].tolist(), line.store_id
        assert_segments_explain_values(line)
        assert alone[i] == line, line.store_id
        assert [d.date for d in line.days] == [r.date for r in day_rows(line)]
        for d in line.days:
            assert d.source in DAY_SOURCES and (d.effective_from is None or d.source == WEEKLY)


def test_example_a_segments_observations_and_ignored_poll():
    # given: docs/numbers.md example B (example A plus a poll at 08:30 local, before opening)
    polls = EXAMPLE_A_POLLS + [(ny(2023, 1, 23, 8, 30), False)]

    # when
    line = store_timeline(
        one_store(Schedule("America/New_York", EXAMPLE_A_HOURS), polls), as_of_us=to_us(EXAMPLE_A_AS_OF)
    )

    # then: open 09:00-12:00 local, switching at the midpoint 10:44:30
    got = [(s.start, s.end, s.state) for s in line.segments]
    assert got == [
        (EXAMPLE_A_AS_OF - dt.timedelta(days=7), ny(2023, 1, 23, 9, 0), CLOSED),
        (ny(2023, 1, 23, 9, 0), ny(2023, 1, 23, 10, 44, 30), ACTIVE),
        (ny(2023, 1, 23, 10, 44, 30), ny(2023, 1, 23, 12, 0), INACTIVE),
    ]
    assert [(p.observed_at, p.status) for p in line.observations] == [
        (ny(2023, 1, 23, 10, 14), "active"),
        (ny(2023, 1, 23, 11, 15), "inactive"),
    ]
    assert [(p.observed_at, p.status) for p in line.ignored_polls] == [(ny(2023, 1, 23, 8, 30), "inactive")]
    assert [round(v, 2) for v in six(line)] == [0.0, 1.74, 1.74, 60.0, 1.26, 1.26]
    assert line.timezone == "America/New_York"


def test_observation_older_than_the_week_is_listed_first_when_it_holds_the_weeks_start():
    # given: open 24x7, one active observation 10 days before T and one inactive 2 days before T
    as_of = dt.datetime(2023, 1, 23, 17, tzinfo=UTC)
    old, recent = as_of - dt.timedelta(days=10), as_of - dt.timedelta(days=2)

    # when
    line = store_timeline(one_store(Schedule(None), [(old, True), (recent, False)]), as_of_us=to_us(as_of))

    # then: active until the midpoint 6 days before T, inactive after it
    midpoint = as_of - dt.timedelta(days=6)
    assert [(s.start, s.end, s.state) for s in line.segments] == [
        (as_of - dt.timedelta(days=7), midpoint, ACTIVE),
        (midpoint, as_of, INACTIVE),
    ]
    assert [p.observed_at for p in line.observations] == [old, recent]
    assert line.timezone == "America/Chicago"  # rule 4
    assert_segments_explain_values(line)


def test_older_observation_not_holding_the_weeks_start_is_not_listed():
    # given: an observation 9 days before T, then one 6 days 23 hours before T (the midpoint is before the week)
    as_of = dt.datetime(2023, 1, 23, 17, tzinfo=UTC)
    polls = [(as_of - dt.timedelta(days=9), True), (as_of - dt.timedelta(days=6, hours=23), False)]

    # when
    line = store_timeline(one_store(Schedule(None), polls), as_of_us=to_us(as_of))

    # then
    assert [p.observed_at for p in line.observations] == [polls[1][0]]
    assert [s.state for s in line.segments] == [INACTIVE]


def test_no_observation_means_inactive_all_open_time_and_nothing_listed():
    # given: open Mondays 09:00-12:00 New York, only a poll while closed
    as_of = EXAMPLE_A_AS_OF
    closed_poll = ny(2023, 1, 22, 12, 0)  # a Sunday

    # when
    line = store_timeline(
        one_store(Schedule("America/New_York", EXAMPLE_A_HOURS), [(closed_poll, True)]), as_of_us=to_us(as_of)
    )

    # then
    assert [s.state for s in line.segments] == [CLOSED, INACTIVE]
    assert line.observations == []
    assert [p.observed_at for p in line.ignored_polls] == [closed_poll]
    assert_segments_explain_values(line)


def test_polls_after_as_of_and_conflicting_polls():
    # given: a poll after T (ignored, rule 2) and two polls at one instant with different statuses (rule 7)
    as_of = dt.datetime(2023, 1, 23, 17, tzinfo=UTC)
    both = as_of - dt.timedelta(hours=3)
    polls = [(both, True), (both, False), (as_of + dt.timedelta(minutes=1), True)]

    # when
    line = store_timeline(one_store(Schedule(None), polls), as_of_us=to_us(as_of))

    # then: one inactive observation, nothing else
    assert [(p.observed_at, p.status) for p in line.observations] == [(both, "inactive")]
    assert [s.state for s in line.segments] == [INACTIVE]


def test_a_poll_exactly_at_as_of_counts_and_one_at_the_weeks_start_is_before_the_week():
    # given: open 24x7; polls at T - 7 days (outside (T - 7d, T]) and at T
    as_of = dt.datetime(2023, 1, 23, 17, tzinfo=UTC)
    start = as_of - dt.timedelta(days=7)

    # when
    line = store_timeline(one_store(Schedule(None), [(start, False), (as_of, True)]), as_of_us=to_us(as_of))

    # then: both are observations; the one at T - 7 days holds the week's start, so it is listed first
    assert [p.observed_at for p in line.observations] == [start, as_of]
    assert [(s.state, s.end - s.start) for s in line.segments] == [
        (INACTIVE, dt.timedelta(days=3, hours=12)),
        (ACTIVE, dt.timedelta(days=3, hours=12)),
    ]


def test_new_york_spring_forward_week():
    # given: open every day 00:00-23:59:59 in New York, no polls, T a few days after 2024-03-10
    as_of = dt.datetime(2024, 3, 13, 16, tzinfo=UTC)
    hours = tuple((day, 0, 86399) for day in range(7))

    # when
    line = store_timeline(one_store(Schedule("America/New_York", hours), []), as_of_us=to_us(as_of))

    # then: a closed second before each of the 7 local midnights the week crosses, DST or not
    closed = [s for s in line.segments if s.state == CLOSED]
    assert len(closed) == 7 and all(s.duration_us == US for s in closed)
    assert line.state_us(INACTIVE, window_us=WEEK_US) == WEEK_US - 7 * US
    assert_segments_explain_values(line)


# --- hours_merged (the local weekly schedule) ----------------------------------------------


@pytest.mark.parametrize(
    "hours, expected",
    [
        pytest.param((), {d: [(0, 24 * H)] for d in range(7)}, id="no rows at all: open every whole day"),
        pytest.param(
            ((4, 18 * H, 2 * H),),
            {4: [(18 * H, 24 * H)], 5: [(0, 2 * H)]},
            id="overnight row: its day until 24:00, the next day from 00:00",
        ),
        pytest.param(
            ((6, 22 * H, 1 * H),), {6: [(22 * H, 24 * H)], 0: [(0, 1 * H)]}, id="Sunday night runs into Monday"
        ),
        pytest.param(((2, 13 * H, 13 * H),), {2: [(0, 24 * H)]}, id="start = end: the whole day"),
        pytest.param(
            ((0, 9 * H, 12 * H), (0, 11 * H, 14 * H), (0, 14 * H, 15 * H), (0, 20 * H, 21 * H)),
            {0: [(9 * H, 15 * H), (20 * H, 21 * H)]},
            id="overlapping and touching rows merged",
        ),
        pytest.param(
            ((0, 0, 2 * H), (0, 11 * H, 86399), (6, 23 * H, 3 * H)),
            {0: [(0, 3 * H), (11 * H, 86399)], 6: [(23 * H, 24 * H)]},
            id="the night before, as two rows, merged with Sunday's overnight row",
        ),
        pytest.param(((1, 18 * H, 0),), {1: [(18 * H, 24 * H)]}, id="until midnight: nothing the next day"),
    ],
)
def test_weekly_open_intervals(hours, expected):
    got = weekly_open_intervals(hours)

    assert got == {day: expected.get(day, []) for day in range(7)}
