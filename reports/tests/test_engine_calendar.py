"""The engine against docs/numbers.md rules 10 (schedule versions) and 11 (special days).

No database: `reports.engine` imports no Django. Every hand-worked case is
checked twice, against the brute force (reports/tests/bruteforce.py, exact on
these whole-minute inputs: its error bound is asserted to be zero) and against
the engine; the property tests compare the two on generated calendars
(`bruteforce.calendar_stores`), alone and as fleets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.engine import PreparedFleet, compute_fleet, store_values
from reports.fleet import (
    ALWAYS_OPEN,
    DAY_US,
    SPECIAL,
    WEEK_US,
    WEEKLY,
    ArrayHistory,
    ArraySpecials,
    DaySchedule,
    FleetInput,
    Polls,
    Schedule,
    SpecialRow,
    StoreValues,
    WeeklyRow,
    local_day,
    to_us,
)
from reports.tests.bruteforce import CalendarStore, brute_store_values, calendar_stores
from reports.tests.test_engine import six

UTC = dt.UTC
NY = "America/New_York"
NEW_YORK = ZoneInfo(NY)
H = 3600
M = 60
Six = tuple[float, float, float, float, float, float]
BruteWeekly = tuple[tuple[int, int, int, dt.date | None], ...]
BruteSpecial = tuple[tuple[dt.date, int | None, int | None], ...]
PollList = list[tuple[dt.datetime, bool]]


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def ny(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> dt.datetime:
    """A New York wall time (fold=0) as a UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=NEW_YORK).astimezone(UTC)


def day(*args: int) -> dt.date:
    return dt.date(*args)


def engine_schedule(timezone_str: str | None, hours: BruteWeekly, specials: BruteSpecial) -> Schedule:
    """The brute force's rows (dates as `datetime.date`) as the engine's `Schedule` (dates as day numbers)."""
    weekly: tuple[WeeklyRow, ...] = tuple(
        (dow, start, end, None if effective_from is None else local_day(effective_from))
        for dow, start, end, effective_from in hours
    )
    special: tuple[SpecialRow, ...] = tuple((local_day(date), start, end) for date, start, end in specials)
    return Schedule(timezone_str, weekly, special)


@dataclass(frozen=True)
class Case:
    """One store as of T with versions and special days, and its six unrounded values worked out by hand."""

    hours: BruteWeekly
    polls: PollList
    as_of: dt.datetime
    expected: Six
    specials: BruteSpecial = ()
    timezone_str: str | None = NY


def check(case: Case) -> StoreValues:
    """The brute force first (it vouches for the hand values), then the engine; returns the engine's values."""
    brute = brute_store_values(
        case.timezone_str, case.hours, case.polls, as_of=case.as_of, step_seconds=30, specials=case.specials
    )
    assert (brute.error_bound_hour, brute.error_bound_day, brute.error_bound_week) == (0, 0, 0)
    assert brute.six() == pytest.approx(case.expected, abs=1e-9), f"brute force {brute.six()}"
    got = store_values(engine_schedule(case.timezone_str, case.hours, case.specials), case.polls, as_of=case.as_of)
    assert six(got) == pytest.approx(case.expected, abs=1e-9), f"engine {six(got)}"
    return got


# --- docs/numbers.md worked examples F-I --------------------------------------------------------

EXAMPLE_A_HOURS: BruteWeekly = ((0, 9 * H, 12 * H, None),)  # Mondays 09:00-12:00
EXAMPLE_A_POLLS: PollList = [(ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 11, 15), False)]
EXAMPLE_A_AS_OF = ny(2023, 1, 23, 12, 0)
EXAMPLE_C_HOURS: BruteWeekly = ((4, 18 * H, 2 * H, None),)  # Fridays 18:00-02:00
EXAMPLE_C_POLLS: PollList = [(ny(2023, 1, 20, 23, 0), True)]
EXAMPLE_C_AS_OF = ny(2023, 1, 21, 2, 0)

