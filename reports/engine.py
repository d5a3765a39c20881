"""The report engine: polls + business hours + timezones -> six numbers per store.

Pure arithmetic: the standard library and numpy, never Django, the clock or
the database. `as_of` is always an argument. Every rule number below refers
to docs/numbers.md, the contract this module implements.

How it works, for a reader checking it against the contract
-----------------------------------------------------------
All instants are integer microseconds since the Unix epoch (UTC), so no
floating point error creeps into interval arithmetic; values are converted
to minutes / hours only at the end.

1. *Open spans* (rules 5, 10, 11). For every local calendar date D that can
   touch the report's range, the rows whose periods start on D are chosen:
   D's special rows if the store has any for D (a closed row adds nothing);
   else the rows of D's weekday in the version in effect on D (the latest
   effective_from not after D, the undated version counting as since always,
   the earliest version before every dated one); else, for a store with no
   weekly rows at all, the whole local day. All of it is array lookups over
   (store, date) keys, one pass per date of the range, never a loop per store.
   Each chosen row becomes a wall-clock interval: [date+start, date+end) if
   start < end, [date+start, next date+end) if start > end, the whole local
   day if start = end. Wall times
   are turned into UTC the way `zoneinfo` does with fold=0: the offset in
   force just *before* a transition applies to every wall time up to the
   later of the two wall clock readings of that transition (so a wall time in
   a spring-forward gap or in a fall-back overlap uses the earlier offset).
   Intervals whose converted end is not after their start are dropped, and
   the rest are merged per store (a sweep over +1/-1 events), so overlapping
   rows never count twice; a period of D - 1 running past midnight thus runs
   whole into D whatever D's rows are. A store with no weekly rows and no
   special date near the range is open all the time (one span, no dates).
   Timezones that `zoneinfo` cannot load fall back to America/Chicago (rule 4).

2. *Observations* (rules 6, 7). A poll is an observation when it lies inside
   an open span and at or before T. Polls of one store at one instant are one
   observation, inactive unless all of them are active.

3. *Status between observations* (rule 7). Observation i holds from the
   midpoint with its predecessor to the midpoint with its successor; the first
   holds from -inf, the last until +inf. A store with no observation is
   inactive throughout.

4. *Values* (rules 3, 8). With G(x) = the store's open time before x, the
   uptime of a window (T - L, T] is the sum over active observations of
   G(min(segment end, T)) - G(max(segment start, T - L)), when positive; the
   downtime is the window's open time minus that. G is a prefix sum over the
   merged spans, evaluated for every store at once with one `searchsorted`
   over keys `store * R + (t - lo)`, which keep each store's instants in a
   private, ordered key range.

Only polls in [T - 8 days, T] are needed in bulk. The status at the start of
the week can depend on an older observation only for stores that have none
in [T - 8 days, T - 7 days]; for those few stores the engine asks a `History`
for older polls: it jumps to each store's latest earlier poll and looks at a
window before it, widening it each round, until it finds the store's latest
observation or runs out of polls. Those older ranges get their open spans from
step 1 like the report's range, so their dates follow their own versions and
special days. The work follows the polls, never the length of a gap without
any (a report as of today over polls from years ago is as cheap as any other).
`explain(i)` also says which rows made each local date of the week (rules 10,
11), from the same lookups as step 1.

Entry points: `PreparedFleet(fleet, as_of_us=T)` does steps 1-3 for every
store at once; its `values()` is step 4 for every store (what `compute_fleet`
returns), its `explain(i)` one store's spans, observations and switch points
with its row, which reports/timeline.py cuts into segments (its tests require
the segments to add up to the row exactly). `offset_changes` gives
reports/svg.py the UTC offset changes step 1 reads wall times with. The input
and output types live in reports/fleet.py.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import io
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TextIO
from zoneinfo import ZoneInfo

import numpy as np

from reports.fleet import (
    ALWAYS_OPEN,
    COLUMN_UNITS_US,
    CSV_COLUMNS,
    DAY_US,
    NO_OBSERVATION,
    NO_POLL,
    SPECIAL,
    US,
    WEEK_US,
    WEEKLY,
    WINDOWS_US,
    ArrayHistory,
    BoolArray,
    DaySchedule,
    FleetInput,
    FleetResult,
    FleetStatus,
    FloatArray,
    History,
    Int64Array,
    OlderSpecials,
    Polls,
    Schedule,
    SpecialRow,
    StoreExplanation,
    StoreValues,
    day_date,
    from_us,
    local_day,
    poll_range,
    to_us,
)
from stores.schedule import resolve_timezone

_UNITS = np.array(COLUMN_UNITS_US, dtype=np.float64)


@functools.lru_cache(maxsize=1)
def tz_database_version() -> str:
    """The version of the IANA tz database `zoneinfo` reads (e.g. "2025b"), or "" if unknown.

    zoneinfo prefers the system's zone files (zoneinfo.TZPATH) and falls back to
    the `tzdata` package; the version is read from the same place.
    """
    import zoneinfo

    for root in zoneinfo.TZPATH:
        try:
            with open(f"{root}/tzdata.zi", encoding="utf-8") as fh:
                first = fh.readline()
        except OSError:
            continue
        if first.startswith("# version "):
            return first.split()[-1]
    try:
        import tzdata

        return str(tzdata.IANA_VERSION)
    except ImportError:
        return ""


# --- Public entry points ------------------------------------------------------


class PreparedFleet:
    """A fleet as of T = `as_of_us` with steps 1-3 of the module doc done for every store.

    Building it reads the bulk polls in poll_range(T), turns every schedule into
    merged open spans over [T - 8 days, T + 1 us) (rule 5), keeps the
    observations (rules 6, 7) and asks the fleet's history for older ones where
    the week's start needs them. `values()` and `explain()` only read that state.
    """

    def __init__(self, fleet: FleetInput, *, as_of_us: int) -> None:
        self.fleet = fleet
        self.as_of_us = as_of_us
        self.n = len(fleet.store_ids)
        lo, hi = poll_range(as_of_us)
        self._lo = lo
        self._end = as_of_us + 1  # spans are clipped to [lo, end): a poll at T is inside
        # The schedules first, the polls after: polls still being read (fleet.PendingPolls) are
        # waited for only once the open spans are ready.
        schedules = _Schedules(fleet.schedules)
        older_specials, specials_from = fleet.older_specials, None
        if older_specials is not None:
            # The report's own dates need every special row: ask for any the schedules lack.
            first_day, _ = _dates_reaching(lo, self._end)
            specials_from = older_specials.from_day
            if first_day < specials_from:
                rows = older_specials.special_rows(np.arange(self.n), first_day, specials_from - 1)
                schedules, specials_from = schedules.with_special_rows(rows), first_day
        self._schedules = schedules
        self._spans = schedules.open_spans(np.arange(self.n), lo, self._end)
        polls = fleet.polls
        history = fleet.history
        if history is None:
            history = ArrayHistory(polls.take(polls.ts_us < lo))
        in_range = (polls.ts_us >= lo) & (polls.ts_us <= hi)
        self._bulk = polls if in_range.all() else polls.take(in_range)
        obs = _observations(self._bulk, self._spans, self.n, lo, self._end)
        self._obs = _with_prior_observations(
            obs, schedules, history, older_specials, specials_from, self.n, lo=lo, week_start=as_of_us - WEEK_US
        )
        self._result: FleetResult | None = None

    def values(self) -> FleetResult:
        """The six values of every store, in input order, unrounded, in output units (rules 3, 8)."""
        if self._result is None:
            values = _window_values(self._obs, self._spans, self.n, self._lo, self._end, self.as_of_us)
            self._result = FleetResult(
                self.fleet.store_ids, values, observations=len(self._obs), polls_read=len(self.fleet.polls)
            )
        return self._result

    def status(self) -> FleetStatus:
        """Every store's status at T (rule 7): its latest observation and since when it holds."""
        obs, n = self._obs, self.n
        last_us = np.full(n, NO_OBSERVATION, np.int64)
        last_active = np.zeros(n, bool)
        since_us = np.full(n, NO_OBSERVATION, np.int64)
        if len(obs):
            same_store = obs.store[1:] == obs.store[:-1]
            # Sorted by (store, instant): the last row of each store is its latest observation.
            last = np.flatnonzero(np.r_[~same_store, True])
            last_us[obs.store[last]] = obs.ts_us[last]
            last_active[obs.store[last]] = obs.active[last]
            # The latest switch of each store starts its last run of one status.
            switch = np.flatnonzero(same_store & (obs.active[1:] != obs.active[:-1])) + 1
            if len(switch):
                latest = switch[np.r_[obs.store[switch][1:] != obs.store[switch][:-1], True]]
                before, after = obs.ts_us[latest - 1], obs.ts_us[latest]
                since_us[obs.store[latest]] = before + (after - before) // 2  # as `midpoints`
        return FleetStatus(last_us, last_active, since_us)

    def explain(self, index: int) -> StoreExplanation:
        """The spans, observations and status switches behind the row of the store at `index` (rules 5-8)."""
        spans, obs = self._spans, self._obs
        s0, s1 = np.searchsorted(spans.store, [index, index + 1]).tolist()
        o0, o1 = np.searchsorted(obs.store, [index, index + 1]).tolist()
        mine = self._bulk.take(np.flatnonzero(self._bulk.store == index))
        order = np.lexsort((mine.active, mine.ts_us))
        observed_us = obs.ts_us[o0:o1]
        zone = resolve_timezone(self.fleet.schedules[index].timezone_str)
        # The local dates the week touches, as its timeline's segments [T - 7 days, T) do (one
        # date fewer when T is exactly local midnight: the instant T has no measure).
        first, last = (to_local_day(t, zone) for t in (self.as_of_us - WEEK_US, self.as_of_us - 1))
        return StoreExplanation(
            store_id=self.fleet.store_ids[index],
            timezone=zone,
            as_of_us=self.as_of_us,
            span_start_us=spans.start[s0:s1],
            span_end_us=spans.end[s0:s1],
            observed_us=observed_us,
            observed_active=obs.active[o0:o1],
            switch_us=midpoints(observed_us),
            poll_us=mine.ts_us[order],
            poll_active=mine.active[order],
            values=StoreValues(*self.values().values[index].tolist()),
            days=tuple(self._schedules.day_schedules(index, range(first, last + 1))),
        )


