"""The brute force against docs/numbers.md rules 10-12: worked examples F-J, hand-checked corner cases, properties.

No database and no engine: these tests vouch for `bruteforce.py` itself, the
independent reference the engine's calendar and incidents are later compared
with. Every hand value below is worked out from docs/numbers.md in a comment next
to it; all instants are fixed and on whole minutes, so the brute force's
sampling error bound is zero (asserted) and the values must match to 1e-9.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.tests.bruteforce import (
    BruteValues,
    Calendar,
    CalendarStore,
    SpecialRow,
    Store,
    WeeklyRow,
    brute_incidents,
    brute_store_values,
    calendar_stores,
    resolve_timezone,
    to_us,
)

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
NY = "America/New_York"
H = 3600
M = 60
Six = tuple[float, float, float, float, float, float]
Polls = list[tuple[dt.datetime, bool]]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """A New York wall time (fold=0) as a UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=NEW_YORK).astimezone(UTC)


def day(*args: int) -> dt.date:
    return dt.date(*args)


def brute(
    hours: tuple[WeeklyRow, ...],
    polls: Polls,
    as_of: dt.datetime,
    specials: tuple[SpecialRow, ...] = (),
    timezone_str: str | None = NY,
) -> BruteValues:
    """The brute force with a 30 s step, asserting that it is exact here and that it agrees with its exact open time."""
    values = brute_store_values(timezone_str, hours, polls, as_of=as_of, step_seconds=30, specials=specials)
    assert (values.error_bound_hour, values.error_bound_day, values.error_bound_week) == (0, 0, 0)
    sampled_open = (
        values.uptime_last_hour + values.downtime_last_hour,
        values.uptime_last_day + values.downtime_last_day,
        values.uptime_last_week + values.downtime_last_week,
    )
    assert sampled_open == pytest.approx((values.open_last_hour, values.open_last_day, values.open_last_week), abs=1e-9)
    return values


def assert_six(values: BruteValues, expected: Six) -> None:
    assert values.six() == pytest.approx(expected, abs=1e-9), f"got {values.six()}, expected {expected}"


def interval(start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    return to_us(start), to_us(end)


# --- docs/numbers.md worked examples F-J -------------------------------------------------------

EXAMPLE_A_HOURS: tuple[WeeklyRow, ...] = ((0, 9 * H, 12 * H),)  # Mondays 09:00-12:00
EXAMPLE_A_POLLS: Polls = [(ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 11, 15), False)]
EXAMPLE_A_AS_OF = ny(2023, 1, 23, 12, 0)
EXAMPLE_C_HOURS: tuple[WeeklyRow, ...] = ((4, 18 * H, 2 * H),)  # Fridays 18:00-02:00
EXAMPLE_C_POLLS: Polls = [(ny(2023, 1, 20, 23, 0), True)]
EXAMPLE_C_AS_OF = ny(2023, 1, 21, 2, 0)


