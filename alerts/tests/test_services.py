"""incidents_refresh on PostgreSQL: example J end to end, identity, idempotency, order, the region,
the triggers after a push or a load, and the repair."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterable

import pytest

from alerts import services
from alerts.conftest import EXAMPLE_J_STORE, ny, polls_add
from alerts.incidents import Incident as Computed
from alerts.models import Incident, IncidentRefresh
from reports.fleet import to_us
from stores import services as store_services
from stores.conftest import make_store
from stores.models import BusinessHours, Poll, Store

pytestmark = pytest.mark.django_db

COMPUTED = ("first_observed_at", "last_observed_at", "started_at", "ended_at", "open_minutes", "open_minutes_until")


def rows(store: Store) -> list[tuple]:
    """The computed fields of the store's incidents, oldest first."""
    return list(Incident.objects.filter(store=store).order_by("first_observed_at").values_list(*COMPUTED))


def every_column(store: Store) -> list[dict[str, object]]:
    return [dict(row) for row in Incident.objects.filter(store=store).order_by("id").values()]


# --- docs/numbers.md example J, stored ------------------------------------------------------------


def test_example_j_open_then_resolved_keeps_one_row(example_j):
    # when: the two polls of example A are refreshed
    services.incidents_refresh([example_j.pk])

    # then: one open incident from 10:44:30 local, counted up to the latest poll (11:15)
    (incident,) = Incident.objects.filter(store=example_j)
    assert incident.state == "open" and incident.start_known
    assert incident.started_at == ny(2023, 1, 23, 10, 44, 30)
    assert incident.first_observed_at == incident.last_observed_at == ny(2023, 1, 23, 11, 15)
    assert incident.open_minutes == 30.5 and incident.open_minutes_until == ny(2023, 1, 23, 11, 15)

    # when: a poll after closing arrives (13:00, active): outside business hours, yet the store's latest poll
    polls_add(example_j, (ny(2023, 1, 23, 13, 0), True))
    services.incidents_refresh([example_j.pk])

    # then: still open, with all of example A's downtime: 75.5 minutes
    incident.refresh_from_db()
    assert (incident.state, incident.open_minutes) == ("open", 75.5)
    assert incident.open_minutes_until == ny(2023, 1, 23, 13, 0)

    # when: next Monday 09:30 is active
    polls_add(example_j, (ny(2023, 1, 30, 9, 30), True))
    services.incidents_refresh([example_j.pk])

    # then: the same row, resolved at the midpoint, Thursday 22:22:30 local
    (resolved,) = Incident.objects.filter(store=example_j)
    assert resolved.pk == incident.pk and resolved.created_at == incident.created_at
    assert resolved.state == "resolved"
    assert resolved.ended_at == ny(2023, 1, 26, 22, 22, 30)
    assert resolved.open_minutes == 75.5


# --- Idempotency, order, identity -------------------------------------------------------------------


def test_a_second_refresh_changes_nothing(example_j):
    services.incidents_refresh([example_j.pk])
    before = every_column(example_j)

    counts = services.incidents_refresh([example_j.pk])

    assert every_column(example_j) == before
    assert (counts.inserted, counts.updated, counts.deleted, counts.unchanged) == (0, 0, 0, 1)