@dataclass(frozen=True)
class OpenSpans:
    """Merged open spans [start, end) in UTC us (rules 5, 10, 11), sorted by (store index, start)."""

    store: Int64Array
    start_us: Int64Array
    end_us: Int64Array


class FleetCalendar:
    """Steps 1 and 2 of the module doc (open spans, observations) for a fleet's stores over any range.

    A report needs them over [T - 8 days, T] only, and `PreparedFleet` computes them
    there; a reader that looks further back (alerts/incidents.py: where an incident that
    is older than the report's range began) asks this for older ranges. The lookups are
    the report's own (`_Schedules`); special rows older than those the schedules hold
    come from `fleet.older_specials`, asked once per store and date range, as the
    engine's search for older observations asks for them.
    """

    def __init__(self, fleet: FleetInput) -> None:
        self.n = len(fleet.schedules)
        self._schedules = _Schedules(fleet.schedules)
        self._older = fleet.older_specials
        held_from = self._older.from_day if self._older is not None else _FIRST_DAY
        self._held_from = np.full(self.n, held_from, np.int64)  # the first date each store's special rows are held

    def open_spans(self, stores: Int64Array, lo_us: int, hi_us: int) -> OpenSpans:
        """The merged open spans of `stores` (store indices), clipped to [lo_us, hi_us) (rules 5, 10, 11)."""
        stores = np.unique(np.asarray(stores, np.int64))
        if len(stores) == 0 or hi_us <= lo_us:
            empty = np.empty(0, np.int64)
            return OpenSpans(empty, empty, empty)
        self._hold_specials(stores, lo_us, hi_us)
        spans = self._schedules.open_spans(stores, lo_us, hi_us)
        return OpenSpans(spans.store, spans.start, spans.end)

    def observations(self, polls: Polls, spans: OpenSpans, lo_us: int, hi_us: int) -> Polls:
        """The polls in [lo_us, hi_us) inside `spans` (from `open_spans(..., lo_us, hi_us)`), sorted by
        (store, instant), one per instant, inactive unless all of that instant's are active (rules 6, 7)."""
        inside = polls.take((polls.ts_us >= lo_us) & (polls.ts_us < hi_us))
        return _observations(inside, _Spans(spans.store, spans.start_us, spans.end_us), self.n, lo_us, hi_us)

    def _hold_specials(self, stores: Int64Array, lo_us: int, hi_us: int) -> None:
        """Read the special rows of `stores` that the dates reaching [lo_us, hi_us) need and are not held yet."""
        if self._older is None:
            return
        first_day, _ = _dates_reaching(lo_us, hi_us)
        need = stores[self._held_from[stores] > first_day]
        if len(need) == 0:
            return
        rows = self._older.special_rows(need, first_day, int(self._held_from[need].max()) - 1)
        # A store may hold some of those dates already (it was asked for less far back): keep the new ones only.
        fresh = [(i, row) for i, row in rows if row[0] < self._held_from[i]]
        self._schedules = self._schedules.with_special_rows(fresh)
        self._held_from[need] = first_day