def test_example_f_a_closed_holiday() -> None:
    # given: example A with Monday 2023-01-23 closed
    specials = ((day(2023, 1, 23), None, None),)

    # when
    values = brute(EXAMPLE_A_HOURS, EXAMPLE_A_POLLS, EXAMPLE_A_AS_OF, specials)

    # then: no open time at all (Monday 01-16 09:00-12:00 ends exactly at the excluded week start)
    assert_six(values, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    assert (values.open_last_hour, values.open_last_day, values.open_last_week) == (0.0, 0.0, 0.0)
    assert brute_incidents(NY, EXAMPLE_A_HOURS, EXAMPLE_A_POLLS, as_of=EXAMPLE_A_AS_OF, specials=specials) == []


def test_example_g_special_hours() -> None:
    # given: example A with Monday 2023-01-23 open 10:00-11:00 only
    specials = ((day(2023, 1, 23), 10 * H, 11 * H),)

    # when
    values = brute(EXAMPLE_A_HOURS, EXAMPLE_A_POLLS, EXAMPLE_A_AS_OF, specials)

    # then: only the 10:14 poll (active) is an observation; the last hour (11:00-12:00) is closed
    assert_six(values, (0.0, 1.0, 1.0, 0.0, 0.0, 0.0))
    assert tuple(round(value, 2) for value in values.six()) == (0.0, 1.0, 1.0, 0.0, 0.0, 0.0)


def test_example_h_overnight_into_a_holiday() -> None:
    # given: example C with Saturday 2023-01-21 closed
    specials = ((day(2023, 1, 21), None, None),)

    # when
    values = brute(EXAMPLE_C_HOURS, EXAMPLE_C_POLLS, EXAMPLE_C_AS_OF, specials)

    # then: the Friday period started on Friday and still runs to Saturday 02:00, as in example C
    assert_six(values, (60.0, 8.0, 8.0, 0.0, 0.0, 0.0))
    assert_six(values, brute(EXAMPLE_C_HOURS, EXAMPLE_C_POLLS, EXAMPLE_C_AS_OF).six())


def test_example_i_a_schedule_change() -> None:
    # given: Mondays 09:00-12:00 since always, Mondays 13:00-15:00 from 2023-01-23
    hours: tuple[WeeklyRow, ...] = ((0, 9 * H, 12 * H, None), (0, 13 * H, 15 * H, day(2023, 1, 23)))
    polls: Polls = [(ny(2023, 1, 23, 9, 30), True), (ny(2023, 1, 23, 14, 0), False)]
    as_of = ny(2023, 1, 23, 15, 0)

    # when
    values = brute(hours, polls, as_of)

    # then: 09:30 is outside the new hours, so 13:00-15:00 is all inactive; Monday 01-16 is before the week
    assert as_of == utc(2023, 1, 23, 20, 0)
    assert_six(values, (0.0, 0.0, 0.0, 60.0, 2.0, 2.0))
    assert tuple(round(value, 2) for value in values.six()) == (0.0, 0.0, 0.0, 60.0, 2.0, 2.0)


def test_example_j_an_incident_open_then_resolved() -> None:
    # given: example A's observations, as of Monday 12:00
    incidents = brute_incidents(NY, EXAMPLE_A_HOURS, EXAMPLE_A_POLLS, as_of=EXAMPLE_A_AS_OF)

    # then: one open incident from the 10:44:30 midpoint, 75.5 open minutes, all of example A's downtime
    assert len(incidents) == 1
    (incident,) = incidents
    assert incident.started_at == ny(2023, 1, 23, 10, 44, 30)
    assert incident.ended_at is None and incident.is_open
    assert incident.first_observed_us == incident.last_observed_us == to_us(ny(2023, 1, 23, 11, 15))
    assert incident.open_minutes == pytest.approx(75.5, abs=1e-9)
    assert incident.open_minutes_last_hour == pytest.approx(60.0)
    assert incident.open_minutes_last_day == pytest.approx(75.5)
    assert incident.open_minutes_last_week == pytest.approx(75.5)

    # when: a poll at 13:00 (closed) changes nothing
    with_closed_poll = EXAMPLE_A_POLLS + [(ny(2023, 1, 23, 13, 0), True)]
    (still_open,) = brute_incidents(NY, EXAMPLE_A_HOURS, with_closed_poll, as_of=ny(2023, 1, 23, 13, 0))
    assert still_open.is_open and still_open.open_minutes == pytest.approx(75.5, abs=1e-9)

    # when: an active observation next Monday at 09:30 resolves it
    resolving = with_closed_poll + [(ny(2023, 1, 30, 9, 30), True)]
    (resolved,) = brute_incidents(NY, EXAMPLE_A_HOURS, resolving, as_of=ny(2023, 1, 30, 9, 30))

    # then: it ends at the midpoint of 11:15 and next Monday 09:30, Thursday 22:22:30 local
    assert resolved.started_at == ny(2023, 1, 23, 10, 44, 30)
    assert resolved.ended_at == ny(2023, 1, 26, 22, 22, 30)
    assert resolved.open_minutes == pytest.approx(75.5, abs=1e-9)


# --- Rule 11: special days --------------------------------------------------------------------

EVERY_EVENING: tuple[WeeklyRow, ...] = tuple((weekday, 20 * H, 2 * H) for weekday in range(7))  # 20:00-02:00 daily


def test_a_closed_day_after_a_past_midnight_period_keeps_that_period() -> None:
    # given: open 20:00-02:00 every day, Tuesday 2023-01-24 closed; an active poll Tuesday 01:00 (inside
    # Monday's period) and an inactive one Tuesday 22:00 (Tuesday's period does not exist: ignored)
    specials = ((day(2023, 1, 24), None, None),)
    polls: Polls = [(ny(2023, 1, 24, 1, 0), True), (ny(2023, 1, 24, 22, 0), False)]

    # when: as of Tuesday 12:00
    tuesday_noon = brute(EVERY_EVENING, polls, ny(2023, 1, 24, 12, 0), specials)
    # when: as of Wednesday 22:00
    wednesday_evening = brute(EVERY_EVENING, polls, ny(2023, 1, 25, 22, 0), specials)

    # then: the day holds Monday 20:00-Tuesday 02:00 (6 h); the week the periods starting Tuesday 01-17 to
    # Monday 01-23 (7 x 6 h), all active
    assert_six(tuesday_noon, (0.0, 6.0, 42.0, 0.0, 0.0, 0.0))
    # then: no Tuesday period, so the day holds Wednesday 20:00-22:00 only; the week Wednesday 01-18
    # 22:00-02:00 (4 h), Thursday to Monday (5 x 6 h) and Wednesday 20:00-22:00 (2 h); the ignored
    # Tuesday 22:00 poll would have been nearest to Wednesday evening
    assert_six(wednesday_evening, (60.0, 2.0, 36.0, 0.0, 0.0, 0.0))


@pytest.mark.parametrize(
    "specials",
    [
        ((day(2023, 1, 23), None, None), (day(2023, 1, 23), 10 * H, 11 * H)),
        ((day(2023, 1, 23), 10 * H, 11 * H), (day(2023, 1, 23), None, None)),
        (("2023-01-23", None, None), (" 2023-01-23 ", 10 * H, 11 * H)),
    ],
    ids=["closed-first", "closed-last", "dates-as-text"],
)
def test_a_closed_row_beside_a_timed_row_adds_nothing(specials: tuple[SpecialRow, ...]) -> None:
    values = brute(EXAMPLE_A_HOURS, EXAMPLE_A_POLLS, EXAMPLE_A_AS_OF, specials)

    # then: exactly example G
    assert_six(values, (0.0, 1.0, 1.0, 0.0, 0.0, 0.0))


def test_overlapping_special_rows_are_merged_and_a_closed_row_beside_them_adds_nothing() -> None:
    # given: Monday 2023-01-23 special 10:00-11:00, closed, 10:30-11:30: open 10:00-11:30 once
    specials = (
        (day(2023, 1, 23), 10 * H, 11 * H),
        (day(2023, 1, 23), None, None),
        (day(2023, 1, 23), 10 * H + 30 * M, 11 * H + 30 * M),
    )

    values = brute(EXAMPLE_A_HOURS, EXAMPLE_A_POLLS, EXAMPLE_A_AS_OF, specials)

    # then: active 10:00-10:44:30 (44.5 min), inactive 10:44:30-11:30 (45.5 min), of which 11:00-11:30 in the
    # last hour
    assert_six(values, (0.0, 44.5 / 60, 44.5 / 60, 30.0, 45.5 / 60, 45.5 / 60))
    assert values.open_last_day == pytest.approx(1.5)


def test_a_special_row_in_the_spring_forward_gap_opens_daylight_time() -> None:
    # given: Sundays 09:00-10:00; on Sunday 2024-03-10 (02:00 EST -> 03:00 EDT) a special row 02:15-02:45,
    # which is 03:15-03:45 EDT = 07:15-07:45 UTC. Polls: active 07:30 UTC (inside), inactive 07:10 UTC
    # (before it) and 09:30 EDT (the weekly hours that the special day replaced): both ignored
    hours: tuple[WeeklyRow, ...] = ((6, 9 * H, 10 * H),)
    specials = ((day(2024, 3, 10), 2 * H + 15 * M, 2 * H + 45 * M),)
    polls: Polls = [(utc(2024, 3, 10, 7, 30), True), (utc(2024, 3, 10, 7, 10), False), (ny(2024, 3, 10, 9, 30), False)]
    as_of = ny(2024, 3, 10, 12, 0)

    # when
    store = Store(NY, hours, polls, as_of, specials)
    values = brute(hours, polls, as_of, specials)

    # then: Sunday 03-03 09:00-10:00 EST (14:00-15:00 UTC) lies before the week window (from 03-03 16:00 UTC)
    assert interval(utc(2024, 3, 10, 7, 15), utc(2024, 3, 10, 7, 45)) in store.intervals
    assert store.calendar.periods_starting_on(NEW_YORK, day(2024, 3, 10)) == [
        interval(utc(2024, 3, 10, 7, 15), utc(2024, 3, 10, 7, 45))
    ]
    assert_six(values, (0.0, 0.5, 0.5, 0.0, 0.0, 0.0))


def test_a_special_row_ending_in_the_spring_forward_gap_before_it_starts_is_empty() -> None:
    # given: the same Sunday, a special row 02:30-03:15: 02:30 is 03:30 EDT, after 03:15 EDT
    hours: tuple[WeeklyRow, ...] = ((6, 9 * H, 10 * H),)
    specials = ((day(2024, 3, 10), 2 * H + 30 * M, 3 * H + 15 * M),)
    polls: Polls = [(utc(2024, 3, 10, 7, 20), True), (ny(2024, 3, 10, 9, 30), True)]

    # when
    values = brute(hours, polls, ny(2024, 3, 10, 12, 0), specials)

    # then: no open time that Sunday (nor elsewhere in the week)
    assert Calendar.from_rows(hours, specials).periods_starting_on(NEW_YORK, day(2024, 3, 10)) == []
    assert_six(values, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    assert values.open_last_week == 0.0


@pytest.mark.parametrize(
    ("date", "start_s", "end_s", "expected"),
    [
        # 01:30 EST (06:30 UTC) to 02:30, which does not exist and is read as 03:30 EDT (07:30 UTC)
        (day(2024, 3, 10), 1 * H + 30 * M, 2 * H + 30 * M, (utc(2024, 3, 10, 6, 30), utc(2024, 3, 10, 7, 30))),
        # fall back, 2024-11-03: the first 01:30 (EDT, 05:30 UTC) to 02:00 EST (07:00 UTC), 90 minutes
        (day(2024, 11, 3), 1 * H + 30 * M, 2 * H, (utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 7, 0))),
        # the first 01:00 to the first 01:30, both EDT
        (day(2024, 11, 3), 1 * H, 1 * H + 30 * M, (utc(2024, 11, 3, 5, 0), utc(2024, 11, 3, 5, 30))),
        # past midnight into the fall-back date: Saturday 23:00 EDT to the first 01:15 EDT
        (day(2024, 11, 2), 23 * H, 1 * H + 15 * M, (utc(2024, 11, 3, 3, 0), utc(2024, 11, 3, 5, 15))),
    ],
    ids=["gap-start-before-gap", "fold-to-after", "inside-fold", "overnight-into-fold"],
)
def test_special_rows_around_dst_use_fold_zero(
    date: dt.date, start_s: int, end_s: int, expected: tuple[dt.datetime, dt.datetime]
) -> None:
    periods = Calendar.from_rows((), ((date, start_s, end_s),)).periods_starting_on(NEW_YORK, date)

    assert periods == [interval(*expected)]


def test_a_whole_day_special_on_dst_days_is_the_local_day() -> None:
    # given: Sundays 10:00-11:00; the Sundays of the DST changes made whole-day specials (start = end); no polls
    hours: tuple[WeeklyRow, ...] = ((6, 10 * H, 11 * H),)

    # when: as of the local midnights ending those Sundays
    spring = brute(hours, [], ny(2024, 3, 11, 0, 0), ((day(2024, 3, 10), 9 * H, 9 * H),))
    fall = brute(hours, [], ny(2024, 11, 4, 0, 0), ((day(2024, 11, 3), 9 * H, 9 * H),))

    # then: 23 h in spring; in the fall 25 h in the week but 24 h in the day window (it starts at the first
    # 01:00 EDT, 05:00 UTC); the previous Sundays' 10:00-11:00 lie before the week windows
    assert_six(spring, (0.0, 0.0, 0.0, 60.0, 23.0, 23.0))
    assert_six(fall, (0.0, 0.0, 0.0, 60.0, 24.0, 25.0))


def test_a_store_known_only_from_special_days_is_open_24x7_on_other_dates() -> None:
    # given: no weekly rows, Monday 2023-01-23 special 10:00-11:00; an active poll Monday 10:30 and an
    # inactive one Monday 09:00 (outside the special hours, so ignored, though nearer to Sunday)
    specials = ((day(2023, 1, 23), 10 * H, 11 * H),)
    polls: Polls = [(ny(2023, 1, 23, 10, 30), True), (ny(2023, 1, 23, 9, 0), False)]

    # when
    values = brute((), polls, EXAMPLE_A_AS_OF, specials)
    without_polls = brute((), [], EXAMPLE_A_AS_OF, specials)

    # then: day = Sunday 12:00-24:00 (12 h) + 1 h; week = Monday 01-16 12:00-24:00 (12 h) + 6 days + 1 h
    assert_six(values, (0.0, 13.0, 157.0, 0.0, 0.0, 0.0))
    assert_six(without_polls, (0.0, 0.0, 0.0, 0.0, 13.0, 157.0))


def test_a_24x7_store_with_one_closed_date() -> None:
    # given: no weekly rows, Sunday 2023-01-22 closed; an active poll on that Sunday (ignored)
    specials = ((day(2023, 1, 22), None, None),)

    # when
    values = brute((), [(ny(2023, 1, 22, 12, 0), True)], EXAMPLE_A_AS_OF, specials)

    # then: all downtime; day = Monday 00:00-12:00; week = Monday 01-16 12:00-24:00 + Tuesday-Saturday + 12 h
    assert_six(values, (0.0, 0.0, 0.0, 60.0, 12.0, 144.0))


def test_a_special_period_past_midnight_runs_into_a_closed_special_day() -> None:
    # given: example A's Mondays, Sunday 2023-01-22 special 22:00-03:00, Monday 2023-01-23 closed; no polls
    specials = ((day(2023, 1, 22), 22 * H, 3 * H), (day(2023, 1, 23), None, None))

    values = brute(EXAMPLE_A_HOURS, [], EXAMPLE_A_AS_OF, specials)

    # then: Sunday 22:00-Monday 03:00 only
    assert_six(values, (0.0, 0.0, 0.0, 0.0, 5.0, 5.0))


def test_a_special_row_with_one_time_empty_is_invalid() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Calendar.from_rows((), ((day(2023, 1, 23), 10 * H, None),))


def test_a_24x7_store_has_one_merged_interval() -> None:
    store = Store(NY, (), [], EXAMPLE_A_AS_OF)

    assert len(store.intervals) == 1
    assert store.open_seconds_exact(to_us(EXAMPLE_A_AS_OF) - 7 * 24 * H * 10**6, to_us(EXAMPLE_A_AS_OF)) == 168 * H


# --- Rule 10: schedule versions ---------------------------------------------------------------


def test_only_dated_versions_a_date_before_the_earliest_uses_it_even_when_dated_after_t() -> None:
    # given: Mondays 09:00-12:00 from 2023-01-23 and 13:00-15:00 from 2023-02-06, as of Tuesday 2023-01-17;
    # polls Monday 01-16 10:00 active and 14:00 inactive (in the later version's hours only: ignored)
    hours: tuple[WeeklyRow, ...] = ((0, 9 * H, 12 * H, day(2023, 1, 23)), (0, 13 * H, 15 * H, day(2023, 2, 6)))
    polls: Polls = [(ny(2023, 1, 16, 10, 0), True), (ny(2023, 1, 16, 14, 0), False)]

    values = brute(hours, polls, ny(2023, 1, 17, 12, 0))

    # then: Monday 01-16 has the earliest version's 09:00-12:00, all active
    assert Calendar.from_rows(hours).weekly_rows_for(day(2023, 1, 16)) == ((0, 9 * H, 12 * H),)
    assert_six(values, (0.0, 0.0, 3.0, 0.0, 0.0, 0.0))


def test_a_version_dated_after_t_beside_an_undated_one_changes_nothing() -> None:
    # given: Mondays 09:00-12:00 since always; as of Monday 2023-01-23 15:00, a version from the next day
    undated: tuple[WeeklyRow, ...] = ((0, 9 * H, 12 * H, None),)
    later: tuple[WeeklyRow, ...] = ((0, 13 * H, 15 * H, day(2023, 1, 24)), (1, 0, 0, "2023-01-30"))
    polls: Polls = [(ny(2023, 1, 23, 10, 0), True), (ny(2023, 1, 23, 14, 0), False)]
    as_of = ny(2023, 1, 23, 15, 0)

    # when
    with_later = brute(undated + later, polls, as_of)
    without = brute(undated, polls, as_of)

    # then: the 14:00 poll stays outside business hours; 09:00-12:00 is all active
    assert_six(with_later, (0.0, 3.0, 3.0, 0.0, 0.0, 0.0))
    assert_six(without, with_later.six())


def test_rows_with_the_same_effective_from_are_one_version() -> None:
    # given: Mondays 13:00-15:00 since always; from 2023-01-23 Mondays 09:00-10:00 and 11:00-12:00, the
    # date written once as a date and once as padded text; polls 09:30 active, 11:30 inactive (midpoint
    # 10:30, closed)
    hours: tuple[WeeklyRow, ...] = (
        (0, 13 * H, 15 * H, None),
        (0, 9 * H, 10 * H, day(2023, 1, 23)),
        (0, 11 * H, 12 * H, " 2023-01-23 "),
    )
    polls: Polls = [(ny(2023, 1, 23, 9, 30), True), (ny(2023, 1, 23, 11, 30), False)]

    values = brute(hours, polls, ny(2023, 1, 23, 15, 0))

    # then: Monday 01-23 has both rows of its version (and not 13:00-15:00); Monday 01-16's 13:00-15:00 ends
    # exactly at the week window start
    assert set(Calendar.from_rows(hours).versions) == {None, day(2023, 1, 23)}
    assert_six(values, (0.0, 1.0, 1.0, 0.0, 1.0, 1.0))


def test_the_latest_version_not_after_the_date_applies() -> None:
    # given: Mondays 08:00-09:00 since always, 09:00-12:00 from 2023-01-09, 13:00-15:00 from 2023-01-16, and
    # 16:00-17:00 from 2023-01-24 (after T); no polls
    hours: tuple[WeeklyRow, ...] = (
        (0, 16 * H, 17 * H, day(2023, 1, 24)),
        (0, 13 * H, 15 * H, day(2023, 1, 16)),
        (0, 8 * H, 9 * H, None),
        (0, 9 * H, 12 * H, day(2023, 1, 9)),
    )

    values = brute(hours, [], ny(2023, 1, 23, 15, 0))

    # then: Monday 01-23 has 13:00-15:00; Monday 01-16's 13:00-15:00 ends exactly at the week window start
    calendar = Calendar.from_rows(hours)
    assert calendar.weekly_rows_for(day(2023, 1, 8)) == ((0, 8 * H, 9 * H),)
    assert calendar.weekly_rows_for(day(2023, 1, 15)) == ((0, 9 * H, 12 * H),)
    assert calendar.weekly_rows_for(day(2023, 1, 23)) == ((0, 13 * H, 15 * H),)
    assert_six(values, (0.0, 0.0, 0.0, 60.0, 2.0, 2.0))


def test_blank_effective_from_is_the_version_since_always() -> None:
    calendar = Calendar.from_rows(((0, H, 2 * H, None), (1, H, 2 * H, ""), (2, H, 2 * H, "  "), (3, H, 2 * H)))

    assert list(calendar.versions) == [None]
    assert len(calendar.versions[None]) == 4


def test_a_period_of_the_old_version_runs_whole_into_the_day_a_new_version_starts() -> None:
    # given: Sundays 22:00-04:00 since always; from Monday 2023-01-23 Mondays 09:00-10:00 only
    hours: tuple[WeeklyRow, ...] = ((6, 22 * H, 4 * H, None), (0, 9 * H, 10 * H, day(2023, 1, 23)))

    # when: with no polls, and with an active poll Monday 03:00
    no_polls = brute(hours, [], EXAMPLE_A_AS_OF)
    one_poll = brute(hours, [(ny(2023, 1, 23, 3, 0), True)], EXAMPLE_A_AS_OF)

    # then: Sunday 22:00-Monday 04:00 (6 h) + Monday 09:00-10:00; Sunday 01-15's period ends before the week
    assert_six(no_polls, (0.0, 0.0, 0.0, 0.0, 7.0, 7.0))
    assert_six(one_poll, (0.0, 7.0, 7.0, 0.0, 0.0, 0.0))


def test_a_version_start_does_not_reopen_a_special_closed_day() -> None:
    # given: a new version from Monday 2023-01-23, that Monday closed by a special row
    hours: tuple[WeeklyRow, ...] = ((0, 9 * H, 12 * H, None), (0, 13 * H, 15 * H, day(2023, 1, 23)))

    values = brute(hours, [], ny(2023, 1, 23, 15, 0), ((day(2023, 1, 23), None, None),))

    assert_six(values, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0))