def flapping_polls(seed: int, days: int = 21) -> list[tuple[dt.datetime, bool]]:
    """`days` of polls every 90 minutes, mostly active, runs of inactive ones, some conflicts."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 5, 20, 0, 7, tzinfo=dt.UTC)
    polls = []
    active = True
    for k in range(days * 16):
        if rng.random() < 0.15:
            active = not active
        polls.append((start + k * dt.timedelta(minutes=90), active))
    polls += [(t, not a) for t, a in rng.sample(polls, 5)]
    return polls


def rows_since_horizon(store: Store) -> list[tuple]:
    """`rows` after the listing's start of the store's last refresh: what a refresh decides."""
    since = IncidentRefresh.objects.get(store=store).since
    return [row for row in rows(store) if since is None or row[1] >= since]


@pytest.mark.parametrize(("seed", "days"), [(1, 7), (2, 7), (3, 21), (4, 21)])
def test_polls_in_any_order_end_in_the_rows_of_all_of_them_at_once(seed, days):
    # given: two stores with the same hours, one fed its polls in time order, one shuffled,
    # refreshing after every batch; a third given them all at once
    polls = flapping_polls(seed, days)
    hours = [(d, "08:00", "22:00") for d in range(5)]
    in_order, shuffled, at_once = (
        make_store(f"s{seed}-{k}", timezone_str="Europe/London", hours=hours) for k in range(3)
    )
    mixed = polls[:]
    random.Random(seed).shuffle(mixed)
    for store, sequence in ((in_order, sorted(polls)), (shuffled, mixed)):
        for i in range(0, len(sequence), 25):
            polls_add(store, *sequence[i : i + 25])
            services.incidents_refresh([store.pk])
    polls_add(at_once, *polls)

    # when
    services.incidents_refresh([at_once.pk])

    # then: the same incidents from the horizon on (all of them within a week), and a few at least
    assert rows_since_horizon(in_order) == rows_since_horizon(shuffled) == rows_since_horizon(at_once)
    assert len(rows_since_horizon(at_once)) >= 2
    if days < 8:
        assert rows(in_order) == rows(shuffled) == rows(at_once)


def test_a_late_poll_before_a_run_extends_the_row_and_one_inside_splits_it():
    # given: a 24x7 store active at 10:00, inactive at 12:00 and 14:00, active at 16:00
    store = make_store("late", timezone_str="UTC")
    day = dt.datetime(2024, 6, 10, tzinfo=dt.UTC)
    polls_add(store, (day.replace(hour=10), True), (day.replace(hour=12), False), (day.replace(hour=14), False))
    polls_add(store, (day.replace(hour=16), True))
    services.incidents_refresh([store.pk])
    (first,) = Incident.objects.filter(store=store)

    # when: a late inactive poll at 11:00 arrives
    polls_add(store, (day.replace(hour=11), False))
    services.incidents_refresh([store.pk])

    # then: the same row, now from the 10:30 midpoint
    (extended,) = Incident.objects.filter(store=store)
    assert extended.pk == first.pk
    assert (extended.first_observed_at, extended.started_at) == (day.replace(hour=11), day.replace(hour=10, minute=30))

    # when: a late active poll at 13:00 splits the run
    polls_add(store, (day.replace(hour=13), True))
    services.incidents_refresh([store.pk])

    # then: the row keeps the first part; the second is a new row
    earlier, later = Incident.objects.filter(store=store).order_by("first_observed_at")
    assert earlier.pk == first.pk and earlier.ended_at == day.replace(hour=12, minute=30)
    assert later.pk != first.pk and later.started_at == day.replace(hour=13, minute=30)


def test_an_incident_that_no_longer_exists_is_deleted(example_j):
    services.incidents_refresh([example_j.pk])
    assert Incident.objects.filter(store=example_j).exists()

    # when: Monday's hours end at 11:00, so the 11:15 poll is no observation any more
    BusinessHours.objects.filter(store=example_j).update(end_time_local=dt.time(11, 0))
    counts = services.incidents_refresh([example_j.pk])

    assert counts.deleted == 1 and not Incident.objects.filter(store=example_j).exists()


def test_a_store_without_polls_has_no_incidents_and_loses_them_with_its_polls(example_j):
    services.incidents_refresh([example_j.pk])

    Poll.objects.filter(store=example_j).delete()
    services.incidents_refresh([example_j.pk])

    assert not Incident.objects.filter(store=example_j).exists()
    assert IncidentRefresh.objects.get(store=example_j).as_of is None


def test_a_poll_after_now_is_not_current_yet(example_j):
    polls_add(example_j, (ny(2023, 1, 30, 9, 30), True))

    services.incidents_refresh([example_j.pk], now=ny(2023, 1, 23, 12, 0))
    assert Incident.objects.get(store=example_j).state == "open"

    services.incidents_refresh([example_j.pk], now=ny(2023, 1, 30, 9, 30))
    assert Incident.objects.get(store=example_j).state == "resolved"


# --- The region: incidents older than the horizon stay as they were ---------------------------------


def test_incidents_before_the_horizon_are_left_alone(settings):
    # given: a 24x7 store with an incident a month ago, active since, and a fresh incident
    settings.INCIDENTS_LOOKBACK_DAYS = 8
    store = make_store("old-and-new", timezone_str="UTC")
    t = dt.datetime(2024, 6, 15, 12, tzinfo=dt.UTC)
    month = t - dt.timedelta(days=30)
    polls_add(store, (month, True), (month + dt.timedelta(hours=1), False), (month + dt.timedelta(hours=2), True))
    services.incidents_refresh([store.pk])  # then, the old incident was the latest
    polls_add(store, (t - dt.timedelta(days=10), True), (t - dt.timedelta(hours=2), True))
    polls_add(store, (t - dt.timedelta(hours=1), False), (t, True))
    services.incidents_refresh([store.pk])
    old, new = Incident.objects.filter(store=store).order_by("first_observed_at")
    assert IncidentRefresh.objects.get(store=store).since == t - dt.timedelta(days=10)

    # when: the old incident's data changes behind the horizon (a late poll inside it)
    polls_add(store, (month + dt.timedelta(minutes=90), True))
    Incident.objects.filter(pk=old.pk).update(open_minutes=1234.0)  # a marker: is the row rewritten?
    services.incidents_refresh([store.pk])

    # then: the old row is untouched, the new one recomputed as before
    assert Incident.objects.get(pk=old.pk).open_minutes == 1234.0
    assert Incident.objects.get(pk=new.pk).open_minutes == new.open_minutes == 60.0


def test_many_stores_in_one_refresh_are_each_what_they_would_be_alone(settings):
    # given: 30 stores with T days apart, refreshed in batches of 7 (scattered keys included)
    settings.INCIDENTS_BATCH_STORES = 7
    stores = []
    for k in range(30):
        shift = dt.timedelta(days=3 * k)
        hours = [(d, "06:00", "23:00") for d in range(7)]
        polls = _one_per_instant((t - shift, a) for t, a in flapping_polls(k)[:150])
        stores.append(make_store(f"many-{k:02}", timezone_str="America/Chicago", hours=hours, polls=polls))

    # when
    counts = services.incidents_refresh([s.pk for s in stores])
    together = {s.pk: rows(s) for s in stores}
    Incident.objects.all().delete()
    for store in stores:
        services.incidents_refresh([store.pk])

    # then
    assert counts.stores == 30
    assert {s.pk: rows(s) for s in stores} == together
    assert sum(map(len, together.values())) > 30


def _one_per_instant(polls: Iterable[tuple[dt.datetime, bool]]) -> list[tuple[dt.datetime, bool]]:
    """The polls as stored: one per instant, inactive if any of that instant's is (rule 7)."""
    merged: dict[dt.datetime, bool] = {}
    for instant, active in polls:
        merged[instant] = merged.get(instant, True) and active
    return sorted(merged.items())