def to_local_day(instant_us: int, zone_name: str) -> int:
    """The local calendar date in `zone_name` at a UTC instant (us), as days since 1970-01-01."""
    return local_day(from_us(instant_us).astimezone(ZoneInfo(zone_name)).date())


def compute_fleet(fleet: FleetInput, *, as_of_us: int, status: bool = False) -> FleetResult:
    """The six values for every store of `fleet`, as of T = `as_of_us` (`PreparedFleet.values`),
    with every store's status at T (`PreparedFleet.status`) when `status` is true."""
    prepared = PreparedFleet(fleet, as_of_us=as_of_us)
    result = prepared.values()
    if status:
        result = replace(result, status=prepared.status())
    return result


def store_values(schedule: Schedule, polls: Iterable[tuple[dt.datetime, bool]], *, as_of: dt.datetime) -> StoreValues:
    """The six values of one store (unrounded), from (instant, active) polls in any order."""
    rows = list(polls)
    fleet = FleetInput(
        store_ids=["store"],
        schedules=[schedule],
        polls=Polls(np.zeros(len(rows), np.int64), [to_us(t) for t, _ in rows], [a for _, a in rows]),
    )
    return StoreValues(*compute_fleet(fleet, as_of_us=to_us(as_of)).values[0].tolist())


def report_rows(result: FleetResult) -> Iterator[list[str | float]]:
    """The report's rows without header, sorted by store_id as a string (rules 1, 9): the id,
    then the six values rounded with round(x, 2) (rule 8)."""
    order = sorted(range(len(result.store_ids)), key=result.store_ids.__getitem__)
    values = result.values.tolist()
    for i in order:
        yield [result.store_ids[i], *(round(v, 2) for v in values[i])]


def write_csv(result: FleetResult, out: TextIO, *, header: bool = True) -> int:
    """Write the report CSV (rule 9) to `out`; returns the number of rows.

    The bytes of `csv.writer` over `report_rows`, written without a Python call per
    value: `rounded_texts` gives every value's text at once; a store id that the csv
    module would quote (or alter) has its row written by `csv.writer` itself.
    """
    if header:
        out.write(",".join(CSV_COLUMNS) + "\n")
    ids = result.store_ids
    order = sorted(range(len(ids)), key=ids.__getitem__)
    if not order:
        return 0
    columns = rounded_texts(result.values[order]).T.tolist()
    ids_sorted = [ids[i] for i in order]
    lines = [f"{a},{b},{c},{d},{e},{f},{g}\n" for a, b, c, d, e, f, g in zip(ids_sorted, *columns, strict=True)]
    if not _CSV_PLAIN_IDS.fullmatch("".join(ids_sorted)) or "" in ids_sorted:
        values = result.values
        for row, (i, store_id) in enumerate(zip(order, ids_sorted, strict=True)):
            if not store_id or not _CSV_PLAIN_IDS.fullmatch(store_id):
                line = io.StringIO()
                csv.writer(line, lineterminator="\n").writerow([store_id, *(round(v, 2) for v in values[i].tolist())])
                lines[row] = line.getvalue()
    out.write("".join(lines))
    return len(lines)


