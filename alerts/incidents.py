"""A store's incidents (docs/numbers.md rule 12) from the engine's view of it: pure arithmetic.

The standard library and numpy only, like `reports.engine`: never Django, the clock or
the database (a `FleetInput`'s history may read the database; this module only asks it).
Rule numbers refer to docs/numbers.md.

How the incidents are derived
-----------------------------
An incident is a maximal run of consecutive inactive observations, so it is exactly an
inactive stretch of rule 7's status. Everything comes from the report engine, so an
incident can never disagree with a report:

1. *The store's T* is its latest poll (the caller's choice, `as_of_us`): an open
   incident's open minutes are counted up to it.
2. *Observations* (rules 6, 7) in the report's range [T' - 8 days, T'] come from
   `PreparedFleet(fleet, as_of_us=T').explain(i)`, T' the latest T of the fleet;
   older ones come from `FleetCalendar` over the polls of `fleet.history`, read
   backwards round by round (each jumps to the store's latest earlier poll and reads a
   window before it, an hour first, doubling it each round, as the engine's own search for
   older observations does) until the store's latest *active* observation before its
   horizon, T - `lookback_us`, is found, or its polls run out.
3. *The region*: the incidents listed for a store are all those after that active
   observation A (`since_us`), or all of the store's when there is none (`since_us`
   None). A later incident's start is A or an observation after it, so every one of them
   is complete; one resolved by A's successor (ended inside the horizon, however long
   before it began) is among them. Incidents before A are not listed: the caller keeps
   what it knew of them.
4. *Runs*: each maximal run of inactive observations is one incident; it starts at the
   engine's midpoint (`engine.midpoints`, floored to the microsecond) with the active
   observation before it, or has no known start when there is none; it ends at the
   midpoint with the next active observation, or is open while there is none.
5. *Open time*: the business hours (rules 5, 10, 11) inside [start, end), in integer
   microseconds: from `explain`'s spans inside the report's range and from
   `FleetCalendar.open_spans` before it. An unknown start counts from the run's first
   observation (the project's convention: rule 7 would reach back forever), an open
   incident up to T.

`window_open_us` clips incidents to a report window the way rule 12 adds them up: an
unknown start reaches back indefinitely, so for every store with an observation the
sum is exactly the window's downtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reports.engine import FleetCalendar, PreparedFleet, midpoints
from reports.fleet import (
    HOUR_US,
    NO_POLL,
    US,
    ArrayHistory,
    BoolArray,
    FleetInput,
    History,
    Int64Array,
    poll_range,
)

MINUTE_US = 60 * US


@dataclass(frozen=True)
class Incident:
    """One incident of rule 12; instants in UTC microseconds since the epoch.

    `first_observed_us` / `last_observed_us`: the run's first and last inactive
    observations. `started_at_us`: None when no observation precedes the run (an
    unknown start); `ended_at_us`: None while open. `open_us`: business hours inside
    [started_at or first_observed, open_until_us), where `open_until_us` is the end,
    or the store's T while open.
    """

    first_observed_us: int
    last_observed_us: int
    started_at_us: int | None
    ended_at_us: int | None
    open_us: int
    open_until_us: int

    @property
    def start_known(self) -> bool:
        return self.started_at_us is not None

    @property
    def is_open(self) -> bool:
        return self.ended_at_us is None

    @property
    def open_minutes(self) -> float:
        """`open_us` in minutes, unrounded."""
        return self.open_us / MINUTE_US


@dataclass(frozen=True)
class StoreIncidents:
    """The incidents of the store at `index` of the fleet, oldest first (module doc, step 3).

    `as_of_us`: the store's T (None: it has no poll, hence no incident). `since_us`: the
    latest active observation before the horizon; every incident after it is listed, and
    none before it. None: the listing is the store's whole history.
    """

    index: int
    as_of_us: int | None
    since_us: int | None
    incidents: tuple[Incident, ...]


def fleet_incidents(fleet: FleetInput, *, as_of_us: Sequence[int | None], lookback_us: int) -> list[StoreIncidents]:
    """The incidents of every store of `fleet`, in input order (module doc).

    `as_of_us[i]` is store i's T (its latest poll; None: it has none): only its
    observations at or before it count. `lookback_us` sets the horizon T - lookback_us
    before which the listing may stop (step 3). `fleet` must hold every poll in
    poll_range(max T), like a report's input.
    """
    if len(as_of_us) != len(fleet.store_ids):
        raise ValueError(f"{len(as_of_us)} T values for {len(fleet.store_ids)} stores")
    known = [t for t in as_of_us if t is not None]
    if not known:
        return [StoreIncidents(i, None, None, ()) for i in range(len(as_of_us))]
    top = max(known)
    lo, _ = poll_range(top)
    prepared = PreparedFleet(fleet, as_of_us=top)
    calendar = FleetCalendar(fleet)
    views: dict[int, _StoreView] = {}
    for i, t in enumerate(as_of_us):
        if t is None:
            continue
        explanation = prepared.explain(i)
        inside = (explanation.observed_us >= lo) & (explanation.observed_us <= t)
        views[i] = _StoreView(
            as_of_us=t,
            horizon_us=t - lookback_us,
            observed_us=explanation.observed_us[inside],
            observed_active=explanation.observed_active[inside],
            span_start_us=explanation.span_start_us,
            span_end_us=explanation.span_end_us,
        )
    pending = [i for i, view in views.items() if view.since_index() is None]
    if pending:
        history: History = fleet.history or ArrayHistory(fleet.polls.take(fleet.polls.ts_us < lo))
        _read_back(views, np.array(pending, np.int64), calendar, history, lo)
    out = []
    for i, t in enumerate(as_of_us):
        view = views.get(i)
        if view is None:
            out.append(StoreIncidents(i, None, None, ()))
            continue
        since = view.since_index()
        first = 0 if since is None else since
        runs = _runs(view.observed_us[first:], view.observed_active[first:], as_of_us=view.as_of_us)
        out.append(
            StoreIncidents(
                index=i,
                as_of_us=t,
                since_us=None if since is None else int(view.observed_us[since]),
                incidents=_with_open_time(runs, view, calendar, i, lo),
            )
        )
    return out


def window_open_us(
    incidents: Sequence[Incident], span_start_us: Int64Array, span_end_us: Int64Array, *, as_of_us: int, window_us: int
) -> int:
    """Business hours inside the incidents and the window (T - window_us, T], in us (rule 12).

    An unknown start reaches back indefinitely (rule 7) and an open incident to T, so
    for a store with an observation at or before T this is exactly the window's downtime.
    `span_*` are the store's merged open spans covering the window (`explain`'s).
    """
    lo = as_of_us - window_us
    total = 0
    for incident in incidents:
        start = lo if incident.started_at_us is None else max(lo, incident.started_at_us)
        end = as_of_us if incident.ended_at_us is None else min(as_of_us, incident.ended_at_us)
        total += _open_between(span_start_us, span_end_us, start, end)
    return total


# --- Reading back (module doc, step 2) ----------------------------------------------------


@dataclass
class _StoreView:
    """One store's observations from the earliest read so far through its T, and the report range's spans."""

    as_of_us: int
    horizon_us: int
    observed_us: Int64Array
    observed_active: BoolArray
    span_start_us: Int64Array
    span_end_us: Int64Array

    def since_index(self) -> int | None:
        """The index of the latest active observation before the horizon, None when there is none (yet)."""
        before = np.flatnonzero(self.observed_active & (self.observed_us < self.horizon_us))
        return int(before[-1]) if len(before) else None

    def prepend(self, observed_us: Int64Array, observed_active: BoolArray) -> None:
        self.observed_us = np.concatenate([observed_us, self.observed_us])
        self.observed_active = np.concatenate([observed_active, self.observed_active])


def _read_back(
    views: dict[int, _StoreView], pending: Int64Array, calendar: FleetCalendar, source: History, lo: int
) -> None:
    """Prepend older observations to the pending stores' views until each has an active observation
    before its horizon or has no earlier poll (module doc, step 2)."""
    n = calendar.n
    # Polls at or after a store's cursor are in its view already, or later than its T.
    cursor = np.full(n, lo, np.int64)
    for i in pending.tolist():
        cursor[i] = min(lo, views[i].as_of_us + 1)
    # An hour first, not the engine's week: the latest poll before the range is mostly an active
    # observation itself, and a store's first window then holds a poll or two.
    width = np.full(n, HOUR_US, np.int64)
    while len(pending):
        latest = np.asarray(source.latest_before(pending, cursor[pending]), np.int64)
        # A store without an earlier poll keeps its view as it is: its whole history (since_us None).
        pending, latest = pending[latest != NO_POLL], latest[latest != NO_POLL]
        still: list[int] = []
        # Stores whose latest polls fall in one slot of their window's width are read together, so
        # a window spans at most two widths (every pending store has the same width in a round).
        slot = latest // width[pending]
        for w in np.unique(slot).tolist():
            members, their_latest = pending[slot == w], latest[slot == w]
            start = int((their_latest - width[members]).min()) + 1
            end = int(their_latest.max()) + 1
            chunk = source.polls_between(members, start, end)
            chunk = chunk.take(chunk.ts_us < cursor[chunk.store])
            older = calendar.observations(chunk, calendar.open_spans(members, start, end), start, end)
            bounds = np.searchsorted(older.store, np.r_[members, members + 1].reshape(2, -1))
            for m, a, b in zip(members.tolist(), bounds[0].tolist(), bounds[1].tolist(), strict=True):
                view = views[m]
                view.prepend(older.ts_us[a:b], older.active[a:b])
                if view.since_index() is None:
                    cursor[m] = start
                    width[m] *= 2
                    still.append(m)
        pending = np.array(sorted(still), np.int64)


# --- Runs and their open time (module doc, steps 4 and 5) --------------------------------


@dataclass(frozen=True)
class _Run:
    first_us: int
    last_us: int
    started_us: int | None
    ended_us: int | None
    until_us: int


def _runs(observed_us: Int64Array, observed_active: BoolArray, *, as_of_us: int) -> list[_Run]:
    """The maximal runs of inactive observations, with the engine's midpoints as their ends (rule 12)."""
    times, active = observed_us.tolist(), observed_active.tolist()
    switch = midpoints(observed_us).tolist()  # switch[k]: between observation k and k + 1
    runs: list[_Run] = []
    k = 0
    while k < len(times):
        if active[k]:
            k += 1
            continue
        first = k
        while k < len(times) and not active[k]:
            k += 1
        # times[k], if any, is the next active observation: the run is maximal.
        started = switch[first - 1] if first > 0 else None
        ended = switch[k - 1] if k < len(times) else None
        runs.append(_Run(times[first], times[k - 1], started, ended, as_of_us if ended is None else ended))
    return runs


