"""A slow, obviously correct reference for SEMANTICS.md, one store at a time.

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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_TIMEZONE = "America/Chicago"
US_PER_S = 1_000_000
HOUR_S = 3600
DAY_S = 24 * HOUR_S
WEEK_S = 7 * DAY_S

Hours = tuple[tuple[int, int, int], ...]
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


def to_us(instant: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime, exactly."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: polls and as_of must be timezone-aware")
    return (instant - EPOCH) // dt.timedelta(microseconds=1)


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


def open_intervals_us(zone: ZoneInfo, hours: Hours, first_date: dt.date, last_date: dt.date) -> list[Interval]:
    """Non-empty UTC intervals [start, end) opened by rows of local dates first_date..last_date (rule 5).

    Not merged: overlapping rows stay overlapping, which is harmless for a
    membership test. Must not be called with no rows (that store is open 24x7).
    """
    intervals: list[Interval] = []
    date = first_date
    while date <= last_date:
        next_date = date + dt.timedelta(days=1)
        for day_of_week, start_s, end_s in hours:
            if day_of_week != date.weekday():
                continue
            if start_s < end_s:
                start = local_wall_to_us(zone, date, start_s)
                end = local_wall_to_us(zone, date, end_s)
            elif start_s > end_s:
                start = local_wall_to_us(zone, date, start_s)
                end = local_wall_to_us(zone, next_date, end_s)
            else:
                start = local_wall_to_us(zone, date, 0)
                end = local_wall_to_us(zone, next_date, 0)
            if end > start:
                intervals.append((start, end))
        date = next_date
    return intervals


def local_date(zone: ZoneInfo, instant_us: int) -> dt.date:
    return (EPOCH + dt.timedelta(microseconds=instant_us)).astimezone(zone).date()


class Store:
    """One store's open time and observations as of T, answering point questions by plain scanning."""

    def __init__(
        self, timezone_str: str | None, hours: Hours, polls: Iterable[tuple[dt.datetime, bool]], as_of: dt.datetime
    ):
        self.as_of_us = to_us(as_of)
        self.zone = resolve_timezone(timezone_str)
        self.hours = tuple(hours)
        polls_us = [(to_us(instant), bool(active)) for instant, active in polls]
        known = [(instant, active) for instant, active in polls_us if instant <= self.as_of_us]

        # Rows of every local date that can reach an instant we ask about: the
        # oldest known poll or the week window start, through T. A row of date d
        # reaches at most into d + 1, hence the day of margin on each side.
        earliest = min([self.as_of_us - WEEK_S * US_PER_S] + [instant for instant, _ in known])
        self.first_date = local_date(self.zone, earliest) - dt.timedelta(days=2)
        self.last_date = local_date(self.zone, self.as_of_us) + dt.timedelta(days=2)
        self.always_open = len(self.hours) == 0
        self.intervals = (
            [] if self.always_open else open_intervals_us(self.zone, self.hours, self.first_date, self.last_date)
        )

        # Rule 6 then rule 7: in-hours polls at or before T; one observation per
        # instant, active only if every poll at that instant says active.
        observations: dict[int, bool] = {}
        for instant, active in known:
            if self.is_open(instant):
                observations[instant] = observations.get(instant, True) and active
        self.observations = sorted(observations.items())

    def is_open(self, instant_us: int) -> bool:
        if self.always_open:
            return True
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

    def open_seconds_exact(self, window_start_us: int, window_end_us: int) -> float:
        """Open time in [start, end) in seconds, by merging the intervals (independent of sampling)."""
        if self.always_open:
            return (window_end_us - window_start_us) / US_PER_S
        clipped = []
        for start, end in self.intervals:
            start, end = max(start, window_start_us), min(end, window_end_us)
            if end > start:
                clipped.append((start, end))
        clipped.sort()
        total = 0
        current_start = current_end = None
        for start, end in clipped:
            if current_end is None or start > current_end:
                if current_end is not None:
                    total += current_end - current_start
                current_start, current_end = start, end
            else:
                current_end = max(current_end, end)
        if current_end is not None:
            total += current_end - current_start
        return total / US_PER_S

    def breakpoints_doubled(self) -> list[int]:
        """Every instant where open or status may change, times two (midpoints can fall on half microseconds)."""
        doubled = []
        for start, end in self.intervals:
            doubled += [2 * start, 2 * end]
        for (earlier, _), (later, _) in zip(self.observations, self.observations[1:]):
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


def brute_store_values(
    timezone_str: str | None,
    hours: Hours,
    polls: Iterable[tuple[dt.datetime, bool]],
    *,
    as_of: dt.datetime,
    step_seconds: float = 1.0,
) -> BruteValues:
    """The six values of one store as of T, unrounded, per SEMANTICS.md rules 3-8.

    `hours` rows are (day_of_week 0=Monday, start_seconds, end_seconds) in local
    wall time; no rows means open 24x7. `polls` are (aware datetime, active) in
    any order. Hour values in minutes, day and week in hours. See the module
    docstring for the sampling step and its error bound.
    """
    store = Store(timezone_str, hours, polls, as_of)
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
    hours: Hours,
    polls: Iterable[tuple[dt.datetime, bool]],
    *,
    as_of: dt.datetime,
    step_seconds: float = 0.5,
) -> tuple[float, float, float, float]:
    """(uptime, downtime, open time, error bound) of the last hour in minutes, for fine-grained inputs."""
    result = Store(timezone_str, hours, polls, as_of).window(HOUR_S, step_seconds)
    return result.uptime_s / 60, result.downtime_s / 60, result.open_s / 60, result.error_bound_s / 60