# Store ids that `csv.writer` (QUOTE_MINIMAL) writes as they are: no delimiter, quote or control character.
_CSV_PLAIN_IDS = re.compile(r'[^\x00-\x1f\x7f,"]*')
# The texts of round(k / 100, 2) for k = 0, 1, ...: "0.0", "0.01", ..., "0.1", ... (grown on demand).
_HUNDREDTHS: list[np.ndarray] = [np.empty(0, dtype=object)]


def _hundredths(count: int) -> np.ndarray:
    """Texts of the values k / 100 for k in [0, count), at least: repr(round(x, 2)) for such x."""
    table = _HUNDREDTHS[0]
    if len(table) < count:
        size = max(count, 20_000)
        texts = [f"{k // 100}.{k % 100:02d}".rstrip("0") for k in range(size)]
        table = np.array([t + "0" if t.endswith(".") else t for t in texts], dtype=object)
        _HUNDREDTHS[0] = table
    return table


def rounded_texts(values: FloatArray) -> np.ndarray:
    """Each value as the CSV writes it, str(round(x, 2)) (rule 8), as an object array of texts.

    round(x, 2) is the multiple k / 100 nearest to x's exact binary value (ties to even); for
    x * 100 not within 1e-6 of a tie, rounding the float product gives that k. The texts of
    round(x, 2) for such k are table lookups; the near-ties (and anything negative or not
    finite) are left to Python's own round.
    """
    scaled = values * 100
    with np.errstate(invalid="ignore"):  # inf - inf: not finite, left to Python below
        k = np.rint(scaled)
        plain = np.isfinite(scaled) & ~np.signbit(values) & (k < 100_000) & (np.abs(np.abs(scaled - k) - 0.5) > 1e-6)
    index = np.where(plain, k, 0).astype(np.int64)
    texts = _hundredths(int(index.max(initial=0)) + 1)[index]
    for at in zip(*np.nonzero(~plain), strict=True):
        texts[at] = str(round(float(values[at]), 2))
    return texts


@dataclass(frozen=True)
class OffsetChange:
    """A zone's UTC offset changing at UTC second `at_s` from `before_s` to `after_s` (seconds east of UTC)."""

    at_s: int
    before_s: int
    after_s: int


@dataclass(frozen=True)
class ZoneOffsets:
    """A zone's UTC offset over a range of UTC seconds: `first_s` at its start, then each change in order."""

    first_s: int
    changes: tuple[OffsetChange, ...]


@functools.lru_cache(maxsize=1024)
def offset_changes(zone_name: str, lo_s: int, hi_s: int) -> ZoneOffsets:
    """The offsets of `zone_name` from lo_s (rounded down to the hour) to hi_s, in UTC seconds.

    These are the offsets step 1 reads wall times with (rule 5); each change's
    `at_s` is exact to the second. Assumes no zone changes its offset twice
    within an hour.
    """
    zone = ZoneInfo(zone_name)

    def offset(t: int) -> int:
        utcoffset = dt.datetime.fromtimestamp(t, zone).utcoffset()
        assert utcoffset is not None  # a ZoneInfo always has one
        return int(utcoffset.total_seconds())

    step = 3600
    samples = list(range(lo_s - lo_s % step, hi_s + step, step))
    values = [offset(t) for t in samples]
    changes = []
    for t, before, after in zip(samples, values, values[1:], strict=False):
        if before == after:
            continue
        a, b = t, t + step  # offset(a) == before, offset(b) != before: find the first changed second
        while b - a > 1:
            mid = (a + b) // 2
            if offset(mid) == before:
                a = mid
            else:
                b = mid
        changes.append(OffsetChange(b, before, after))
    return ZoneOffsets(values[0], tuple(changes))


# --- Open spans (rule 5) --------------------------------------------------------


@dataclass
class _Spans:
    """Merged open spans [start, end) per store, sorted by (store, start), clipped to a range."""

    store: Int64Array
    start: Int64Array
    end: Int64Array


# Keys (store, local date) for sorted lookups: store * _DATE_KEYS + (day - _FIRST_DAY). Days
# since 1970-01-01 of every `datetime.date` lie in [_FIRST_DAY + 1, _FIRST_DAY + _DATE_KEYS - 1];
# the undated version (rule 10) takes day _UNDATED = _FIRST_DAY, before every real date.
_FIRST_DAY = (dt.date.min - dt.date(1970, 1, 1)).days - 1
_DATE_KEYS = (dt.date.max - dt.date.min).days + 2
_UNDATED = _FIRST_DAY


