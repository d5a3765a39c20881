"""The monitor end to end: polls pushed over HTTP with a brand's key, a real Celery worker, a real
webhook receiver that verifies each signature with the `standardwebhooks` package, and a real SMTP
server. An inactive poll during open hours delivers `incident.opened` with rule 12's start; an
active one `incident.resolved` with its end; polls outside business hours, a closed holiday
included, deliver nothing."""

import datetime as dt
import json
import time
import urllib.request

import pytest
from django.utils import timezone

from alerts.models import Incident
from brands.models import Role
from brands.services import apikey_create
from notifications.models import EmailRecipient
from stores.conftest import make_store
from stores.models import SpecialHours

pytestmark = [pytest.mark.queue, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _push(base_url: str, key: str, store_id: str, *polls: tuple[dt.datetime, str]) -> None:
    body = json.dumps(
        [{"store_id": store_id, "timestamp_utc": at.isoformat(), "status": status} for at, status in polls]
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/api/polls",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _wait(predicate, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.1)
    raise TimeoutError(f"never {what}")


def test_a_store_gone_dark_in_its_hours_is_told_by_webhook_and_email_and_closed_time_tells_nothing(
    live_server, start_worker, acme, receiver, smtp_server, private_allowed
):
    # given: a worker that may reach 127.0.0.1 and mails through the test's SMTP server
    start_worker(env={"WEBHOOK_ALLOW_PRIVATE": "1", "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}"})
    hook = receiver()
    hook.subscribe(acme, ["incident.opened", "incident.resolved"])
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["incident.opened"])
    key = apikey_create(brand=acme, role=Role.OPERATOR, name="till")[1]
    now = timezone.now().replace(microsecond=0)
    today = now.date()
    open_store = make_store("open-24x7", timezone_str="UTC")  # no hours: open 24x7 (rule 5)
    # Open 24x7 too, but closed all of today: a holiday (rule 11)
    holiday = make_store("holiday", timezone_str="UTC")
    SpecialHours.objects.create(store=holiday, date=today)
    SpecialHours.objects.create(store=holiday, date=today - dt.timedelta(days=1))
    for store in (open_store, holiday):
        store.brand = acme
        store.save(update_fields=["brand"])
    first = now - dt.timedelta(minutes=20)  # today or, just after midnight, yesterday: both closed
    dark = first + dt.timedelta(seconds=60)

    # when: an active then an inactive poll of each store
    _push(live_server.url, key, "holiday", (first, "active"), (dark, "inactive"))
    _push(live_server.url, key, "open-24x7", (first, "active"), (dark, "inactive"))

    # then: the open store's incident arrives, signed, with rule 12's start: the midpoint
    (opened,) = hook.wait_for(1)
    assert opened.verified, opened.error
    assert opened.payload["type"] == "incident.opened"
    data = opened.payload["data"]
    assert data["store_id"] == "open-24x7"
    assert data["started_at"] == (first + dt.timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    assert data["ended_at"] is None
    ((to, message),) = smtp_server.wait_for(1)
    assert to == ["ops@acme.example"] and "open-24x7" in message["Subject"]

    # when: the store is back
    back = dark + dt.timedelta(seconds=60)
    _push(live_server.url, key, "open-24x7", (back, "active"))

    # then: resolved, with rule 12's end
    opened_again, resolved = hook.wait_for(2)
    assert resolved.verified and resolved.payload["type"] == "incident.resolved"
    assert resolved.payload["data"]["ended_at"] == (dark + dt.timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    # and the holiday store, closed all day, opened no incident and told nothing
    _wait(lambda: Incident.objects.filter(store=open_store, ended_at__isnull=False).exists(), "resolved")
    assert not Incident.objects.filter(store=holiday).exists()
    assert [r.payload["data"]["store_id"] for r in hook.received] == ["open-24x7", "open-24x7"]
