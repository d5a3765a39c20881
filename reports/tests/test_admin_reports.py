"""A report in the admin: its file links to the one URL that serves it, and the record of a
computation has no Save button (issue 16)."""

import pytest
from django.urls import reverse

from reports.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(api, example_fleet, eager_tasks) -> Report:
    report_id = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]
    return Report.objects.get(pk=report_id)


def test_a_reports_file_link_works(admin_client, report):
    html = admin_client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()

    assert f'<a href="/get_report/{report.id}">{report.file.name}</a>' in html
    assert f'href="/media/{report.file.name}"' not in html  # MEDIA_ROOT is served by no URL
    download = admin_client.get(f"/get_report/{report.id}")
    assert download.status_code == 200 and download["Content-Type"] == "text/csv"
    with report.file.open("rb") as stored:
        assert b"".join(download.streaming_content) == stored.read()


def test_a_report_shows_no_save_button(admin_client, report):
    html = admin_client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()

    for button in ('name="_save"', 'name="_continue"', 'name="_addanother"'):
        assert button not in html
    assert "Close" in html  # Django's view-only page
    # and a POST to the form changes nothing
    admin_client.post(reverse("admin:reports_report_change", args=[report.pk]), {"as_of": "2020-01-01T00:00:00Z"})
    report.refresh_from_db()
    assert report.as_of.isoformat() == "2023-01-23T17:00:00+00:00"


def test_the_report_list_keeps_its_actions(admin_client, report):
    html = admin_client.get(reverse("admin:reports_report_changelist")).content.decode()

    assert 'value="run_again"' in html and 'value="delete_selected"' in html


def test_a_reports_warnings_are_shown(admin_client, api, example_fleet, eager_tasks):
    report_id = api.post("/trigger_report", {"as_of": "2022-12-01T00:00:00Z"}, format="json").json()["report_id"]

    html = admin_client.get(reverse("admin:reports_report_change", args=[report_id])).content.decode()

    assert "read no polls: as_of 2022-12-01T00:00:00Z is before every poll" in html
