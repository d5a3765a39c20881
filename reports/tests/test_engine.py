"""The report engine against docs/numbers.md: its worked examples, one test per rule, and a brute force.

No database: `reports.engine` imports no Django. Every hand-computed case is
checked against both the engine and `bruteforce.py`, so a wrong expectation
shows up as a brute-force failure rather than as an engine bug. All instants
are fixed; nothing reads the clock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.engine import compute_fleet, store_values, write_csv
from reports.fleet import CSV_HEADER, FleetInput, Polls, Schedule, StoreValues, WeeklyRow, day_date
from reports.tests import bruteforce
from reports.tests.bruteforce import brute_last_hour, brute_store_values, to_us

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
H = 3600
RULE_9_HEADER = (
    "store_id,uptime_last_hour(in minutes),uptime_last_day(in hours),uptime_last_week(in hours),"
    "downtime_last_hour(in minutes),downtime_last_day(in hours),downtime_last_week(in hours)"
)
WINDOW_LENGTHS = (60.0, 24.0, 168.0, 60.0, 24.0, 168.0)  # per column, in the output unit
EVERY_DAY_UNTIL_235959 = tuple((day, 0, 86399) for day in range(7))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def local(
    zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> dt.datetime:
    """A local wall time (fold=0) as a UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def ny(*args: int) -> dt.datetime:
    return local("America/New_York", *args)


def six(values: StoreValues) -> tuple[float, float, float, float, float, float]:
    """The six values in CSV order (rule 9)."""
    return (
        values.uptime_last_hour,
        values.uptime_last_day,
        values.uptime_last_week,
        values.downtime_last_hour,
        values.downtime_last_day,
        values.downtime_last_week,
    )


@dataclass(frozen=True)
class Case:
    """One store as of T and its six unrounded values, worked out by hand from docs/numbers.md."""

    timezone_str: str | None
    hours: tuple[tuple[int, int, int], ...]
    polls: list[tuple[dt.datetime, bool]]
    as_of: dt.datetime
    expected: tuple[float, float, float, float, float, float]
    # The brute-force step must make its error bound zero for these inputs (see bruteforce.py).
    brute_step_seconds: float = 30.0
    rounded: tuple[float, ...] | None = field(default=None)


def engine_values(case: Case) -> StoreValues:
    return store_values(Schedule(case.timezone_str, case.hours), case.polls, as_of=case.as_of)


def assert_close(got: tuple[float, ...], expected: tuple[float, ...], *, who: str, tolerance: float = 1e-6) -> None:
    assert got == pytest.approx(expected, abs=tolerance), f"{who}: got {got}, expected {expected}"


def check(case: Case) -> None:
    """The brute force first (it vouches for the hand values), then the engine."""
    brute = brute_store_values(
        case.timezone_str, case.hours, case.polls, as_of=case.as_of, step_seconds=case.brute_step_seconds
    )
    assert (brute.error_bound_hour, brute.error_bound_day, brute.error_bound_week) == (0, 0, 0)
    assert_close(brute.six(), case.expected, who="bruteforce (hand value or brute force wrong)")
    assert_close(six(engine_values(case)), case.expected, who="engine")


# --- docs/numbers.md worked examples ------------------------------------------------

EXAMPLE_A_HOURS = ((0, 9 * H, 12 * H),)  # Mondays 09:00-12:00
EXAMPLE_A_POLLS = [(ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 11, 15), False)]
EXAMPLE_A_AS_OF = ny(2023, 1, 23, 12, 0)
# Midpoint 10:44:30: 104.5 min active, 75.5 min inactive.
EXAMPLE_A_VALUES = (0.0, 104.5 / 60, 104.5 / 60, 60.0, 75.5 / 60, 75.5 / 60)

EXAMPLES = {
    "A": Case(
        "America/New_York",
        EXAMPLE_A_HOURS,
        EXAMPLE_A_POLLS,
        EXAMPLE_A_AS_OF,
        EXAMPLE_A_VALUES,
        rounded=(0.0, 1.74, 1.74, 60.0, 1.26, 1.26),
    ),
    "B": Case(
        "America/New_York",
        EXAMPLE_A_HOURS,
        EXAMPLE_A_POLLS + [(ny(2023, 1, 23, 8, 30), False)],
        EXAMPLE_A_AS_OF,
        EXAMPLE_A_VALUES,
        rounded=(0.0, 1.74, 1.74, 60.0, 1.26, 1.26),
    ),
    "C": Case(
        "America/New_York",
        ((4, 18 * H, 2 * H),),  # Fridays 18:00-02:00
        [(ny(2023, 1, 20, 23, 0), True)],
        ny(2023, 1, 21, 2, 0),
        (60.0, 8.0, 8.0, 0.0, 0.0, 0.0),
        rounded=(60.0, 8.0, 8.0, 0.0, 0.0, 0.0),
    ),
    "D": Case(
        "America/New_York",
        (),
        [],
        utc(2023, 1, 23, 17, 0),
        (0.0, 0.0, 0.0, 60.0, 24.0, 168.0),
        rounded=(0.0, 0.0, 0.0, 60.0, 24.0, 168.0),
    ),
    # E, Sunday alone: the week window holds all of Sunday 2024-03-10 and nothing
    # else open, so downtime_last_week is that local day's open time, 22:59:59.
    # The day window (Sunday 12:00 EDT onwards) holds 11:59:59 of it.
    "E-sunday-alone": Case(
        "America/New_York",
        ((6, 0, 86399),),
        [],
        ny(2024, 3, 11, 12, 0),
        (0.0, 0.0, 0.0, 0.0, 43199 / H, 82799 / H),
        brute_step_seconds=1.0,
        rounded=(0.0, 0.0, 0.0, 0.0, 12.0, 23.0),
    ),
    # E as worded, open every day 00:00-23:59:59, as of Monday 00:00 EDT: the
    # day window starts Saturday 23:00 EST, so it holds Saturday's 23:00-23:59:59
    # (3599 s) plus Sunday's 82799 s; the week window starts Sunday 2024-03-03
    # 23:00 EST: 3599 s + six whole days of 86399 s + Sunday 2024-03-10's 82799 s.
    "E": Case(
        "America/New_York",
        EVERY_DAY_UNTIL_235959,
        [],
        ny(2024, 3, 11, 0, 0),
        (0.0, 0.0, 0.0, 3599 / 60, (3599 + 82799) / H, (3599 + 6 * 86399 + 82799) / H),
        brute_step_seconds=1.0,
        rounded=(0.0, 0.0, 0.0, 59.98, 24.0, 168.0),
    ),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_engine_matches_worked_example(name):
    case = EXAMPLES[name]

    got = engine_values(case)

    assert_close(six(got), case.expected, who=f"engine, example {name}")
    assert six(got.rounded()) == case.rounded


@pytest.mark.parametrize("name", EXAMPLES)
def test_bruteforce_matches_worked_example(name):
    case = EXAMPLES[name]

    got = brute_store_values(
        case.timezone_str, case.hours, case.polls, as_of=case.as_of, step_seconds=case.brute_step_seconds
    )

    assert (got.error_bound_hour, got.error_bound_day, got.error_bound_week) == (0, 0, 0)
    assert_close(got.six(), case.expected, who=f"bruteforce, example {name}")
    assert tuple(round(value, 2) for value in got.six()) == case.rounded


def test_bruteforce_matches_example_a_and_reports_its_own_error_bound():
    # given: example A sampled with a step far too coarse for its 10:44:30 midpoint
    case = EXAMPLES["A"]

    # when
    coarse = brute_store_values(case.timezone_str, case.hours, case.polls, as_of=case.as_of, step_seconds=600)

    # then: the error is non-zero, but within the bound the brute force reports
    assert coarse.error_bound_day > 0
    assert abs(coarse.uptime_last_day - 104.5 / 60) <= coarse.error_bound_day
    assert abs(coarse.downtime_last_day - 75.5 / 60) <= coarse.error_bound_day
    assert coarse.open_last_day == 3.0


def test_store_values_rounded_uses_python_round():
    values = StoreValues(1.005, 2.675, 0.125, 59.999, 1 / 3, 167.995)

    assert six(values.rounded()) == tuple(round(value, 2) for value in six(values))


# --- Rule 5: business hours --------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            # Sunday 22:00 - Monday 01:00; midpoint of 22:10 and 00:40 is 23:25.
            Case(
                "America/New_York",
                ((6, 22 * H, 1 * H),),
                [(ny(2023, 1, 22, 22, 10), True), (ny(2023, 1, 23, 0, 40), False)],
                ny(2023, 1, 23, 1, 0),
                (0.0, 85 / 60, 85 / 60, 60.0, 95 / 60, 95 / 60),
            ),
            id="sunday-into-monday",
        ),
        pytest.param(
            # Friday 20:00 until midnight (end 00:00 < start): 4 h.
            Case("America/New_York", ((4, 20 * H, 0),), [], ny(2023, 1, 21, 0, 0), (0.0, 0.0, 0.0, 60.0, 4.0, 4.0)),
            id="ends-at-midnight",
        ),
    ],
)
def test_row_with_start_after_end_runs_past_midnight(case):
    check(case)


