"""Structured logs: the request id (given or made, echoed), the line per request and per task with
their fields, the JSON format of LOG_FORMAT=json. Through a real worker: test_worker.py."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from brands.models import Brand
from loopmonitor.observability import logs
from reports.models import Report

SHARD_TASK = "reports.tasks.report_shard_task"
PLAN_TASK = "reports.tasks.report_generate_task"


@pytest.mark.parametrize("given", ["abc", "0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11", "req.42:retry_1", "a" * 128])
def test_a_sane_request_id_is_kept(given):
    assert logs.request_id_from(given) == given


@pytest.mark.parametrize("given", [None, "", " abc", "abc def", "a\nb", "a" * 129, '{"json": 1}', "-starts-with-dash"])
def test_anything_else_gets_a_new_request_id(given):
    made = logs.request_id_from(given)

    assert made != given and len(made) == 32 and int(made, 16) >= 0
    assert logs.request_id_from(given) != made  # new each time


@pytest.mark.django_db
def test_the_request_id_is_echoed_given_or_made(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="from-the-proxy-1")
    refused = client.get("/healthz", HTTP_X_REQUEST_ID="has a space")
    absent = client.get("/no-such-url")

    assert given["X-Request-ID"] == "from-the-proxy-1"
    assert refused["X-Request-ID"] != "has a space" and len(refused["X-Request-ID"]) == 32
    assert len(absent["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_one_line_per_request_names_the_view_the_caller_and_the_time(brand_api, caplog):
    client = brand_api("acme", "viewer")
    caplog.set_level(logging.INFO, logger="loopmonitor.request")

    client.get("/api/stores/?page_size=5", HTTP_X_REQUEST_ID="req-stores-1")

    [line] = [r for r in caplog.records if r.name == "loopmonitor.request"]
    assert (line.method, line.path, line.view, line.status) == ("GET", "/api/stores/", "store-list", 200)
    assert line.request_id == "req-stores-1"
    assert line.user.startswith("key acme-viewer (") and line.staff is False
    assert line.brand_id == Brand.objects.get(slug="acme").pk
    assert line.duration_ms > 0


@pytest.mark.django_db
def test_the_tasks_a_request_queues_log_its_request_id_report_and_shard(api, example_fleet, eager_tasks, caplog):
    caplog.set_level(logging.INFO, logger="loopmonitor.task")

    answer = api.post(
        "/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json", HTTP_X_REQUEST_ID="req-report-1"
    )

    report_id = answer.json()["report_id"]
    assert Report.objects.get(pk=report_id).status == Report.Status.COMPLETE
    lines = [r for r in caplog.records if r.name == "loopmonitor.task"]
    assert sorted((r.task, getattr(r, "shard", None)) for r in lines) == sorted(
        [(PLAN_TASK, None), (SHARD_TASK, 0), (SHARD_TASK, 1)]
    )
    for line in lines:
        assert (line.request_id, line.report_id, line.outcome, line.attempt) == (
            "req-report-1",
            report_id,
            "success",
            1,
        )
        assert line.duration_ms >= 0 and line.task_id


def test_the_json_formatter_writes_one_object_per_line_with_the_context():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    logger = logging.getLogger("loopmonitor.tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    request_token = logs.REQUEST_ID.set("req-json-1")
    task_token = logs.TASK.set({"task": SHARD_TASK, "report_id": "r-1", "shard": 0, "attempt": 2})
    try:
        logger.warning("shard %s of\n%s", 0, "r-1", extra={"outcome": "retry"})
    finally:
        logs.TASK.reset(task_token)
        logs.REQUEST_ID.reset(request_token)
        logger.removeHandler(handler)

    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["message"] == "shard 0 of\nr-1"
    assert (record["level"], record["logger"]) == ("WARNING", "loopmonitor.tests.json")
    assert {k: record[k] for k in ("request_id", "task", "report_id", "shard", "attempt", "outcome")} == {
        "request_id": "req-json-1",
        "task": SHARD_TASK,
        "report_id": "r-1",
        "shard": 0,
        "attempt": 2,
        "outcome": "retry",
    }
    assert record["time"].endswith("+00:00")


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "LOG_FORMAT"}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "loopmonitor.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


LOG_BOTH = """
import logging
logging.getLogger("loopmonitor.request").info("GET /x 200", extra={"view": "x"})
logging.getLogger("loopmonitor.tests").warning("something")
"""


def test_log_format_json_makes_every_line_json_and_text_stays_the_default():
    as_json = _python(LOG_BOTH, LOG_FORMAT="json")
    as_text = _python(LOG_BOTH)

    assert as_json.returncode == as_text.returncode == 0, as_json.stderr + as_text.stderr
    records = [json.loads(line) for line in as_json.stderr.splitlines()]
    assert [(r["logger"], r["message"]) for r in records] == [
        ("loopmonitor.request", "GET /x 200"),
        ("loopmonitor.tests", "something"),
    ]
    assert records[0]["view"] == "x"
    # text: the request line is the web server's access log's to give; a warning reads as before
    assert as_text.stderr.splitlines()[-1].endswith("WARNING loopmonitor.tests: something")
    assert "GET /x" not in as_text.stderr


def test_an_unknown_log_format_is_refused_at_start():
    result = _python("", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json, not 'xml'" in result.stderr
