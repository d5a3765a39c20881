"""A slow, obviously correct reference for docs/numbers.md, one store at a time.

Written straight from the rules, sharing nothing with `reports.engine`, so the
property tests in `test_engine.py` compare two independent readings of the
contract. No numpy, no sorting tricks: business hours are turned into UTC
intervals date by date with `zoneinfo` (rule 5), polls are filtered one by one
(rule 6), and the status (rule 7) is sampled on a fixed grid across each
window (rules 3 and 8).

Sampling and its error
----------------------
A window (T - L, T] is cut into cells of `step_seconds`, the last one ending at
T, and the status at each cell's centre stands for the whole cell. Open and
active are piecewise constant, changing only at *breakpoints*: the edges of
the open intervals and the midpoints between consecutive observations. A
breakpoint on a cell boundary (T - k * step) costs nothing; any other costs at
most step / 2. So the sampled values are exact when every poll lies a whole
multiple of 2 * step from T and every business-hours edge a whole multiple of
step from T; otherwise the error is at most step / 2 per off-grid breakpoint
inside the window. `BruteValues.error_bound_*` reports that bound, in the
output unit, for every window.

The tests use inputs for which the bound is zero: with polls, T and
business hours on whole minutes (every IANA offset in use today is a whole
number of minutes) a 30 s step is exact for all three windows (20,160 cells
for a week); with whole seconds a 0.5 s step is exact for the last hour. Either
way the error is far below the 0.01 of the reported unit the tests allow
(0.6 s for minutes, 36 s for hours).

Open time is also computed a second way, exactly, by merging the UTC
intervals and clipping them to the window (`open_*` fields), so the tests can
check uptime + downtime = open time (rule 8) against something that is not
the sampler.

Real calendars (rules 10 and 11)
--------------------------------
`hours` rows may carry a fourth element, `effective_from` (a local date, an
ISO string, or None / blank for the version since always), and `specials`
rows are (local date, start_seconds, end_seconds) with both times None for a
closed date. `Calendar.periods_starting_on` decides, one local date at a
time, which periods start on that date: the special rows of the date if it
has any, else the rows of the version in effect, else (no weekly rows in any
version) the whole local day. Every instant we ask about is then tested
against the union of the periods of all the dates around it, so a period
that started the day before runs into a special or re-versioned day without
any special case. Wall times go through `zoneinfo` with fold=0 exactly as in
rule 5.

Incidents (rule 12)
-------------------
`brute_incidents` walks the observations once, cutting maximal runs of
inactive ones, with midpoints floored to the microsecond (t1 + (t2 - t1) // 2)
as the engine does. Open minutes are exact (merged intervals, no sampling);
per window they are the business hours inside the incident and the window,
so the sum over a store's incidents equals that window's downtime (rule 12),
which the tests check against the sampler.

Generated inputs
----------------
`calendar_stores()` is a hypothesis strategy of `CalendarStore`s (versions,
special days, polls and T on whole minutes, so a 30 s step is exact):

    @settings(max_examples=30, deadline=None, derandomize=True, database=None)
    @given(store=calendar_stores())
    def test_engine_agrees(store: CalendarStore) -> None:
        brute = store.values()           # BruteValues, error bound 0.0
        incidents = store.incidents()    # list[BruteIncident], as of store.as_of
        # feed store.timezone_str, store.hours, store.specials, store.polls, store.as_of to the engine

`store.hours` rows are (day_of_week, start_s, end_s, effective_from: date | None),
`store.specials` rows (date, start_s | None, end_s | None).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_TIMEZONE = "America/Chicago"
US_PER_S = 1_000_000
HOUR_S = 3600
DAY_S = 24 * HOUR_S
WEEK_S = 7 * DAY_S
ONE_DAY = dt.timedelta(days=1)

Hours = tuple[tuple[int, int, int], ...]
# A weekly row (rule 5), optionally with its effective_from (rule 10): a date, an ISO string, or None / blank.
WeeklyRow = tuple[int, int, int] | tuple[int, int, int, dt.date | str | None]
# A special-hours row (rule 11): local date (or ISO string), start and end seconds; both None = closed.
SpecialRow = tuple[dt.date | str, int | None, int | None]
Interval = tuple[int, int]  # [start_us, end_us) in microseconds since the epoch, UTC


@dataclass(frozen=True)
class BruteValues:
    """The six report values of one store, unrounded: hour values in minutes, day and week in hours (rule 8).

    `open_*` are the open time in each window, computed exactly by merging
    intervals (same units), and `error_bound_*` the worst-case sampling error of
    the uptime and downtime of that window (same units; 0.0 = exact).
    """

    uptime_last_hour: float
    uptime_last_day: float
    uptime_last_week: float
    downtime_last_hour: float
    downtime_last_day: float
    downtime_last_week: float
    open_last_hour: float
    open_last_day: float
    open_last_week: float
    error_bound_hour: float
    error_bound_day: float
    error_bound_week: float

    def six(self) -> tuple[float, float, float, float, float, float]:
        """The six values in CSV order (rule 9)."""
        return (
            self.uptime_last_hour,
            self.uptime_last_day,
            self.uptime_last_week,
            self.downtime_last_hour,
            self.downtime_last_day,
            self.downtime_last_week,
        )


@dataclass(frozen=True)
class WindowResult:
    """Seconds of uptime, downtime and open time in one window, and the sampling error bound in seconds."""

    uptime_s: float
    downtime_s: float
    open_s: float
    error_bound_s: float


@dataclass(frozen=True)
class BruteIncident:
    """One incident of rule 12, as of T; instants in UTC microseconds since the epoch.

    `first_observed_us` / `last_observed_us` are the run's first and last
    inactive observations. `started_at_us` is None when no observation precedes
    the run, `ended_at_us` None while the incident is open (no active
    observation after it at or before T). `open_minutes` is the business hours
    inside [started_at, ended_at or T], in minutes; with no known start that is
    all open time since before all time, `math.inf`. `open_minutes_last_*` are
    the business hours inside the incident and that window (T - L, T], all in
    minutes (also for the day and the week), so for each window their sum over
    a store's incidents is its downtime.
    """

    first_observed_us: int
    last_observed_us: int
    started_at_us: int | None
    ended_at_us: int | None
    open_minutes: float
    open_minutes_last_hour: float
    open_minutes_last_day: float
    open_minutes_last_week: float

    @property
    def started_at(self) -> dt.datetime | None:
        """`started_at_us` as an aware UTC datetime (None: no known start)."""
        return None if self.started_at_us is None else from_us(self.started_at_us)

    @property
    def ended_at(self) -> dt.datetime | None:
        """`ended_at_us` as an aware UTC datetime (None: still open)."""
        return None if self.ended_at_us is None else from_us(self.ended_at_us)

    @property
    def is_open(self) -> bool:
        return self.ended_at_us is None


def to_us(instant: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime, exactly."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: polls and as_of must be timezone-aware")
    return (instant - EPOCH) // dt.timedelta(microseconds=1)


def from_us(instant_us: int) -> dt.datetime:
    """The aware UTC datetime of microseconds since the Unix epoch, exactly."""
    return EPOCH + dt.timedelta(microseconds=instant_us)


def midpoint_us(earlier_us: int, later_us: int) -> int:
    """The midpoint of two instants, floored to the microsecond as the engine does (rules 7 and 12)."""
    return earlier_us + (later_us - earlier_us) // 2


def resolve_timezone(timezone_str: str | None) -> ZoneInfo:
    """The store's zone under rule 4: the trimmed name if `ZoneInfo` loads it, else America/Chicago."""
    if timezone_str is None:
        return ZoneInfo(DEFAULT_TIMEZONE)
    name = timezone_str.strip()
    try:
        return ZoneInfo(name)
    except Exception:
        # "Valid" is defined as "ZoneInfo loads it"; it refuses bad names with
        # ValueError, ZoneInfoNotFoundError or OSError (a directory such as
        # "America"), and any refusal means the default.
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_wall_to_us(zone: ZoneInfo, date: dt.date, seconds_after_midnight: int) -> int:
    """UTC microseconds of a local wall time, resolved the way zoneinfo does with fold=0 (rule 5)."""
    wall = dt.datetime.combine(date, dt.time()) + dt.timedelta(seconds=seconds_after_midnight)
    return to_us(wall.replace(tzinfo=zone, fold=0))