@pytest.mark.parametrize("start_equals_end", [0, 13 * H, 86399])
def test_row_with_start_equal_to_end_is_open_the_whole_local_day(start_equals_end):
    # given: Wednesdays open 00:00-24:00 (not 13:00 to 13:00 the next day), as of Thursday 06:00
    case = Case(
        "America/New_York",
        ((2, start_equals_end, start_equals_end),),
        [],
        ny(2023, 1, 26, 6, 0),
        # day window from Wednesday 06:00: 18 h of it; the week holds all 24 h
        (0.0, 0.0, 0.0, 0.0, 18.0, 24.0),
    )

    check(case)


def test_overlapping_rows_are_merged_not_counted_twice():
    # given: Monday rows 09-12, 11-14, 10:00-10:30 and 09-12 again = open 09:00-14:00
    case = Case(
        "America/New_York",
        ((0, 9 * H, 12 * H), (0, 11 * H, 14 * H), (0, 10 * H, 10 * H + 1800), (0, 9 * H, 12 * H)),
        [(ny(2023, 1, 23, 10, 0), True)],
        ny(2023, 1, 23, 15, 0),
        (0.0, 5.0, 5.0, 0.0, 0.0, 0.0),
    )

    check(case)


def test_overnight_row_overlapping_the_next_days_rows_is_merged():
    # given: Sunday 20:00-02:00, Monday 00:00-03:00 and Monday 01:00-01:30 = Sunday 20:00 to Monday 03:00
    case = Case(
        "America/New_York",
        ((6, 20 * H, 2 * H), (0, 0, 3 * H), (0, 1 * H, 1 * H + 1800)),
        [],
        ny(2023, 1, 23, 3, 0),
        (0.0, 0.0, 0.0, 60.0, 7.0, 7.0),
    )

    check(case)


def test_weekday_without_a_row_is_closed():
    # given: open Mondays 09-17 only; the polls on Tuesday and Wednesday fall on closed days
    case = Case(
        "America/New_York",
        ((0, 9 * H, 17 * H),),
        [(ny(2023, 1, 24, 10, 0), True), (ny(2023, 1, 25, 11, 30), True)],
        ny(2023, 1, 25, 12, 0),
        # then: nothing open in the last day; Monday's 8 h are downtime (no observation)
        (0.0, 0.0, 0.0, 0.0, 0.0, 8.0),
    )

    check(case)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            Case(
                "America/New_York",
                (),
                [(utc(2023, 1, 23, 16, 30), True)],
                utc(2023, 1, 23, 17, 0),
                (60.0, 24.0, 168.0, 0.0, 0.0, 0.0),
            ),
            id="one-active-poll",
        ),
        pytest.param(
            # midpoint of T-3d (inactive) and T-1d (active) is T-2d
            Case(
                "Not/AZone",
                (),
                [(utc(2023, 1, 20, 17, 0), False), (utc(2023, 1, 22, 17, 0), True)],
                utc(2023, 1, 23, 17, 0),
                (60.0, 24.0, 48.0, 0.0, 0.0, 120.0),
            ),
            id="invalid-timezone-two-polls",
        ),
    ],
)
def test_store_with_no_rows_at_all_is_open_24x7(case):
    check(case)


# --- Rule 4: timezone ------------------------------------------------------------------


@pytest.mark.parametrize(
    "timezone_str, zone_used",
    [
        (None, "America/Chicago"),
        ("", "America/Chicago"),
        ("   ", "America/Chicago"),
        ("Not/AZone", "America/Chicago"),
        ("America", "America/Chicago"),  # a directory, not a zone
        ("America/Chicago", "America/Chicago"),
        ("US/Central", "America/Chicago"),
        ("America/New_York", "America/New_York"),
        ("  America/New_York  ", "America/New_York"),
        ("US/Eastern", "America/New_York"),
        ("EST5EDT", "America/New_York"),
    ],
)
def test_timezone_missing_empty_or_invalid_means_chicago_and_aliases_are_valid(timezone_str, zone_used):
    # given: open Mondays 09:00-10:00 local, as of 16:00 UTC, when it is 10:00 in
    # Chicago but 11:00 in New York: only Chicago's opening hour is the last hour
    last_hour_open = 60.0 if zone_used == "America/Chicago" else 0.0
    case = Case(
        timezone_str, ((0, 9 * H, 10 * H),), [], utc(2023, 1, 23, 16, 0), (0.0, 0.0, 0.0, last_hour_open, 1.0, 1.0)
    )

    check(case)


