"""/healthz says whether a worker is alive (reports.heartbeat), and answers 503 naming what is
missing; /healthz/web is the web server's own probe. The queue tests start and stop real workers."""

import datetime as dt
import json
import time
import urllib.error
import urllib.request

import pytest
from rest_framework.test import APIClient

from loopmonitor.celery import app as celery_app
from reports.heartbeat import heartbeat_forget, heartbeat_record, workers_alive
from reports.models import WorkerHeartbeat

NO_WORKER = "no worker has reported in 30 s"


@pytest.mark.django_db
def test_without_a_worker_healthz_is_503_naming_it():
    response = APIClient().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "broker": "ok",
        "cache": "ok",
        "worker": NO_WORKER,
    }


@pytest.mark.django_db
def test_a_worker_that_reported_makes_healthz_ok_until_it_leaves():
    heartbeat_record(hostname="celery@a")
    heartbeat_record(hostname="celery@a")  # a second beat updates its row

    assert APIClient().get("/healthz").status_code == 200
    assert WorkerHeartbeat.objects.count() == 1

    heartbeat_forget(hostname="celery@a")
    assert APIClient().get("/healthz").json()["worker"] == NO_WORKER


@pytest.mark.django_db
def test_a_heartbeat_older_than_the_stale_limit_counts_for_nothing():
    heartbeat_record(hostname="celery@old")
    WorkerHeartbeat.objects.update(seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=31))

    assert workers_alive(within_seconds=30) == []
    assert APIClient().get("/healthz").json()["worker"] == NO_WORKER
    heartbeat_record(hostname="celery@new")
    assert workers_alive(within_seconds=30) == ["celery@new"]
    assert workers_alive(within_seconds=120) == ["celery@new", "celery@old"]


@pytest.mark.django_db
def test_the_web_probe_leaves_the_workers_out():
    response = APIClient().get("/healthz/web")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_tasks_run_inline_need_no_worker(eager_tasks):
    assert APIClient().get("/healthz").json()["worker"] == "ok"


@pytest.mark.django_db
def test_the_page_asks_healthz_about_the_worker(admin_client):
    """The page carries the check (reports/static/reports/worker_check.js), which builds its message
    from text only; the browser test sees it say so."""
    from django.contrib.staticfiles import finders

    html = admin_client.get("/").content.decode()

    assert "reports/worker_check.js" in html
    found = finders.find("reports/worker_check.js")
    assert isinstance(found, str)
    script = open(found).read()
    assert 'fetch("/healthz"' in script and "No worker is running" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


# --- Real workers ------------------------------------------------------------------------------


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _health_until(url: str, status: int, *, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    seen: tuple[int, dict] = (0, {})
    while time.monotonic() < deadline:
        seen = _health(url)
        if seen[0] == status:
            return seen[1]
        time.sleep(0.1)
    raise TimeoutError(f"/healthz never answered {status}; last answer: {seen}")


@pytest.mark.queue
@pytest.mark.django_db(transaction=True)
def test_healthz_follows_a_real_worker_started_and_stopped(live_server, start_worker):
    assert celery_app.conf.task_always_eager is False
    # given no worker: 503, naming it
    status, answer = _health(live_server.url)
    assert (status, answer["worker"]) == (503, NO_WORKER)

    # when a worker starts, it reports in: 200
    worker = start_worker()
    assert _health_until(live_server.url, 200)["worker"] == "ok"
    [hostname] = WorkerHeartbeat.objects.values_list("hostname", flat=True)
    assert hostname.startswith("worker-")

    # when it stops (SIGTERM, as Ctrl-C in make run), it says so on its way out: 503 at once
    worker.stop()
    assert not WorkerHeartbeat.objects.exists()
    assert _health(live_server.url) == (503, {**answer, "worker": NO_WORKER})


@pytest.mark.queue
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_missed_once_its_heartbeat_is_stale(live_server, start_worker, settings):
    # given a worker beating every half second, and a stale limit of two seconds
    settings.WORKER_HEARTBEAT_STALE_SECONDS = 2
    worker = start_worker(env={"WORKER_HEARTBEAT_SECONDS": "0.5"})
    _health_until(live_server.url, 200)
    first = WorkerHeartbeat.objects.get().seen_at
    deadline = time.monotonic() + 30
    while WorkerHeartbeat.objects.get().seen_at == first and time.monotonic() < deadline:
        time.sleep(0.1)
    assert WorkerHeartbeat.objects.get().seen_at > first  # it beats, not only once

    # when it is killed outright (nothing runs its shutdown)
    worker.kill()

    # then its row stays, but ages out: 503 naming the worker
    assert WorkerHeartbeat.objects.exists()
    assert _health_until(live_server.url, 503)["worker"] == "no worker has reported in 2 s"