def test_groups_are_bounded_in_size_and_in_key_range():
    assert list(services.store_batches([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(services.store_batches([1, 2, 100, 101], 10)) == [[1, 2], [100, 101]]
    assert list(services.store_batches([], 10)) == []


# --- Triggers: after a push and after a load ---------------------------------------------------------


@pytest.fixture
def inline_refresh(settings):
    """Refresh tasks run inline, in this process."""
    from loopmonitor.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


def test_a_pushed_batch_refreshes_its_stores_once_committed(
    example_j, inline_refresh, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        store_services.polls_push(
            items=[{"store_id": EXAMPLE_J_STORE, "timestamp_utc": "2023-01-23T18:00:00Z", "status": "active"}]
        )

    assert len(callbacks) == 1
    incident = Incident.objects.get(store=example_j)
    assert incident.open_minutes == 75.5  # counted up to the pushed poll (13:00 local)


def test_a_load_refreshes_the_stores_it_names_once_committed(
    example_j, inline_refresh, django_capture_on_commit_callbacks
):
    other = make_store("untouched", timezone_str="UTC", polls=[(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), False)])
    csv_text = f"store_id,timestamp_utc,status\n{EXAMPLE_J_STORE},2023-01-23 18:00:00 UTC,active\n"

    with django_capture_on_commit_callbacks(execute=True):
        store_services.data_load(polls=io.StringIO(csv_text))

    assert Incident.objects.get(store=example_j).open_minutes == 75.5
    assert not Incident.objects.filter(store=other).exists()  # not named: not refreshed


def test_a_load_that_changes_nothing_refreshes_nothing(example_j, django_capture_on_commit_callbacks):
    csv_text = f"store_id,timestamp_utc,status\n{EXAMPLE_J_STORE},2023-01-23 15:14:00 UTC,active\n"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        store_services.polls_load(io.StringIO(csv_text), name="same.csv")

    assert callbacks == []


def test_a_broker_that_cannot_take_the_refresh_does_not_fail_the_push(example_j, monkeypatch, caplog):
    # given: a broker URL nothing listens on (a refused connection, as when Redis is down)
    from loopmonitor.celery import app

    saved = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # Celery reads the variable first
    app.conf["broker_url"] = "redis://127.0.0.1:1/0"
    # The connection pools, dropped so the next send connects to the new URL (as test_redis_outage does).
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]
    try:
        # when
        queued = services.incidents_refresh_enqueue(store_pks=[example_j.pk])
    finally:
        app.conf["broker_url"] = saved
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    # then
    assert queued == 0
    assert "the repair task will do it" in caplog.text


# --- Repair -------------------------------------------------------------------------------------------


def test_repair_finds_the_stores_whose_polls_arrived_after_their_refresh(example_j, inline_refresh):
    # given: one store refreshed, one never refreshed, one refreshed and then given a poll
    never = make_store("never", timezone_str="UTC", polls=[(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), False)])
    later = make_store("later", timezone_str="UTC", polls=[(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), True)])
    services.incidents_refresh([example_j.pk, later.pk])
    polls_add(later, (dt.datetime(2024, 1, 1, 1, tzinfo=dt.UTC), False))
    # (The ORM stamps a poll with the database's now(), this test transaction's start: stamp it as a
    # load committed after the refresh would.)
    after = IncidentRefresh.objects.get(store=later).polls_received_until + dt.timedelta(microseconds=1)
    Poll.objects.filter(store=later, active=False).update(received_at=after)

    # when
    repaired = services.incidents_repair()

    # then: the two stale ones, refreshed (inline)
    assert repaired == sorted([never.pk, later.pk])
    assert Incident.objects.filter(store=never).exists() and Incident.objects.filter(store=later).exists()
    assert services.incidents_repair() == []