# --- Rule 6: which polls count --------------------------------------------------------


def test_polls_outside_business_hours_are_ignored():
    # given: example A's store as of 13:00, plus polls before opening, exactly at
    # closing (12:00 is outside [09:00, 12:00)) and after closing
    case = Case(
        "America/New_York",
        EXAMPLE_A_HOURS,
        EXAMPLE_A_POLLS
        + [
            (ny(2023, 1, 23, 8, 30), False),
            (ny(2023, 1, 23, 12, 0), True),
            (ny(2023, 1, 23, 12, 30), True),
            (ny(2023, 1, 22, 10, 0), True),
        ],
        ny(2023, 1, 23, 13, 0),
        # then: example A's day and week values; the last hour is closed
        (0.0, 104.5 / 60, 104.5 / 60, 0.0, 75.5 / 60, 75.5 / 60),
    )

    check(case)


def test_old_polls_outside_business_hours_are_ignored():
    # given: Mondays 09-12 and one poll, 9 days before T, on a Saturday (closed)
    case = Case(
        "America/New_York",
        EXAMPLE_A_HOURS,
        [(ny(2023, 1, 14, 12, 0), True)],
        EXAMPLE_A_AS_OF,
        (0.0, 0.0, 0.0, 60.0, 3.0, 3.0),
    )

    # then: no observation at all, so all open time is downtime
    check(case)


def test_poll_exactly_at_opening_is_an_observation():
    # given: example A plus an inactive poll at 09:00, the first open instant;
    # midpoint of 09:00 and 10:14 is 09:37
    case = Case(
        "America/New_York",
        EXAMPLE_A_HOURS,
        EXAMPLE_A_POLLS + [(ny(2023, 1, 23, 9, 0), False)],
        EXAMPLE_A_AS_OF,
        (0.0, 67.5 / 60, 67.5 / 60, 60.0, 112.5 / 60, 112.5 / 60),
    )

    check(case)


# --- Rule 7: nearest observation ----------------------------------------------------


@pytest.mark.parametrize(
    "polls, expected",
    [
        pytest.param(
            [(ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 10, 14), False), (ny(2023, 1, 23, 11, 15), False)],
            (0.0, 0.0, 0.0, 60.0, 3.0, 3.0),
            id="conflict-active-first",
        ),
        pytest.param(
            [(ny(2023, 1, 23, 11, 15), False), (ny(2023, 1, 23, 10, 14), False), (ny(2023, 1, 23, 10, 14), True)],
            (0.0, 0.0, 0.0, 60.0, 3.0, 3.0),
            id="conflict-inactive-first",
        ),
        pytest.param(
            [
                (ny(2023, 1, 23, 10, 14), True),
                (ny(2023, 1, 23, 10, 14), True),
                (ny(2023, 1, 23, 10, 14), False),
                (ny(2023, 1, 23, 11, 15), False),
            ],
            (0.0, 0.0, 0.0, 60.0, 3.0, 3.0),
            id="conflict-two-active-one-inactive",
        ),
        pytest.param(
            [(ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 11, 15), False)],
            EXAMPLE_A_VALUES,
            id="exact-duplicate-active",
        ),
        pytest.param(
            [(ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 11, 15), True), (ny(2023, 1, 23, 11, 15), False)],
            EXAMPLE_A_VALUES,
            id="conflict-where-inactive-anyway",
        ),
    ],
)
def test_polls_at_one_instant_with_different_statuses_are_one_inactive_observation(polls, expected):
    check(Case("America/New_York", EXAMPLE_A_HOURS, polls, EXAMPLE_A_AS_OF, expected))


def test_conflicting_polls_are_one_observation_not_two():
    # given: open 24x7; at T-1h an active and an inactive poll, and an active one at T-3h.
    # Kept as two observations, the active one at T-1h could win the instants after T-2h.
    case = Case(
        "America/New_York",
        (),
        [(utc(2023, 1, 23, 16, 0), True), (utc(2023, 1, 23, 16, 0), False), (utc(2023, 1, 23, 14, 0), True)],
        utc(2023, 1, 23, 17, 0),
        # then: midpoint T-2h: active before it, inactive after
        (0.0, 22.0, 166.0, 60.0, 2.0, 2.0),
    )

    check(case)


def test_no_observation_means_all_open_time_is_downtime():
    # given: Mondays 09-12 with polls only while closed
    case = Case(
        "America/New_York",
        EXAMPLE_A_HOURS,
        [(ny(2023, 1, 23, 8, 0), True), (ny(2023, 1, 22, 10, 0), True), (ny(2023, 1, 23, 7, 59), True)],
        EXAMPLE_A_AS_OF,
        (0.0, 0.0, 0.0, 60.0, 3.0, 3.0),
    )

    check(case)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            # active T-7d-1h, inactive T-7d+3h: midpoint T-7d+1h, so the week's first hour is up
            Case(
                "America/New_York",
                (),
                [(utc(2023, 1, 16, 16, 0), True), (utc(2023, 1, 16, 20, 0), False)],
                utc(2023, 1, 23, 17, 0),
                (0.0, 0.0, 1.0, 60.0, 24.0, 167.0),
            ),
            id="24x7-midpoint-inside-window",
        ),
        pytest.param(
            # the only observation is 30 days old and still the nearest one
            Case(
                "America/New_York",
                (),
                [(utc(2022, 12, 24, 17, 0), True)],
                utc(2023, 1, 23, 17, 0),
                (60.0, 24.0, 168.0, 0.0, 0.0, 0.0),
            ),
            id="24x7-thirty-days-old",
        ),
        pytest.param(
            # Mondays 09-12: the only observation is two Mondays ago, 11:00; a closed-hours poll 9 days ago is ignored
            Case(
                "America/New_York",
                EXAMPLE_A_HOURS,
                [(ny(2023, 1, 9, 11, 0), True), (ny(2023, 1, 14, 12, 0), False)],
                EXAMPLE_A_AS_OF,
                (60.0, 3.0, 3.0, 0.0, 0.0, 0.0),
            ),
            id="fourteen-days-old",
        ),
        pytest.param(
            # Los Angeles (UTC-8), Fridays 23:30 to Saturday 23:00. The only observation,
            # Saturday 2023-01-14 18:01 PST (01-15 02:01 UTC), 7 days 23:59 before T, lies in
            # the row of Friday 01-13: two UTC dates before its own. It decides the whole week.
            Case(
                "America/Los_Angeles",
                ((4, 23 * H + 1800, 23 * H),),
                [(utc(2023, 1, 15, 2, 1), True)],
                utc(2023, 1, 23, 2, 0),
                (0.0, 5.0, 23.5, 0.0, 0.0, 0.0),
            ),
            id="eight-days-old-in-an-overnight-row-west-of-utc",
        ),
        pytest.param(
            # Mondays 09-12: the only observation is last Monday's 11:00, outside the week window
            Case(
                "America/New_York",
                EXAMPLE_A_HOURS,
                [(ny(2023, 1, 16, 11, 0), True)],
                EXAMPLE_A_AS_OF,
                (60.0, 3.0, 3.0, 0.0, 0.0, 0.0),
            ),
            id="last-mondays-observation",
        ),
    ],
)
def test_observation_older_than_the_week_decides_the_status_at_the_windows_start(case):
    check(case)