# --- Rule 12: incidents -----------------------------------------------------------------------


def test_an_incident_before_every_active_observation_has_no_start() -> None:
    # given: open 24x7 in UTC; inactive 10:00 and 11:00, active 12:00, inactive 13:00; as of 14:00
    polls: Polls = [
        (utc(2024, 6, 15, 10), False),
        (utc(2024, 6, 15, 11), False),
        (utc(2024, 6, 15, 12), True),
        (utc(2024, 6, 15, 13), False),
    ]
    as_of = utc(2024, 6, 15, 14)

    # when
    first, second = brute_incidents("UTC", (), polls, as_of=as_of)
    values = brute((), polls, as_of, timezone_str="UTC")

    # then: the first has no start and ends at 11:30; its open minutes since before all time are unbounded,
    # inside the day window they are 14:00 the day before to 11:30 (21.5 h)
    assert (first.started_at, first.ended_at) == (None, utc(2024, 6, 15, 11, 30))
    assert first.open_minutes == float("inf")
    assert first.open_minutes_last_hour == 0.0 and first.open_minutes_last_day == pytest.approx(21.5 * 60)
    # then: the second starts at 12:30 and is open: 90 minutes as of 14:00
    assert (second.started_at, second.ended_at) == (utc(2024, 6, 15, 12, 30), None)
    assert second.open_minutes == pytest.approx(90.0)
    assert second.open_minutes_last_hour == pytest.approx(60.0)
    assert second.open_minutes_last_day == pytest.approx(90.0)
    # then: together they are the downtime (23 h of the day: all but 11:30-12:30)
    assert_six(values, (0.0, 1.0, 1.0, 60.0, 23.0, 167.0))


