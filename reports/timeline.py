"""One store's last week as a timeline: when it was closed, active or inactive (issue 7).

Pure arithmetic like `reports.engine`: the standard library and numpy, never
Django, the clock or the database. Rule numbers refer to docs/numbers.md.

How the segments are derived
----------------------------
The timeline is the engine's own explanation of the store's row
(`engine.PreparedFleet.explain`, the state a report computes), so it cannot
drift from a report:

1. *Open spans* (rule 5) over the report's range [T - 8 days, T + 1 us): the
   store's business hours in UTC, merged.
2. *Observations* (rules 6, 7): the polls inside open spans (one per instant),
   first the latest older observation from `FleetInput.history` when none lies
   in [T - 8 days, T - 7 days].
3. *Status* (rule 7): observation i holds from the midpoint with its
   predecessor, m(i-1) = t(i-1) + (t(i) - t(i-1)) // 2 in integer
   microseconds exactly as the engine rounds it, to the midpoint with its
   successor; the first from -inf, the last to +inf. No observation at all:
   inactive throughout.
4. *Segments*: the week [T - 7 days, T] is cut at every open-span edge and
   every midpoint inside it. A piece outside the open spans is `closed`;
   a piece inside one takes the status of the observation holding it. Adjacent
   pieces in one state are joined, so consecutive segments always differ.

Everything is integer microseconds, so for each window (T - L, T] the
`active` segments clipped to it add up to exactly the engine's uptime, and the
`inactive` ones to its downtime (`StoreTimeline.state_us`). The six values
themselves are the store's row of a report as of the same T.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

from reports.engine import PreparedFleet
from reports.fleet import (
    DAY_US,
    HOUR_US,
    WEEK_US,
    DaySchedule,
    FleetInput,
    StoreExplanation,
    StoreValues,
    from_us,
)

CLOSED, ACTIVE, INACTIVE = "closed", "active", "inactive"
STATES = (CLOSED, ACTIVE, INACTIVE)
# The report's windows (rule 3), by name: (T - length, T].
WINDOWS_US = {"hour": HOUR_US, "day": DAY_US, "week": WEEK_US}
DAY_S = 86_400


@dataclass(frozen=True)
class Segment:
    """[start_us, end_us) in UTC microseconds, and the store's state throughout it."""

    start_us: int
    end_us: int
    state: str

    @property
    def duration_us(self) -> int:
        return self.end_us - self.start_us

    @property
    def start(self) -> dt.datetime:
        return from_us(self.start_us)

    @property
    def end(self) -> dt.datetime:
        return from_us(self.end_us)


@dataclass(frozen=True)
class PollPoint:
    """A poll (or an observation, rule 6) at `at_us` (UTC microseconds)."""

    at_us: int
    active: bool

    @property
    def status(self) -> str:
        return ACTIVE if self.active else INACTIVE

    @property
    def observed_at(self) -> dt.datetime:
        return from_us(self.at_us)


@dataclass
class StoreTimeline:
    """One store's week (T - 7 days, T] as of T = `as_of_us`.

    `values` are the report's six values, unrounded (rule 8). `segments` cover
    [week_start_us, as_of_us] consecutively (the week's measure; the instant T
    itself has none). `observations` are those in the week plus, first, the
    older one whose status holds at the week's start, if there is one.
    `ignored_polls` are the week's polls taken while closed (rule 6). `days`
    say, for each local date the segments touch (oldest first), which rows made
    the periods starting on it: a weekly version, special rows or 24x7 (rules 10, 11).
    """

    store_id: str
    timezone: str
    as_of_us: int
    values: StoreValues
    segments: list[Segment]
    observations: list[PollPoint]
    ignored_polls: list[PollPoint]
    days: list[DaySchedule] = field(default_factory=list)

    @property
    def week_start_us(self) -> int:
        return self.as_of_us - WEEK_US

    @property
    def as_of(self) -> dt.datetime:
        return from_us(self.as_of_us)

    @property
    def never_observed(self) -> bool:
        """No observation at or before T: every open instant is inactive for want of a heartbeat
        (rule 7), not because a poll said so. (Otherwise `observations` holds at least the one
        whose status holds at the week's start.)"""
        return not self.observations

    def state_us(self, state: str, *, window_us: int) -> int:
        """Microseconds in `state` during the window (T - window_us, T], from the segments."""
        lo = self.as_of_us - window_us
        return sum(
            max(0, min(s.end_us, self.as_of_us) - max(s.start_us, lo)) for s in self.segments if s.state == state
        )