# --- Rules 2, 3: as of T and the windows ------------------------------------------------


def test_polls_after_as_of_are_ignored():
    # given: open 24x7, active 2 h before T, and inactive polls after T (1 us, 1 min, 1 day later)
    as_of = utc(2023, 1, 23, 17, 0)
    later = [
        (as_of + dt.timedelta(microseconds=1), False),
        (as_of + dt.timedelta(minutes=1), False),
        (as_of + dt.timedelta(days=1), False),
    ]
    case = Case(
        "America/New_York",
        (),
        [(as_of - dt.timedelta(hours=2), True)] + later,
        as_of,
        (60.0, 24.0, 168.0, 0.0, 0.0, 0.0),
    )

    check(case)


def test_store_with_only_polls_after_as_of_has_no_observation():
    as_of = utc(2023, 1, 23, 17, 0)
    case = Case(
        "America/New_York", (), [(as_of + dt.timedelta(seconds=1), True)], as_of, (0.0, 0.0, 0.0, 60.0, 24.0, 168.0)
    )

    check(case)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            # inactive exactly at T (it counts: at or before T), active exactly at T-1h
            Case(
                "America/New_York",
                (),
                [(utc(2023, 1, 23, 17, 0), False), (utc(2023, 1, 23, 16, 0), True)],
                utc(2023, 1, 23, 17, 0),
                (30.0, 23.5, 167.5, 30.0, 0.5, 0.5),
            ),
            id="polls-at-T-and-T-minus-1h",
        ),
        pytest.param(
            # the same with a T that is not on a whole second
            Case(
                "America/New_York",
                (),
                [(utc(2023, 1, 23, 17, 0, 0, 250_001), False), (utc(2023, 1, 23, 16, 0, 0, 250_001), True)],
                utc(2023, 1, 23, 17, 0, 0, 250_001),
                (30.0, 23.5, 167.5, 30.0, 0.5, 0.5),
            ),
            id="T-with-microseconds",
        ),
        pytest.param(
            Case(
                "America/New_York",
                (),
                [(utc(2023, 1, 23, 17, 0), True)],
                utc(2023, 1, 23, 17, 0),
                (60.0, 24.0, 168.0, 0.0, 0.0, 0.0),
            ),
            id="only-poll-exactly-at-T",
        ),
        pytest.param(
            # active exactly at T-7d, inactive exactly at T-24h: midpoint T-4d
            Case(
                "America/New_York",
                (),
                [(utc(2023, 1, 16, 17, 0), True), (utc(2023, 1, 22, 17, 0), False)],
                utc(2023, 1, 23, 17, 0),
                (0.0, 0.0, 72.0, 60.0, 24.0, 96.0),
            ),
            id="polls-at-T-minus-7d-and-T-minus-24h",
        ),
        pytest.param(
            # Mondays 09-11, T = 11:00 closing: the last hour is all open; last Monday ends at the week's start
            Case(
                "America/New_York", ((0, 9 * H, 11 * H),), [], ny(2023, 1, 23, 11, 0), (0.0, 0.0, 0.0, 60.0, 2.0, 2.0)
            ),
            id="T-at-closing",
        ),
        pytest.param(
            # Mondays 11-12, T = 11:00 opening: nothing open in (T-1h, T]
            Case(
                "America/New_York", ((0, 11 * H, 12 * H),), [], ny(2023, 1, 23, 11, 0), (0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
            ),
            id="T-at-opening",
        ),
    ],
)
def test_window_edges(case):
    check(case)


def test_polls_in_any_order_and_any_aware_timezone_give_the_same_values():
    # given: example A's polls reversed and expressed in New York time rather than UTC
    polls = [(instant.astimezone(NEW_YORK), active) for instant, active in reversed(EXAMPLE_A_POLLS)]

    # when
    got = store_values(Schedule("America/New_York", EXAMPLE_A_HOURS), polls, as_of=EXAMPLE_A_AS_OF.astimezone(NEW_YORK))

    # then
    assert_close(six(got), EXAMPLE_A_VALUES, who="engine")