def test_conflicting_polls_at_one_instant_are_one_inactive_observation() -> None:
    # given: active 10:00, active and inactive 11:00 (twice over), active 12:00
    polls: Polls = [
        (utc(2024, 6, 15, 10), True),
        (utc(2024, 6, 15, 11), True),
        (utc(2024, 6, 15, 11), False),
        (utc(2024, 6, 15, 11), True),
        (utc(2024, 6, 15, 11), False),
        (utc(2024, 6, 15, 12), True),
    ]

    (incident,) = brute_incidents("UTC", (), polls, as_of=utc(2024, 6, 15, 12))

    assert (incident.started_at, incident.ended_at) == (utc(2024, 6, 15, 10, 30), utc(2024, 6, 15, 11, 30))
    assert incident.first_observed_us == incident.last_observed_us == to_us(utc(2024, 6, 15, 11))
    assert incident.open_minutes == pytest.approx(60.0)


def test_closed_time_inside_an_incident_does_not_split_it() -> None:
    # given: example A's Mondays; Monday 01-23 active 10:00, inactive 11:00; Monday 01-30 inactive 10:00,
    # active 11:00; as of Monday 01-30 12:00
    polls: Polls = [
        (ny(2023, 1, 23, 10), True),
        (ny(2023, 1, 23, 11), False),
        (ny(2023, 1, 30, 10), False),
        (ny(2023, 1, 30, 11), True),
    ]
    as_of = ny(2023, 1, 30, 12)

    # when
    incidents = brute_incidents(NY, EXAMPLE_A_HOURS, polls, as_of=as_of)
    values = brute(EXAMPLE_A_HOURS, polls, as_of)

    # then: one incident, 10:30 to next Monday 10:30: 90 open minutes each Monday
    assert len(incidents) == 1
    (incident,) = incidents
    assert (incident.started_at, incident.ended_at) == (ny(2023, 1, 23, 10, 30), ny(2023, 1, 30, 10, 30))
    assert incident.open_minutes == pytest.approx(180.0)
    assert incident.open_minutes_last_week == pytest.approx(90.0)
    assert values.downtime_last_week == pytest.approx(1.5)