class _Schedules:
    """Schedules flattened into arrays, ready to be turned into UTC spans for any range.

    Weekly rows (`row_*`, in store order) point at their version (`row_version`,
    an index into `version_key`, the sorted (store, effective_from) keys of all
    versions); special rows (`special_*`) keep their date; `special_key` holds
    the sorted distinct (store, date) keys of every date with special rows.
    """

    def __init__(self, schedules: Sequence[Schedule]) -> None:
        self.n = len(schedules)
        zone_names = [resolve_timezone(s.timezone_str) for s in schedules]
        self.zones = sorted(set(zone_names))
        zone_index = {z: i for i, z in enumerate(self.zones)}
        self.store_zone = np.fromiter((zone_index[z] for z in zone_names), np.int64, self.n)
        counts = np.fromiter((len(s.hours) for s in schedules), np.int64, self.n)
        self.always_open = counts == 0  # no weekly rows in any version (rule 10)
        flat = [row for s in schedules for row in s.hours]
        self.row_store = np.repeat(np.arange(self.n), counts)
        lengths = np.fromiter(map(len, flat), np.int64, len(flat))
        row_from = np.full(len(flat), _UNDATED, np.int64)
        if (lengths == 3).all():  # every row undated, as before versions existed: one array, no lookups
            rows = np.array(flat, dtype=np.int64).reshape(-1, 3)
        else:
            rows = np.array(list(map(operator.itemgetter(0, 1, 2), flat)), dtype=np.int64).reshape(-1, 3)
            with_date = np.flatnonzero(lengths > 3)
            given = [flat[i][3] for i in with_date.tolist()]  # type: ignore[misc]  # rows of 4 elements
            row_from[with_date] = [_UNDATED if value is None else value for value in given]
        self.row_dow, self.row_start, self.row_end = rows[:, 0], rows[:, 1], rows[:, 2]
        # Rows of one store with one effective_from are one version (rule 10).
        self.dated = bool((row_from != _UNDATED).any())
        key = self.row_store * _DATE_KEYS + (row_from - _FIRST_DAY)
        if self.dated:
            self.version_key, self.row_version = np.unique(key, return_inverse=True)
        else:  # one version per store with rows, whose rows are already in store order
            new_store = np.r_[True, key[1:] != key[:-1]] if len(key) else np.empty(0, bool)
            self.version_key, self.row_version = key[new_store], np.cumsum(new_store) - 1
        self.version_from = self.version_key % _DATE_KEYS + _FIRST_DAY
        self.first_version = np.searchsorted(self.version_key // _DATE_KEYS, np.arange(self.n))

        special_counts = np.fromiter((len(s.special) for s in schedules), np.int64, self.n)
        self._set_specials(np.repeat(np.arange(self.n), special_counts), [row for s in schedules for row in s.special])

    def _set_specials(self, store: Int64Array, rows: Sequence[SpecialRow]) -> None:
        """Hold these special rows (rows[k] of store[k]) and the keys of their dates."""
        self.special_store = store
        days, starts, ends = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [])
        self.special_day = np.array(days, np.int64)
        # None (a closed row) reads as NaN here, without a Python loop per row.
        start, end = np.array(starts, np.float64), np.array(ends, np.float64)
        self.special_timed = ~np.isnan(start)
        self.special_start = np.where(self.special_timed, start, -1).astype(np.int64)
        self.special_end = np.where(self.special_timed, end, -1).astype(np.int64)
        self.special_key: Int64Array = np.unique(self.special_store * _DATE_KEYS + (self.special_day - _FIRST_DAY))

    def with_special_rows(self, rows: Sequence[tuple[int, SpecialRow]]) -> _Schedules:
        """These schedules with more special rows, (store index, row) each (older ones, from `OlderSpecials`)."""
        if not rows:
            return self
        more = copy.copy(self)
        held = list(zip(self.special_day.tolist(), self.special_start.tolist(), self.special_end.tolist(), strict=True))
        kept: list[SpecialRow] = [
            (d, start, end) if timed else (d, None, None)
            for (d, start, end), timed in zip(held, self.special_timed.tolist(), strict=True)
        ]
        store = np.concatenate([self.special_store, np.array([i for i, _ in rows], np.int64)])
        more._set_specials(store, kept + [row for _, row in rows])
        return more

    def version_on(self, store: Int64Array, day: Int64Array) -> Int64Array:
        """The version (index into `version_key`) whose periods start on local `day` of `store` (rule 10).

        The latest effective_from not after the day (the undated version counts
        as since always); before every dated version of a store without an
        undated one, its earliest. Only for stores with weekly rows.
        """
        latest = np.searchsorted(self.version_key, store * _DATE_KEYS + (day - _FIRST_DAY), side="right") - 1
        # A key below the store's first version belongs to another store: none is in effect yet.
        return np.maximum(latest, self.first_version[store])

    def is_special(self, store: Int64Array, day: Int64Array) -> BoolArray:
        """Whether `store` has special rows for local `day`, elementwise (rule 11)."""
        if len(self.special_key) == 0:
            return np.zeros(len(store), bool)
        key = store * _DATE_KEYS + (day - _FIRST_DAY)
        at = np.minimum(np.searchsorted(self.special_key, key), len(self.special_key) - 1)
        found: BoolArray = self.special_key[at] == key
        return found

    def open_spans(self, stores: Int64Array, lo_us: int, hi_us: int) -> _Spans:
        """Merged open spans of `stores` (sorted store indices), clipped to [lo_us, hi_us) (rules 5, 10, 11)."""
        wanted = np.zeros(self.n, bool)
        wanted[stores] = True
        rows = np.flatnonzero(wanted[self.row_store])
        first_day, last_day = _dates_reaching(lo_us, hi_us)
        days = np.arange(first_day, last_day + 1)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (3)
        row_idx: list[Int64Array] = []
        day: list[Int64Array] = []
        for date, wd in zip(days.tolist(), weekday.tolist(), strict=True):
            match = rows[self.row_dow[rows] == wd]
            row_idx.append(match)
            day.append(np.full(len(match), date, np.int64))
        r = np.concatenate(row_idx) if row_idx else np.empty(0, np.int64)
        d = np.concatenate(day) if day else np.empty(0, np.int64)
        store = self.row_store[r]
        # A weekly row makes a period on its weekday only under the version in
        # effect that date (rule 10) and only on dates without special rows (rule 11).
        specials = np.flatnonzero(
            wanted[self.special_store] & (self.special_day >= first_day) & (self.special_day <= last_day)
        )
        if self.dated or len(specials):
            keep = np.ones(len(r), bool)
            if self.dated:
                keep &= self.row_version[r] == self.version_on(store, d)
            if len(specials):
                keep &= ~self.is_special(store, d)
            store, d, r = store[keep], d[keep], r[keep]
        start_s, end_s = self.row_start[r], self.row_end[r]

        always = stores[self.always_open[stores]]
        if len(specials):
            # The special dates' rows with times (rule 11) ...
            timed = specials[self.special_timed[specials]]
            # ... and, for 24x7 stores with a special date in reach, a whole-day
            # period (start = end, rule 5) on every other date.
            touched = np.zeros(self.n, bool)
            touched[self.special_store[specials]] = True
            daily = always[touched[always]]
            always = always[~touched[always]]
            daily_store, daily_day = np.repeat(daily, len(days)), np.tile(days, len(daily))
            plain = ~self.is_special(daily_store, daily_day)
            daily_store, daily_day = daily_store[plain], daily_day[plain]
            zeros = np.zeros(len(daily_store), np.int64)
            store = np.concatenate([store, self.special_store[timed], daily_store])
            d = np.concatenate([d, self.special_day[timed], daily_day])
            start_s = np.concatenate([start_s, self.special_start[timed], zeros])
            end_s = np.concatenate([end_s, self.special_end[timed], zeros])

        midnight = d * 86_400
        whole_day = start_s == end_s
        wall_start = np.where(whole_day, midnight, midnight + start_s)
        wall_end = np.where(whole_day | (start_s > end_s), midnight + 86_400, midnight) + np.where(whole_day, 0, end_s)
        zone = self.store_zone[store]
        span_lo_s = (first_day - 1) * 86_400
        span_hi_s = (last_day + 2) * 86_400
        utc_start = self._wall_to_utc(zone, wall_start, span_lo_s, span_hi_s) * US
        utc_end = self._wall_to_utc(zone, wall_end, span_lo_s, span_hi_s) * US
        # Stores with no weekly rows and no special date in reach are open around the clock (rule 5).
        store = np.concatenate([store, always])
        utc_start = np.concatenate([utc_start, np.full(len(always), lo_us)])
        utc_end = np.concatenate([utc_end, np.full(len(always), hi_us)])
        np.clip(utc_start, lo_us, hi_us, out=utc_start)
        np.clip(utc_end, lo_us, hi_us, out=utc_end)
        keep = utc_end > utc_start  # empty after conversion (e.g. DST gap) or outside the range
        return _merge(store[keep], utc_start[keep], utc_end[keep])

    def day_schedules(self, store: int, days: Sequence[int]) -> list[DaySchedule]:
        """For local dates `days` of `store`, which rows made the periods starting on each (rules 10, 11).

        Reads the same version and special-date lookups as `open_spans`.
        """
        day = np.array(days, np.int64)
        stores = np.full(len(day), store, np.int64)
        special = self.is_special(stores, day)
        mine = np.flatnonzero(self.special_store == store)
        timed_days = set(self.special_day[mine[self.special_timed[mine]]].tolist())
        r0, r1 = np.searchsorted(self.row_store, [store, store + 1]).tolist()
        version = self.version_on(stores, day) if r1 > r0 else np.full(len(day), -1, np.int64)
        out = []
        for date, is_special, v in zip(day.tolist(), special.tolist(), version.tolist(), strict=True):
            if is_special:
                out.append(DaySchedule(day_date(date), SPECIAL, None, date not in timed_days))
            elif r1 == r0:
                out.append(DaySchedule(day_date(date), ALWAYS_OPEN, None, False))
            else:
                rows = np.arange(r0, r1)
                rows = rows[(self.row_version[rows] == v) & (self.row_dow[rows] == (date + 3) % 7)]
                effective_from = int(self.version_from[v])
                out.append(
                    DaySchedule(
                        day_date(date),
                        WEEKLY,
                        None if effective_from == _UNDATED else day_date(effective_from),
                        len(rows) == 0,
                    )
                )
        return out

    def _wall_to_utc(self, zone: Int64Array, wall_s: Int64Array, lo_s: int, hi_s: int) -> Int64Array:
        """UTC seconds for local wall-clock seconds, per zone, as zoneinfo does with fold=0."""
        utc = np.empty_like(wall_s)
        order = np.argsort(zone, kind="stable")
        bounds = np.searchsorted(zone[order], np.arange(len(self.zones) + 1))
        for z, name in enumerate(self.zones):
            idx = order[bounds[z] : bounds[z + 1]]
            if len(idx) == 0:
                continue
            breaks, offsets = _wall_offsets(name, lo_s, hi_s)
            w = wall_s[idx]
            utc[idx] = w - offsets[np.searchsorted(breaks, w, side="right")]
        return utc