# --- Rule 5 and DST -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            # 02:15 (fold=0, EST) = 07:15 UTC = 03:15 EDT: end not after start, open for no time
            Case(
                "America/New_York",
                ((6, 2 * H + 900, 3 * H + 900),),
                [(utc(2024, 3, 10, 7, 15), True)],
                utc(2024, 3, 10, 16, 0),
                (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
            ),
            id="0215-0315-is-empty",
        ),
        pytest.param(
            # 02:30 means 03:30 EDT (07:30 UTC): open 1.5 h; the 07:29:59 UTC poll is before opening
            Case(
                "America/New_York",
                ((6, 2 * H + 1800, 5 * H),),
                [(utc(2024, 3, 10, 7, 29, 59), False), (utc(2024, 3, 10, 7, 30), True)],
                utc(2024, 3, 10, 16, 0),
                (0.0, 1.5, 1.5, 0.0, 0.0, 0.0),
            ),
            id="gap-0230-is-0330-edt",
        ),
        pytest.param(
            # 01:00 EST (06:00 UTC) to 02:30 = 03:30 EDT (07:30 UTC): 1.5 h
            Case(
                "America/New_York",
                ((6, 1 * H, 2 * H + 1800),),
                [],
                utc(2024, 3, 10, 16, 0),
                (0.0, 0.0, 0.0, 0.0, 1.5, 1.5),
            ),
            id="gap-as-end",
        ),
        pytest.param(
            # both ends in the gap: 02:10 -> 07:10 UTC, 02:50 -> 07:50 UTC: 40 min
            Case(
                "America/New_York",
                ((6, 2 * H + 600, 2 * H + 3000),),
                [],
                utc(2024, 3, 10, 16, 0),
                (0.0, 0.0, 0.0, 0.0, 40 / 60, 40 / 60),
            ),
            id="both-ends-in-gap",
        ),
        pytest.param(
            # 03:00 is the first wall time after the gap: 03:00 EDT = 07:00 UTC, to 05:00 EDT (09:00 UTC): 2 h
            Case("America/New_York", ((6, 3 * H, 5 * H),), [], utc(2024, 3, 10, 16, 0), (0.0, 0.0, 0.0, 0.0, 2.0, 2.0)),
            id="0300-right-after-the-gap",
        ),
        pytest.param(
            # 02:00, the gap's first wall time, is 07:00 UTC with fold=0, and so is 03:00: empty
            Case("America/New_York", ((6, 2 * H, 3 * H),), [], utc(2024, 3, 10, 16, 0), (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
            id="0200-0300-is-empty",
        ),
        pytest.param(
            # the whole local day 2024-03-10 is 23 h
            Case("America/New_York", ((6, 0, 0),), [], utc(2024, 3, 11, 16, 0), (0.0, 0.0, 0.0, 0.0, 12.0, 23.0)),
            id="spring-forward-whole-day-23h",
        ),
    ],
)
def test_new_york_spring_forward(case):
    check(case)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            # the first 01:30 (EDT, 05:30 UTC) to 03:00 EST (08:00 UTC): 2.5 h. Active at
            # 05:30 UTC, inactive at the second 01:15 (06:15 UTC): midpoint 05:52:30 UTC
            Case(
                "America/New_York",
                ((6, 1 * H + 1800, 3 * H),),
                [(utc(2024, 11, 3, 5, 30), True), (utc(2024, 11, 3, 6, 15), False)],
                utc(2024, 11, 3, 17, 0),
                (0.0, 22.5 / 60, 22.5 / 60, 0.0, 127.5 / 60, 127.5 / 60),
            ),
            id="fall-back-first-0130",
        ),
        pytest.param(
            # 00:00 EDT (04:00 UTC) to the first 01:30 (05:30 UTC): 1.5 h
            Case(
                "America/New_York", ((6, 0, 1 * H + 1800),), [], utc(2024, 11, 3, 17, 0), (0.0, 0.0, 0.0, 0.0, 1.5, 1.5)
            ),
            id="fall-back-end-first-0130",
        ),
        pytest.param(
            # 01:00, the repeated hour's first wall time, is the first one (EDT, 05:00 UTC), to 02:00 EST (07:00 UTC)
            Case("America/New_York", ((6, 1 * H, 2 * H),), [], utc(2024, 11, 3, 17, 0), (0.0, 0.0, 0.0, 0.0, 2.0, 2.0)),
            id="fall-back-0100-0200",
        ),
        pytest.param(
            # 02:00 is after the repeated hour: 02:00 EST (07:00 UTC) to 04:00 EST (09:00 UTC)
            Case("America/New_York", ((6, 2 * H, 4 * H),), [], utc(2024, 11, 3, 17, 0), (0.0, 0.0, 0.0, 0.0, 2.0, 2.0)),
            id="fall-back-0200-right-after",
        ),
        pytest.param(
            # the whole local day 2024-11-03 is 25 h: 04:00 UTC to 05:00 UTC the next day
            Case("America/New_York", ((6, 0, 0),), [], utc(2024, 11, 4, 17, 0), (0.0, 0.0, 0.0, 0.0, 12.0, 25.0)),
            id="fall-back-whole-day-25h",
        ),
    ],
)
def test_new_york_fall_back(case):
    check(case)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            # no DST: 02:15-03:15 MST on 2024-03-10 is a full hour (09:15-10:15 UTC)
            Case(
                "America/Phoenix",
                ((6, 2 * H + 900, 3 * H + 900),),
                [],
                utc(2024, 3, 10, 19, 0),
                (0.0, 0.0, 0.0, 0.0, 1.0, 1.0),
            ),
            id="phoenix-0215-0315",
        ),
        pytest.param(
            Case("America/Phoenix", ((6, 0, 0),), [], utc(2024, 3, 11, 19, 0), (0.0, 0.0, 0.0, 0.0, 12.0, 24.0)),
            id="phoenix-whole-day-24h",
        ),
        pytest.param(
            # Berlin springs forward 2024-03-31 02:00 CET: 01:00 CET (00:00 UTC) to 04:00 CEST (02:00 UTC)
            Case("Europe/Berlin", ((6, 1 * H, 4 * H),), [], utc(2024, 3, 31, 10, 0), (0.0, 0.0, 0.0, 0.0, 2.0, 2.0)),
            id="berlin-spring-forward",
        ),
        pytest.param(
            # Berlin falls back 2024-10-27: the first 02:30 (CEST, 00:30 UTC) to 03:30 CET (02:30 UTC)
            Case(
                "Europe/Berlin",
                ((6, 2 * H + 1800, 3 * H + 1800),),
                [],
                utc(2024, 10, 27, 12, 0),
                (0.0, 0.0, 0.0, 0.0, 2.0, 2.0),
            ),
            id="berlin-fall-back",
        ),
        pytest.param(
            # Kolkata, UTC+05:30: Monday 09:00-17:30 IST = 03:30-12:00 UTC; 03:29:59 UTC is before opening
            Case(
                "Asia/Kolkata",
                ((0, 9 * H, 17 * H + 1800),),
                [(utc(2024, 1, 15, 3, 29, 59), False), (utc(2024, 1, 15, 3, 30), True)],
                utc(2024, 1, 15, 12, 0),
                (60.0, 8.5, 8.5, 0.0, 0.0, 0.0),
            ),
            id="kolkata-half-hour-offset",
        ),
    ],
)
def test_other_zones(case):
    check(case)


# --- Property: engine vs brute force ---------------------------------------------------