def test_midpoints_are_floored_to_the_microsecond() -> None:
    # given: active at 10:00:00, inactive one microsecond later, active one second after that
    active_at = utc(2024, 6, 15, 10)
    polls: Polls = [
        (active_at, True),
        (active_at + dt.timedelta(microseconds=1), False),
        (active_at + dt.timedelta(seconds=1, microseconds=1), True),
    ]

    (incident,) = brute_incidents("UTC", (), polls, as_of=utc(2024, 6, 15, 11))

    # then: the half-microsecond midpoint floors to 10:00:00; the other midpoint is 10:00:00.500001
    assert incident.started_at_us == to_us(active_at)
    assert incident.ended_at_us == to_us(active_at) + 500_001


def test_no_observation_means_no_incident_though_all_open_time_is_downtime() -> None:
    # given: polls only outside business hours
    polls: Polls = [(ny(2023, 1, 23, 8, 0), False), (ny(2023, 1, 23, 13, 0), False)]

    assert brute_incidents(NY, EXAMPLE_A_HOURS, polls, as_of=ny(2023, 1, 23, 13, 0)) == []
    assert brute(EXAMPLE_A_HOURS, polls, ny(2023, 1, 23, 13, 0)).downtime_last_day == pytest.approx(3.0)


def test_polls_after_t_are_ignored_by_incidents() -> None:
    later: Polls = [(ny(2023, 1, 23, 11, 30), True)]

    (incident,) = brute_incidents(NY, EXAMPLE_A_HOURS, EXAMPLE_A_POLLS + later, as_of=ny(2023, 1, 23, 11, 20))

    assert incident.is_open
    assert incident.open_minutes == pytest.approx(35.5)


