"""alerts/incidents.py against docs/numbers.md rule 12: example J, corner cases, and the brute force.

No database: the engine's input is built in memory (`history_fleet` puts the polls older than
the report's range behind a History, and old special rows behind OlderSpecials, as the
database reader does).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.incidents import MINUTE_US, Incident, StoreIncidents, fleet_incidents, window_open_us
from reports.engine import PreparedFleet
from reports.fleet import DAY_US, WEEK_US, WINDOWS_US, FleetInput, Polls, Schedule, to_us
from reports.tests.bruteforce import BruteIncident, CalendarStore, Store, calendar_stores
from reports.tests.test_engine_calendar import (
    EXAMPLE_A_HOURS,
    EXAMPLE_A_POLLS,
    NY,
    engine_schedule,
    history_fleet,
    ny,
    utc,
)

H = 3600
LOOKBACK_US = 8 * DAY_US
FOREVER_US = 100 * 365 * DAY_US
# Minutes per unit of each window's downtime (rule 8: the hour in minutes, the day and week in hours).
WINDOW_MINUTES = (1, 60, 60)


def one_store(
    hours: tuple[tuple[int, int, int, dt.date | None], ...],
    polls: list[tuple[dt.datetime, bool]],
    as_of: dt.datetime,
    *,
    timezone_str: str | None = NY,
    specials: tuple[tuple[dt.date, int | None, int | None], ...] = (),
    lookback_us: int = LOOKBACK_US,
) -> StoreIncidents:
    schedule = engine_schedule(timezone_str, hours, specials)
    fleet = history_fleet([schedule], [polls], as_of, specials_from=as_of.date() - dt.timedelta(days=10))
    (store,) = fleet_incidents(fleet, as_of_us=[to_us(as_of)], lookback_us=lookback_us)
    return store


# --- docs/numbers.md example J ------------------------------------------------------------------


def test_example_j_an_open_incident_from_the_midpoint() -> None:
    store = one_store(EXAMPLE_A_HOURS, EXAMPLE_A_POLLS, ny(2023, 1, 23, 12, 0))

    (incident,) = store.incidents
    assert incident.started_at_us == to_us(ny(2023, 1, 23, 10, 44, 30))
    assert incident.ended_at_us is None and incident.is_open
    assert incident.first_observed_us == incident.last_observed_us == to_us(ny(2023, 1, 23, 11, 15))
    assert incident.open_minutes == 75.5
    assert incident.open_until_us == to_us(ny(2023, 1, 23, 12, 0))
    assert incident.start_known


def test_example_j_a_poll_after_closing_changes_nothing() -> None:
    polls = [*EXAMPLE_A_POLLS, (ny(2023, 1, 23, 13, 0), True)]

    (incident,) = one_store(EXAMPLE_A_HOURS, polls, ny(2023, 1, 23, 13, 0)).incidents

    assert (incident.started_at_us, incident.ended_at_us) == (to_us(ny(2023, 1, 23, 10, 44, 30)), None)
    assert incident.open_minutes == 75.5


def test_example_j_resolved_by_the_next_mondays_active_observation() -> None:
    polls = [*EXAMPLE_A_POLLS, (ny(2023, 1, 23, 13, 0), True), (ny(2023, 1, 30, 9, 30), True)]

    (incident,) = one_store(EXAMPLE_A_HOURS, polls, ny(2023, 1, 30, 9, 30)).incidents

    assert incident.ended_at_us == to_us(ny(2023, 1, 26, 22, 22, 30))
    assert incident.open_until_us == incident.ended_at_us
    assert incident.open_minutes == 75.5
    assert not incident.is_open


# --- Corner cases -----------------------------------------------------------------------------


def test_an_unknown_start_counts_open_minutes_from_the_first_observation() -> None:
    # given: a 24x7 store whose first observation is inactive, then active an hour later
    polls = [(utc(2024, 6, 15, 10), False), (utc(2024, 6, 15, 10, 30), False), (utc(2024, 6, 15, 11), True)]

    (incident,) = one_store((), polls, utc(2024, 6, 15, 12), timezone_str="UTC").incidents

    # then: no known start; 10:00 .. the 10:45 midpoint
    assert incident.started_at_us is None and not incident.start_known
    assert incident.ended_at_us == to_us(utc(2024, 6, 15, 10, 45))
    assert incident.open_minutes == 45.0


def test_closed_time_inside_an_incident_does_not_split_it() -> None:
    # given: example A's store offline at 11:30 one Monday and at 10:00 the next, active at 11:00 after
    polls = [
        (ny(2023, 1, 23, 10, 0), True),
        (ny(2023, 1, 23, 11, 0), False),
        (ny(2023, 1, 30, 10, 0), False),
        (ny(2023, 1, 30, 11, 0), True),
    ]

    (incident,) = one_store(EXAMPLE_A_HOURS, polls, ny(2023, 1, 30, 12)).incidents

    # then: 10:30 .. next Monday 10:30, 90 open minutes on each Monday
    assert (incident.started_at_us, incident.ended_at_us) == (
        to_us(ny(2023, 1, 23, 10, 30)),
        to_us(ny(2023, 1, 30, 10, 30)),
    )
    assert incident.open_minutes == 180.0


def test_an_incident_older_than_the_reports_range_is_read_back_whole() -> None:
    # given: a 24x7 store active 40 days ago, then inactive every hour since, T its last poll
    as_of = utc(2024, 6, 15, 12)
    start = as_of - dt.timedelta(days=40)
    polls = [(start, True)] + [(start + dt.timedelta(hours=h), False) for h in range(1, 40 * 24 + 1)]

    store = one_store((), polls, as_of, timezone_str="UTC")

    # then: one open incident from the midpoint 40 days back, every one of its minutes counted
    (incident,) = store.incidents
    assert incident.started_at_us == to_us(start + dt.timedelta(minutes=30))
    assert incident.first_observed_us == to_us(start + dt.timedelta(hours=1))
    assert incident.open_minutes == 40 * 24 * 60 - 30
    assert store.since_us == to_us(start)


def test_the_listing_stops_at_the_latest_active_observation_before_the_horizon() -> None:
    # given: two incidents a month back, then an active observation 9 days back and one 2 days back
    as_of = utc(2024, 6, 15, 12)
    back = as_of - dt.timedelta(days=30)
    polls = [
        (back, False),
        (back + dt.timedelta(hours=1), True),
        (back + dt.timedelta(hours=2), False),
        (as_of - dt.timedelta(days=9), True),
        (as_of - dt.timedelta(days=2), False),
        (as_of, True),
    ]

    store = one_store((), polls, as_of, timezone_str="UTC")

    # then: only the recent incident is listed, since the active observation 9 days back
    assert store.since_us == to_us(as_of - dt.timedelta(days=9))
    assert [i.first_observed_us for i in store.incidents] == [to_us(as_of - dt.timedelta(days=2))]
    # and with a horizon long enough, all three (the first without a known start)
    whole = one_store((), polls, as_of, timezone_str="UTC", lookback_us=FOREVER_US)
    assert whole.since_us is None
    assert [i.started_at_us is None for i in whole.incidents] == [True, False, False]


def test_a_store_without_polls_has_no_incident() -> None:
    fleet = FleetInput(["s"], [Schedule(NY)], Polls.empty())

    assert fleet_incidents(fleet, as_of_us=[None], lookback_us=LOOKBACK_US) == [StoreIncidents(0, None, None, ())]


def test_each_store_counts_only_its_own_polls_up_to_its_own_t() -> None:
    # given: two 24x7 stores, the second's T 20 days before the first's, with a poll after its T
    t0, t1 = utc(2024, 6, 15, 12), utc(2024, 5, 26, 12)
    polls = [
        [(t0 - dt.timedelta(hours=2), True), (t0 - dt.timedelta(hours=1), False)],
        [(t1 - dt.timedelta(hours=2), True), (t1 - dt.timedelta(hours=1), False), (t1 + dt.timedelta(hours=1), True)],
    ]
    fleet = history_fleet([Schedule("UTC"), Schedule("UTC")], polls, t0)

    first, second = fleet_incidents(fleet, as_of_us=[to_us(t0), to_us(t1)], lookback_us=LOOKBACK_US)

    # then: each is open, counted to its own T (the second's later active poll lies after it)
    assert [i.is_open for i in first.incidents + second.incidents] == [True, True]
    assert first.incidents[0].open_minutes == second.incidents[0].open_minutes == 90.0
    assert second.incidents[0].open_until_us == to_us(t1)


# --- Generated stores against the brute force -------------------------------------------------


def brute_as_listed(brute: list[BruteIncident], since_us: int | None) -> list[BruteIncident]:
    """The brute force's incidents after the listing's start (all of them for None)."""
    return [b for b in brute if since_us is None or b.first_observed_us > since_us]


def assert_agrees(store: CalendarStore, got: StoreIncidents, *, lookback_us: int) -> None:
    """Rule 12 as the brute force reads it: the same runs, starts and ends exactly; open minutes from
    the start, or from the first observation when it is unknown (the project's convention)."""
    as_of_us = to_us(store.as_of)
    brute_store = Store(store.timezone_str, store.hours, store.polls, store.as_of, store.specials)
    if got.since_us is not None:
        assert got.since_us < as_of_us - lookback_us
        assert (got.since_us, True) in brute_store.observations
    expected = brute_as_listed(brute_store.incidents(), got.since_us)
    assert [(i.first_observed_us, i.last_observed_us, i.started_at_us, i.ended_at_us) for i in got.incidents] == [
        (b.first_observed_us, b.last_observed_us, b.started_at_us, b.ended_at_us) for b in expected
    ]
    for incident, brute in zip(got.incidents, expected, strict=True):
        start = incident.first_observed_us if brute.started_at_us is None else brute.started_at_us
        end = as_of_us if brute.ended_at_us is None else brute.ended_at_us
        assert incident.open_minutes == pytest.approx(brute_store.open_seconds_exact(start, end) / 60, abs=1e-9)
        assert incident.open_until_us == end


def assert_adds_up_to_downtime(fleet: FleetInput, index: int, store: CalendarStore, got: StoreIncidents) -> None:
    """Rule 12: clipped to each window, the incidents' open minutes are the window's downtime (engine
    and brute force), for a store with an observation at or before T."""
    as_of_us = to_us(store.as_of)
    explanation = PreparedFleet(fleet, as_of_us=as_of_us).explain(index)
    downtime = (
        explanation.values.downtime_last_hour,
        explanation.values.downtime_last_day,
        explanation.values.downtime_last_week,
    )
    brute = store.incidents()
    for w, window_us in enumerate(WINDOWS_US):
        minutes = (
            window_open_us(
                got.incidents,
                explanation.span_start_us,
                explanation.span_end_us,
                as_of_us=as_of_us,
                window_us=window_us,
            )
            / MINUTE_US
        )
        brute_minutes = sum(
            (b.open_minutes_last_hour, b.open_minutes_last_day, b.open_minutes_last_week)[w] for b in brute
        )
        assert minutes == pytest.approx(brute_minutes, abs=1e-6)
        if len(explanation.observed_us):
            assert minutes == pytest.approx(downtime[w] * WINDOW_MINUTES[w], abs=1e-6)


PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(store=calendar_stores(), lookback_days=st.sampled_from([1, 8, 36500]))
def test_incidents_equal_the_brute_force_and_add_up_to_downtime(store: CalendarStore, lookback_days: int) -> None:
    # given: the store as the database reader gives it (older polls and special rows behind readers)
    schedule = engine_schedule(store.timezone_str, store.hours, store.specials)
    fleet = history_fleet(
        [schedule], [list(store.polls)], store.as_of, specials_from=store.as_of.date() - dt.timedelta(days=5)
    )
    lookback_us = lookback_days * DAY_US

    # when
    (got,) = fleet_incidents(fleet, as_of_us=[to_us(store.as_of)], lookback_us=lookback_us)

    # then
    assert_agrees(store, got, lookback_us=lookback_us)
    if lookback_us > WEEK_US:  # every incident reaching into the week is listed
        assert_adds_up_to_downtime(fleet, 0, store, got)


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(stores=st.lists(calendar_stores(), min_size=2, max_size=5))
def test_a_fleet_lists_each_store_as_it_alone_would(stores: list[CalendarStore]) -> None:
    # given: stores whose T lie years apart, in one fleet read as of the latest T
    top = max(s.as_of for s in stores)
    schedules = [engine_schedule(s.timezone_str, s.hours, s.specials) for s in stores]
    fleet = history_fleet(
        schedules, [list(s.polls) for s in stores], top, specials_from=top.date() - dt.timedelta(days=5)
    )

    # when
    got = fleet_incidents(fleet, as_of_us=[to_us(s.as_of) for s in stores], lookback_us=LOOKBACK_US)

    # then
    for store, listed in zip(stores, got, strict=True):
        alone = one_store(
            store.hours, list(store.polls), store.as_of, timezone_str=store.timezone_str, specials=store.specials
        )
        assert (listed.as_of_us, listed.since_us, listed.incidents) == (alone.as_of_us, alone.since_us, alone.incidents)
        assert_agrees(store, listed, lookback_us=LOOKBACK_US)


def test_incident_is_a_value() -> None:
    incident = Incident(1, 2, None, 3, MINUTE_US, 3)
    assert incident.open_minutes == 1.0 and not incident.start_known and not incident.is_open
