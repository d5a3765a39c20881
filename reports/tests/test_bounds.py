"""No cheap way to take it down: every answer has a documented bound (hardening issue).

A store with 100,000 polls in an hour made the uptime JSON 6.5 MB and the SVG
28.8 MB; 100,000 unknown store ids made a 1.5 MB error. Here the same inputs
answer within the sizes README "Faults" and the schema document, and hostile
bodies (a NUL in a store id, JSON nested 100,000 deep, a body over the limit)
answer 400 / 413 JSON, never 500.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from reports import svg
from reports.models import Report
from reports.serializers import TIMELINE_MAX_SEGMENTS, UPTIME_LIMIT_DEFAULT, UPTIME_LIMIT_MAX, uptime_max_bytes
from reports.tests.test_store_uptime import VALUE_FIELDS, assert_timeline_explains_values, report_rows
from stores.conftest import make_example_b_store, make_store
from stores.models import Poll, Store

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SVG = "{http://www.w3.org/2000/svg}"
AS_OF = dt.datetime(2023, 1, 23, 17, tzinfo=UTC)
FLOOD_POLLS = 100_000


def flood_store(store_id: str = "flood") -> Store:
    """Open 00:00-16:30 UTC daily; 100,000 polls in the hour before T = 17:00 UTC, every third inactive.

    Half of them fall in 16:00-16:30 (observations, flapping: ~67,000 segments), half in
    16:30-17:00 (ignored, closed).
    """
    store = make_store(store_id, timezone_str="UTC", hours=[(d, "00:00", "16:30") for d in range(7)])
    step = dt.timedelta(hours=1) / FLOOD_POLLS
    Poll.objects.bulk_create(
        (Poll(store=store, observed_at_utc=AS_OF - i * step, active=i % 3 != 0) for i in range(FLOOD_POLLS)),
        batch_size=20_000,
    )
    return store


@pytest.fixture
def flood(db) -> Store:
    return flood_store()


# --- The uptime JSON -------------------------------------------------------------------------


def test_uptime_of_a_flooded_store_is_capped_says_so_and_keeps_its_values(api, flood):
    # when
    response = api.get("/api/stores/flood/uptime", {"as_of": "2023-01-23T17:00:00Z"})

    # then: bounded, the lists capped to the latest items, with their true counts
    assert response.status_code == 200
    assert len(response.content) <= uptime_max_bytes(UPTIME_LIMIT_DEFAULT)
    body = response.json()
    assert [body[f] for f in VALUE_FIELDS] == report_rows(AS_OF)["flood"]
    assert body["observations_truncated"] is True and body["ignored_polls_truncated"] is True
    assert len(body["observations"]) == len(body["ignored_polls"]) == UPTIME_LIMIT_DEFAULT
    assert body["observations_count"] + body["ignored_polls_count"] == FLOOD_POLLS
    assert body["ignored_polls"][-1]["observed_at"] == "2023-01-23T17:00:00Z"  # the latest are kept
    assert body["timeline_truncated"] is True
    assert len(body["timeline"]) == TIMELINE_MAX_SEGMENTS < body["timeline_count"]
    assert body["timeline"][-1]["end"] == "2023-01-23T17:00:00Z"


def test_uptime_limit_parameter_up_to_its_maximum(api, flood):
    small = api.get("/api/stores/flood/uptime", {"as_of": "2023-01-23T17:00:00Z", "limit": 5}).json()
    most = api.get("/api/stores/flood/uptime", {"as_of": "2023-01-23T17:00:00Z", "limit": UPTIME_LIMIT_MAX})
    over = api.get("/api/stores/flood/uptime", {"as_of": "2023-01-23T17:00:00Z", "limit": UPTIME_LIMIT_MAX + 1})

    assert len(small["observations"]) == len(small["ignored_polls"]) == 5
    assert len(most.json()["observations"]) == UPTIME_LIMIT_MAX
    assert len(most.content) <= uptime_max_bytes(UPTIME_LIMIT_MAX)
    assert over.status_code == 400 and over.json()["detail"].startswith("limit:")
    assert api.get("/api/stores/flood/uptime", {"limit": "0"}).status_code == 400


def test_a_small_store_is_not_truncated(api):
    make_example_b_store()

    body = api.get("/api/stores/1481966498820158979/uptime", {"as_of": "2023-01-23T17:00:00Z"}).json()

    assert (body["observations_truncated"], body["ignored_polls_truncated"], body["timeline_truncated"]) == (
        False,
        False,
        False,
    )
    assert (body["observations_count"], body["ignored_polls_count"], body["timeline_count"]) == (2, 1, 3)
    assert_timeline_explains_values(body)


# --- The SVG -----------------------------------------------------------------------------------


def test_svg_of_a_flooded_store_aggregates_ticks_per_pixel_and_stays_small(api, flood):
    response = api.get("/api/stores/flood/timeline.svg", {"as_of": "2023-01-23T17:00:00Z"})

    assert response.status_code == 200
    assert len(response.content) < 300_000  # README "Faults"
    root = ET.fromstring(response.content)
    polls = [g for g in root.iter(f"{SVG}g") if "poll" in (g.get("class") or "").split()]
    # one tick per pixel column of the hour's 34 px (observations and ignored polls side by side)
    assert len(polls) <= svg.PLOT_W / 24 + 2
    assert sum(int(g.get("data-polls", "1")) for g in polls) == FLOOD_POLLS
    # the worst state is drawn: every column holds an inactive poll
    assert all("inactive" in g.attrib["class"].split() for g in polls)


def test_svg_of_a_week_dense_in_every_pixel_stays_under_the_documented_maximum(api):
    # given: open 24x7, a poll every 40 s for the whole week, alternating: every pixel column is mixed
    store = make_store("dense", timezone_str="America/New_York")
    step = dt.timedelta(seconds=40)
    count = int(dt.timedelta(days=7, hours=1) / step)
    Poll.objects.bulk_create(
        (Poll(store=store, observed_at_utc=AS_OF - i * step, active=i % 2 == 0) for i in range(count)),
        batch_size=20_000,
    )

    # when
    picture = api.get("/api/stores/dense/timeline.svg", {"as_of": "2023-01-23T17:00:00Z"})
    most = api.get("/api/stores/dense/uptime", {"as_of": "2023-01-23T17:00:00Z", "limit": UPTIME_LIMIT_MAX})

    # then
    assert len(picture.content) <= svg.SVG_MAX_BYTES
    root = ET.fromstring(picture.content)
    rects = [r for g in root.iter(f"{SVG}g") if g.get("class") == "day" for r in g.iter(f"{SVG}rect")]
    assert len(rects) <= 8 * (svg.PLOT_W + 3)
    assert len(most.content) <= uptime_max_bytes(UPTIME_LIMIT_MAX)


# --- Error answers -------------------------------------------------------------------------------


def test_100k_unknown_store_ids_answer_the_first_100_and_the_count(api):
    make_example_b_store()
    ids = [f"nope-{i:06d}" for i in range(100_000)]

    response = api.post("/trigger_report", {"store_ids": ids}, format="json")

    assert response.status_code == 400
    assert len(response.content) < 10_000
    body = response.json()
    assert body["unknown_store_ids"] == ids[:100]
    assert body["unknown_store_count"] == 100_000
    assert body["detail"].startswith("unknown store_ids: nope-000000, nope-000001")
    assert body["detail"].endswith("nope-000099 (the first 100 of 100000)")
    assert Report.objects.count() == 0


def test_100k_invalid_store_ids_answer_a_bounded_error(api):
    response = api.post("/trigger_report", {"store_ids": [""] * 100_000}, format="json")

    assert response.status_code == 400
    assert len(response.content) < 20_000
    assert "100000" in response.json()["detail"]


@pytest.mark.parametrize(
    "url", ["/api/stores/a%00b", "/api/stores/a%00b/uptime", "/api/stores/a%00b/timeline.svg", "/api/stores/%00"]
)
def test_a_nul_in_a_store_id_in_the_path_is_400_json(api, url):
    response = api.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]


def test_a_nul_in_store_ids_is_400(api):
    response = api.post("/trigger_report", {"store_ids": ["a\x00b"]}, format="json")

    assert response.status_code == 400
    assert Report.objects.count() == 0


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 100_000, '{"store_ids": ' + "[" * 50_000])
@pytest.mark.parametrize("url", ["/trigger_report", "/api/polls"])
def test_deeply_nested_json_is_400_not_500(api, url, body):
    response = api.generic("POST", url, body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize(
    "url, content_type",
    [
        ("/trigger_report", "application/json"),
        ("/trigger_report", "application/x-www-form-urlencoded"),
        ("/api/polls", "application/json"),
        ("/api/polls", "text/csv"),
        ("/api/reports/", "application/json"),
        ("/admin/login/", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_over_the_limit_is_413_json_everywhere(api, settings, url, content_type):
    body = json.dumps({"store_ids": ["x" * 40] * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 40)})
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = api.generic("POST", url, body, content_type=content_type)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in response.json()["detail"]
    assert Report.objects.count() == 0


def test_schema_documents_the_bounds(tmp_path):
    import io

    import yaml
    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--validate", stdout=out, stderr=io.StringIO())
    schema = yaml.safe_load(out.getvalue())
    uptime = schema["paths"]["/api/stores/{store_id}/uptime"]["get"]
    assert "limit" in {p["name"] for p in uptime["parameters"]}
    assert f"{uptime_max_bytes(UPTIME_LIMIT_DEFAULT):,}" in uptime["description"]
    picture = schema["paths"]["/api/stores/{store_id}/timeline.svg"]["get"]
    assert f"{svg.SVG_MAX_BYTES:,}" in picture["description"]
    trigger = schema["paths"]["/trigger_report"]["post"]
    assert {"400", "413", "503"} <= set(trigger["responses"])