# --- Properties on generated calendars ----------------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(store=calendar_stores())
def test_incident_open_minutes_add_up_to_each_windows_downtime(store: CalendarStore) -> None:
    # when
    values = store.values()
    incidents = store.incidents()

    # then: the sampler is exact on these inputs and agrees with the exact open time
    assert (values.error_bound_hour, values.error_bound_day, values.error_bound_week) == (0, 0, 0)
    opens = (values.open_last_hour, values.open_last_day, values.open_last_week)
    sampled_opens = tuple(up + down for up, down in zip(values.six()[:3], values.six()[3:], strict=True))
    assert sampled_opens == pytest.approx(opens, abs=1e-9)
    # then: rule 12, window by window (downtime of the day and week is in hours, open minutes in minutes)
    if not Store(store.timezone_str, store.hours, store.polls, store.as_of, store.specials).observations:
        assert incidents == []
        return
    assert sum(incident.open_minutes_last_hour for incident in incidents) == pytest.approx(
        values.downtime_last_hour, abs=1e-9
    )
    assert sum(incident.open_minutes_last_day for incident in incidents) / 60 == pytest.approx(
        values.downtime_last_day, abs=1e-9
    )
    assert sum(incident.open_minutes_last_week for incident in incidents) / 60 == pytest.approx(
        values.downtime_last_week, abs=1e-9
    )
    # then: incidents are ordered and disjoint; only the first may lack a start, only the last be open
    for earlier, later in zip(incidents, incidents[1:], strict=False):
        assert earlier.ended_at_us is not None and later.started_at_us is not None
        assert earlier.ended_at_us <= later.started_at_us
    as_of_us = to_us(store.as_of)
    for incident in incidents:
        assert incident.first_observed_us <= incident.last_observed_us <= as_of_us
        assert incident.ended_at_us is None or incident.last_observed_us <= incident.ended_at_us <= as_of_us
        assert incident.open_minutes >= incident.open_minutes_last_week >= incident.open_minutes_last_day