def _dates_reaching(lo_us: int, hi_us: int) -> tuple[int, int]:
    """The first and last local date (days since 1970-01-01) whose periods can reach into [lo_us, hi_us).

    Local dates lie within a day of UTC dates, and a period may run past midnight.
    """
    return lo_us // DAY_US - 2, -(-hi_us // DAY_US) + 1


@functools.lru_cache(maxsize=1024)
def _wall_offsets(zone_name: str, lo_s: int, hi_s: int) -> tuple[Int64Array, Int64Array]:
    """Breakpoints and UTC offsets to read wall-clock seconds in a zone (fold=0).

    offsets[i] applies to wall times w with breaks[i-1] <= w < breaks[i]
    (offsets has one element more than breaks). For a transition at UTC
    instant u from offset a to offset b the wall breakpoint is u + max(a, b):
    wall times in a gap (b > a) or an overlap (b < a) keep the earlier offset,
    which is what zoneinfo does for fold=0 (rule 5).
    """
    zone = offset_changes(zone_name, lo_s, hi_s)
    breaks = [c.at_s + max(c.before_s, c.after_s) for c in zone.changes]
    offsets = [zone.first_s, *(c.after_s for c in zone.changes)]
    return np.array(breaks, np.int64), np.array(offsets, np.int64)


