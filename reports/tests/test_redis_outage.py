"""A shared Redis goes down (hardening issue): with the throttle cache and the broker on one
Redis, as in docker-compose.yml, POST /trigger_report answered 500. It answers 503 JSON with the
reason, leaves no report Pending (one created is Failed), and /healthz names what is down.

The test runs a throwaway redis-server of its own and kills it (SIGKILL), so the suite's Redis
is never touched. Its port: the first free one in LOOPMONITOR_TEST_PORTS ("19200-19299"), else
one the OS picks.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from reports.models import Report

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    first, _, last = os.environ.get("LOOPMONITOR_TEST_PORTS", "").partition("-")
    candidates = range(int(first), int(last) + 1) if first and last else [0]
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in LOOPMONITOR_TEST_PORTS={os.environ['LOOPMONITOR_TEST_PORTS']}")


@pytest.fixture
def throwaway_redis(tmp_path) -> Iterator[tuple[str, subprocess.Popen]]:
    """(url, process) of a redis-server of this test's own, stopped afterwards."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("LOOPMONITOR_REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is not installed (LOOPMONITOR_REQUIRE_SERVICES=1: this test must run)")
        pytest.skip("needs redis-server")
    port = _free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


@pytest.fixture
def shared_redis(throwaway_redis, settings, monkeypatch) -> Iterator[subprocess.Popen]:
    """This process's throttle cache and broker on the throwaway Redis (db 1 and db 0)."""
    from loopmonitor.celery import app

    url, process = throwaway_redis
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"{url}/1"}}
    saved = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", f"{url}/0")  # Celery reads the variable first
    app.conf["broker_url"] = f"{url}/0"  # what attribute assignment does (the stubs make it read-only)
    # The connection pools, dropped so the next send connects to the new URL: private, so not in the stubs.
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        app.conf["broker_url"] = saved
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]


def test_trigger_with_the_shared_redis_down_is_503_with_the_reason_and_nothing_pending(
    api, example_fleet, shared_redis
):
    # given: a trigger that works while Redis is up
    before = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json")
    assert before.status_code == 202
    queued = set(Report.objects.values_list("pk", flat=True))

    # when: Redis dies
    shared_redis.send_signal(signal.SIGKILL)
    shared_redis.wait(10)
    response = api.post("/trigger_report", {"as_of": "2023-01-23T16:00:00Z"}, format="json")

    # then
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "throttle cache is unreachable" in response.json()["detail"]
    assert "Connection refused" in response.json()["detail"]  # the reason
    assert set(Report.objects.exclude(pk__in=queued).values_list("status", flat=True)) <= {Report.Status.FAILED}
    health = api.get("/healthz")
    assert health.status_code == 503
    assert health.json()["database"] == "ok"
    assert health.json()["broker"].startswith("error") and health.json()["cache"].startswith("error")


def test_healthz_says_ok_for_a_live_shared_redis(api, shared_redis, worker_alive):
    response = api.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok", "worker": "ok"}