def row_interval_us(zone: ZoneInfo, date: dt.date, start_s: int, end_s: int) -> Interval | None:
    """The UTC interval [start, end) a row of local date `date` opens (rule 5), or None when it is empty.

    start < end: within the date; start > end: past midnight into the next
    date; start = end: the whole local day. Empty when the converted end is not
    after the converted start (a row inside a spring-forward gap).
    """
    next_date = date + ONE_DAY
    if start_s < end_s:
        start = local_wall_to_us(zone, date, start_s)
        end = local_wall_to_us(zone, date, end_s)
    elif start_s > end_s:
        start = local_wall_to_us(zone, date, start_s)
        end = local_wall_to_us(zone, next_date, end_s)
    else:
        start = local_wall_to_us(zone, date, 0)
        end = local_wall_to_us(zone, next_date, 0)
    return (start, end) if end > start else None


def open_intervals_us(zone: ZoneInfo, hours: Hours, first_date: dt.date, last_date: dt.date) -> list[Interval]:
    """Non-empty UTC intervals [start, end) opened by rows of local dates first_date..last_date (rule 5).

    A single undated schedule, no special days. Not merged: overlapping rows
    stay overlapping, which is harmless for a membership test. Must not be
    called with no rows (that store is open 24x7).
    """
    intervals: list[Interval] = []
    date = first_date
    while date <= last_date:
        for day_of_week, start_s, end_s in hours:
            if day_of_week != date.weekday():
                continue
            interval = row_interval_us(zone, date, start_s, end_s)
            if interval is not None:
                intervals.append(interval)
        date += ONE_DAY
    return intervals


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, pairwise disjoint, non-touching intervals covering exactly the union of `intervals`."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def read_local_date(value: dt.date | str) -> dt.date:
    """A local calendar date given as a date or as a (trimmed) ISO YYYY-MM-DD string."""
    if isinstance(value, dt.datetime):
        raise TypeError(f"{value!r} is a datetime, not a local date")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value.strip())