def _merge(store: Int64Array, start: Int64Array, end: Int64Array) -> _Spans:
    """Union of intervals per store: sweep +1 at each start and -1 at each end.

    Events sort by (store, instant, starts before ends); a merged span opens
    where the running count rises from 0 and closes where it returns to 0.
    Each store's events sum to 0, so one cumulative sum serves all stores.
    """
    if len(store) == 0:
        return _Spans(store, start, end)
    ev_store = np.concatenate([store, store])
    ev_time = np.concatenate([start, end])
    ev_delta = np.concatenate([np.ones(len(start), np.int64), -np.ones(len(end), np.int64)])
    order = np.lexsort((-ev_delta, ev_time, ev_store))
    ev_store, ev_time, ev_delta = ev_store[order], ev_time[order], ev_delta[order]
    depth = np.cumsum(ev_delta)
    opens = (ev_delta == 1) & (depth == 1)
    closes = (ev_delta == -1) & (depth == 0)
    return _Spans(ev_store[opens], ev_time[opens], ev_time[closes])


# --- Observations (rules 6, 7) -------------------------------------------------


def _keys(store: Int64Array, t: Int64Array, lo: int, hi: int) -> Int64Array:
    """Order-preserving keys for (store, instant in [lo, hi]): store * R + (t - lo)."""
    width = hi - lo + 1
    if (int(store.max(initial=0)) + 1) * width >= 2**62:
        raise OverflowError("too many stores for one key range; compute the fleet in shards")
    return store * width + (t - lo)


def _observations(polls: Polls, spans: _Spans, n: int, lo: int, end: int) -> Polls:
    """The polls inside open spans, sorted by (store, instant), one per instant (rules 6, 7)."""
    if len(spans.start) == 0:  # closed throughout: no poll is an observation
        return Polls.empty()
    keys = _keys(polls.store, polls.ts_us, lo, end)
    span_lo = _keys(spans.store, spans.start, lo, end)
    span_hi = _keys(spans.store, spans.end, lo, end)
    j = np.searchsorted(span_lo, keys, side="right") - 1
    inside = (j >= 0) & (keys < span_hi[np.maximum(j, 0)])
    obs = polls.take(inside)
    keys = keys[inside]
    if len(keys) > 1 and not (keys[1:] >= keys[:-1]).all():
        order = np.argsort(keys, kind="stable")
        obs, keys = obs.take(order), keys[order]
    return _one_per_instant(obs, keys)


