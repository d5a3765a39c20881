"""incident.opened / incident.resolved told once each, never for old data, no storm from a flapping
store (alerts/notify.py). The events recorded by notifications.notify are read back (PostgreSQL)."""

import datetime as dt

import pytest

from alerts import notify, services
from alerts.conftest import polls_add
from alerts.models import Incident
from brands.services import brand_get_or_create
from notifications.models import Event
from stores.conftest import make_store

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def store():
    """A 24x7 UTC store of brand acme, active at NOW - 60 min."""
    shop = make_store("shop", timezone_str="UTC", polls=[(NOW - dt.timedelta(minutes=60), True)])
    shop.brand = brand_get_or_create(slug="acme")
    shop.save(update_fields=["brand"])
    return shop


def _at(minutes: float) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def _step(store, minutes: float, active: bool):
    """A poll at NOW + minutes, refreshed and told as a worker would at that moment."""
    polls_add(store, (_at(minutes), active))
    services.incidents_refresh([store.pk], now=_at(minutes))
    return notify.incident_notifications_send(store_pks=[store.pk], now=_at(minutes))


def _last() -> Event:
    event = Event.objects.order_by("pk").last()
    assert event is not None
    return event


def _told() -> list[tuple[str, str | None]]:
    return [(e.type, e.idempotency_key) for e in Event.objects.order_by("created_at", "pk")]


def test_an_incident_is_told_opened_then_resolved_once_each_with_its_api_row(store):
    _step(store, -50, False)
    (incident,) = Incident.objects.all()
    assert _told() == [("incident.opened", f"incident:{incident.pk}:opened")]
    opened = Event.objects.get()
    assert opened.payload["data"]["store_id"] == "shop"
    assert opened.payload["data"]["started_at"] == "2026-12-02T11:05:00Z"  # midpoint of -60 and -50
    assert opened.payload["data"]["ended_at"] is None

    notify.incident_notifications_send(now=_at(-49))  # again (the repair): nothing new
    _step(store, -40, True)

    assert _told() == [
        ("incident.opened", f"incident:{incident.pk}:opened"),
        ("incident.resolved", f"incident:{incident.pk}:resolved"),
    ]
    assert _last().payload["data"]["ended_at"] == "2026-12-02T11:15:00Z"


def test_a_flapping_store_sends_one_pair_per_gap_and_a_lasting_outage_is_told_after_it(store, settings):
    settings.INCIDENT_NOTIFY_MIN_MINUTES = 15
    _step(store, -50, False)  # opened: told
    _step(store, -48, True)  # resolved: told
    _step(store, -46, False)  # a flap inside the gap: waits
    counts = _step(store, -44, True)  # ... and ends inside it: never told
    assert counts.opened == 0
    _step(store, -42, False)  # dark again, still inside the gap: waits
    assert [kind for kind, _ in _told()] == ["incident.opened", "incident.resolved"]

    # The gap has passed and the store is still dark: the repair tells it (late, never lost).
    late = notify.incident_notifications_send(now=_at(-30))
    assert late.opened == 1
    assert [kind for kind, _ in _told()] == ["incident.opened", "incident.resolved", "incident.opened"]
    assert _last().payload["data"]["started_at"] == "2026-12-02T11:17:00Z"


def test_old_outages_loaded_later_tell_nobody(store, settings):
    settings.INCIDENT_NOTIFY_MAX_AGE_MINUTES = 120
    polls_add(store, (_at(-50), False))
    services.incidents_refresh([store.pk], now=_at(180))
    counts = notify.incident_notifications_send(now=_at(180))  # last observed 230 minutes ago
    assert (counts.opened, _told()) == (0, [])


def test_a_store_of_no_brand_is_marked_but_tells_no_one(store):
    store.brand = None
    store.save(update_fields=["brand"])
    _step(store, -50, False)
    assert _told() == []
    assert Incident.objects.get().notified_opened_at == _at(-50)