NEW_YORK_CHANGES = [utc(2024, 3, 10, 7, 0), utc(2024, 11, 3, 6, 0)]
CHICAGO_CHANGES = [utc(2024, 3, 10, 8, 0), utc(2024, 11, 3, 7, 0)]
# Zone names as found in the wild, each with the UTC instants (whole minutes) at
# which the zone it stands for changes its offset, so that T can be drawn near
# them; zones without DST borrow New York's. Invalid names stand for Chicago.
ZONE_CHANGES: dict[str | None, list[dt.datetime]] = {
    "America/New_York": NEW_YORK_CHANGES,
    "US/Eastern": NEW_YORK_CHANGES,
    "America/Chicago": CHICAGO_CHANGES,
    "America/Los_Angeles": [utc(2024, 3, 10, 10, 0), utc(2024, 11, 3, 9, 0)],
    " America/Denver ": [utc(2024, 3, 10, 9, 0), utc(2024, 11, 3, 8, 0)],
    "America/Phoenix": NEW_YORK_CHANGES,
    "Europe/Berlin": [utc(2024, 3, 31, 1, 0), utc(2024, 10, 27, 1, 0)],
    "Asia/Kolkata": NEW_YORK_CHANGES,
    "Australia/Lord_Howe": [utc(2024, 4, 6, 15, 0), utc(2024, 10, 5, 15, 30)],  # DST shifts by 30 min
    "Pacific/Chatham": [utc(2024, 4, 6, 14, 0), utc(2024, 9, 28, 14, 0)],  # UTC+12:45 / +13:45
    "UTC": NEW_YORK_CHANGES,
    "": CHICAGO_CHANGES,
    "   ": CHICAGO_CHANGES,
    None: CHICAGO_CHANGES,
    "Not/AZone": CHICAGO_CHANGES,
    "America": CHICAGO_CHANGES,
    "america/new_york": CHICAGO_CHANGES,
}
TIMEZONES = list(ZONE_CHANGES)
QUIET_INSTANTS = [utc(2023, 1, 23, 17, 0), utc(2024, 6, 15, 12, 0)]
EDGE_OFFSETS_MIN = [0, 1, -1, -60, -61, -1440, -1441, -10080, -10081, -10079, 5]


# Local wall times where some zone above changes its offset (02:00, 03:00, 02:45, 03:45...), in minutes.
TRANSITION_WALL_MINUTES = [0, 60, 90, 120, 135, 150, 165, 180, 210, 225, 1439]


