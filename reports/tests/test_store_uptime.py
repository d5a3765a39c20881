"""One store's uptime, timeline and SVG (issue 7), served by reports/store_views.py.

The uptime endpoint must give exactly a report's row for the same as_of, and
its timeline must explain it; both are checked on a generated fleet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.services import report_write_csv
from stores.conftest import make_example_b_store, make_store
from stores.models import Store

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SVG = "{http://www.w3.org/2000/svg}"
VALUE_FIELDS = [
    "uptime_last_hour_minutes",
    "uptime_last_day_hours",
    "uptime_last_week_hours",
    "downtime_last_hour_minutes",
    "downtime_last_day_hours",
    "downtime_last_week_hours",
]
WINDOWS = [(dt.timedelta(hours=1), 60.0), (dt.timedelta(days=1), 3600.0), (dt.timedelta(days=7), 3600.0)]


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory) -> Path:
    """60 generated stores over 8 days (same arguments, same bytes: see stores/generator.py)."""
    out = tmp_path_factory.mktemp("generated")
    call_command(
        "generate_data", "--out", str(out), "--stores", "60", "--days", "8", "--seed", "7", stdout=io.StringIO()
    )
    return out


@pytest.fixture
def generated_fleet(generated_dir) -> Path:
    call_command("load_data", "--dir", str(generated_dir), stdout=io.StringIO(), stderr=io.StringIO())
    return generated_dir


@pytest.fixture
def example_a(db) -> Store:
    """The store of docs/numbers.md example B (stores/conftest.py)."""
    return make_example_b_store()


def report_rows(as_of: dt.datetime) -> dict[str, list[float]]:
    out = io.StringIO()
    report_write_csv(as_of=as_of, out=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    return {row[0]: [float(v) for v in row[1:]] for row in rows[1:]}


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_timeline_explains_values(body: dict) -> None:
    """Segments consecutive, covering (T - 7d, T], adding up per window to the (rounded) values."""
    as_of = instant(body["as_of"])
    segments = [(instant(s["start"]), instant(s["end"]), s["state"]) for s in body["timeline"]]
    assert segments[0][0] == as_of - dt.timedelta(days=7)
    assert segments[-1][1] == as_of
    for (start, end, state), (next_start, _, next_state) in zip(segments, segments[1:], strict=False):
        assert start < end == next_start and state != next_state
    for w, (length, unit_s) in enumerate(WINDOWS):
        for offset, state in [(0, "active"), (3, "inactive")]:
            total = sum(
                (
                    max(dt.timedelta(0), min(end, as_of) - max(start, as_of - length))
                    for start, end, s in segments
                    if s == state
                ),
                dt.timedelta(0),
            )
            # The values are rounded to 2 decimals (rule 8); the segments are exact.
            assert total.total_seconds() / unit_s == pytest.approx(body[VALUE_FIELDS[w + offset]], abs=0.005 + 1e-9)


# --- Uptime vs the report, on a generated fleet ----------------------------------------------


@pytest.mark.parametrize("as_of", [None, dt.datetime(2023, 1, 22, 9, 41, 17, tzinfo=UTC)], ids=["default", "mid-data"])
def test_uptime_of_every_store_equals_its_report_row_and_the_timeline_explains_it(api, generated_fleet, as_of):
    # given
    stores = list(Store.objects.values_list("store_id", flat=True))
    params = {"as_of": as_of.isoformat()} if as_of else {}
    default = api.get(f"/api/stores/{stores[0]}/uptime").json()["as_of"]
    as_of = as_of or instant(default)

    # when
    rows = report_rows(as_of)
    bodies = {store_id: api.get(f"/api/stores/{store_id}/uptime", params) for store_id in stores}

    # then: a store with a report row answers with exactly that row; any other is 404 (rule 1)
    assert len(rows) >= 50
    for store_id, response in bodies.items():
        if store_id not in rows:
            assert response.status_code == 404, store_id
            assert "rule 1" in response.json()["detail"]
            continue
        body = response.json()
        assert response.status_code == 200, (store_id, body)
        assert instant(body["as_of"]) == as_of
        assert [body[f] for f in VALUE_FIELDS] == rows[store_id], store_id
        assert_timeline_explains_values(body)


def test_random_stores_svg_has_8_rows_and_their_polls(api, generated_fleet):
    # given
    stores = sorted(Store.objects.filter(polls__isnull=False).distinct().values_list("store_id", flat=True))
    as_of = "2023-01-25T18:30:00Z"

    for store_id in random.Random(7).sample(stores, 5):
        # when
        response = api.get(f"/api/stores/{store_id}/timeline.svg", {"as_of": as_of})
        body = api.get(f"/api/stores/{store_id}/uptime", {"as_of": as_of}).json()

        # then
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        root = ET.fromstring(response.content)
        rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "day"]
        assert len(rows) == 8
        polls = [g for g in root.iter(f"{SVG}g") if "poll" in (g.get("class") or "").split()]
        in_week = [o for o in body["observations"] if instant(o["observed_at"]) > instant(as_of) - dt.timedelta(days=7)]
        assert len(polls) == len(in_week) + len(body["ignored_polls"])
        title_element = root.find(f"{SVG}title")
        assert title_element is not None and title_element.text is not None
        title = title_element.text
        assert store_id in title and body["timezone"] in title and "2023-01-25T18:30:00Z" in title


# --- Uptime: one known store ---------------------------------------------------------------


def test_uptime_of_example_a(api, example_a):
    response = api.get("/api/stores/1481966498820158979/uptime", {"as_of": "2023-01-23T17:00:00Z"})

    assert response.status_code == 200
    assert response.json() == {
        "store_id": "1481966498820158979",
        "as_of": "2023-01-23T17:00:00Z",
        "timezone": "America/New_York",
        "uptime_last_hour_minutes": 0.0,
        "uptime_last_day_hours": 1.74,
        "uptime_last_week_hours": 1.74,
        "downtime_last_hour_minutes": 60.0,
        "downtime_last_day_hours": 1.26,
        "downtime_last_week_hours": 1.26,
        "timeline": [
            {"start": "2023-01-16T17:00:00Z", "end": "2023-01-23T14:00:00Z", "state": "closed"},
            {"start": "2023-01-23T14:00:00Z", "end": "2023-01-23T15:44:30Z", "state": "active"},
            {"start": "2023-01-23T15:44:30Z", "end": "2023-01-23T17:00:00Z", "state": "inactive"},
        ],
        "observations": [
            {"observed_at": "2023-01-23T15:14:00Z", "status": "active"},
            {"observed_at": "2023-01-23T16:15:00Z", "status": "inactive"},
        ],
        "ignored_polls": [{"observed_at": "2023-01-23T13:30:00Z", "status": "inactive"}],
        "days": [
            {"date": f"2023-01-{d}", "source": "weekly", "effective_from": None, "closed": d not in (16, 23)}
            for d in range(16, 24)
        ],
        "timeline_count": 3,
        "timeline_truncated": False,
        "observations_count": 2,
        "observations_truncated": False,
        "ignored_polls_count": 1,
        "ignored_polls_truncated": False,
        # No incidents were computed for it here (alerts keeps them: alerts/tests/test_store_incidents.py).
        "incidents": [],
        "incidents_count": 0,
        "incidents_truncated": False,
    }


def test_uptime_as_of_defaults_to_the_latest_poll(api, example_a):
    body = api.get("/api/stores/1481966498820158979/uptime").json()

    assert body["as_of"] == "2023-01-23T16:15:00Z"  # rule 2


def test_uptime_lists_the_older_observation_that_decides_the_weeks_start(api):
    # given: open 24x7, one active poll 10 days before T, one inactive 2 days before
    as_of = dt.datetime(2023, 1, 23, 17, tzinfo=UTC)
    make_store(
        "7", timezone_str="UTC", polls=[(as_of - dt.timedelta(days=10), True), (as_of - dt.timedelta(days=2), False)]
    )

    # when
    body = api.get("/api/stores/7/uptime", {"as_of": "2023-01-23T17:00:00Z"}).json()

    # then: read from history (older than the report's bulk range), as a report does
    assert [o["observed_at"] for o in body["observations"]] == ["2023-01-13T17:00:00Z", "2023-01-21T17:00:00Z"]
    assert [s["state"] for s in body["timeline"]] == ["active", "inactive"]
    assert body["uptime_last_week_hours"] == 24.0 and body["downtime_last_week_hours"] == 144.0


def test_new_york_store_across_spring_forward(api):
    # given: New York, open every day 09:00-17:00, polled hourly; T three days after 2024-03-10
    start = dt.datetime(2024, 3, 4, tzinfo=UTC)
    make_store(
        "ny-dst",
        timezone_str="America/New_York",
        hours=[(d, "09:00", "17:00") for d in range(7)],
        polls=[(start + dt.timedelta(hours=h), h % 7 != 0) for h in range(24 * 10)],
    )
    as_of = "2024-03-13T16:00:00Z"

    # when
    svg_response = api.get("/api/stores/ny-dst/timeline.svg", {"as_of": as_of})
    body = api.get("/api/stores/ny-dst/uptime", {"as_of": as_of}).json()

    # then: one row per local date, the 2024-03-10 row keeps its 24-hour axis with 02:00-03:00 marked as skipped
    root = ET.fromstring(svg_response.content)
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "day"]
    assert [g.get("data-date") for g in rows] == [f"2024-03-{d:02d}" for d in range(6, 14)]
    skipped = [r for r in rows[4].iter(f"{SVG}rect") if r.get("class") == "skipped"]
    assert len(skipped) == 1
    assert [body[f] for f in VALUE_FIELDS] == report_rows(instant(as_of))["ny-dst"]
    assert_timeline_explains_values(body)
    # open 09:00-17:00 every local day: 14:00 UTC opening before the change, 13:00 UTC after
    segments = body["timeline"]
    opens = [
        instant(s["start"]) for before, s in zip(segments, segments[1:], strict=False) if before["state"] == "closed"
    ]
    assert {t.hour for t in opens if t.day < 10} == {14} and 13 in {t.hour for t in opens if t.day > 10}


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/uptime", "/timeline.svg"])
def test_unknown_store_is_404_json(api, example_a, suffix):
    response = api.get(f"/api/stores/no-such-store{suffix}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "no-such-store" in response.json()["detail"]


@pytest.mark.parametrize("suffix", ["/uptime", "/timeline.svg"])
@pytest.mark.parametrize("as_of", ["yesterday", "2023-13-01T00:00:00Z", "2023-01-23 17:00 UTC", "1674493200"])
def test_bad_as_of_is_400_json(api, example_a, suffix, as_of):
    response = api.get(f"/api/stores/1481966498820158979{suffix}", {"as_of": as_of})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("as_of:")


def test_as_of_without_offset_means_utc_and_an_empty_one_the_default(api, example_a):
    body = api.get("/api/stores/1481966498820158979/uptime", {"as_of": "2023-01-23T17:00:00"}).json()
    empty = api.get("/api/stores/1481966498820158979/uptime", {"as_of": ""}).json()

    assert body["as_of"] == "2023-01-23T17:00:00Z"
    assert body["uptime_last_day_hours"] == 1.74
    assert empty["as_of"] == "2023-01-23T16:15:00Z"


def test_store_known_only_from_later_polls_has_no_row_as_of_t(api):
    make_store("late", polls=[(dt.datetime(2023, 1, 24, tzinfo=UTC), True)])

    response = api.get("/api/stores/late/uptime", {"as_of": "2023-01-23T17:00:00Z"})

    assert response.status_code == 404
    assert "rule 1" in response.json()["detail"]


# --- Admin -------------------------------------------------------------------------------------


def test_admin_store_change_page_shows_the_timeline_svg_and_links_the_uptime_json(admin_client, example_a):
    page = admin_client.get(reverse("admin:stores_store_change", args=[example_a.pk])).content.decode()

    assert '<img src="/api/stores/1481966498820158979/timeline.svg"' in page
    assert 'href="/api/stores/1481966498820158979/uptime"' in page
    svg_response = admin_client.get("/api/stores/1481966498820158979/timeline.svg")
    assert svg_response.status_code == 200 and ET.fromstring(svg_response.content) is not None


# --- The OpenAPI schema of these views ---------------------------------------------------------


def test_schema_documents_the_store_views_and_the_poll_push(tmp_path):
    import yaml

    out = io.StringIO()
    call_command("spectacular", "--validate", stdout=out, stderr=io.StringIO())
    paths = yaml.safe_load(out.getvalue())["paths"]

    for path in [
        "/api/stores/",
        "/api/stores/{store_id}",
        "/api/stores/{store_id}/uptime",
        "/api/stores/{store_id}/timeline.svg",
    ]:
        get = paths[path]["get"]
        assert get["summary"] and get["description"], path
        media = [m for r in get["responses"].values() for m in r.get("content", {}).values()]
        assert any("examples" in m for m in media), path
    assert "image/svg+xml" in paths["/api/stores/{store_id}/timeline.svg"]["get"]["responses"]["200"]["content"]
    assert "24:00:00" in paths["/api/stores/{store_id}"]["get"]["description"]
    push = paths["/api/polls"]["post"]
    assert set(push["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert {"200", "400", "413", "415"} <= set(push["responses"])


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2999-01-01T00:00:00Z"])
@pytest.mark.parametrize("endpoint", ["uptime", "timeline.svg"])
def test_an_as_of_outside_the_possible_range_is_400(api, example_a, as_of, endpoint):
    response = api.get(f"/api/stores/1481966498820158979/{endpoint}", {"as_of": as_of})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("as_of:")
