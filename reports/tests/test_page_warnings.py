"""The page shows a report's warnings where it shows the report: its overview, and (from the API's
`warnings` and the download's X-Report-Warnings) the reports list and the report just finished."""

import datetime as dt
from pathlib import Path

import pytest

from reports import services
from reports.models import Report
from stores.conftest import make_store

pytestmark = pytest.mark.django_db

APP_JS = Path(__file__).resolve().parents[1] / "static" / "reports" / "app.js"


def test_a_report_that_read_no_polls_says_so_on_its_overview(admin_client, eager_tasks):
    # given: a complete report of a store never polled
    make_store("never-polled", timezone_str="UTC")
    report = services.report_create(as_of=dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC))
    report.refresh_from_db()
    assert report.status == Report.Status.COMPLETE and report.warnings

    # when
    page = admin_client.get(f"/reports/{report.id}").content.decode()

    # then
    assert 'id="overview-warnings"' in page
    assert f"<li>This report {report.warnings[0]}</li>" in page.replace("&#x27;", "'")


def test_a_report_without_warnings_shows_none(admin_client, eager_tasks):
    make_store("polled", timezone_str="UTC", polls=[(dt.datetime(2024, 6, 3, 11, tzinfo=dt.UTC), True)])
    report = services.report_create(as_of=dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC))
    report.refresh_from_db()
    assert report.warnings == []

    assert 'id="overview-warnings"' not in admin_client.get(f"/reports/{report.id}").content.decode()


def test_the_script_shows_the_warnings_of_the_list_and_of_the_report_just_finished():
    script = APP_JS.read_text()

    assert 'headers.get("X-Report-Warnings")' in script and 'id: "current-report-warnings"' in script
    assert 'report.warnings.join("; ")' in script