@st.composite
def minute_rows(draw, *, unit_seconds: int, slots: int):
    wall = st.one_of(
        st.integers(0, slots - 1), st.sampled_from([m * 60 // unit_seconds for m in TRANSITION_WALL_MINUTES])
    )
    rows = []
    for day in range(7):
        for _ in range(draw(st.integers(0, 4))):
            start = draw(wall)
            end = draw(st.one_of(st.just(start), wall))
            rows.append((day, start * unit_seconds, end * unit_seconds))
    # A schedule with no rows at all (open 24x7) would be rare by chance; 3 rather
    # than 0 because hypothesis favours the ends of a range.
    if draw(st.integers(0, 7)) == 3:
        return ()
    return tuple(rows)


@st.composite
def polls_around(draw, as_of: dt.datetime, *, unit: dt.timedelta, offsets: st.SearchStrategy[int]):
    """Polls at as_of + k * unit, including exact duplicates and conflicting ones, shuffled."""
    ks = draw(st.lists(offsets, max_size=30))
    polls = [(as_of + k * unit, draw(st.booleans())) for k in ks]
    if polls:
        for index, flip in draw(st.lists(st.tuples(st.integers(0, len(polls) - 1), st.booleans()), max_size=5)):
            instant, active = polls[index]
            polls.append((instant, active != flip))
    return draw(st.permutations(polls))


@st.composite
def stores_on_minutes(draw):
    """Everything on whole minutes, so a 30 s brute-force step is exact (see bruteforce.py)."""
    timezone_str = draw(st.sampled_from(TIMEZONES))
    anchor = draw(st.sampled_from(ZONE_CHANGES[timezone_str] + QUIET_INSTANTS))
    # T from 3 days before the change to 9 after: the week window holds the change 7 times in 12
    as_of = anchor + dt.timedelta(minutes=draw(st.integers(-3 * 1440, 9 * 1440)))
    # Near T, anywhere in ~9 days, and a few older than the week plus a day (rule 7 reaches back).
    offsets = st.one_of(
        st.sampled_from(EDGE_OFFSETS_MIN),
        st.integers(-2 * 1440, 60),
        st.integers(-9 * 1440 - 120, 1440),
        st.integers(-14 * 1440, -8 * 1440),
    )
    return (
        timezone_str,
        draw(minute_rows(unit_seconds=60, slots=1440)),
        draw(polls_around(as_of, unit=dt.timedelta(minutes=1), offsets=offsets)),
        as_of,
    )


def assert_engine_agrees_with_bruteforce(timezone_str, hours, polls, as_of) -> None:
    """Engine vs brute force (30 s step, exact on whole-minute inputs) for all six values, plus invariants."""
    # when
    got = six(store_values(Schedule(timezone_str, hours), polls, as_of=as_of))
    brute = brute_store_values(timezone_str, hours, polls, as_of=as_of, step_seconds=30)
    known = [(instant, active) for instant, active in polls if instant <= as_of]
    without_later_polls = six(store_values(Schedule(timezone_str, hours), known, as_of=as_of))

    # then: the brute force is exact here, and the engine agrees within 0.01 of the unit
    assert (brute.error_bound_hour, brute.error_bound_day, brute.error_bound_week) == (0, 0, 0)
    assert got == pytest.approx(brute.six(), abs=0.01), f"engine {got} vs brute force {brute.six()}"
    # uptime + downtime = open time, computed by merging intervals rather than sampling (rule 8)
    opens = (brute.open_last_hour, brute.open_last_day, brute.open_last_week)
    assert [got[i] + got[i + 3] for i in range(3)] == pytest.approx(opens, abs=1e-6)
    for value, length in zip(got, WINDOW_LENGTHS, strict=True):
        assert -1e-9 <= value <= length + 1e-9
    for uptime, downtime, length in zip(got[:3], got[3:], WINDOW_LENGTHS, strict=False):
        assert uptime + downtime <= length + 1e-9
    # polls after T never change the result (rule 2)
    assert without_later_polls == pytest.approx(got, abs=1e-9)


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(store=stores_on_minutes())
def test_engine_agrees_with_bruteforce(store):
    assert_engine_agrees_with_bruteforce(*store)


def random_store_on_minutes(seed: int, as_of: dt.datetime | None = None):
    """A store drawn uniformly (unlike hypothesis, which favours small and extreme values), on whole minutes."""
    rng = random.Random(seed)
    timezone_str = rng.choice(TIMEZONES)
    random_as_of = rng.choice(ZONE_CHANGES[timezone_str] + QUIET_INSTANTS) + dt.timedelta(
        minutes=rng.randint(-3 * 1440, 9 * 1440)
    )
    as_of = as_of or random_as_of
    hours = []
    for day in range(7):
        for _ in range(rng.randint(0, 4)):
            start, end = (
                rng.choice(TRANSITION_WALL_MINUTES) if rng.random() < 0.3 else rng.randrange(1440) for _ in range(2)
            )
            end = start if rng.random() < 0.1 else end
            hours.append((day, start * 60, end * 60))
    if rng.random() < 0.1:
        hours = []
    polls = []
    for _ in range(rng.randint(0, 40)):
        kind = rng.random()
        if kind < 0.15:
            offset = rng.choice(EDGE_OFFSETS_MIN)
        elif kind < 0.6:
            offset = rng.randint(-2 * 1440, 60)
        else:
            offset = rng.randint(-9 * 1440 - 120, 1440)
        polls.append((as_of + dt.timedelta(minutes=offset), rng.random() < 0.6))
    for instant, active in rng.sample(polls, min(len(polls), rng.randint(0, 4))):
        polls.append((instant, active if rng.random() < 0.5 else not active))
    rng.shuffle(polls)
    return timezone_str, tuple(hours), polls, as_of


@pytest.mark.parametrize("seed", range(100))
def test_engine_agrees_with_bruteforce_on_seeded_random_stores(seed):
    assert_engine_agrees_with_bruteforce(*random_store_on_minutes(seed))


@st.composite
def stores_on_seconds(draw):
    """Whole seconds (hours up to 23:59:59, polls around the last hour): a 0.5 s step is exact for the last hour."""
    timezone_str = draw(st.sampled_from(TIMEZONES))
    anchor = draw(st.sampled_from(ZONE_CHANGES[timezone_str] + QUIET_INSTANTS))
    as_of = anchor + dt.timedelta(
        seconds=draw(st.one_of(st.integers(-3 * 3600, 3 * 3600), st.integers(-3 * 86400, 3 * 86400)))
    )
    offsets = st.one_of(
        st.sampled_from([0, 1, -1, -3600, -3599, -3601]), st.integers(-3 * 3600, 600), st.integers(-9 * 86400, 0)
    )
    return (
        timezone_str,
        draw(minute_rows(unit_seconds=1, slots=86400)),
        draw(polls_around(as_of, unit=dt.timedelta(seconds=1), offsets=offsets)),
        as_of,
    )


@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(store=stores_on_seconds())
def test_engine_agrees_with_bruteforce_on_the_last_hour_to_the_second(store):
    # given
    timezone_str, hours, polls, as_of = store

    # when
    got = store_values(Schedule(timezone_str, hours), polls, as_of=as_of)
    uptime, downtime, open_minutes, error_bound = brute_last_hour(
        timezone_str, hours, polls, as_of=as_of, step_seconds=0.5
    )

    # then
    assert error_bound == 0
    assert (got.uptime_last_hour, got.downtime_last_hour) == pytest.approx((uptime, downtime), abs=0.01)
    assert got.uptime_last_hour + got.downtime_last_hour == pytest.approx(open_minutes, abs=1e-6)


# --- Fleet and CSV (rules 1, 8, 9) ---------------------------------------------------------

FLEET_AS_OF = utc(2023, 1, 23, 17, 0)


def brute_hours(hours: tuple[WeeklyRow, ...]) -> list[bruteforce.WeeklyRow]:
    """The engine's weekly rows as the brute force takes them: effective_from a date, not a day number."""
    rows: list[bruteforce.WeeklyRow] = []
    for row in hours:
        if len(row) == 3:
            rows.append(row)
        else:
            day, start_s, end_s, since = row
            rows.append((day, start_s, end_s, None if since is None else day_date(since)))
    return rows


FLEET = {
    "10": (Schedule("America/New_York", EXAMPLE_A_HOURS), EXAMPLE_A_POLLS + [(ny(2023, 1, 23, 8, 30), False)]),
    "9": (Schedule(None, ()), []),
    "3f2b9c1e-8d4a-4e6b-9a7c-1d2e3f4a5b6c": (
        Schedule("America/New_York", ((4, 18 * H, 2 * H),)),
        [(ny(2023, 1, 20, 23, 0), True)],
    ),
    "F0000000-0000-4000-8000-000000000000": (Schedule("  Asia/Kolkata ", ((0, 9 * H, 17 * H + 1800),)), []),
    "1234567890123456789": (
        Schedule("Not/AZone", ()),
        [
            (FLEET_AS_OF - dt.timedelta(hours=30), True),
            (FLEET_AS_OF - dt.timedelta(hours=2), False),
            (FLEET_AS_OF + dt.timedelta(minutes=5), True),
        ],
    ),
    "9223372036854775807": (
        Schedule("Europe/Berlin", ((0, 8 * H, 20 * H), (1, 22 * H, 6 * H), (2, 5 * H, 5 * H))),
        [
            (FLEET_AS_OF - dt.timedelta(days=7, hours=6), True),
            (FLEET_AS_OF - dt.timedelta(minutes=90), False),
            (FLEET_AS_OF - dt.timedelta(minutes=90), True),
        ],
    ),
    "0000000000000000001": (Schedule("US/Eastern", ((6, 0, 0),)), [(ny(2023, 1, 22, 12, 0), True)]),
}


def fleet_input(store_ids: list[str]) -> FleetInput:
    """The stores' polls as shuffled parallel arrays, as a selector would hand them over."""
    rows = [
        (index, to_us(instant), active)
        for index, store_id in enumerate(store_ids)
        for instant, active in FLEET[store_id][1]
    ]
    random.Random(7).shuffle(rows)
    polls = Polls(
        store=np.array([row[0] for row in rows], dtype=np.int64),
        ts_us=np.array([row[1] for row in rows], dtype=np.int64),
        active=np.array([row[2] for row in rows], dtype=bool),
    )
    return FleetInput(store_ids=store_ids, schedules=[FLEET[store_id][0] for store_id in store_ids], polls=polls)


def test_fleet_matches_each_store_on_its_own():
    # given
    store_ids = list(FLEET)

    # when
    result = compute_fleet(fleet_input(store_ids), as_of_us=to_us(FLEET_AS_OF))

    # then: same order as the input, and each row equals store_values and the brute force
    assert list(result.store_ids) == store_ids
    assert result.values.shape == (len(store_ids), 6)
    for row, store_id in zip(result.values, store_ids, strict=True):
        schedule, polls = FLEET[store_id]
        alone = six(store_values(schedule, polls, as_of=FLEET_AS_OF))
        brute = brute_store_values(
            schedule.timezone_str, brute_hours(schedule.hours), polls, as_of=FLEET_AS_OF, step_seconds=30
        )
        assert tuple(row) == pytest.approx(alone, abs=1e-9), store_id
        assert tuple(row) == pytest.approx(brute.six(), abs=0.01), store_id


@pytest.mark.parametrize("seed", range(3))
def test_fleet_of_random_stores_matches_store_values_and_bruteforce(seed):
    # given: 30 random stores sharing one T (on a whole minute), ids of both real-world shapes
    rng = random.Random(seed)
    as_of = rng.choice(NEW_YORK_CHANGES + CHICAGO_CHANGES + QUIET_INSTANTS) + dt.timedelta(
        minutes=rng.randint(-1440, 8 * 1440)
    )
    stores = [random_store_on_minutes(1000 * seed + index, as_of=as_of) for index in range(30)]
    store_ids = [
        str(rng.randrange(10**18, 10**19)) if index % 2 else str(uuid.UUID(int=rng.getrandbits(128)))
        for index in range(30)
    ]
    rows = [
        (index, to_us(instant), active) for index, (_, _, polls, _) in enumerate(stores) for instant, active in polls
    ]
    rng.shuffle(rows)
    fleet = FleetInput(
        store_ids=store_ids,
        schedules=[Schedule(timezone_str, hours) for timezone_str, hours, _, _ in stores],
        polls=Polls(
            store=np.array([row[0] for row in rows], dtype=np.int64),
            ts_us=np.array([row[1] for row in rows], dtype=np.int64),
            active=np.array([row[2] for row in rows], dtype=bool),
        ),
    )

    # when
    result = compute_fleet(fleet, as_of_us=to_us(as_of))

    # then
    assert list(result.store_ids) == store_ids
    for row, store_id, (timezone_str, hours, polls, _) in zip(result.values, store_ids, stores, strict=True):
        alone = six(store_values(Schedule(timezone_str, hours), polls, as_of=as_of))
        brute = brute_store_values(timezone_str, hours, polls, as_of=as_of, step_seconds=30)
        assert tuple(row) == pytest.approx(alone, abs=1e-9), store_id
        assert tuple(row) == pytest.approx(brute.six(), abs=0.01), store_id
    out = io.StringIO()
    written = write_csv(result, out)
    assert_csv_matches(out.getvalue(), result, written=written)


def test_fleet_of_stores_without_polls():
    # given: only stores with no polls at all, so the polls arrays are empty
    store_ids = ["9", "F0000000-0000-4000-8000-000000000000"]
    fleet = FleetInput(
        store_ids=store_ids,
        schedules=[FLEET[store_id][0] for store_id in store_ids],
        polls=Polls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, bool)),
    )

    # when
    result = compute_fleet(fleet, as_of_us=to_us(FLEET_AS_OF))

    # then: all open time is downtime (Kolkata: Monday 03:30-12:00 UTC, 8.5 h, before T)
    assert result.values.ravel().tolist() == pytest.approx([0, 0, 0, 60, 24, 168] + [0, 0, 0, 0, 8.5, 8.5], abs=1e-9)