WORKED_EXAMPLES = {
    # F: Monday 2023-01-23 closed: both polls are outside business hours; the previous Monday's
    # 09:00-12:00 ends exactly at the week's (excluded) start.
    "F": Case(EXAMPLE_A_HOURS, EXAMPLE_A_POLLS, EXAMPLE_A_AS_OF, (0.0,) * 6, ((day(2023, 1, 23), None, None),)),
    # G: Monday 2023-01-23 open 10:00-11:00 only: the 10:14 poll (active) is the only observation.
    "G": Case(
        EXAMPLE_A_HOURS,
        EXAMPLE_A_POLLS,
        EXAMPLE_A_AS_OF,
        (0.0, 1.0, 1.0, 0.0, 0.0, 0.0),
        ((day(2023, 1, 23), 10 * H, 11 * H),),
    ),
    # H: Saturday 2023-01-21 closed; Friday's period started on Friday and still runs to 02:00: example C.
    "H": Case(
        EXAMPLE_C_HOURS,
        EXAMPLE_C_POLLS,
        EXAMPLE_C_AS_OF,
        (60.0, 8.0, 8.0, 0.0, 0.0, 0.0),
        ((day(2023, 1, 21), None, None),),
    ),
    # I: from 2023-01-23 Mondays are 13:00-15:00, so 09:30 is ignored and 13:00-15:00 is inactive.
    "I": Case(
        ((0, 9 * H, 12 * H, None), (0, 13 * H, 15 * H, day(2023, 1, 23))),
        [(ny(2023, 1, 23, 9, 30), True), (ny(2023, 1, 23, 14, 0), False)],
        ny(2023, 1, 23, 15, 0),
        (0.0, 0.0, 0.0, 60.0, 2.0, 2.0),
    ),
}


@pytest.mark.parametrize("name", WORKED_EXAMPLES)
def test_engine_matches_worked_example(name: str) -> None:
    got = check(WORKED_EXAMPLES[name])

    # then: the CSV's values are exactly docs/numbers.md's
    assert six(got.rounded()) == WORKED_EXAMPLES[name].expected


def test_example_i_as_of_is_20_utc_and_without_the_new_version_it_is_example_a_like() -> None:
    case = WORKED_EXAMPLES["I"]
    assert case.as_of == utc(2023, 1, 23, 20, 0)
    # Without the new version the 09:30 poll is an observation and 09:00-12:00 all active.
    old_only = store_values(engine_schedule(NY, case.hours[:1], ()), case.polls, as_of=case.as_of)
    assert six(old_only) == pytest.approx((0.0, 3.0, 3.0, 0.0, 0.0, 0.0), abs=1e-9)


# --- Corner cases of rules 10 and 11 -----------------------------------------------------------

EVERY_EVENING: BruteWeekly = tuple((weekday, 20 * H, 2 * H, None) for weekday in range(7))  # 20:00-02:00 daily
CLOSED_TUESDAY: BruteSpecial = ((day(2023, 1, 24), None, None),)
TUESDAY_POLLS: PollList = [(ny(2023, 1, 24, 1, 0), True), (ny(2023, 1, 24, 22, 0), False)]

