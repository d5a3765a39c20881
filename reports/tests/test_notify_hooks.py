"""A brand's finished report is told: report.completed with a signed link that downloads its CSV,
report.failed with the error; the whole fleet's report tells no brand (PostgreSQL)."""

import pytest
from django.conf import settings

from brands.services import brand_get_or_create
from notifications.models import Event
from reports import services
from reports.models import Report
from stores.models import Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_fleet(example_fleet):
    acme = brand_get_or_create(slug="acme")
    Store.objects.filter(store_id="1481966498820158979").update(brand=acme)
    return acme


def test_a_brands_complete_report_is_told_with_a_working_signed_link(
    api, client, acme_fleet, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/trigger_report", {"brand": "acme", "as_of": "2023-01-23T17:00:00Z"}, format="json")
    report = Report.objects.get(pk=answer.json()["report_id"])
    assert report.status == Report.Status.COMPLETE

    (event,) = Event.objects.filter(type="report.completed")
    data = event.payload["data"]
    assert (data["report_id"], data["status"], data["brand"], data["row_count"]) == (
        str(report.id),
        "Complete",
        "acme",
        1,
    )
    assert data["download_url"].startswith(f"{settings.SITE_URL}/reports/{report.id}/download?expires=")
    downloaded = client.get(data["download_url"].removeprefix(settings.SITE_URL))  # no key
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == report.file.open("rb").read()
    assert event.idempotency_key == f"report:{report.id}:completed"


def test_a_brands_failed_report_is_told_and_the_fleets_report_tells_no_brand(
    api, acme_fleet, eager_tasks, django_capture_on_commit_callbacks
):
    failing = Report.objects.create(as_of="2023-01-23T17:00:00Z", brand=acme_fleet)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_fail(report_id=failing.pk, reason="the disk is full")
        api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json")  # staff: the whole fleet

    (event,) = Event.objects.all()
    assert (event.type, event.payload["data"]["error"]) == ("report.failed", "the disk is full")
