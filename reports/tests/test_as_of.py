"""`as_of` is read by the parser of the input files (stores.csv_rows.instant_parse), in its ISO 8601 forms."""

import datetime as dt

import pytest

from reports.models import Report

pytestmark = pytest.mark.django_db

STORE = "1481966498820158979"


@pytest.mark.parametrize(
    "as_of, reason",
    [
        ("0001-01-01T05:00+05:00", "1971"),  # year 1 in UTC: not 2001
        ("1970-12-31T23:59:59Z", "1971"),
        ("1971-01-01T00:30:00+01:00", "1971"),  # 1970 in UTC
        ("٢٠٢٣-01-23T17:00:00Z", "ASCII"),
        ("2023-01-23T17:00:00+٠٥:٠٠", "ASCII"),
        ("２０２３-01-23T17:00:00Z", "ASCII"),
    ],
)
def test_an_as_of_out_of_range_or_with_foreign_digits_is_400_naming_why(api, example_fleet, as_of, reason):
    triggered = api.post("/trigger_report", {"as_of": as_of}, format="json")
    uptime = api.get(f"/api/stores/{STORE}/uptime", {"as_of": as_of})

    assert triggered.status_code == uptime.status_code == 400
    assert reason in triggered.json()["detail"]
    assert uptime.json()["detail"].startswith("as_of:") and reason in uptime.json()["detail"]
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    "as_of, instant",
    [
        ("2023-01-23T17:00:00Z", dt.datetime(2023, 1, 23, 17, tzinfo=dt.UTC)),
        ("2023-01-23T22:00:00+05:00", dt.datetime(2023, 1, 23, 17, tzinfo=dt.UTC)),
        ("2023-01-23T12:00:00-0500", dt.datetime(2023, 1, 23, 17, tzinfo=dt.UTC)),
        ("2023-01-23T17:00:00.5", dt.datetime(2023, 1, 23, 17, 0, 0, 500000, tzinfo=dt.UTC)),
        ("2023-01-23 17:00", dt.datetime(2023, 1, 23, 17, tzinfo=dt.UTC)),
    ],
)
def test_an_iso_8601_as_of_is_the_utc_instant(api, example_fleet, eager_tasks, as_of, instant):
    response = api.post("/trigger_report", {"as_of": as_of}, format="json")

    assert response.status_code == 202
    assert Report.objects.get(pk=response.json()["report_id"]).as_of == instant


@pytest.mark.parametrize("as_of", ["2023-01-23 17:00 UTC", "2023-01-23", "yesterday", ""])
def test_a_file_form_or_a_date_is_not_an_as_of(api, example_fleet, as_of):
    response = api.post("/trigger_report", {"as_of": as_of}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
