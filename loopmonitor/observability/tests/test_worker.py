"""A report through a real Celery worker process (prefork, two children), triggered over HTTP on
a live server, seen from outside: /metrics merges what the worker's children counted, and the
worker's JSON log lines name the request that started it.

On CI that is Redis and PostgreSQL; on a bare machine the embedded default (filesystem broker
and SQLite), as reports/tests/test_queue.py.
"""

import json
import logging
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loopmonitor.observability import logs, multiproc
from loopmonitor.observability.tests.conftest import Scrape, parse
from reports.models import Report

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]

SHARD_TASK = "reports.tasks.report_shard_task"
PLAN_TASK = "reports.tasks.report_generate_task"


def _http(url: str, *, headers: dict[str, str], body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read().decode()


def _until(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    """Waits until `check()` holds (the worker writes its last counts just after the report's row)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"never: {what}")
        time.sleep(0.1)


def _trigger(live_server, api_key: str, request_id: str) -> tuple[str, dict[str, str]]:
    status, headers, body = _http(
        f"{live_server.url}/trigger_report",
        headers={"Authorization": f"Token {api_key}", "X-Request-ID": request_id},
        body={"as_of": "2023-01-23T17:00:00Z"},
    )
    assert status == 202
    return json.loads(body)["report_id"], headers


def test_a_report_in_a_real_worker_shows_in_metrics_queue_time_duration_and_shards(
    live_server, start_worker, example_fleet, api_key, metrics_on
):
    def scrape() -> Scrape:
        _, _, text = _http(f"{live_server.url}/metrics", headers={"Authorization": f"Bearer {metrics_on}"})
        return parse(text)

    owners_before = {p.stem.rsplit("_", 1)[-1] for p in multiproc.folder().glob("*.db")}
    before = scrape()

    # given a report triggered while no worker runs: it waits in the queue
    report_id, _ = _trigger(live_server, api_key, "req-metrics-1")
    waiting = scrape()
    assert waiting["loopmonitor_queue_messages", {"queue": "celery"}] == 1
    assert waiting["loopmonitor_broker_up"] == 1
    assert waiting["loopmonitor_reports_in_flight", {"status": "pending"}] == 1

    # when a worker with two pool processes starts and computes it
    worker = start_worker(concurrency=2)
    _until("the report completes", lambda: Report.objects.get(pk=report_id).status == Report.Status.COMPLETE)
    duration = "loopmonitor_report_duration_seconds_count"
    _until("the duration is counted", lambda: scrape()[duration] == before[duration] + 1)
    shards = ("loopmonitor_report_shards_total", {"outcome": "success"})
    _until("both shards are counted", lambda: scrape()[shards] == before[shards] + 2)

    # then
    after = scrape()
    report = Report.objects.get(pk=report_id)
    assert report.shards_total == 2
    assert after["loopmonitor_report_duration_seconds_sum"] - before["loopmonitor_report_duration_seconds_sum"] == (
        pytest.approx(report.duration_seconds)
    )
    queued = "loopmonitor_report_queue_seconds_count"
    assert after[queued] == before[queued] + 1
    for status in ("pending", "running", "complete"):
        key = ("loopmonitor_reports_total", {"status": status})
        assert after[key] == before[key] + 1, status
    plan = ("loopmonitor_tasks_total", {"task": PLAN_TASK, "outcome": "success"})
    assert after[plan] == before[plan] + 1
    assert after["loopmonitor_queue_messages", {"queue": "celery"}] == 0
    assert after["loopmonitor_reports_in_flight", {"status": "pending"}] == 0
    assert after["loopmonitor_reports_in_flight", {"status": "running"}] == 0

    # and once the worker stops, its processes' files are in the archive, the counts unchanged
    worker.stop()
    owners_after = {p.stem.rsplit("_", 1)[-1] for p in multiproc.folder().glob("*.db")}
    assert owners_after - owners_before - {multiproc.identifier()} == set()
    stopped = scrape()
    assert stopped[duration] == after[duration] and stopped[shards] == after[shards]


@pytest.fixture
def web_json_log(tmp_path) -> Iterator[Path]:
    """The live server's request lines as LOG_FORMAT=json writes them (its handler's formatter and
    filter), into a file: the web server's log beside the worker's."""
    path = tmp_path / "web.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    logger = logging.getLogger("loopmonitor.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield path
    logger.removeHandler(handler)
    logger.setLevel(level)
    handler.close()


def test_one_request_id_follows_a_report_through_the_workers_json_log(
    live_server, start_worker, example_fleet, api_key, web_json_log
):
    # given a worker logging JSON, into a file of this test's (tmp_path), and the web server's lines too
    worker = start_worker(concurrency=2, env={"LOG_FORMAT": "json"})
    request_id = f"req-{uuid.uuid4().hex}"

    # when a report is triggered with a request id
    report_id, headers = _trigger(live_server, api_key, request_id)
    assert headers["X-Request-ID"] == request_id
    _until("the report completes", lambda: Report.objects.get(pk=report_id).status == Report.Status.COMPLETE)

    # then `grep <request id>` of the web server's log is the trigger's line
    [web] = [json.loads(line) for line in web_json_log.read_text().splitlines() if request_id in line]
    assert (web["logger"], web["method"], web["path"], web["view"], web["status"]) == (
        "loopmonitor.request",
        "POST",
        "/trigger_report",
        "trigger-report",
        202,
    )
    assert web["request_id"] == request_id and web["user"] and web["duration_ms"] > 0

    def task_lines() -> list[dict]:
        lines = [json.loads(line) for line in worker.output().splitlines() if request_id in line]
        return [line for line in lines if line["logger"] == "loopmonitor.task"]

    _until("the three tasks logged their lines", lambda: len(task_lines()) == 3)

    # and `grep <request id>` of the worker's log is the rest of the report's life: planning and both shards
    assert sorted((line["task"], line.get("shard")) for line in task_lines()) == sorted(
        [(PLAN_TASK, None), (SHARD_TASK, 0), (SHARD_TASK, 1)]
    )
    for line in task_lines():
        assert line["request_id"] == request_id
        assert line["report_id"] == report_id
        assert (line["outcome"], line["attempt"], line["redelivered"]) == ("success", 1, False)
        assert line["duration_ms"] > 0 and line["task_id"] and line["time"]
    every = [json.loads(line) for line in worker.output().splitlines() if request_id in line]
    assert {line["report_id"] for line in every} == {report_id}  # Celery's own lines of those tasks too
    assert len(every) > len(task_lines())
