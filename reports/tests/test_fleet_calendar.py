"""engine.FleetCalendar: a report's own open spans and observations, over any range.

Over the range of a report as of any T', with the special rows older than the fleet's held
behind `OlderSpecials`, they are exactly those `PreparedFleet(..., as_of_us=T').explain()`
gives, for generated calendars (versions, special days, DST), and the older special rows
are asked for once per store and range.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.engine import FleetCalendar, PreparedFleet
from reports.fleet import DAY_US, ArraySpecials, FleetInput, Polls, local_day, poll_range, to_us
from reports.tests.bruteforce import CalendarStore, calendar_stores
from reports.tests.test_engine_calendar import CountingSpecials, engine_schedule


def _fleet(stores: list[CalendarStore], *, specials_from: dt.date | None) -> FleetInput:
    schedules = [engine_schedule(s.timezone_str, s.hours, s.specials) for s in stores]
    rows = [(i, to_us(t), a) for i, s in enumerate(stores) for t, a in s.polls]
    polls = Polls([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    older = None
    if specials_from is not None:
        schedules, split = ArraySpecials.split(schedules, local_day(specials_from))
        older = CountingSpecials(split.rows, split.from_day)
    return FleetInput([f"s{i}" for i in range(len(stores))], schedules, polls, older_specials=older)


@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(stores=st.lists(calendar_stores(), min_size=1, max_size=4), days_back=st.integers(0, 12))
def test_spans_and_observations_of_any_range_are_the_reports_of_that_range(
    stores: list[CalendarStore], days_back: int
) -> None:
    # given: the fleet with every special row held, and the same fleet with those before T's week behind
    # OlderSpecials; a report as of T' up to 12 days before the first store's T
    as_of = stores[0].as_of - dt.timedelta(days=days_back)
    as_of_us = to_us(as_of)
    whole = _fleet(stores, specials_from=None)
    split = _fleet(stores, specials_from=stores[0].as_of.date() - dt.timedelta(days=7))
    lo, hi = poll_range(as_of_us)
    prepared = PreparedFleet(whole, as_of_us=as_of_us)

    # when
    calendar = FleetCalendar(split)
    spans = calendar.open_spans(np.arange(len(stores)), lo, hi + 1)
    observed = calendar.observations(split.polls, spans, lo, hi + 1)

    # then: store by store, the explanation's spans and its observations in the range
    for i in range(len(stores)):
        explanation = prepared.explain(i)
        mine = spans.store == i
        assert spans.start_us[mine].tolist() == explanation.span_start_us.tolist()
        assert spans.end_us[mine].tolist() == explanation.span_end_us.tolist()
        in_range = explanation.observed_us >= lo  # (the explanation may hold an older one first)
        ours = observed.store == i
        assert observed.ts_us[ours].tolist() == explanation.observed_us[in_range].tolist()
        assert observed.active[ours].tolist() == explanation.observed_active[in_range].tolist()


def test_older_special_rows_are_asked_for_once_per_store_and_range() -> None:
    # given: a 24x7 store closed on a date four weeks back, that row behind OlderSpecials
    day = dt.date(2024, 6, 1)
    store = CalendarStore("UTC", (), ((day, None, None),), (), dt.datetime(2024, 6, 29, tzinfo=dt.UTC))
    fleet = _fleet([store], specials_from=dt.date(2024, 6, 20))
    calendar = FleetCalendar(fleet)
    assert isinstance(fleet.older_specials, CountingSpecials)
    start = to_us(dt.datetime(2024, 5, 31, tzinfo=dt.UTC))

    # when: the three days around the closed date, twice, then a later range already held
    first = calendar.open_spans(np.array([0]), start, start + 3 * DAY_US)
    again = calendar.open_spans(np.array([0]), start, start + 3 * DAY_US)
    calendar.open_spans(np.array([0]), start + DAY_US, start + 2 * DAY_US)

    # then: June 1 is closed (rule 11), and the rows were read once
    assert list(zip(first.start_us.tolist(), first.end_us.tolist(), strict=True)) == [
        (start, start + DAY_US),
        (start + 2 * DAY_US, start + 3 * DAY_US),
    ]
    assert (again.start_us.tolist(), again.end_us.tolist()) == (first.start_us.tolist(), first.end_us.tolist())
    assert len(fleet.older_specials.asked) == 1
