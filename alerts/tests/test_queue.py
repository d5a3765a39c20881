"""A real worker keeps the incidents up to date: polls pushed over HTTP open, then resolve, an incident.

A real Celery worker process, a real HTTP server, the configured broker and database (CI:
Redis and PostgreSQL), nothing run inline.
"""

import json
import time
import urllib.request

import pytest

from alerts.conftest import EXAMPLE_J_STORE, ny
from alerts.models import Incident
from stores.conftest import make_store

pytestmark = [pytest.mark.queue, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _push(base_url: str, key: str, *polls: tuple[str, str]) -> None:
    body = json.dumps([{"store_id": EXAMPLE_J_STORE, "timestamp_utc": t, "status": s} for t, s in polls]).encode()
    request = urllib.request.Request(
        f"{base_url}/api/polls",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _wait_for(predicate, *, what: str, timeout: float = 60) -> Incident:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        incident = Incident.objects.filter(store__store_id=EXAMPLE_J_STORE).first()
        if incident is not None and predicate(incident):
            return incident
        time.sleep(0.1)
    raise TimeoutError(f"never {what}; incidents: {list(Incident.objects.values())}")


def test_pushed_polls_open_and_resolve_an_incident_in_a_real_worker(live_server, start_worker, api_key):
    # given: example A's store (Mondays 09:00-12:00 New York) and a worker
    store = make_store(EXAMPLE_J_STORE, timezone_str="America/New_York", hours=[(0, "09:00", "12:00")])
    start_worker()

    # when: an active poll at 10:14, then an inactive one at 11:15, are pushed over HTTP
    _push(live_server.url, api_key, ("2023-01-23T15:14:00Z", "active"))
    _push(live_server.url, api_key, ("2023-01-23T16:15:00Z", "inactive"))

    # then: the worker opens the incident of example J, from the 10:44:30 midpoint
    opened = _wait_for(lambda i: i.last_observed_at == ny(2023, 1, 23, 11, 15), what="opened")
    assert opened.state == "open" and opened.started_at == ny(2023, 1, 23, 10, 44, 30)

    # when: next Monday 09:30 is active
    _push(live_server.url, api_key, ("2023-01-30T14:30:00Z", "active"))

    # then: the same incident is resolved at the midpoint, Thursday 22:22:30 local, 75.5 open minutes
    resolved = _wait_for(lambda i: i.ended_at is not None, what="resolved")
    assert resolved.pk == opened.pk
    assert resolved.ended_at == ny(2023, 1, 26, 22, 22, 30)
    assert resolved.open_minutes == 75.5
    assert Incident.objects.filter(store=store).count() == 1