def test_csv_has_the_rule_9_header_rows_sorted_as_strings_and_values_rounded():
    # given
    store_ids = list(FLEET)
    result = compute_fleet(fleet_input(store_ids), as_of_us=to_us(FLEET_AS_OF))
    out = io.StringIO()

    # when
    written = write_csv(result, out)

    # then
    assert CSV_HEADER == RULE_9_HEADER
    rows = assert_csv_matches(out.getvalue(), result, written=written)
    assert [row[0] for row in rows] == [
        "0000000000000000001",
        "10",
        "1234567890123456789",
        "3f2b9c1e-8d4a-4e6b-9a7c-1d2e3f4a5b6c",
        "9",
        "9223372036854775807",
        "F0000000-0000-4000-8000-000000000000",
    ]
    # store "10" is example B
    assert [float(cell) for cell in rows[1][1:]] == [0.0, 1.74, 1.74, 60.0, 1.26, 1.26]


def assert_csv_matches(text: str, result, *, written: int) -> list[list[str]]:
    """The CSV of `result` per rule 9: the exact header, one row per store sorted by
    store_id as a string, every value Python's round(x, 2) of the unrounded one."""
    lines = text.splitlines()
    assert lines[0] == RULE_9_HEADER
    rows = list(csv.reader(lines[1:]))
    assert written == len(rows) == len(result.store_ids)
    assert [row[0] for row in rows] == sorted(result.store_ids)
    by_id = dict(zip(result.store_ids, result.values, strict=True))
    for row in rows:
        assert len(row) == 7
        assert [float(cell) for cell in row[1:]] == [round(float(value), 2) for value in by_id[row[0]]], row[0]
        assert all(len(cell.partition(".")[2]) <= 2 for cell in row[1:]), row
        assert not any(cell.startswith("-") for cell in row[1:]), row
    return rows


def test_an_observation_years_before_the_report_decides_it_and_the_work_follows_the_polls():
    """A report as of 2026 over polls that stopped in 2023: the latest observation, years old, holds
    (rule 7), and the engine never builds business hours across the empty years between."""
    from reports.fleet import DAY_US, ArrayHistory

    class SpyHistory(ArrayHistory):
        windows: list[int] = []

        def polls_between(self, stores, start_us, end_us):
            self.windows.append(end_us - start_us)
            return super().polls_between(stores, start_us, end_us)

    # given a store open Mondays 09:00-12:00 New York, last seen active on Monday 2023-01-23 10:14 local,
    # with a poll outside hours after that (ignored, rule 6), and a second store never polled in hours
    ny = ZoneInfo("America/New_York")
    polls = [
        (dt.datetime(2023, 1, 23, 10, 14, tzinfo=ny), True),
        (dt.datetime(2023, 1, 24, 3, 0, tzinfo=ny), False),
        (dt.datetime(2023, 1, 16, 10, 0, tzinfo=ny), False),
    ]
    store = Polls([0] * 3, [to_us(t) for t, _ in polls], [a for _, a in polls])
    night = Polls(
        [1, 1],
        [to_us(dt.datetime(2022, 6, 1, 3, tzinfo=ny)), to_us(dt.datetime(2023, 1, 2, 3, tzinfo=ny))],
        [True, True],
    )
    history = SpyHistory(
        Polls(np.r_[store.store, night.store], np.r_[store.ts_us, night.ts_us], np.r_[store.active, night.active])
    )
    monday_9_to_12 = Schedule("America/New_York", ((0, 9 * 3600, 12 * 3600),))
    fleet = FleetInput(["a", "b"], [monday_9_to_12, monday_9_to_12], Polls.empty(), history=history)

    # when the report is as of Monday 2026-11-23 12:00 New York
    result = compute_fleet(fleet, as_of_us=to_us(dt.datetime(2026, 11, 23, 12, tzinfo=ny)))

    # then the 2023 observation holds through today's opening hours; the other store has none: all down
    assert result.values[0].tolist() == [60.0, 3.0, 3.0, 0.0, 0.0, 0.0]
    assert result.values[1].tolist() == [0.0, 0.0, 0.0, 60.0, 3.0, 3.0]
    # and no window of history looked at spans the gap: each is a few weeks at most
    assert history.windows and max(history.windows) <= 64 * DAY_US
