"""The store's incidents in its uptime answer, its timeline picture and its page (reports reads them
through reports.store_incidents, which alerts feeds): the same as GET /api/stores/{id}/incidents/."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from alerts import services
from alerts.conftest import EXAMPLE_J_STORE, polls_add
from alerts.serializers import IncidentSerializer
from reports.serializers import UptimeIncidentSerializer
from stores.conftest import make_store
from stores.models import Store

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def two_incidents(db) -> Store:
    """A 24x7 UTC store: resolved 10:00-12:00 on June 1 (midpoints 09:30 and 11:30), open from 09:30 on June 3."""
    store = make_store("two-incidents", timezone_str="UTC")
    polls_add(
        store,
        (dt.datetime(2024, 6, 1, 9, tzinfo=UTC), True),
        (dt.datetime(2024, 6, 1, 10, tzinfo=UTC), False),
        (dt.datetime(2024, 6, 1, 11, tzinfo=UTC), True),
        (dt.datetime(2024, 6, 3, 9, tzinfo=UTC), True),
        (dt.datetime(2024, 6, 3, 10, tzinfo=UTC), False),
        (dt.datetime(2024, 6, 3, 12, tzinfo=UTC), False),
    )
    services.incidents_refresh([store.pk])
    return store


AS_OF = "2024-06-03T12:00:00Z"


def test_the_uptime_answer_lists_the_weeks_incidents_as_the_incidents_api(api, two_incidents):
    # when
    uptime = api.get(f"/api/stores/two-incidents/uptime?as_of={AS_OF}").json()
    listed = api.get(f"/api/stores/two-incidents/incidents/?since=2024-05-27T12:00:00Z&until={AS_OF}").json()

    # then
    assert uptime["incidents_count"] == 2 and uptime["incidents_truncated"] is False
    assert uptime["incidents"] == listed["results"]
    opened, resolved = uptime["incidents"]
    assert (opened["state"], opened["started_at"], opened["ended_at"]) == ("open", "2024-06-03T09:30:00Z", None)
    assert opened["started_at_local"] == "2024-06-03T09:30:00+00:00"
    assert (resolved["state"], resolved["started_at"], resolved["ended_at"]) == (
        "resolved",
        "2024-06-01T09:30:00Z",
        "2024-06-01T10:30:00Z",
    )
    assert resolved["open_minutes"] == 60.0
    # The incidents are the week's inactive stretches (rule 12).
    inactive = [(s["start"], s["end"]) for s in uptime["timeline"] if s["state"] == "inactive"]
    assert inactive == [("2024-06-01T09:30:00Z", "2024-06-01T10:30:00Z"), ("2024-06-03T09:30:00Z", AS_OF)]


def test_only_the_incidents_overlapping_the_week(api, two_incidents):
    # The week (June 2 11:00, June 9 11:00] holds the open one only; a week before both, none.
    later = api.get("/api/stores/two-incidents/uptime?as_of=2024-06-09T11:00:00Z").json()
    earlier = api.get("/api/stores/two-incidents/uptime?as_of=2024-05-31T00:00:00Z").json()

    assert [i["state"] for i in later["incidents"]] == ["open"]
    assert (earlier["incidents"], earlier["incidents_count"]) == ([], 0)


def test_the_picture_outlines_each_incident_with_its_tooltip(api, two_incidents):
    picture = api.get(f"/api/stores/two-incidents/timeline.svg?as_of={AS_OF}").content.decode()

    assert '<g class="incidents" data-incidents="2">' in picture
    rects = re.findall(r'<rect class="incident incident-(\w+)" data-incident-id="(\d+)" data-date="([\d-]+)"', picture)
    assert sorted((state, date) for state, _, date in rects) == [("open", "2024-06-03"), ("resolved", "2024-06-01")]
    assert "<title>incident: open since Mon 2024-06-03 09:30:00 UTC</title>" in picture
    assert "<title>incident Sat 2024-06-01 09:30:00 UTC – Sat 2024-06-01 10:30:00 UTC, 60 min</title>" in picture
    assert 'class="legend-incident"' in picture


def test_an_incident_across_midnight_is_outlined_on_each_row(api):
    store = make_store("overnight", timezone_str="UTC")
    polls_add(
        store,
        (dt.datetime(2024, 6, 1, 22, tzinfo=UTC), True),
        (dt.datetime(2024, 6, 1, 23, tzinfo=UTC), False),
        (dt.datetime(2024, 6, 2, 1, tzinfo=UTC), False),
        (dt.datetime(2024, 6, 2, 2, tzinfo=UTC), True),
    )
    services.incidents_refresh([store.pk])

    picture = api.get("/api/stores/overnight/timeline.svg?as_of=2024-06-02T03:00:00Z").content.decode()

    dates = re.findall(r'<rect class="incident incident-resolved" data-incident-id="\d+" data-date="([\d-]+)"', picture)
    assert dates == ["2024-06-01", "2024-06-02"]


def test_a_store_without_incidents_has_none(api, example_j):
    services.incidents_refresh([example_j.pk])  # its one incident begins at 10:44:30 local, after this T
    uptime = api.get(f"/api/stores/{EXAMPLE_J_STORE}/uptime?as_of=2023-01-23T14:30:00Z").json()
    picture = api.get(f"/api/stores/{EXAMPLE_J_STORE}/timeline.svg?as_of=2023-01-23T14:30:00Z").content.decode()

    assert (uptime["incidents"], uptime["incidents_count"], uptime["incidents_truncated"]) == ([], 0, False)
    assert '<g class="incidents"' not in picture
    assert '<rect class="incident' not in picture and '<rect class="legend-incident' not in picture
    assert "<title>incident" not in picture


def test_an_incident_of_unknown_start_is_drawn_from_the_weeks_start(api):
    store = make_store("dark-from-the-start", timezone_str="UTC")
    polls_add(store, (dt.datetime(2024, 6, 3, 10, tzinfo=UTC), False))
    services.incidents_refresh([store.pk])

    uptime = api.get("/api/stores/dark-from-the-start/uptime?as_of=2024-06-03T12:00:00Z").json()
    picture = api.get("/api/stores/dark-from-the-start/timeline.svg?as_of=2024-06-03T12:00:00Z").content.decode()

    (incident,) = uptime["incidents"]
    assert (incident["start_known"], incident["started_at"]) == (False, None)
    # Every row of the week, the first (May 27, from 12:00) to the last (June 3, to 12:00).
    dates = re.findall(r'<rect class="incident incident-open" data-incident-id="\d+" data-date="([\d-]+)"', picture)
    assert dates == [f"2024-05-{d}" for d in range(27, 32)] + ["2024-06-01", "2024-06-02", "2024-06-03"]
    assert "incident: open since before Mon 2024-06-03 10:00:00 UTC (start unknown" in picture


def test_another_brands_caller_sees_no_incidents_of_a_store_it_cannot_see(brand_api, two_incidents):
    # given: the store belongs to no brand, so a brand's viewer cannot see it at all
    viewer = brand_api("acme", "viewer")

    assert viewer.get(f"/api/stores/two-incidents/uptime?as_of={AS_OF}").status_code == 404
    assert viewer.get(f"/api/stores/two-incidents/timeline.svg?as_of={AS_OF}").status_code == 404


def test_the_store_page_shows_the_incidents_in_its_picture(admin_client, two_incidents):
    page = admin_client.get(f"/stores/two-incidents?as_of={AS_OF}").content.decode()

    assert page.count('<g class="incidents" data-incidents="2">') == 2  # the wide and the narrow picture
    assert "incident: open since Mon 2024-06-03 09:30:00 UTC" in page


def test_the_documented_shape_is_the_incidents_apis():
    assert list(UptimeIncidentSerializer().fields) == list(IncidentSerializer().fields)


def test_the_schema_documents_the_incidents_with_an_example(api):
    schema = api.get("/api/schema/?format=json").json()
    uptime = schema["paths"]["/api/stores/{store_id}/uptime"]["get"]["responses"]["200"]["content"]
    example = next(iter(uptime["application/json"]["examples"].values()))["value"]
    assert example["incidents"][0]["open_minutes"] == 75.5
    props = schema["components"]["schemas"]["StoreUptime"]["properties"]
    assert {"incidents", "incidents_count", "incidents_truncated"} <= set(props)
    assert props["incidents"]["items"]["$ref"].endswith("/UptimeIncident")
