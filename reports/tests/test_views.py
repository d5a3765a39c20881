"""The REST contract of issue 2: trigger, get (each status, 400/404), list, health."""

import datetime as dt
import uuid

import pytest

from reports.conftest import EXAMPLE_A_ROW
from reports.models import Report
from reports.services import report_write_csv

pytestmark = pytest.mark.django_db


def test_trigger_answers_202_with_a_report_id(api, example_fleet, eager_tasks):
    response = api.post("/trigger_report")

    assert response.status_code == 202
    report = Report.objects.get(pk=uuid.UUID(response.json()["report_id"]))
    # Default T: the latest poll (rule 2), the UUID store's at 16:30 UTC.
    assert report.as_of == dt.datetime(2023, 1, 23, 16, 30, tzinfo=dt.UTC)


def test_trigger_with_as_of_computes_the_report_as_of_that_instant(api, example_fleet, eager_tasks):
    response = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json")

    report = Report.objects.get(pk=response.json()["report_id"])
    assert report.as_of == dt.datetime(2023, 1, 23, 17, tzinfo=dt.UTC)
    assert report.status == Report.Status.COMPLETE
    assert EXAMPLE_A_ROW in report.file.open("rb").read().decode()


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"as_of": "yesterday"}', "application/json"),
        ('{"as_of": 12}', "application/json"),
        ("not json", "application/json"),
        ('["a list"]', "application/json"),
        ('{"store_ids": "not-a-list"}', "application/json"),
        ('{"store_ids": []}', "application/json"),
        ('{"as_of": "9999-12-31T23:59:59Z"}', "application/json"),  # the future: the report could not be final
        ('{"as_of": "0001-01-01T00:00:00Z"}', "application/json"),
        # an HTML form's body is parsed too (DRF's FormParser), and validated the same way
        ("as_of=yesterday", "application/x-www-form-urlencoded"),
        ("store_ids=", "application/x-www-form-urlencoded"),
    ],
)
def test_trigger_with_a_bad_body_is_400_json(api, body, content_type):
    response = api.generic("POST", "/trigger_report", body, content_type=content_type)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]  # always a readable sentence, whatever the error's shape
    assert Report.objects.count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml"])
def test_trigger_with_a_body_of_another_type_is_415_json(api, content_type):
    response = api.generic("POST", "/trigger_report", '{"as_of": "2023-01-23T17:00:00Z"}', content_type=content_type)

    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert content_type in response.json()["detail"]
    assert Report.objects.count() == 0


def test_trigger_for_unknown_store_ids_is_400_naming_them(api, example_fleet):
    response = api.post("/trigger_report", {"store_ids": ["99", "nope", "nada"]}, format="json")

    assert response.status_code == 400
    assert response.json()["unknown_store_ids"] == ["nada", "nope"]


def test_get_report_complete_is_the_csv_attachment(api, example_fleet, eager_tasks):
    report_id = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]

    for url in (f"/get_report?report_id={report_id}", f"/get_report/{report_id}"):
        response = api.get(url)
        body = b"".join(response.streaming_content).decode()

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv"
        assert response["Content-Disposition"] == f'attachment; filename="report-{report_id}.csv"'
        assert response["X-Report-Status"] == "Complete"
        assert body.splitlines()[2] == EXAMPLE_A_ROW
        assert len(body.splitlines()) == 4  # header + 3 stores


def test_the_api_csv_equals_the_report_command_csv_byte_for_byte(api, example_fleet, eager_tasks):
    import io

    report_id = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]
    via_api = b"".join(api.get(f"/get_report/{report_id}").streaming_content)
    out = io.StringIO()
    report_write_csv(as_of=example_fleet, out=out)

    assert via_api == out.getvalue().encode()


def test_get_report_while_pending_or_running_says_running_with_progress(api):
    pending = Report.objects.create(as_of=dt.datetime(2023, 1, 1, tzinfo=dt.UTC))
    running = Report.objects.create(  # another as_of: one report of an as_of and scope is in flight at a time
        as_of=dt.datetime(2023, 1, 2, tzinfo=dt.UTC),
        status=Report.Status.RUNNING,
        shards_total=4,
        shards_done=1,
    )

    assert api.get(f"/get_report/{pending.id}").json()["status"] == "Running"
    body = api.get(f"/get_report?report_id={running.id}").json()
    assert body["status"] == "Running"
    assert body["progress"] == 0.25


def test_get_report_failed_says_why(api):
    failed = Report.objects.create(
        as_of=dt.datetime(2023, 1, 1, tzinfo=dt.UTC), status=Report.Status.FAILED, error="shard 0: boom"
    )

    response = api.get(f"/get_report/{failed.id}")

    assert response.status_code == 200
    assert response.json() == {"status": "Failed", "error": "shard 0: boom", "report_id": str(failed.id)}


@pytest.mark.parametrize(
    "url", ["/get_report?report_id=not-a-uuid", "/get_report/12345", "/get_report", "/get_report?report_id="]
)
def test_malformed_report_id_is_400_json(api, url):
    response = api.get(url)

    assert response.status_code == 400
    assert "detail" in response.json()


def test_unknown_report_id_is_404_json(api):
    response = api.get(f"/get_report/{uuid.uuid4()}")

    assert response.status_code == 404
    assert "No report" in response.json()["detail"]


