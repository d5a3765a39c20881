"""The stored incidents hold together with the contract, on PostgreSQL, through the database reader.

- Generated calendars (`bruteforce.calendar_stores`: versions, special days, polls back two
  weeks) stored as rows, refreshed: the rows are the brute force's incidents.
- A generated fleet loaded with `load_data`'s service, refreshed: for every store, its stored
  incidents clipped to each window of a report as of the latest poll add up to the report's
  downtime (docs/numbers.md rule 12).
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from alerts import services
from alerts.incidents import MINUTE_US, window_open_us
from alerts.incidents import Incident as Computed
from alerts.models import Incident, IncidentRefresh
from reports import selectors
from reports.engine import PreparedFleet
from reports.fleet import WINDOWS_US, to_us
from reports.services import AS_OF_CLOCK_SKEW
from reports.tests.bruteforce import CalendarStore, calendar_stores
from reports.tests.bruteforce import Store as BruteStore
from stores import services as store_services
from stores.generator import generate
from stores.models import BusinessHours, Poll, SpecialHours, Store

pytestmark = pytest.mark.django_db

_ids = itertools.count()


def _store_rows(store: CalendarStore) -> Store:
    """The generated store as the tables hold it (one poll per instant, inactive on a conflict)."""
    row = Store.objects.create(store_id=f"cal-{next(_ids)}", timezone_str=store.timezone_str)
    BusinessHours.objects.bulk_create(
        BusinessHours(
            store=row,
            day_of_week=dow,
            start_time_local=dt.time(start // 3600, start // 60 % 60),
            end_time_local=dt.time(end // 3600, end // 60 % 60),
            effective_from=effective_from,
        )
        for dow, start, end, effective_from in store.hours
    )
    SpecialHours.objects.bulk_create(
        SpecialHours(
            store=row,
            date=date,
            start_time_local=None if start is None else dt.time(start // 3600, start // 60 % 60),
            end_time_local=None if end is None else dt.time(end // 3600, end // 60 % 60),
        )
        for date, start, end in store.specials
    )
    polls: dict[dt.datetime, bool] = {}
    for instant, active in store.polls:
        polls[instant] = polls.get(instant, True) and active
    Poll.objects.bulk_create(Poll(store=row, observed_at_utc=t, active=a) for t, a in polls.items())
    return row


@settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(store=calendar_stores())
def test_stored_incidents_are_the_brute_forces(store: CalendarStore) -> None:
    # given: the store in the tables; its T is its latest poll at or before the store's as_of
    # (a refresh's clock, `now`, takes polls up to the clock skew a report's T may have ahead of it)
    row = _store_rows(store)
    known = [t for t, _ in store.polls if t <= store.as_of]
    try:
        # when
        services.incidents_refresh([row.pk], now=store.as_of - AS_OF_CLOCK_SKEW)

        # then
        stored = list(Incident.objects.filter(store=row).order_by("first_observed_at"))
        if not known:
            assert stored == []
            return
        as_of = max(known)
        since = IncidentRefresh.objects.get(store=row).since
        brute = BruteStore(store.timezone_str, store.hours, store.polls, as_of, store.specials)
        expected = [b for b in brute.incidents() if since is None or b.first_observed_us > to_us(since)]
        assert [
            (to_us(i.first_observed_at), to_us(i.last_observed_at), _us(i.started_at), _us(i.ended_at)) for i in stored
        ] == [(b.first_observed_us, b.last_observed_us, b.started_at_us, b.ended_at_us) for b in expected]
        for incident, b in zip(stored, expected, strict=True):
            start = b.first_observed_us if b.started_at_us is None else b.started_at_us
            end = to_us(as_of) if b.ended_at_us is None else b.ended_at_us
            assert incident.open_minutes == pytest.approx(brute.open_seconds_exact(start, end) / 60, abs=1e-9)
    finally:
        row.delete()


def _us(instant: dt.datetime | None) -> int | None:
    return None if instant is None else to_us(instant)


def _computed(row: Incident) -> Computed:
    return Computed(
        first_observed_us=to_us(row.first_observed_at),
        last_observed_us=to_us(row.last_observed_at),
        started_at_us=_us(row.started_at),
        ended_at_us=_us(row.ended_at),
        open_us=round(row.open_minutes * MINUTE_US),
        open_until_us=to_us(row.open_minutes_until),
    )


def test_a_generated_fleets_incidents_add_up_to_its_reports_downtime(tmp_path: Path) -> None:
    # given: 120 generated stores over 10 days (outages, dead stores, calendars), loaded and refreshed
    generate(tmp_path, stores=120, days=10, seed=7, special_share=0.2, versions_share=0.2)
    store_services.data_load(
        polls=tmp_path / "store_status.csv",
        hours=tmp_path / "menu_hours.csv",
        timezones=tmp_path / "timezones.csv",
        special=tmp_path / "special_hours.csv",
    )
    services.incidents_refresh(Store.objects.values_list("pk", flat=True))
    as_of = selectors.default_as_of()
    pks = list(Store.objects.order_by("pk").values_list("pk", flat=True))

    # when: a report's engine as of the latest poll
    fleet = selectors.fleet_input(as_of=as_of, pk_first=pks[0], pk_last=pks[-1])
    prepared = PreparedFleet(fleet, as_of_us=to_us(as_of))
    values = prepared.values().values
    by_id = {s.store_id: s for s in Store.objects.all()}

    # then: per store with an observation, the stored incidents clipped to each window are its downtime
    checked = with_incidents = 0
    for index, store_id in enumerate(fleet.store_ids):
        explanation = prepared.explain(index)
        if not len(explanation.observed_us):
            continue
        incidents = [_computed(r) for r in Incident.objects.filter(store=by_id[store_id]).order_by("first_observed_at")]
        for w, window_us in enumerate(WINDOWS_US):
            minutes = (
                window_open_us(
                    incidents,
                    explanation.span_start_us,
                    explanation.span_end_us,
                    as_of_us=to_us(as_of),
                    window_us=window_us,
                )
                / MINUTE_US
            )
            unit = 1 if w == 0 else 60
            assert minutes == pytest.approx(values[index, 3 + w] * unit, abs=1e-6), (store_id, w)
        checked += 1
        with_incidents += bool(incidents)
    assert checked > 100 and with_incidents > 20
    assert np.isfinite(values).all()