CORNER_CASES = {
    # A closed day after a past-midnight weekday: Monday's 20:00-02:00 runs into the closed Tuesday
    # (6 h in the day, 7 x 6 h in the week, all active) ...
    "closed-day-after-past-midnight-noon": Case(
        EVERY_EVENING, TUESDAY_POLLS, ny(2023, 1, 24, 12, 0), (0.0, 6.0, 42.0, 0.0, 0.0, 0.0), CLOSED_TUESDAY
    ),
    # ... and Tuesday has no period of its own: Tuesday 22:00 is ignored; Wednesday 20:00-22:00 is 2 h,
    # the week Wednesday 01-18 22:00-02:00 (4 h) + 5 x 6 h + 2 h.
    "closed-day-after-past-midnight-next-evening": Case(
        EVERY_EVENING, TUESDAY_POLLS, ny(2023, 1, 25, 22, 0), (60.0, 2.0, 36.0, 0.0, 0.0, 0.0), CLOSED_TUESDAY
    ),
    # A closed row beside a timed row adds nothing (either order): example G.
    "closed-row-before-timed-row": Case(
        EXAMPLE_A_HOURS,
        EXAMPLE_A_POLLS,
        EXAMPLE_A_AS_OF,
        (0.0, 1.0, 1.0, 0.0, 0.0, 0.0),
        ((day(2023, 1, 23), None, None), (day(2023, 1, 23), 10 * H, 11 * H)),
    ),
    "closed-row-after-timed-row": Case(
        EXAMPLE_A_HOURS,
        EXAMPLE_A_POLLS,
        EXAMPLE_A_AS_OF,
        (0.0, 1.0, 1.0, 0.0, 0.0, 0.0),
        ((day(2023, 1, 23), 10 * H, 11 * H), (day(2023, 1, 23), None, None)),
    ),
    # Overlapping special rows are merged: 10:00-11:30 once; active to the midpoint 10:44:30.
    "overlapping-special-rows": Case(
        EXAMPLE_A_HOURS,
        EXAMPLE_A_POLLS,
        EXAMPLE_A_AS_OF,
        (0.0, 44.5 / 60, 44.5 / 60, 30.0, 45.5 / 60, 45.5 / 60),
        (
            (day(2023, 1, 23), 10 * H, 11 * H),
            (day(2023, 1, 23), None, None),
            (day(2023, 1, 23), 10 * H + 30 * M, 11 * H + 30 * M),
        ),
    ),
    # A special day in the spring-forward gap: 02:15-02:45 on 2024-03-10 is 03:15-03:45 EDT (07:15-07:45
    # UTC); the 07:10 UTC poll and the replaced weekly 09:00-10:00 poll are ignored.
    "special-in-dst-gap": Case(
        ((6, 9 * H, 10 * H, None),),
        [(utc(2024, 3, 10, 7, 30), True), (utc(2024, 3, 10, 7, 10), False), (ny(2024, 3, 10, 9, 30), False)],
        ny(2024, 3, 10, 12, 0),
        (0.0, 0.5, 0.5, 0.0, 0.0, 0.0),
        ((day(2024, 3, 10), 2 * H + 15 * M, 2 * H + 45 * M),),
    ),
    # 02:30-03:15 that day is 03:30-03:15 EDT: empty.
    "special-ending-before-it-starts-in-dst-gap": Case(
        ((6, 9 * H, 10 * H, None),),
        [(utc(2024, 3, 10, 7, 20), True), (ny(2024, 3, 10, 9, 30), True)],
        ny(2024, 3, 10, 12, 0),
        (0.0,) * 6,
        ((day(2024, 3, 10), 2 * H + 30 * M, 3 * H + 15 * M),),
    ),
    # A special day in the fall-back fold: 01:30-02:00 on 2024-11-03 is the first 01:30 EDT (05:30 UTC) to
    # 02:00 EST (07:00 UTC), 90 minutes; an active poll at 06:30 UTC (the second 01:30) is inside. The
    # week (from 10-27 03:00 EDT) also holds Sunday 10-27's weekly 09:00-10:00.
    "special-in-dst-fold": Case(
        ((6, 9 * H, 10 * H, None),),
        [(utc(2024, 11, 3, 6, 30), True)],
        utc(2024, 11, 3, 7, 0),
        (60.0, 1.5, 2.5, 0.0, 0.0, 0.0),
        ((day(2024, 11, 3), 1 * H + 30 * M, 2 * H),),
    ),
    # Whole-day specials (start = end) on the DST Sundays: 23 h in spring; 24 h of the day window and
    # 25 h in the week in the fall.
    "whole-day-special-spring-forward": Case(
        ((6, 10 * H, 11 * H, None),),
        [],
        ny(2024, 3, 11, 0, 0),
        (0.0, 0.0, 0.0, 60.0, 23.0, 23.0),
        ((day(2024, 3, 10), 9 * H, 9 * H),),
    ),
    "whole-day-special-fall-back": Case(
        ((6, 10 * H, 11 * H, None),),
        [],
        ny(2024, 11, 4, 0, 0),
        (0.0, 0.0, 0.0, 60.0, 24.0, 25.0),
        ((day(2024, 11, 3), 9 * H, 9 * H),),
    ),
    # A store known only from special days is 24x7 on every other date: day = Sunday 12:00-24:00 + 1 h,
    # week = Monday 01-16 12:00-24:00 + 6 days + 1 h; the 09:00 poll is outside the special hours.
    "known-only-from-special-days": Case(
        (),
        [(ny(2023, 1, 23, 10, 30), True), (ny(2023, 1, 23, 9, 0), False)],
        EXAMPLE_A_AS_OF,
        (0.0, 13.0, 157.0, 0.0, 0.0, 0.0),
        ((day(2023, 1, 23), 10 * H, 11 * H),),
    ),
    "known-only-from-special-days-no-polls": Case(
        (), [], EXAMPLE_A_AS_OF, (0.0, 0.0, 0.0, 0.0, 13.0, 157.0), ((day(2023, 1, 23), 10 * H, 11 * H),)
    ),
    # A 24x7 store with one closed date (its poll ignored): day = Monday 00:00-12:00, week = 168 - 24 h.
    "24x7-with-one-closed-date": Case(
        (),
        [(ny(2023, 1, 22, 12, 0), True)],
        EXAMPLE_A_AS_OF,
        (0.0, 0.0, 0.0, 60.0, 12.0, 144.0),
        ((day(2023, 1, 22), None, None),),
    ),
    # A special period past midnight runs into a closed special day: Sunday 22:00-Monday 03:00 only.
    "special-past-midnight-into-closed-special": Case(
        EXAMPLE_A_HOURS,
        [],
        EXAMPLE_A_AS_OF,
        (0.0, 0.0, 0.0, 0.0, 5.0, 5.0),
        ((day(2023, 1, 22), 22 * H, 3 * H), (day(2023, 1, 23), None, None)),
    ),
    # Versions only dated: Monday 01-16 is before both, so the earliest (from 01-23, after T) applies;
    # the 14:00 poll lies in the later version's hours only.
    "only-dated-versions-before-the-earliest": Case(
        ((0, 9 * H, 12 * H, day(2023, 1, 23)), (0, 13 * H, 15 * H, day(2023, 2, 6))),
        [(ny(2023, 1, 16, 10, 0), True), (ny(2023, 1, 16, 14, 0), False)],
        ny(2023, 1, 17, 12, 0),
        (0.0, 0.0, 3.0, 0.0, 0.0, 0.0),
    ),
    # A version dated after T beside an undated one changes nothing: 09:00-12:00 all active.
    "version-after-t-beside-undated": Case(
        ((0, 9 * H, 12 * H, None), (0, 13 * H, 15 * H, day(2023, 1, 24)), (1, 0, 0, day(2023, 1, 30))),
        [(ny(2023, 1, 23, 10, 0), True), (ny(2023, 1, 23, 14, 0), False)],
        ny(2023, 1, 23, 15, 0),
        (0.0, 3.0, 3.0, 0.0, 0.0, 0.0),
    ),
    "undated-alone": Case(
        ((0, 9 * H, 12 * H, None),),
        [(ny(2023, 1, 23, 10, 0), True), (ny(2023, 1, 23, 14, 0), False)],
        ny(2023, 1, 23, 15, 0),
        (0.0, 3.0, 3.0, 0.0, 0.0, 0.0),
    ),
    # Two rows with the same effective_from are one version: Monday 01-23 has 09:00-10:00 and 11:00-12:00
    # (not 13:00-15:00); 09:30 active, 11:30 inactive, the midpoint 10:30 closed.
    "two-rows-one-version": Case(
        ((0, 13 * H, 15 * H, None), (0, 9 * H, 10 * H, day(2023, 1, 23)), (0, 11 * H, 12 * H, day(2023, 1, 23))),
        [(ny(2023, 1, 23, 9, 30), True), (ny(2023, 1, 23, 11, 30), False)],
        ny(2023, 1, 23, 15, 0),
        (0.0, 1.0, 1.0, 0.0, 1.0, 1.0),
    ),
    # The latest version not after the date applies (one is after T).
    "latest-version-not-after-the-date": Case(
        (
            (0, 16 * H, 17 * H, day(2023, 1, 24)),
            (0, 13 * H, 15 * H, day(2023, 1, 16)),
            (0, 8 * H, 9 * H, None),
            (0, 9 * H, 12 * H, day(2023, 1, 9)),
        ),
        [],
        ny(2023, 1, 23, 15, 0),
        (0.0, 0.0, 0.0, 60.0, 2.0, 2.0),
    ),
    # A period of the old version runs whole into the day a new version starts: Sunday 22:00-Monday 04:00
    # and the new Monday 09:00-10:00.
    "old-version-period-runs-into-new-version": Case(
        ((6, 22 * H, 4 * H, None), (0, 9 * H, 10 * H, day(2023, 1, 23))),
        [(ny(2023, 1, 23, 3, 0), True)],
        EXAMPLE_A_AS_OF,
        (0.0, 7.0, 7.0, 0.0, 0.0, 0.0),
    ),
    # A version starting on a special closed day does not reopen it.
    "version-start-on-closed-special": Case(
        ((0, 9 * H, 12 * H, None), (0, 13 * H, 15 * H, day(2023, 1, 23))),
        [],
        ny(2023, 1, 23, 15, 0),
        (0.0,) * 6,
        ((day(2023, 1, 23), None, None),),
    ),
    # A weekday without a row in the version in effect is closed, though the old version had one: from
    # Tuesday 01-17 only Mondays are open, so the Tuesday poll is ignored and Monday 01-23 is all downtime.
    "weekday-without-row-in-new-version": Case(
        ((1, 9 * H, 12 * H, None), (0, 9 * H, 12 * H, day(2023, 1, 17))),
        [(ny(2023, 1, 17, 10, 0), True)],
        ny(2023, 1, 23, 12, 0),
        (0.0, 0.0, 0.0, 60.0, 3.0, 3.0),
    ),
}