def _one_per_instant(obs: Polls, keys: Int64Array) -> Polls:
    """Collapse polls of one store at one instant: inactive unless all are active (rule 7)."""
    if len(keys) < 2:
        return obs
    first = np.empty(len(keys), bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    if first.all():
        return obs
    starts = np.flatnonzero(first)
    active = np.minimum.reduceat(obs.active.astype(np.int8), starts).astype(bool)
    return Polls(obs.store[starts], obs.ts_us[starts], active)


def _with_prior_observations(
    obs: Polls,
    schedules: _Schedules,
    history: History,
    older_specials: OlderSpecials | None,
    specials_from: int | None,
    n: int,
    *,
    lo: int,
    week_start: int,
) -> Polls:
    """Add, for stores with no observation in [lo, week_start], their latest earlier one.

    Only those stores can have their status at the start of the week decided by
    an observation older than `lo` (see module doc). Each round, every store
    still unresolved jumps to its latest poll before its cursor and examines a
    window of `width` before it (7 days, doubling per round); stores whose
    latest polls fall in the same week are examined together, so the open spans
    built each round cover about two weeks, whatever the gaps between polls.
    Those spans follow rules 10 and 11 like the report's: special rows dated
    before `specials_from` (the schedules hold all later ones) are read from
    `older_specials` for the stores still pending, before the first round that
    reaches their dates.
    """
    has_early = np.zeros(n, bool)
    has_early[obs.store[obs.ts_us <= week_start]] = True
    pending = np.flatnonzero(~has_early)
    cursor = np.full(n, lo, np.int64)  # the store's polls at or after its cursor are examined already
    width = np.full(n, WEEK_US, np.int64)
    found: list[Polls] = []
    while len(pending):
        latest = np.asarray(history.latest_before(pending, cursor[pending]), np.int64)
        pending, latest = pending[latest != NO_POLL], latest[latest != NO_POLL]
        if older_specials is not None and specials_from is not None and len(pending):
            # The earliest date this round's spans read (each group starts at latest - width + 1).
            needed, _ = _dates_reaching(int((latest - width[pending]).min()) + 1, int(latest.max()) + 1)
            if needed < specials_from:
                rows = older_specials.special_rows(pending, needed, specials_from - 1)
                schedules = schedules.with_special_rows(rows)
                specials_from = needed  # for every store still pending: later rounds ask only for these
        unresolved: list[Int64Array] = []
        week = latest // WEEK_US
        for w in np.unique(week):
            members, their_latest = pending[week == w], latest[week == w]
            start = int((their_latest - width[members]).min()) + 1
            end = int(their_latest.max()) + 1
            chunk = history.polls_between(members, start, end)
            chunk = chunk.take(chunk.ts_us < cursor[chunk.store])
            spans = schedules.open_spans(members, start, end)
            older = _observations(chunk, spans, n, start, end)
            resolved = np.zeros(n, bool)
            if len(older.ts_us):
                # Sorted by (store, instant): the last row of each store is its latest.
                last = np.r_[older.store[1:] != older.store[:-1], True]
                found.append(older.take(last))
                resolved[older.store[last]] = True
            left = members[~resolved[members]]
            cursor[left] = start
            width[left] *= 2
            unresolved.append(left)
        pending = np.sort(np.concatenate(unresolved)) if unresolved else np.empty(0, np.int64)
    if not found:
        return obs
    prior = Polls(*(np.concatenate(a) for a in zip(*((p.store, p.ts_us, p.active) for p in found), strict=True)))
    prior = prior.take(np.argsort(prior.store, kind="stable"))
    # A prior observation precedes every observation of its store: insert it
    # before the store's first row, keeping (store, instant) order.
    at = np.searchsorted(obs.store, prior.store, side="left")
    return Polls(
        np.insert(obs.store, at, prior.store),
        np.insert(obs.ts_us, at, prior.ts_us),
        np.insert(obs.active, at, prior.active),
    )


# --- Windows (rules 3, 8) -------------------------------------------------------


def midpoints(t: Int64Array) -> Int64Array:
    """Where the status switches between consecutive observations (rule 7), in integer us.

    Floor of the true midpoint: at most half a microsecond early, far below the
    0.01 of a minute the values are rounded to. reports/timeline.py uses the
    same points, so a store's timeline adds up to its report row exactly.
    """
    return t[:-1] + (t[1:] - t[:-1]) // 2


def _window_values(obs: Polls, spans: _Spans, n: int, lo: int, end: int, as_of: int) -> FloatArray:
    """(n, 6) array: uptime and downtime in each window, in output units (rule 8).

    With G the open time before an instant (a prefix sum over the merged spans, one
    for the whole fleet: every store's instants keep to their own key range) and
    the segments of rule 7 laid end to end over [lo, end] for each store, the
    uptime of a window (a, T] is the active part of [G(a), G(T)]: H(G(T)) - H(G(a)),
    H(g) being the active open time before g. H is a running sum over the
    segments, so each window is a lookup per store, not a pass over the polls.
    All of it is integer microseconds, exact.
    """
    if len(spans.start) == 0:  # closed throughout: no open time, no uptime
        return np.zeros((n, 6))
    span_lo = _keys(spans.store, spans.start, lo, end)
    span_hi = _keys(spans.store, spans.end, lo, end)
    before = np.concatenate([[0], np.cumsum(span_hi - span_lo)])  # open time before span j

    def open_before(keys: Int64Array) -> Int64Array:
        """G: open time of the key's store before the key's instant (us)."""
        j = np.searchsorted(span_lo, keys, side="right") - 1
        jj = np.maximum(j, 0)
        g = before[jj] + np.minimum(keys, span_hi[jj]) - span_lo[jj]
        return np.where(j >= 0, g, 0)

    stores = np.arange(n, dtype=np.int64)

    def open_before_at(instant: int) -> Int64Array:
        """G at one instant, for every store."""
        return open_before(_keys(stores, np.full(n, instant), lo, end))

    g_end = open_before_at(as_of)
    g_window_starts = [open_before_at(max(as_of - length, lo)) for length in WINDOWS_US]
    uptime = _active_open_time(obs, open_before, open_before_at, n, lo, end, g_end, g_window_starts)
    values = np.zeros((n, 6))
    for w, g_window_start in enumerate(g_window_starts):
        values[:, w] = uptime[w]
        values[:, 3 + w] = g_end - g_window_start - uptime[w]
    return values / _UNITS


def _active_open_time(
    obs: Polls,
    open_before: Callable[[Int64Array], Int64Array],
    open_before_at: Callable[[int], Int64Array],
    n: int,
    lo: int,
    end: int,
    g_end: Int64Array,
    g_window_starts: list[Int64Array],
) -> list[Int64Array]:
    """Per window, each store's active open time in [G(window start), G(T)] (us, int64)."""
    if len(obs) == 0:  # no observation: inactive throughout (rule 7)
        return [np.zeros(n, np.int64) for _ in g_window_starts]
    s, t = obs.store, obs.ts_us
    # Segments: observation i holds between the midpoints with its neighbours (rule 7), the
    # first of a store from lo, the last until end; G at each end, a midpoint's shared by the two.
    same_next = s[1:] == s[:-1]
    g_mid = open_before(_keys(s[:-1], np.clip(midpoints(t), lo, end), lo, end))
    g_lo, g_hi = open_before_at(lo), open_before_at(end)
    seg_g_start = np.concatenate([g_lo[s[:1]], np.where(same_next, g_mid, g_lo[s[1:]])])
    seg_g_end = np.concatenate([np.where(same_next, g_mid, g_hi[s[:-1]]), g_hi[s[-1:]]])
    active_g = np.where(obs.active, seg_g_end - seg_g_start, 0)
    before = np.cumsum(active_g) - active_g  # H at each segment's start (differences within a store)
    first = np.searchsorted(s, np.arange(n), side="left")
    last = np.searchsorted(s, np.arange(n), side="right") - 1
    observed = last >= first
    first, last = first[observed], last[observed]

    def active_before(g: Int64Array) -> Int64Array:
        """H(g) for the observed stores: the active open time of their segments before g."""
        # G is one ascending sum over the fleet: the last segment starting at or before g is
        # the store's own, but for ties with the next store's first segment (clipped to its last).
        k = np.clip(np.searchsorted(seg_g_start, g, side="right") - 1, first, last)
        return before[k] + np.where(obs.active[k], g - seg_g_start[k], 0)

    at_end = active_before(g_end[observed])
    out = []
    for g_window_start in g_window_starts:
        uptime = np.zeros(n, np.int64)
        uptime[observed] = at_end - active_before(g_window_start[observed])
        out.append(uptime)
    return out
