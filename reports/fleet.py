"""What the report engine reads and returns: its input and output types, units and constants.

Pure data: the standard library and numpy, never Django and never the engine
itself, so a reader of polls (reports/selectors.py) or of one store
(stores/selectors.py) imports these types without importing the arithmetic.
Rule numbers refer to docs/numbers.md.

All instants are integer microseconds since the Unix epoch (UTC); `to_us` and
`from_us` convert aware datetimes. Values are microseconds inside the engine and
minutes (the hour windows) or hours (the day and week windows) in a result (rule 8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US
WEEK_US = 7 * DAY_US
# The report's windows (rule 3), (T - length, T], in column order.
WINDOWS_US = (HOUR_US, DAY_US, WEEK_US)
# The bulk read: polls in [T - LOOKBACK_US, T]. One day more than the week, so
# that almost every store's observation before the week is in the bulk read.
LOOKBACK_US = WEEK_US + DAY_US
# `History.latest_before` for a store without any earlier poll.
NO_POLL = int(np.iinfo(np.int64).max)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)

CSV_COLUMNS = (
    "store_id",
    "uptime_last_hour(in minutes)",
    "uptime_last_day(in hours)",
    "uptime_last_week(in hours)",
    "downtime_last_hour(in minutes)",
    "downtime_last_day(in hours)",
    "downtime_last_week(in hours)",
)
CSV_HEADER = ",".join(CSV_COLUMNS)
# Microseconds per unit of each value column (rule 8): minutes for the hour, hours for the day and week.
COLUMN_UNITS_US = (60 * US, 3600 * US, 3600 * US) * 2


# --- Inputs -------------------------------------------------------------------


# A weekly row (rule 5): (day_of_week 0=Monday..6=Sunday, start, end) in seconds after local
# midnight (0..86399), optionally with a fourth element, its version's effective_from (rule 10):
# a local date as days since 1970-01-01 (`local_day`), or None for the version since always.
WeeklyRow = tuple[int, int, int] | tuple[int, int, int, int | None]
# A special-hours row (rule 11): (local date as days since 1970-01-01, start, end) in seconds
# after local midnight; start and end both None = closed that date.
SpecialRow = tuple[int, int | None, int | None]

# Where the periods starting on a local date come from (rules 10, 11): `DaySchedule.source`.
WEEKLY, SPECIAL, ALWAYS_OPEN = "weekly", "special", "24x7"
DAY_SOURCES = (WEEKLY, SPECIAL, ALWAYS_OPEN)


@dataclass(frozen=True)
class Schedule:
    """A store's timezone, weekly business hours and special days, as given.

    `hours` rows are `WeeklyRow`s; rows with the same effective_from are one
    version (rule 10), a row without one (3 elements, or None) belongs to the
    version since always. No weekly rows in any version: open 24x7 on every
    date without special rows (rule 5). `special` rows are `SpecialRow`s; the
    rows of a date replace its weekly periods (rule 11).
    """

    timezone_str: str | None
    hours: tuple[WeeklyRow, ...] = ()
    special: tuple[SpecialRow, ...] = ()


@dataclass
class Polls:
    """Polls as parallel arrays, in any order: store index, instant (us UTC), active."""

    store: Int64Array
    ts_us: Int64Array
    active: BoolArray

    def __init__(self, store: npt.ArrayLike, ts_us: npt.ArrayLike, active: npt.ArrayLike) -> None:
        self.store = np.asarray(store, dtype=np.int64)
        self.ts_us = np.asarray(ts_us, dtype=np.int64)
        self.active = np.asarray(active, dtype=bool)

    def __len__(self) -> int:
        return len(self.ts_us)

    def take(self, index: npt.NDArray[np.integer] | BoolArray) -> Polls:
        """The polls at `index` (integer positions or a boolean mask), in that order."""
        return Polls(self.store[index], self.ts_us[index], self.active[index])

    @classmethod
    def empty(cls) -> Polls:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, bool))


class PendingPolls(Polls):
    """Polls still being read elsewhere (reports/selectors.py reads them in a thread): `resolve()`
    is called on the first look at `store`, `ts_us` or `active` and waits for them."""

    def __init__(self, resolve: Callable[[], Polls]) -> None:  # the arrays are not set here
        self._resolve = resolve

    def __getattr__(self, name: str) -> np.ndarray:
        # Called only for attributes not set yet: the three arrays before the first look.
        if name not in ("store", "ts_us", "active"):
            raise AttributeError(name)
        polls = self.__dict__["_resolve"]()
        self.store, self.ts_us, self.active = polls.store, polls.ts_us, polls.active
        array: np.ndarray = getattr(polls, name)
        return array


class History(Protocol):
    """Where the engine finds polls older than the bulk read (reports/engine.py, module doc)."""

    def latest_before(self, stores: Int64Array, before_us: Int64Array) -> Int64Array:
        """For each store index, its latest poll earlier than its `before_us` (us), or NO_POLL."""
        ...

    def polls_between(self, stores: Int64Array, start_us: int, end_us: int) -> Polls:
        """The polls of these stores with start_us <= ts < end_us, any order."""
        ...


class ArrayHistory:
    """History over polls held in memory (tests, small inputs, a fleet without a database)."""

    def __init__(self, polls: Polls):
        self.polls = polls

    def latest_before(self, stores: Int64Array, before_us: Int64Array) -> Int64Array:
        never = np.iinfo(np.int64).min
        size = max(int(stores.max(initial=-1)), int(self.polls.store.max(initial=-1))) + 1
        cutoff = np.full(size, never, np.int64)
        cutoff[stores] = before_us
        earlier = self.polls.ts_us < cutoff[self.polls.store]
        latest = np.full(size, never, np.int64)
        np.maximum.at(latest, self.polls.store[earlier], self.polls.ts_us[earlier])
        latest = latest[stores]
        return np.where(latest == never, NO_POLL, latest)

    def polls_between(self, stores: Int64Array, start_us: int, end_us: int) -> Polls:
        member = np.isin(self.polls.store, stores)
        return self.polls.take(member & (self.polls.ts_us >= start_us) & (self.polls.ts_us < end_us))


class OlderSpecials(Protocol):
    """Where the engine finds special rows (rule 11) older than those the schedules hold.

    The schedules hold every special row dated `from_day` or later (local dates
    as days since 1970-01-01); the engine asks for older ones when the report's
    own dates reach before `from_day`, and the search for older observations
    (engine module doc) for the few stores and dates it reads.
    """

    @property
    def from_day(self) -> int: ...

    def special_rows(self, stores: Int64Array, first_day: int, last_day: int) -> list[tuple[int, SpecialRow]]:
        """(store index, row) of the special rows of these stores dated first_day..last_day (inclusive)."""
        ...


class ArraySpecials:
    """`OlderSpecials` over schedules held in memory: their rows dated before `from_day`.

    `ArraySpecials.split(schedules, from_day)` gives the schedules without
    those rows and this object, as a reader of the database would.
    """

    def __init__(self, rows: Sequence[tuple[int, SpecialRow]], from_day: int) -> None:
        self.rows = list(rows)
        self._from_day = from_day

    @property
    def from_day(self) -> int:
        return self._from_day

    def special_rows(self, stores: Int64Array, first_day: int, last_day: int) -> list[tuple[int, SpecialRow]]:
        wanted = set(stores.tolist())
        return [(i, row) for i, row in self.rows if i in wanted and first_day <= row[0] <= last_day]

    @classmethod
    def split(cls, schedules: Sequence[Schedule], from_day: int) -> tuple[list[Schedule], ArraySpecials]:
        """The schedules with only their special rows dated from_day or later, and the older rows."""
        recent = [replace(s, special=tuple(r for r in s.special if r[0] >= from_day)) for s in schedules]
        older = [(i, r) for i, s in enumerate(schedules) for r in s.special if r[0] < from_day]
        return recent, cls(older, from_day)


@dataclass
class FleetInput:
    """Everything a report reads: stores, their schedules and polls.

    `polls` must hold every poll of these stores in poll_range(as_of); more is
    fine. Older polls come from `history`; without one, `polls` is taken to
    be everything known (tests, small inputs). Likewise the schedules' special
    rows older than `older_specials.from_day` come from `older_specials`;
    without one, the schedules hold them all.
    """

    store_ids: Sequence[str]
    schedules: Sequence[Schedule]
    polls: Polls
    history: History | None = None
    older_specials: OlderSpecials | None = None


# --- Outputs ------------------------------------------------------------------


# `FleetStatus` for a store without any observation, and for a status held since -inf.
NO_OBSERVATION = int(np.iinfo(np.int64).min)


@dataclass
class FleetStatus:
    """Per store (input order), its status at T by rule 7: that of its latest observation.

    `last_us`: the instant of the store's latest observation at or before T (us UTC),
    NO_OBSERVATION for a store without any (inactive throughout, rule 7: no heartbeat);
    `last_active`: its status (False without one); `since_us`: where that status began,
    the switch (the engine's midpoint, rule 7) from the latest observation of the other
    status, NO_OBSERVATION when every observation read has this status (the first holds
    from -inf, so the status held all week).
    """

    last_us: Int64Array
    last_active: BoolArray
    since_us: Int64Array


@dataclass
class FleetResult:
    """Per store (input order), the six values in CSV column order, unrounded.

    `values` is an (n, 6) float array: uptime hour (minutes), day (hours), week
    (hours), then downtime in the same units (rule 8). `observations` counts the
    observations used (rule 6), `polls_read` the polls of the input. `status`: each
    store's status at T, when asked for (`engine.compute_fleet(status=True)`).
    """

    store_ids: Sequence[str]
    values: FloatArray
    observations: int = 0
    polls_read: int = 0
    status: FleetStatus | None = None


@dataclass(frozen=True)
class StoreValues:
    """One store's row: hour values in minutes, day and week values in hours (rule 8)."""

    uptime_last_hour: float
    uptime_last_day: float
    uptime_last_week: float
    downtime_last_hour: float
    downtime_last_day: float
    downtime_last_week: float

    def rounded(self) -> StoreValues:
        """The values as written to the CSV: Python's round(x, 2) (rule 8)."""
        return StoreValues(*(round(getattr(self, f.name), 2) for f in fields(self)))


@dataclass(frozen=True)
class DaySchedule:
    """Which rows made the periods that start on one local date (rules 5, 10, 11).

    `source` is WEEKLY (a version of the weekly rows; `effective_from` is its
    date, None for the version since always), SPECIAL (the date's special
    rows) or ALWAYS_OPEN (no weekly rows in any version: the whole local day).
    `closed` is true when those rows give the date no row with times: a
    special date with only closed rows, or a weekday without a row in the
    version. (A period that started the day before may still run into it.)
    """

    date: dt.date
    source: str
    effective_from: dt.date | None
    closed: bool


@dataclass(frozen=True)
class StoreExplanation:
    """How one store's row of a report as of T = `as_of_us` comes about (engine steps 1-4).

    All instants are integer microseconds UTC, each array sorted ascending:
    - `span_start_us`/`span_end_us`: the merged open spans [start, end) (rules 5, 10, 11),
      clipped to the report's range [T - 8 days, T + 1 us);
    - `observed_us`/`observed_active`: the observations (rules 6, 7), one per
      instant, first the latest older one from the history if the engine needed it;
    - `switch_us`: where the status passes from observation i to i + 1, the
      engine's integer midpoints (rule 7); one fewer than the observations;
    - `poll_us`/`poll_active`: the store's polls in [T - 8 days, T] as read, open or not.
    `values` is the store's row of the report, unrounded; `timezone` the zone its
    hours are read in (rule 4); `days` the rows behind each local date the week
    (T - 7 days, T] touches, oldest first.
    """

    store_id: str
    timezone: str
    as_of_us: int
    span_start_us: Int64Array
    span_end_us: Int64Array
    observed_us: Int64Array
    observed_active: BoolArray
    switch_us: Int64Array
    poll_us: Int64Array
    poll_active: BoolArray
    values: StoreValues
    days: tuple[DaySchedule, ...] = ()


def poll_range(as_of_us: int) -> tuple[int, int]:
    """The instants [lo, hi] (inclusive, us) whose polls a report as of `as_of_us` reads in bulk."""
    return as_of_us - LOOKBACK_US, as_of_us


def to_us(instant: dt.datetime) -> int:
    """An aware datetime as integer microseconds since the Unix epoch."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: instants must be timezone-aware")
    return (instant - _EPOCH) // dt.timedelta(microseconds=1)


def from_us(us: int) -> dt.datetime:
    """Integer microseconds since the Unix epoch as an aware UTC datetime."""
    return _EPOCH + dt.timedelta(microseconds=int(us))


def local_day(date: dt.date) -> int:
    """A local calendar date as days since 1970-01-01 (how `Schedule` rows carry dates)."""
    return (date - _EPOCH_DATE).days


def day_date(day: int) -> dt.date:
    """Days since 1970-01-01 as a calendar date (the inverse of `local_day`)."""
    return _EPOCH_DATE + dt.timedelta(days=int(day))