@pytest.mark.parametrize("name", CORNER_CASES)
def test_engine_matches_corner_case(name: str) -> None:
    check(CORNER_CASES[name])


def test_an_undated_only_schedule_without_specials_reads_as_before() -> None:
    # given: the same rows as 3-tuples and as 4-tuples with effective_from None, no special rows
    plain = Schedule(NY, ((0, 9 * H, 12 * H), (4, 18 * H, 2 * H), (2, 5 * H, 5 * H)))
    undated = Schedule(NY, tuple((*row, None) for row in plain.hours))
    polls = EXAMPLE_A_POLLS + EXAMPLE_C_POLLS + [(ny(2023, 1, 18, 6, 0), False)]

    # then: bit for bit the same values
    assert store_values(plain, polls, as_of=EXAMPLE_A_AS_OF) == store_values(undated, polls, as_of=EXAMPLE_A_AS_OF)


# --- The history search follows rules 10 and 11 ------------------------------------------------


class CountingSpecials(ArraySpecials):
    """`ArraySpecials` that records what the engine asked for."""

    def __init__(self, rows: list[tuple[int, SpecialRow]], from_day: int) -> None:
        super().__init__(rows, from_day)
        self.asked: list[tuple[list[int], int, int]] = []

    def special_rows(self, stores: np.ndarray, first_day: int, last_day: int) -> list[tuple[int, SpecialRow]]:
        self.asked.append((stores.tolist(), first_day, last_day))
        return super().special_rows(stores, first_day, last_day)