def read_effective_from(value: dt.date | str | None) -> dt.date | None:
    """A row's effective_from under rule 10: None for the version since always (None or blank), else its date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return read_local_date(value)


@dataclass(frozen=True)
class Calendar:
    """A store's weekly schedule versions (rule 10) and special days (rule 11), as given.

    `versions` maps effective_from (None = since always) to that version's
    (day_of_week, start_s, end_s) rows; no versions at all means open 24x7.
    `specials` maps each local date with special rows to its timed
    (start_s, end_s) rows; a date whose rows are all closed maps to ().
    """

    versions: dict[dt.date | None, Hours]
    specials: dict[dt.date, tuple[tuple[int, int], ...]]

    @classmethod
    def from_rows(cls, hours: Iterable[WeeklyRow], specials: Iterable[SpecialRow] = ()) -> Calendar:
        """Group weekly rows into versions by effective_from and special rows by date (rules 10, 11).

        Raises ValueError for a special row with exactly one of its two times
        empty: loading rejects such rows, so they never reach a schedule.
        """
        versions: dict[dt.date | None, list[tuple[int, int, int]]] = {}
        for row in hours:
            day_of_week, start_s, end_s = row[0], row[1], row[2]
            effective_from = read_effective_from(row[3]) if len(row) > 3 else None
            versions.setdefault(effective_from, []).append((day_of_week, start_s, end_s))
        special_days: dict[dt.date, list[tuple[int, int]]] = {}
        for raw_date, special_start_s, special_end_s in specials:
            if (special_start_s is None) != (special_end_s is None):
                raise ValueError(f"special row {raw_date!r}: exactly one of start and end is empty (rule 11)")
            rows = special_days.setdefault(read_local_date(raw_date), [])
            if special_start_s is not None and special_end_s is not None:
                rows.append((special_start_s, special_end_s))
        return cls(
            versions={key: tuple(rows) for key, rows in versions.items()},
            specials={key: tuple(rows) for key, rows in special_days.items()},
        )

    def weekly_rows_for(self, date: dt.date) -> Hours | None:
        """The rows of the version whose periods start on local date `date` (rule 10); None if open 24x7.

        The version with the latest effective_from not after `date` (the
        undated one counts as since always); before every dated version with no
        undated one, the earliest version.
        """
        if not self.versions:
            return None
        dated = sorted(key for key in self.versions if key is not None)
        in_effect = [key for key in dated if key <= date]
        if in_effect:
            return self.versions[in_effect[-1]]
        if None in self.versions:
            return self.versions[None]
        return self.versions[dated[0]]

    def periods_starting_on(self, zone: ZoneInfo, date: dt.date) -> list[Interval]:
        """Non-empty UTC intervals of the periods that start on local date `date` (rules 5, 10, 11), unmerged."""
        if date in self.specials:
            rows = list(self.specials[date])
        else:
            weekly = self.weekly_rows_for(date)
            if weekly is None:
                # 24x7: the whole local day, which is what rule 5 makes of a start = end row.
                rows = [(0, 0)]
            else:
                rows = [(start_s, end_s) for day_of_week, start_s, end_s in weekly if day_of_week == date.weekday()]
        periods = []
        for start_s, end_s in rows:
            interval = row_interval_us(zone, date, start_s, end_s)
            if interval is not None:
                periods.append(interval)
        return periods


def local_date(zone: ZoneInfo, instant_us: int) -> dt.date:
    """The store's local calendar date at a UTC instant."""
    return from_us(instant_us).astimezone(zone).date()