def test_repair_finds_a_store_whose_future_poll_became_current(example_j, inline_refresh):
    polls_add(example_j, (ny(2023, 1, 30, 9, 30), True))
    services.incidents_refresh([example_j.pk], now=ny(2023, 1, 23, 12, 0))

    assert services.incidents_repair(now=ny(2023, 1, 30, 10, 0)) == [example_j.pk]
    assert Incident.objects.get(store=example_j).state == "resolved"


def test_refresh_counts_as_of_t_in_microseconds(example_j):
    services.incidents_refresh([example_j.pk])
    refresh = IncidentRefresh.objects.get(store=example_j)

    assert refresh.as_of is not None and to_us(refresh.as_of) == to_us(ny(2023, 1, 23, 11, 15))
    assert refresh.since is None  # no active observation before the horizon: the whole history


def test_beat_runs_the_repair_task(settings):
    from alerts import tasks
    from loopmonitor.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["repair-incidents"]

    assert entry["task"] == tasks.incidents_repair_task.name and entry["task"] in app.tasks
    assert entry["schedule"] == settings.INCIDENTS_REPAIR_EVERY_SECONDS


def _row(pk: int, first_h: int, last_h: int) -> Incident:
    day = dt.datetime(2024, 6, 10, tzinfo=dt.UTC)
    return Incident(
        pk=pk, first_observed_at=day + dt.timedelta(hours=first_h), last_observed_at=day + dt.timedelta(hours=last_h)
    )


