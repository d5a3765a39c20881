"""A real Celery worker process, a real HTTP server, the configured broker and database.

On CI that is Redis and PostgreSQL; on a bare machine the embedded default
(filesystem broker + SQLite file), where the same test proves `make run`'s setup.
"""

import json
import time
import urllib.request

import pytest

from reports.conftest import EXAMPLE_A_ROW
from reports.models import Report

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


def _http(method: str, url: str, body: dict | None = None, *, key: str):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Token {key}"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def _poll_until_done(url: str, *, key: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    seen: list[dict] = []
    while time.monotonic() < deadline:
        status, headers, body = _http("GET", url, key=key)
        if headers.get("X-Report-Status") == "Complete":
            return headers, body.decode(), seen
        state = json.loads(body)
        seen.append(state)
        assert state["status"] == "Running", state
        time.sleep(0.1)
    raise TimeoutError(f"report never completed; last answers: {seen[-3:]}")


def test_a_report_triggered_over_http_completes_in_a_real_worker(live_server, start_worker, example_fleet, api_key):
    # given a worker process listening on the broker
    start_worker()

    # when a report is triggered over HTTP
    status, _, body = _http("POST", f"{live_server.url}/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, key=api_key)
    report_id = json.loads(body)["report_id"]

    # then it answers 202 at once and the worker completes it
    assert status == 202
    headers, csv_text, running_answers = _poll_until_done(
        f"{live_server.url}/get_report?report_id={report_id}", key=api_key
    )
    assert headers["Content-Type"] == "text/csv"
    assert csv_text.splitlines()[2] == EXAMPLE_A_ROW
    report = Report.objects.get(pk=report_id)
    assert report.status == Report.Status.COMPLETE
    assert report.row_count == 3
    assert report.shards_done == report.shards_total == 2  # REPORT_MIN_SHARDS: split even 3 stores
    assert all(0 <= a.get("progress", 0) <= 1 for a in running_answers)