class Store:
    """One store's open time and observations as of T, answering point questions by plain scanning.

    `hours` rows are (day_of_week, start_s, end_s) or, with rule 10's versions,
    (day_of_week, start_s, end_s, effective_from); `specials` are rule 11's
    (date, start_s, end_s) rows, both times None for a closed date.
    """

    def __init__(
        self,
        timezone_str: str | None,
        hours: Iterable[WeeklyRow],
        polls: Iterable[tuple[dt.datetime, bool]],
        as_of: dt.datetime,
        specials: Iterable[SpecialRow] = (),
    ) -> None:
        self.as_of_us = to_us(as_of)
        self.zone = resolve_timezone(timezone_str)
        self.hours = tuple(hours)
        self.calendar = Calendar.from_rows(self.hours, specials)
        polls_us = [(to_us(instant), bool(active)) for instant, active in polls]
        known = [(instant, active) for instant, active in polls_us if instant <= self.as_of_us]

        # Periods of every local date that can reach an instant we ask about: the
        # oldest known poll or the week window start, through T. A period of date
        # d reaches at most into d + 1, hence the days of margin on each side.
        earliest = min([self.as_of_us - WEEK_S * US_PER_S] + [instant for instant, _ in known])
        self.first_date = local_date(self.zone, earliest) - 2 * ONE_DAY
        self.last_date = local_date(self.zone, self.as_of_us) + 2 * ONE_DAY
        periods: list[Interval] = []
        date = self.first_date
        while date <= self.last_date:
            periods += self.calendar.periods_starting_on(self.zone, date)
            date += ONE_DAY
        # Merged, so that overlapping rows count once (rule 5) and only real
        # open/closed edges count as breakpoints of the sampler.
        self.intervals = merge_intervals(periods)

        # Rule 6 then rule 7: in-hours polls at or before T; one observation per
        # instant, active only if every poll at that instant says active.
        observations: dict[int, bool] = {}
        for instant, active in known:
            if self.is_open(instant):
                observations[instant] = observations.get(instant, True) and active
        self.observations = sorted(observations.items())

    def is_open(self, instant_us: float) -> bool:
        """Whether some business-hours period (rules 5, 10, 11) holds the instant."""
        for start, end in self.intervals:
            if start <= instant_us < end:
                return True
        return False

    def is_active(self, instant_us: float) -> bool:
        """Status of the nearest observation (ties, a measure-zero set, go to the earlier one)."""
        best_distance = None
        best_active = False  # no observation: inactive (rule 7)
        for observed, active in self.observations:
            distance = abs(instant_us - observed)
            if best_distance is None or distance < best_distance:
                best_distance = distance
                best_active = active
        return best_active

    def open_seconds_exact(self, window_start_us: float, window_end_us: float) -> float:
        """Open time in [start, end) in seconds, by clipping the merged intervals (independent of sampling).

        A start before the dates this store was built for (such as -inf, an
        incident with no known start) gives `math.inf`.
        """
        if window_start_us < local_wall_to_us(self.zone, self.first_date, 0):
            # Every store is open some time in every week or so (rule 10 always
            # finds a version, rule 5 a 24x7 day), so all time before
            # first_date holds unboundedly much open time.
            return math.inf
        total: float = 0
        for start, end in self.intervals:
            clipped_start, clipped_end = max(start, window_start_us), min(end, window_end_us)
            if clipped_end > clipped_start:
                total += clipped_end - clipped_start
        return total / US_PER_S

    def breakpoints_doubled(self) -> list[int]:
        """Every instant where open or status may change, times two (midpoints can fall on half microseconds)."""
        doubled = []
        for start, end in self.intervals:
            doubled += [2 * start, 2 * end]
        for (earlier, _), (later, _) in zip(self.observations, self.observations[1:], strict=False):
            doubled.append(earlier + later)
        return doubled

    def window(self, length_s: int, step_s: float) -> WindowResult:
        """Uptime, downtime and open time in (T - length, T], sampling at the centre of each step."""
        step_us = round(step_s * US_PER_S)
        if step_us <= 0 or step_us % 2 or (length_s * US_PER_S) % step_us:
            raise ValueError(f"step {step_s} s must be an even number of microseconds dividing {length_s} s")
        window_start_us = self.as_of_us - length_s * US_PER_S
        uptime_us = downtime_us = 0
        for cell in range(length_s * US_PER_S // step_us):
            centre = self.as_of_us - cell * step_us - step_us // 2
            if not self.is_open(centre):
                continue
            if self.is_active(centre):
                uptime_us += step_us
            else:
                downtime_us += step_us

        off_grid = 0
        for doubled in self.breakpoints_doubled():
            inside = 2 * window_start_us < doubled < 2 * self.as_of_us
            if inside and (2 * self.as_of_us - doubled) % (2 * step_us) != 0:
                off_grid += 1
        return WindowResult(
            uptime_s=uptime_us / US_PER_S,
            downtime_s=downtime_us / US_PER_S,
            open_s=self.open_seconds_exact(window_start_us, self.as_of_us),
            error_bound_s=off_grid * step_s / 2,
        )

    def incidents(self) -> list[BruteIncident]:
        """Rule 12's incidents as of T, oldest first: maximal runs of consecutive inactive observations."""
        incidents = []
        observations = self.observations
        index = 0
        while index < len(observations):
            if observations[index][1]:
                index += 1
                continue
            run_first = index
            while index < len(observations) and not observations[index][1]:
                index += 1
            # observations[index] (if any) is the next active observation: the run is maximal.
            first_us, last_us = observations[run_first][0], observations[index - 1][0]
            started = midpoint_us(observations[run_first - 1][0], first_us) if run_first > 0 else None
            ended = midpoint_us(last_us, observations[index][0]) if index < len(observations) else None
            incidents.append(self.incident(first_us, last_us, started, ended))
        return incidents

    def incident(self, first_us: int, last_us: int, started: int | None, ended: int | None) -> BruteIncident:
        """An incident spanning [started or -inf, ended or T), with its open minutes overall and per window."""
        span_start = -math.inf if started is None else started
        span_end = self.as_of_us if ended is None else ended

        def open_minutes_in_last(length_s: int) -> float:
            start = max(span_start, self.as_of_us - length_s * US_PER_S)
            end = min(span_end, self.as_of_us)
            return self.open_seconds_exact(start, end) / 60 if end > start else 0.0

        return BruteIncident(
            first_observed_us=first_us,
            last_observed_us=last_us,
            started_at_us=started,
            ended_at_us=ended,
            open_minutes=self.open_seconds_exact(span_start, span_end) / 60,
            open_minutes_last_hour=open_minutes_in_last(HOUR_S),
            open_minutes_last_day=open_minutes_in_last(DAY_S),
            open_minutes_last_week=open_minutes_in_last(WEEK_S),
        )


def brute_store_values(
    timezone_str: str | None,
    hours: Iterable[WeeklyRow],
    polls: Iterable[tuple[dt.datetime, bool]],
    *,
    as_of: dt.datetime,
    step_seconds: float = 1.0,
    specials: Iterable[SpecialRow] = (),
) -> BruteValues:
    """The six values of one store as of T, unrounded, per docs/numbers.md rules 3-8, 10 and 11.

    `hours` rows are (day_of_week 0=Monday, start_seconds, end_seconds) in local
    wall time, optionally with a fourth element effective_from (rule 10); no
    rows means open 24x7. `specials` rows are (local date, start_seconds,
    end_seconds), both None = closed (rule 11). `polls` are (aware datetime,
    active) in any order. Hour values in minutes, day and week in hours. See the
    module docstring for the sampling step and its error bound.
    """
    store = Store(timezone_str, hours, polls, as_of, specials)
    hour = store.window(HOUR_S, step_seconds)
    day = store.window(DAY_S, step_seconds)
    week = store.window(WEEK_S, step_seconds)
    return BruteValues(
        uptime_last_hour=hour.uptime_s / 60,
        uptime_last_day=day.uptime_s / 3600,
        uptime_last_week=week.uptime_s / 3600,
        downtime_last_hour=hour.downtime_s / 60,
        downtime_last_day=day.downtime_s / 3600,
        downtime_last_week=week.downtime_s / 3600,
        open_last_hour=hour.open_s / 60,
        open_last_day=day.open_s / 3600,
        open_last_week=week.open_s / 3600,
        error_bound_hour=hour.error_bound_s / 60,
        error_bound_day=day.error_bound_s / 3600,
        error_bound_week=week.error_bound_s / 3600,
    )


def brute_last_hour(
    timezone_str: str | None,
    hours: Iterable[WeeklyRow],
    polls: Iterable[tuple[dt.datetime, bool]],
    *,
    as_of: dt.datetime,
    step_seconds: float = 0.5,
    specials: Iterable[SpecialRow] = (),
) -> tuple[float, float, float, float]:
    """(uptime, downtime, open time, error bound) of the last hour in minutes, for fine-grained inputs."""
    result = Store(timezone_str, hours, polls, as_of, specials).window(HOUR_S, step_seconds)
    return result.uptime_s / 60, result.downtime_s / 60, result.open_s / 60, result.error_bound_s / 60


def brute_incidents(
    timezone_str: str | None,
    hours: Iterable[WeeklyRow],
    polls: Iterable[tuple[dt.datetime, bool]],
    *,
    as_of: dt.datetime,
    specials: Iterable[SpecialRow] = (),
) -> list[BruteIncident]:
    """The store's incidents as of T (rule 12), oldest first, from its polls at or before T.

    Arguments as for `brute_store_values`. Exact: no sampling is involved.
    """
    return Store(timezone_str, hours, polls, as_of, specials).incidents()


# --- Generated stores with versions and special days (rules 10 to 12) -------------------------

# Zones whose offset changes in awkward ways, plus names that stand for Chicago (rule 4).
CALENDAR_ZONES: tuple[str | None, ...] = (
    "America/New_York",  # 02:00 -> 03:00 and 02:00 -> 01:00
    "Europe/London",  # 01:00 -> 02:00 and 02:00 -> 01:00
    "America/Santiago",  # changes at local midnight: 24:00 -> 23:00 and 00:00 -> 01:00
    "Australia/Lord_Howe",  # DST of 30 minutes
    "Pacific/Chatham",  # UTC+12:45 / +13:45
    "Asia/Kolkata",  # UTC+05:30, no DST
    "America/Chicago",
    None,
    "Not/AZone",
)
# Local wall times (minutes after midnight) at or near which some zone above changes its offset.
AWKWARD_WALL_MINUTES = (0, 30, 60, 90, 120, 135, 150, 165, 180, 210, 225, 1380, 1410, 1439)
QUIET_AS_OF = (dt.datetime(2023, 1, 23, 17, 0, tzinfo=UTC), dt.datetime(2024, 6, 15, 12, 0, tzinfo=UTC))
EDGE_OFFSETS_MINUTES = (0, 1, -1, -60, -61, -1440, -1441, -10080, -10081, -10079, 5)


@functools.cache
def zone_changes(timezone_str: str | None, year: int = 2024) -> tuple[dt.datetime, ...]:
    """UTC instants (whole minutes) in `year` at which the store's zone (rule 4) changes its UTC offset."""
    zone = resolve_timezone(timezone_str)
    changes = []
    day = dt.datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        after = day + ONE_DAY
        if day.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            # Bisect on whole minutes for the first instant with the new offset.
            before = day.astimezone(zone).utcoffset()
            low, high = 0, 24 * 60
            while high - low > 1:
                middle = (low + high) // 2
                if (day + dt.timedelta(minutes=middle)).astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            changes.append(day + dt.timedelta(minutes=high))
        day = after
    return tuple(changes)


@dataclass(frozen=True)
class CalendarStore:
    """One generated store as of T, everything on whole minutes (a 30 s brute-force step is exact).

    `hours` rows are (day_of_week, start_s, end_s, effective_from: date | None)
    (rule 10), `specials` rows (local date, start_s | None, end_s | None)
    (rule 11), `polls` (aware UTC datetime, active) in no particular order,
    some after T, some duplicated or conflicting.
    """

    timezone_str: str | None
    hours: tuple[tuple[int, int, int, dt.date | None], ...]
    specials: tuple[tuple[dt.date, int | None, int | None], ...]
    polls: tuple[tuple[dt.datetime, bool], ...]
    as_of: dt.datetime

    def values(self, step_seconds: float = 30.0) -> BruteValues:
        """`brute_store_values` of this store (exact with the default step)."""
        return brute_store_values(
            self.timezone_str,
            self.hours,
            self.polls,
            as_of=self.as_of,
            step_seconds=step_seconds,
            specials=self.specials,
        )

    def incidents(self) -> list[BruteIncident]:
        """`brute_incidents` of this store as of T."""
        return brute_incidents(self.timezone_str, self.hours, self.polls, as_of=self.as_of, specials=self.specials)


@st.composite
def calendar_stores(draw: st.DrawFn) -> CalendarStore:
    """A hypothesis strategy of `CalendarStore`s: versions, special days and polls around a T near a DST change.

    T lies from 3 days before to 9 after one of the zone's offset changes (or a
    quiet instant), so the week window often holds it. Versions are dated
    within about ten days of T's local date, some after T, sometimes sharing a
    date; sometimes there is no undated version, or no weekly rows at all
    (24x7). Special dates cluster in the same days and on the change dates;
    some are closed, some have several rows, some a closed row beside timed
    ones. Wall times favour the minutes where zones change offset.
    """
    timezone_str = draw(st.sampled_from(CALENDAR_ZONES))
    zone = resolve_timezone(timezone_str)
    anchor = draw(st.sampled_from(zone_changes(timezone_str) + QUIET_AS_OF))
    as_of = anchor + dt.timedelta(minutes=draw(st.integers(-3 * 1440, 9 * 1440)))
    as_of_date = as_of.astimezone(zone).date()
    change_dates = sorted(
        {change.astimezone(zone).date() + shift * ONE_DAY for change in zone_changes(timezone_str) for shift in (-1, 0)}
    )
    # A zone without changes (Kolkata) draws only dates near T.
    dates = st.one_of(
        st.integers(-10, 3).map(lambda days: as_of_date + days * ONE_DAY),
        st.sampled_from(change_dates or [as_of_date]),
    )
    wall_seconds = st.one_of(st.integers(0, 1439), st.sampled_from(AWKWARD_WALL_MINUTES)).map(lambda m: m * 60)

    def times() -> tuple[int, int]:
        start = draw(wall_seconds)
        return start, draw(st.one_of(st.just(start), wall_seconds))

    hours: list[tuple[int, int, int, dt.date | None]] = []
    effective_froms = draw(st.lists(st.one_of(st.none(), dates), min_size=0, max_size=3))
    for effective_from in effective_froms:
        for _ in range(draw(st.integers(1, 6))):
            start_s, end_s = times()
            hours.append((draw(st.integers(0, 6)), start_s, end_s, effective_from))

    specials: list[tuple[dt.date, int | None, int | None]] = []
    for _ in range(draw(st.integers(0, 5))):
        date = draw(dates)
        if draw(st.booleans()):
            specials.append((date, None, None))
        else:
            specials.append((date, *times()))

    offsets = st.one_of(
        st.sampled_from(EDGE_OFFSETS_MINUTES),
        st.integers(-2 * 1440, 60),
        st.integers(-9 * 1440 - 120, 1440),
        st.integers(-14 * 1440, -8 * 1440),
    )
    polls = [
        (as_of + dt.timedelta(minutes=draw(offsets)), draw(st.booleans())) for _ in range(draw(st.integers(0, 30)))
    ]
    if polls:
        for index, flip in draw(st.lists(st.tuples(st.integers(0, len(polls) - 1), st.booleans()), max_size=4)):
            instant, active = polls[index]
            polls.append((instant, active != flip))
    return CalendarStore(
        timezone_str=timezone_str,
        hours=tuple(draw(st.permutations(hours))),
        specials=tuple(draw(st.permutations(specials))),
        polls=tuple(draw(st.permutations(polls))),
        as_of=as_of,
    )