def _run(first_h: int, last_h: int) -> Computed:
    day_us = to_us(dt.datetime(2024, 6, 10, tzinfo=dt.UTC))
    first, last = day_us + first_h * 3_600_000_000, day_us + last_h * 3_600_000_000
    return Computed(first, last, None, None, 0, last)


def test_a_row_stands_for_the_first_run_it_overlaps_its_own_first_observation_preferred():
    # rows 1 (1-5) and 2 (3-4): runs 3-4 and 5-6 -> row 2 is run 3-4 exactly, row 1 takes run 5-6
    pairs, gone = services.incidents_match([_row(1, 1, 5), _row(2, 3, 4)], [_run(3, 4), _run(5, 6)])
    assert [row.pk if row else None for _, row in pairs] == [2, 1] and gone == []

    # a split: row 1 (1-6) keeps the first part, the second is new
    pairs, gone = services.incidents_match([_row(1, 1, 6)], [_run(1, 2), _run(5, 6)])
    assert [row.pk if row else None for _, row in pairs] == [1, None] and gone == []

    # a merge: two rows, one run: the earlier row stays, the later one goes
    pairs, gone = services.incidents_match([_row(1, 1, 2), _row(2, 5, 6)], [_run(0, 6)])
    assert [row.pk if row else None for _, row in pairs] == [1] and [r.pk for r in gone] == [2]

    # rows overlapping nothing go, wherever they lie
    pairs, gone = services.incidents_match([_row(1, 0, 1), _row(2, 3, 3), _row(3, 9, 9)], [_run(2, 2), _run(4, 5)])
    assert [row for _, row in pairs] == [None, None] and [r.pk for r in gone] == [1, 2, 3]


def test_a_poll_a_little_ahead_of_the_clock_counts_at_once(example_j):
    # a device's clock two minutes ahead of ours: its active poll of next Monday resolves the incident
    polls_add(example_j, (ny(2023, 1, 30, 9, 30), True))

    services.incidents_refresh([example_j.pk], now=ny(2023, 1, 30, 9, 28))

    assert Incident.objects.get(store=example_j).state == "resolved"


def test_new_hours_through_the_api_refresh_the_stores_incidents_once_committed(
    example_j, inline_refresh, django_capture_on_commit_callbacks
):
    """Hours decide which polls are observations: closing 11:00-12:00 leaves 11:15 outside the
    hours, so example J's incident is gone once the new version commits (no repair needed)."""
    from brands.access import Caller
    from stores import calendar_services

    services.incidents_refresh([example_j.pk])
    assert Incident.objects.filter(store=example_j).count() == 1

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        calendar_services.business_hours_version_replace(
            caller=Caller(is_staff=True),
            store_id=EXAMPLE_J_STORE,
            body={
                "effective_from": None,
                "rows": [{"day_of_week": 0, "start_time_local": "09:00:00", "end_time_local": "11:00:00"}],
            },
        )

    assert len(callbacks) == 1
    assert not Incident.objects.filter(store=example_j).exists()
