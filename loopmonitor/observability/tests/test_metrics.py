"""GET /metrics: only for the token, off without one, and counting what happened in this process
(requests, a report computed inline, polls stored, deliveries). Reports through a real worker
process: test_worker.py."""

import json

import pytest

from loopmonitor.observability import metrics
from loopmonitor.observability.collectors import QueueCollector
from loopmonitor.observability.tests.conftest import INCIDENT, TOKEN, parse
from notifications import services as notify_services
from notifications.models import WebhookDelivery
from reports import services
from reports.models import Report
from stores.conftest import POLLS_HEADER

pytestmark = pytest.mark.django_db


# --- Who may read it --------------------------------------------------------------------------


def test_without_a_token_setting_metrics_are_off_exactly_like_an_unknown_url(client, settings):
    settings.METRICS_TOKEN = ""

    off = [client.get("/metrics"), client.post("/metrics"), client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")]
    unknown = client.get("/no-such-url")

    assert [r.status_code for r in off] == [404, 404, 404]
    assert {r.content for r in off} == {unknown.content}
    assert {tuple(sorted(set(r.headers) - {"X-Request-ID"})) for r in off} == {
        tuple(sorted(set(unknown.headers) - {"X-Request-ID"}))
    }


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {TOKEN[:-1]}",  # a prefix of the token
        f"Bearer {TOKEN}x",
        f"Token {TOKEN}",  # the token, but as an API key is sent
        f"Basic {TOKEN}",
    ],
)
def test_anything_but_the_token_is_refused(client, metrics_on, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "METRICS_TOKEN" in response.json()["detail"]
    assert b"loopmonitor_" not in response.content


def test_an_api_key_is_not_the_token(api, metrics_on):
    # `api` sends a platform staff key: it may do everything in the API, and still not this.
    assert api.get("/metrics").status_code == 401


def test_the_token_reads_the_metrics_in_prometheus_text_format(client, metrics_on):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"
    families = parse(response.content.decode())
    assert {name for name in families.names if not name.startswith("loopmonitor_")} == set()


def test_other_methods_with_the_token_are_not_allowed(client, metrics_on):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405
    assert "detail" in response.json()


# --- What it counts ---------------------------------------------------------------------------


def test_a_request_is_counted_by_view_method_and_status_with_its_duration(client, scrape):
    before = scrape()

    client.get("/healthz/web")  # the web server's own probe: 200 without a worker
    client.get("/no-such-url")
    client.generic("BREW", "/healthz/web")

    after = scrape()
    healthz = {"view": "healthz-web", "method": "GET"}
    assert after["loopmonitor_http_requests_total", {**healthz, "status": "200"}] == (
        before["loopmonitor_http_requests_total", {**healthz, "status": "200"}] + 1
    )
    assert after["loopmonitor_http_request_duration_seconds_count", healthz] == (
        before["loopmonitor_http_request_duration_seconds_count", healthz] + 1
    )
    unrouted = {"view": "none", "method": "GET", "status": "404"}
    assert after["loopmonitor_http_requests_total", unrouted] == before["loopmonitor_http_requests_total", unrouted] + 1
    # A method no one knows is one series ("other"), not one per name a client makes up.
    other = {"view": "healthz-web", "method": "other", "status": "405"}
    assert after["loopmonitor_http_requests_total", other] == before["loopmonitor_http_requests_total", other] + 1


def test_a_report_is_counted_when_it_completes_with_its_duration_queue_time_and_shards(
    api, scrape, example_fleet, eager_tasks, django_capture_on_commit_callbacks
):
    # given
    before = scrape()

    # when a report runs to completion (inline: the worker's own test is test_worker.py)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json")
    report = Report.objects.get(pk=answer.json()["report_id"])

    # then
    assert report.status == Report.Status.COMPLETE and report.shards_total == 2
    after = scrape()
    for status in ("pending", "running", "complete"):
        key = ("loopmonitor_reports_total", {"status": status})
        assert after[key] == before[key] + 1, status
    assert after["loopmonitor_report_duration_seconds_count"] == before["loopmonitor_report_duration_seconds_count"] + 1
    assert after["loopmonitor_report_duration_seconds_sum"] - before["loopmonitor_report_duration_seconds_sum"] == (
        pytest.approx(report.duration_seconds)
    )
    assert after["loopmonitor_report_queue_seconds_count"] == before["loopmonitor_report_queue_seconds_count"] + 1
    success = ("loopmonitor_report_shards_total", {"outcome": "success"})
    assert after[success] == before[success] + 2
    shard_task = ("loopmonitor_tasks_total", {"task": "reports.tasks.report_shard_task", "outcome": "success"})
    assert after[shard_task] == before[shard_task] + 2


def test_a_failed_report_is_counted_once(scrape, example_fleet, django_capture_on_commit_callbacks):
    failing = Report.objects.create(as_of=example_fleet)
    complete = Report.objects.create(as_of=example_fleet, status=Report.Status.COMPLETE, store_ids=["99"])
    before = scrape()

    # when both of a report's shards fail, and a complete report is "failed" too late
    with django_capture_on_commit_callbacks(execute=True):
        services.report_fail(report_id=failing.pk, reason="Shard 0 failed")
        services.report_fail(report_id=failing.pk, reason="Shard 1 failed")
        services.report_fail(report_id=complete.pk, reason="never: the report is complete")

    # then one failure is counted, the report says the last reason as before, the complete one is left alone
    failed = ("loopmonitor_reports_total", {"status": "failed"})
    assert scrape()[failed] == before[failed] + 1
    failing.refresh_from_db()
    assert (failing.status, failing.error) == (Report.Status.FAILED, "Shard 1 failed")
    assert Report.objects.get(pk=complete.pk).status == Report.Status.COMPLETE


def test_reports_in_flight_are_read_from_the_database_at_scrape_time(scrape, example_fleet):
    before = scrape()
    Report.objects.create(as_of=example_fleet)

    after = scrape()

    pending = ("loopmonitor_reports_in_flight", {"status": "pending"})
    assert after[pending] == before[pending] + 1
    assert ("loopmonitor_reports_in_flight", frozenset({("status", "running")})) in after


def test_polls_are_counted_by_source_once_stored(api, scrape, load_data, write_csv, django_capture_on_commit_callbacks):
    # given
    before = scrape()
    pushed = [
        {"store_id": "1481966498820158979", "timestamp_utc": f"2023-01-22T12:0{i}:00Z", "status": "active"}
        for i in range(3)
    ]
    polls_file = write_csv(
        "polls.csv", POLLS_HEADER, "99,active,2023-01-22 12:00:00 UTC", "99,active,2023-01-22 13:00:00 UTC"
    )
    refused = write_csv(
        "refused.csv", POLLS_HEADER, "99,active,2023-01-22 14:00:00 UTC", "99,maybe,2023-01-22 15:00:00 UTC"
    )

    # when: a push of 3, a file of 2, and a strict load refused (its good row is not stored)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/polls", data=json.dumps(pushed), content_type="application/json").status_code == 200
        assert load_data("--polls", polls_file)[0] == 0
        assert load_data("--polls", refused, "--strict")[0] != 0

    # then
    after = scrape()
    for source, stored in (("push", 3), ("file", 2)):
        key = ("loopmonitor_polls_stored_total", {"source": source})
        assert after[key] == before[key] + stored, source


def test_webhook_delivery_attempts_are_counted_by_what_they_left_the_delivery(
    scrape, settings, receiver, private_allowed, acme, django_capture_on_commit_callbacks
):
    # given two receivers, one that takes the event and one that refuses it, and no retry at all
    settings.WEBHOOK_RETRY_DELAYS_SECONDS = []
    receiver(codes=[200]).subscribe(acme, path="/ok")
    receiver(codes=[500]).subscribe(acme, path="/no")
    notify_services.notify(brand_id=acme.pk, event="incident.opened", data=INCIDENT, idempotency_key="metrics")
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    before = scrape()

    # when each is attempted
    with django_capture_on_commit_callbacks(execute=True):
        done = [notify_services.webhook_attempt(delivery_id=d.pk) for d in deliveries]

    # then
    assert sorted(d.status for d in done if d is not None) == ["gave_up", "succeeded"]
    after = scrape()
    for outcome in ("succeeded", "gave_up"):
        key = ("loopmonitor_webhook_deliveries_total", {"outcome": outcome})
        assert after[key] == before[key] + 1, outcome


def test_the_webhook_function_other_apps_call_counts_any_outcome(scrape):
    before = scrape()

    metrics.webhook_delivery_observed("failed")
    metrics.webhook_delivery_observed("failed")

    key = ("loopmonitor_webhook_deliveries_total", {"outcome": "failed"})
    assert scrape()[key] == before[key] + 2


def test_open_incidents_are_read_from_the_database_at_scrape_time(scrape, example_fleet):
    from alerts.models import Incident
    from stores.models import Store

    store = Store.objects.get(store_id="99")
    before = scrape()["loopmonitor_incidents_open"]

    def incident(first_hour: int, ended: bool) -> Incident:
        first = example_fleet.replace(hour=first_hour)
        return Incident.objects.create(
            store=store,
            first_observed_at=first,
            last_observed_at=first,
            ended_at=first.replace(minute=30) if ended else None,
            open_minutes=30,
            open_minutes_until=first.replace(minute=30),
        )

    incident(10, ended=True)
    incident(12, ended=False)

    assert scrape()["loopmonitor_incidents_open"] == before + 1


def test_the_queue_length_is_read_from_the_broker_and_a_broker_down_is_a_zero_up_gauge():
    answered = list(QueueCollector().collect())
    down = list(QueueCollector(broker_url="redis://127.0.0.1:1/0").collect())

    assert [(f.name, [s.value for s in f.samples]) for f in answered if f.name == "loopmonitor_broker_up"] == [
        ("loopmonitor_broker_up", [1])
    ]
    assert [s.labels for f in answered if f.name == "loopmonitor_queue_messages" for s in f.samples] == [
        {"queue": "celery"}
    ]
    assert [(f.name, [s.value for s in f.samples]) for f in down] == [("loopmonitor_broker_up", [0])]


# Real commits: the task closes the connection it thinks was lost (close_old_connections), which
# would end a test's own transaction.
@pytest.mark.django_db(transaction=True)
def test_a_shard_retried_after_a_lost_database_connection_is_counted_as_a_retry_then_a_success(
    api, scrape, example_fleet, eager_tasks, monkeypatch, caplog
):
    # given shard 0's first attempt loses its database connection (the one fault injected: a real
    # outage through a real worker is reports/tests/test_db_outage.py's)
    from django.db import OperationalError

    from loopmonitor.celery import app as celery_app
    from reports import tasks

    monkeypatch.setattr(tasks, "DB_RETRY_COUNTDOWN_SECONDS", 0)
    # Inline tasks retry inline (Celery's apply) when their errors are not raised to the caller
    # (eager_tasks puts it back to False after the test).
    celery_app.conf.task_eager_propagates = False
    run = services.report_shard_run
    failed_once: list[int] = []

    def lose_the_connection_once(*, shard):
        if shard.number == 0 and not failed_once:
            failed_once.append(shard.number)
            raise OperationalError("server closed the connection unexpectedly")
        return run(shard=shard)

    monkeypatch.setattr(services, "report_shard_run", lose_the_connection_once)
    caplog.set_level("INFO", logger="loopmonitor.task")
    before = scrape()

    # when the report runs
    answer = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json")

    # then the report completes; three shard runs: one retry and two successes
    assert Report.objects.get(pk=answer.json()["report_id"]).status == Report.Status.COMPLETE
    after = scrape()
    for outcome, more in (("retry", 1), ("success", 2), ("failure", 0)):
        key = ("loopmonitor_report_shards_total", {"outcome": outcome})
        assert after[key] == before[key] + more, outcome
    # and the task lines say which attempt each was
    shard_lines = sorted(
        (r.shard, r.attempt, r.outcome)
        for r in caplog.records
        if r.name == "loopmonitor.task" and r.task == "reports.tasks.report_shard_task"
    )
    assert shard_lines == [(0, 1, "retry"), (0, 2, "success"), (1, 1, "success")]


def test_a_webhook_attempt_that_will_be_tried_again_is_counted_as_failed(
    scrape, settings, receiver, private_allowed, acme, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_DELAYS_SECONDS = [60]
    receiver(codes=[503]).subscribe(acme, path="/later")
    notify_services.notify(brand_id=acme.pk, event="incident.opened", data=INCIDENT, idempotency_key="metrics-2")
    [delivery] = WebhookDelivery.objects.all()
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        done = notify_services.webhook_attempt(delivery_id=delivery.pk)

    assert done is not None and done.status == "failed"
    key = ("loopmonitor_webhook_deliveries_total", {"outcome": "failed"})
    assert scrape()[key] == before[key] + 1