def history_fleet(
    schedules: list[Schedule], polls: list[PollList], as_of: dt.datetime, *, specials_from: dt.date | None = None
) -> FleetInput:
    """Stores whose polls older than the bulk read are behind a History, as from the database, and with
    `specials_from` their special rows dated before it behind `OlderSpecials`."""
    as_of_us = to_us(as_of)
    lo = as_of_us - WEEK_US - DAY_US
    rows = [(i, to_us(t), a) for i, store_polls in enumerate(polls) for t, a in store_polls]
    every = Polls([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    older_specials = None
    if specials_from is not None:
        schedules, split = ArraySpecials.split(schedules, local_day(specials_from))
        older_specials = CountingSpecials(split.rows, split.from_day)
    return FleetInput(
        [f"s{i}" for i in range(len(schedules))],
        schedules,
        every.take(every.ts_us >= lo),
        history=ArrayHistory(every.take(every.ts_us < lo)),
        older_specials=older_specials,
    )


@pytest.mark.parametrize(
    ("hours", "specials", "expected_uptime"),
    [
        # 24x7: the active poll 20 days back is the latest observation.
        ((), (), 168.0),
        # ... unless its date was closed: then the inactive one 21 days back decides.
        ((), ((day(2023, 1, 3), None, None),), 0.0),
        # Weekly Tuesdays only from 2023-01-10 (and none before: the earliest version applies, rule 10):
        # the poll of Tuesday 01-03 is an observation.
        (((1, 0, 0, day(2023, 1, 10)),), (), 24.0),
        # A version since always with no Tuesday, and Tuesdays from 2023-01-10: 01-03 had no hours.
        (((0, 0, 0, None), (1, 0, 0, day(2023, 1, 10))), (), 0.0),
    ],
    ids=["24x7", "24x7-closed-that-date", "earliest-dated-version", "undated-version-before"],
)
def test_the_history_search_reads_older_dates_by_their_own_calendar(
    hours: BruteWeekly, specials: BruteSpecial, expected_uptime: float
) -> None:
    # given: no poll in the last 8 days; Monday 2023-01-02 12:00 inactive, Tuesday 2023-01-03 12:00 active
    as_of = ny(2023, 1, 23, 12, 0)
    polls: PollList = [(ny(2023, 1, 2, 12, 0), False), (ny(2023, 1, 3, 12, 0), True)]
    schedule = engine_schedule(NY, hours, specials)
    # the week's open time, whatever the status
    open_week = 168.0 if not hours else 24.0

    # when: every special row in the schedule, and only those from 2023-01-12 on (the older ones read
    # on demand, as from the database)
    got = compute_fleet(history_fleet([schedule], [polls], as_of), as_of_us=to_us(as_of)).values[0]
    split = history_fleet([schedule], [polls], as_of, specials_from=day(2023, 1, 12))
    got_split = compute_fleet(split, as_of_us=to_us(as_of)).values[0]

    # then: the week's uptime follows the older observation's status, as the brute force says
    assert got[2] == pytest.approx(expected_uptime)
    assert got[2] + got[5] == pytest.approx(open_week)
    brute = brute_store_values(NY, hours, polls, as_of=as_of, step_seconds=30, specials=specials)
    assert got.tolist() == pytest.approx(brute.six(), abs=1e-9)
    assert got_split.tolist() == got.tolist()
    # then: the older special rows were asked for once, for the dates the search reads, before 01-12
    assert isinstance(split.older_specials, CountingSpecials)
    assert len(split.older_specials.asked) == 1
    stores, first, last = split.older_specials.asked[0]
    assert stores == [0] and first <= local_day(day(2023, 1, 3)) and last == local_day(day(2023, 1, 11))


def test_older_special_rows_are_not_read_when_the_bulk_read_decides() -> None:
    # given: example F's store with an older closed day, and an observation in the bulk read before the week
    case = WORKED_EXAMPLES["F"]
    specials = case.specials + ((day(2022, 12, 26), None, None),)
    polls = case.polls + [(ny(2023, 1, 16, 11, 0), True)]
    fleet = history_fleet(
        [engine_schedule(NY, case.hours, specials)], [polls], case.as_of, specials_from=day(2023, 1, 9)
    )

    # when
    got = compute_fleet(fleet, as_of_us=to_us(case.as_of)).values[0]

    # then: nothing older was needed
    assert got.tolist() == [0.0] * 6
    assert isinstance(fleet.older_specials, CountingSpecials) and fleet.older_specials.asked == []


# --- Generated calendars against the brute force -----------------------------------------------


def assert_engine_agrees(store: CalendarStore) -> None:
    brute = store.values()
    assert (brute.error_bound_hour, brute.error_bound_day, brute.error_bound_week) == (0, 0, 0)
    schedule = engine_schedule(store.timezone_str, store.hours, store.specials)
    got = six(store_values(schedule, store.polls, as_of=store.as_of))
    assert got == pytest.approx(brute.six(), abs=1e-6), f"engine {got} vs brute force {brute.six()}"
    opens = (brute.open_last_hour, brute.open_last_day, brute.open_last_week)
    assert [got[i] + got[i + 3] for i in range(3)] == pytest.approx(opens, abs=1e-6)


PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(store=calendar_stores())
def test_engine_agrees_with_bruteforce_on_generated_calendars(store: CalendarStore) -> None:
    assert_engine_agrees(store)


@settings(max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(stores=st.lists(calendar_stores(), min_size=2, max_size=6))
def test_a_fleet_of_calendars_equals_each_store_alone_and_the_brute_force(stores: list[CalendarStore]) -> None:
    # given: the stores in one fleet as of the first one's T, their older polls behind a History and
    # their special rows older than the report's dates behind OlderSpecials
    as_of = stores[0].as_of
    as_of_us = to_us(as_of)
    schedules = [engine_schedule(s.timezone_str, s.hours, s.specials) for s in stores]
    specials_from = (as_of - dt.timedelta(days=10)).date()
    fleet = history_fleet(schedules, [list(s.polls) for s in stores], as_of, specials_from=specials_from)

    # when
    prepared = PreparedFleet(fleet, as_of_us=as_of_us)
    values = prepared.values().values

    # then: each row is the store alone, the brute force's, and its explanation's
    for i, store in enumerate(stores):
        alone = six(store_values(schedules[i], store.polls, as_of=as_of))
        assert values[i].tolist() == pytest.approx(alone, abs=1e-9)
        brute = brute_store_values(
            store.timezone_str, store.hours, store.polls, as_of=as_of, step_seconds=30, specials=store.specials
        )
        if (brute.error_bound_hour, brute.error_bound_day, brute.error_bound_week) == (0, 0, 0):
            assert values[i].tolist() == pytest.approx(brute.six(), abs=1e-6)
        assert six(prepared.explain(i).values) == tuple(values[i].tolist())


# --- Which rows applied to each date (explain) -------------------------------------------------


def explain_days(case: Case) -> list[DaySchedule]:
    schedule = engine_schedule(case.timezone_str, case.hours, case.specials)
    fleet = FleetInput(["s"], [schedule], Polls.empty())
    return list(PreparedFleet(fleet, as_of_us=to_us(case.as_of)).explain(0).days)


def test_explain_names_the_rows_of_each_local_date_of_the_week() -> None:
    # Example F: Tuesday 01-17 .. Monday 01-23 under the undated version, Monday 01-23 a closed special day
    # (T is Monday 12:00: the week touches 8 dates, Monday 01-16 first).
    days = explain_days(WORKED_EXAMPLES["F"])
    assert [d.date for d in days] == [day(2023, 1, 16) + dt.timedelta(days=k) for k in range(8)]
    assert days[0] == DaySchedule(day(2023, 1, 16), WEEKLY, None, False)
    assert all(d == DaySchedule(d.date, WEEKLY, None, True) for d in days[1:7])  # no Tuesday..Sunday rows
    assert days[7] == DaySchedule(day(2023, 1, 23), SPECIAL, None, True)
    # Example G: the same Monday with special hours.
    assert explain_days(WORKED_EXAMPLES["G"])[7] == DaySchedule(day(2023, 1, 23), SPECIAL, None, False)
    # Example I: the new version from Monday 01-23.
    days = explain_days(WORKED_EXAMPLES["I"])
    assert days[0] == DaySchedule(day(2023, 1, 16), WEEKLY, None, False)
    assert days[-1] == DaySchedule(day(2023, 1, 23), WEEKLY, day(2023, 1, 23), False)
    # Only dated versions: before the earliest, the earliest applies.
    days = explain_days(CORNER_CASES["only-dated-versions-before-the-earliest"])
    assert {d.effective_from for d in days} == {day(2023, 1, 23)}
    # 24x7 with one closed date.
    days = explain_days(CORNER_CASES["24x7-with-one-closed-date"])
    assert [(d.source, d.closed) for d in days if d.date == day(2023, 1, 22)] == [(SPECIAL, True)]
    assert {d.source for d in days if d.date != day(2023, 1, 22)} == {ALWAYS_OPEN}


def test_explain_has_seven_dates_when_t_is_local_midnight_and_eight_across_dst() -> None:
    # T = Monday 2023-01-23 00:00 local: the week is Monday 01-16 .. Sunday 01-22, whole dates.
    at_midnight = Case((), [], ny(2023, 1, 23, 0, 0), (0.0,) * 6, ((day(2023, 1, 22), None, None),))
    days = explain_days(at_midnight)
    assert [d.date for d in days] == [day(2023, 1, 16) + dt.timedelta(days=k) for k in range(7)]
    assert days[-1] == DaySchedule(day(2023, 1, 22), SPECIAL, None, True)
    # T = Monday 2024-03-11 00:00 EDT: 168 h earlier is Sunday 03-03 23:00 EST, so 8 dates.
    days = explain_days(CORNER_CASES["whole-day-special-spring-forward"])
    assert [d.date for d in days] == [day(2024, 3, 3) + dt.timedelta(days=k) for k in range(8)]
    assert days[0] == DaySchedule(day(2024, 3, 3), WEEKLY, None, False)
    assert days[-1] == DaySchedule(day(2024, 3, 10), SPECIAL, None, False)


@pytest.mark.parametrize("name", ["F", "G", "H"])
def test_special_rows_of_the_reports_own_dates_are_asked_for_when_the_schedules_lack_them(name: str) -> None:
    # given: the worked example's special rows all behind OlderSpecials (from_day after T)
    case = WORKED_EXAMPLES[name]
    schedule = engine_schedule(NY, case.hours, case.specials)
    fleet = history_fleet([schedule], [case.polls], case.as_of, specials_from=case.as_of.date() + dt.timedelta(days=5))
    assert fleet.schedules[0].special == ()

    # when
    prepared = PreparedFleet(fleet, as_of_us=to_us(case.as_of))

    # then: the worked example's values, and the special date named in the explanation
    assert prepared.values().values[0].tolist() == pytest.approx(case.expected, abs=1e-9)
    assert isinstance(fleet.older_specials, CountingSpecials) and fleet.older_specials.asked
    assert SPECIAL in {d.source for d in prepared.explain(0).days}