def _with_open_time(
    runs: list[_Run], view: _StoreView, calendar: FleetCalendar, index: int, lo: int
) -> tuple[Incident, ...]:
    """The runs as Incidents, with the business hours inside [start or first observation, end or T):
    `view`'s spans from `lo` on, the calendar's (read once for the store) before it."""
    starts = [run.first_us if run.started_us is None else run.started_us for run in runs]
    older = calendar.open_spans(np.array([index], np.int64), min(starts), lo) if starts and min(starts) < lo else None
    incidents = []
    for run, start in zip(runs, starts, strict=True):
        open_us = _open_between(view.span_start_us, view.span_end_us, max(start, lo), run.until_us)
        if older is not None and start < lo:
            open_us += _open_between(older.start_us, older.end_us, start, min(lo, run.until_us))
        incidents.append(
            Incident(
                first_observed_us=run.first_us,
                last_observed_us=run.last_us,
                started_at_us=run.started_us,
                ended_at_us=run.ended_us,
                open_us=open_us,
                open_until_us=run.until_us,
            )
        )
    return tuple(incidents)


def _open_between(span_start_us: Int64Array, span_end_us: Int64Array, start_us: int, end_us: int) -> int:
    """Microseconds of the merged spans inside [start_us, end_us)."""
    if end_us <= start_us:
        return 0
    clipped = np.minimum(span_end_us, end_us) - np.maximum(span_start_us, start_us)
    return int(clipped[clipped > 0].sum())