def store_timeline(fleet: FleetInput, *, as_of_us: int, index: int = 0) -> StoreTimeline:
    """The timeline of the store at `index` of `fleet`, as of T = `as_of_us`.

    `fleet` is what a report reads (`reports.selectors.fleet_input`); the whole
    fleet is prepared, so to explain one store pass a fleet of that store alone
    (`stores.selectors.store_fleet_input`), or explain many stores of one
    `PreparedFleet` with `timeline_of`.
    """
    return timeline_of(PreparedFleet(fleet, as_of_us=as_of_us).explain(index))


def timeline_of(explanation: StoreExplanation) -> StoreTimeline:
    """The week (T - 7 days, T] of the explained store, cut into segments (module doc, step 4)."""
    as_of_us = explanation.as_of_us
    week_start = as_of_us - WEEK_US
    span_start, span_end = explanation.span_start_us.tolist(), explanation.span_end_us.tolist()
    obs_t, obs_active = explanation.observed_us.tolist(), explanation.observed_active.tolist()
    mids = explanation.switch_us.tolist()  # the engine's own switch points
    segments = _segments(week_start, as_of_us, span_start, span_end, mids, obs_active)

    # The observation holding the week's start, if older than the week, then those in the week.
    holder = bisect.bisect_right(mids, week_start)
    first = holder if holder < len(obs_t) and obs_t[holder] <= week_start else bisect.bisect_right(obs_t, week_start)
    observations = [PollPoint(t, a) for t, a in zip(obs_t[first:], obs_active[first:], strict=True)]
    in_week = (explanation.poll_us > week_start) & (explanation.poll_us <= as_of_us)
    week_polls = zip(explanation.poll_us[in_week].tolist(), explanation.poll_active[in_week].tolist(), strict=True)
    ignored = [PollPoint(t, a) for t, a in week_polls if not _inside(t, span_start, span_end)]

    return StoreTimeline(
        store_id=explanation.store_id,
        timezone=explanation.timezone,
        as_of_us=as_of_us,
        values=explanation.values,
        segments=segments,
        observations=observations,
        ignored_polls=ignored,
        days=list(explanation.days),
    )


def _inside(t: int, span_start: list[int], span_end: list[int]) -> bool:
    """Whether instant t lies in one of the merged spans [start, end) (sorted, disjoint)."""
    j = bisect.bisect_right(span_start, t) - 1
    return j >= 0 and t < span_end[j]


def _segments(
    lo: int, hi: int, span_start: list[int], span_end: list[int], mids: list[int], active: list[bool]
) -> list[Segment]:
    """[lo, hi] cut at span edges and midpoints, each piece's state, equal neighbours joined."""
    cuts = {lo, hi}
    cuts.update(x for x in span_start if lo < x < hi)
    cuts.update(x for x in span_end if lo < x < hi)
    cuts.update(x for x in mids if lo < x < hi)
    points = sorted(cuts)
    segments: list[Segment] = []
    for a, b in zip(points, points[1:], strict=False):
        if not _inside(a, span_start, span_end):
            state = CLOSED
        elif not active:
            state = INACTIVE  # no observation at or before T: no heartbeat (rule 7)
        else:
            state = ACTIVE if active[bisect.bisect_right(mids, a)] else INACTIVE
        if segments and segments[-1].state == state:
            segments[-1] = Segment(segments[-1].start_us, b, state)
        else:
            segments.append(Segment(a, b, state))
    return segments
