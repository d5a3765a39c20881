"""A report never reads polls that retention may have deleted: a report, or a store's week, whose
week starts before the polls' horizon (stores.partitions) is refused with a 400 on `as_of` that
names the earliest as_of accepted; the command and the service say the same (issue 17)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports import services
from reports.models import Report

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# example_fleet's latest poll is 2023-01-23T16:30Z: with 90 days the horizon is 2022-10-25T16:30Z,
# so the earliest as_of is a week later.
EARLIEST = "2022-11-01T16:30:00+00:00"


def test_a_report_whose_week_starts_before_the_horizon_is_refused_with_the_earliest_as_of(api, example_fleet):
    response = api.post("/trigger_report", {"as_of": "2022-11-01T16:29:59Z"}, format="json")

    assert response.status_code == 400
    assert response.json()["as_of"] == [
        "is past the polls' retention: polls are kept 90 days (POLLS_RETENTION_DAYS), "
        f"so the earliest as_of is {EARLIEST}"
    ]
    assert not Report.objects.exists()


def test_the_earliest_as_of_itself_is_accepted(api, example_fleet):
    response = api.post("/trigger_report", {"as_of": EARLIEST}, format="json")

    assert response.status_code == 202


def test_the_horizon_follows_the_setting(api, example_fleet, settings):
    settings.POLLS_RETENTION_DAYS = 400

    assert api.post("/trigger_report", {"as_of": "2022-11-01T16:29:59Z"}, format="json").status_code == 202
    assert api.post("/trigger_report", {"as_of": "2021-12-01T00:00:00Z"}, format="json").status_code == 400


def test_a_stores_week_past_the_horizon_is_refused_too(api, example_fleet):
    response = api.get("/api/stores/1481966498820158979/uptime", {"as_of": "2020-01-01T00:00:00Z"})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("as_of: is past the polls' retention")


def test_the_service_and_the_command_refuse_it_too(example_fleet):
    with pytest.raises(ValueError, match="is past the polls' retention"):
        services.report_create(as_of=dt.datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(CommandError, match="past the polls' retention"):
        call_command("report", "--as-of", "2020-01-01T00:00:00Z")


def test_without_polls_there_is_no_horizon(api):
    from stores.conftest import make_store

    make_store("no-polls", timezone_str="America/New_York")

    assert api.post("/trigger_report", {"as_of": "1999-01-01T00:00:00Z"}, format="json").status_code == 202