def test_unknown_url_is_404_json(api):
    response = api.get("/no/such/page")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_report_list_is_paginated_with_download_links(api, example_fleet, eager_tasks):
    # given one complete report, then 50 newer pending ones (a page holds 50)
    complete_id = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]
    # (50 as_ofs: one report of an as_of and scope is in flight at a time)
    Report.objects.bulk_create(Report(as_of=example_fleet - dt.timedelta(minutes=i)) for i in range(50))

    page = api.get("/api/reports/").json()
    last_page = api.get(page["next"]).json()

    assert page["count"] == 51
    assert len(page["results"]) == 50
    assert page["results"][0]["status"] == "Pending"
    assert page["results"][0]["download_url"] is None
    [complete] = last_page["results"]
    assert {
        "id",
        "status",
        "as_of",
        "created_at",
        "finished_at",
        "duration_seconds",
        "row_count",
        "download_url",
    } <= set(complete)
    assert complete["id"] == complete_id
    assert complete["status"] == "Complete"
    assert complete["row_count"] == 3
    assert complete["duration_seconds"] > 0
    assert complete["download_url"] == f"http://testserver/get_report/{complete_id}"


def test_healthz_reports_database_broker_cache_and_worker(api, worker_alive):
    response = api.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok", "worker": "ok"}


@pytest.fixture
def unreachable_broker(monkeypatch):
    """Point this process's Celery app at a port where nothing listens (a real refused connection).

    Its connection pools are dropped, so that new ones are made for that URL; monkeypatch puts the
    URL and the original pools back afterwards.
    """
    from loopmonitor.celery import app

    nowhere = "redis://127.0.0.1:9/0"
    monkeypatch.setenv("CELERY_BROKER_URL", nowhere)  # Celery reads the variable first
    monkeypatch.setattr(app.conf, "broker_url", nowhere)
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)


def test_trigger_with_the_broker_unreachable_is_503_and_leaves_nothing_pending(api, example_fleet, unreachable_broker):
    response = api.post("/trigger_report")

    assert response.status_code == 503
    assert "queue is unreachable" in response.json()["detail"]
    report = Report.objects.get()
    assert report.status == Report.Status.FAILED
    assert "unreachable" in report.error


def test_healthz_says_503_when_the_broker_is_unreachable(api, unreachable_broker):
    response = api.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["broker"].startswith("error")


def test_the_csv_download_says_what_the_report_was_computed_from(api, example_fleet, eager_tasks, settings):
    from reports.engine import tz_database_version

    report_id = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]

    response = api.get(f"/get_report/{report_id}")
    listed = api.get("/api/reports/").json()["results"][0]

    assert response["X-Report-As-Of"] == "2023-01-23T17:00:00+00:00"
    assert response["X-Report-Scope"] == "all stores"
    assert response["X-Report-Rows"] == "3"
    assert response["X-Report-Polls-Read"] == "4"
    assert response["X-Report-Tzdata-Version"] == tz_database_version() != ""
    assert response["X-Report-Code-Version"] == settings.CODE_VERSION != ""
    assert (listed["scope"], listed["polls_read"], listed["tzdata_version"]) == ("all stores", 4, tz_database_version())


def test_two_reports_with_the_same_as_of_over_unchanged_data_are_identical(api, example_fleet, eager_tasks):
    ids = [
        api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]
        for _ in range(2)
    ]

    first, second = (b"".join(api.get(f"/get_report/{i}").streaming_content) for i in ids)

    assert first == second


def test_a_report_for_some_stores_has_only_their_rows(api, example_fleet, eager_tasks):
    report_id = api.post(
        "/trigger_report", {"as_of": "2023-01-23T17:00:00Z", "store_ids": ["1481966498820158979"]}, format="json"
    ).json()["report_id"]

    response = api.get(f"/get_report/{report_id}")

    assert b"".join(response.streaming_content).decode().splitlines()[1:] == [EXAMPLE_A_ROW]
    assert response["X-Report-Scope"] == "1 store(s)"


def test_triggering_a_report_already_in_flight_returns_its_id(api, example_fleet):
    running = Report.objects.create(as_of=example_fleet, status=Report.Status.RUNNING)
    scoped = Report.objects.create(as_of=example_fleet, store_ids=["99"])

    same = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]
    same_scope = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z", "store_ids": ["99"]}, format="json")
    other = api.post("/trigger_report", {"as_of": "2023-01-23T16:00:00Z"}, format="json").json()["report_id"]

    assert same == str(running.id)
    assert same_scope.json()["report_id"] == str(scoped.id)
    assert other not in (str(running.id), str(scoped.id))


def test_a_csv_that_cannot_be_written_fails_the_report_without_a_file(
    api, example_fleet, eager_tasks, settings, tmp_path
):
    # given a media folder that cannot exist (a regular file is in the way): a real OS error, even as root
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"
    from loopmonitor.celery import app

    app.conf.task_eager_propagates = False  # as in a worker: the task's failure stays in the task

    report_id = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]

    report = Report.objects.get(pk=report_id)
    assert report.status == Report.Status.FAILED
    assert "Not a directory" in report.error
    assert not report.file
    assert api.get(f"/get_report/{report_id}").json()["status"] == "Failed"


def test_a_trigger_refused_by_an_unreachable_broker_is_on_record_with_its_failed_report(
    api, example_fleet, unreachable_broker
):
    from brands.models import AuditEvent

    response = api.post("/trigger_report", REMOTE_ADDR="192.0.2.7")

    # the report exists (Failed, listed with its reason), so the trigger that made it is on record
    assert response.status_code == 503
    report = Report.objects.get()
    [event] = AuditEvent.objects.all()
    assert (event.action, event.target, event.ip) == (
        AuditEvent.Action.REPORT_TRIGGERED,
        f"report {report.pk}",
        "192.0.2.7",
    )
    assert event.detail["queued"] is False and event.detail["scope"] == "all stores"