ROWS_AFTER_T = st.lists(
    st.tuples(
        st.integers(0, 6), st.integers(0, 1439).map(lambda m: m * 60), st.integers(0, 1439).map(lambda m: m * 60)
    ),
    min_size=1,
    max_size=4,
)


@PROPERTY_SETTINGS
@given(store=calendar_stores(), days_after=st.integers(1, 3), rows=ROWS_AFTER_T)
def test_versions_and_special_days_after_t_change_nothing(
    store: CalendarStore, days_after: int, rows: list[tuple[int, int, int]]
) -> None:
    # given: a version and special rows dated after T's local date. The version is later than every other
    # one, so it is never a store's earliest, and only a store with weekly rows gets it (it would end a
    # 24x7 schedule on every date before it, rule 10).
    as_of_date = store.as_of.astimezone(resolve_timezone(store.timezone_str)).date()
    dated = [row[3] for row in store.hours if row[3] is not None]
    after = max([as_of_date, *dated]) + dt.timedelta(days=days_after)
    new_version = tuple((weekday, start_s, end_s, after) for weekday, start_s, end_s in rows)
    special_date = as_of_date + dt.timedelta(days=days_after)
    new_specials = tuple((special_date, start_s, end_s) for _, start_s, end_s in rows)
    extended = CalendarStore(
        timezone_str=store.timezone_str,
        hours=store.hours + (new_version if store.hours else ()),
        specials=store.specials + new_specials + ((after, None, None),),
        polls=store.polls,
        as_of=store.as_of,
    )

    # then
    assert extended.values().six() == pytest.approx(store.values().six(), abs=1e-9)
    assert extended.incidents() == store.incidents()
