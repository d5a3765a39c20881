"""The stores list and detail of issue 7, and the store admin's list.

One store's uptime, timeline and SVG are a reports feature: reports/tests/test_store_uptime.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stores.conftest import make_store

pytestmark = pytest.mark.django_db

UTC = dt.UTC


# --- Errors ----------------------------------------------------------------------------------


def test_unknown_store_is_404_json(api, example_a):
    response = api.get("/api/stores/no-such-store")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "no-such-store" in response.json()["detail"]


# --- List and detail -------------------------------------------------------------------------


def test_list_fields(api, example_a):
    make_store("99", timezone_str="")
    make_store("a-bad-zone", timezone_str="America/Chicgo", hours=[(0, "09:00", "17:00")])
    make_store("alias", timezone_str=" US/Eastern ")

    body = api.get("/api/stores/").json()

    by_id = {s["store_id"]: s for s in body["results"]}
    assert body["count"] == 4
    assert [s["store_id"] for s in body["results"]] == ["1481966498820158979", "99", "a-bad-zone", "alias"]
    assert by_id["1481966498820158979"] == {
        "store_id": "1481966498820158979",
        "brand": None,
        "name": "",
        "timezone_str": "America/New_York",
        "timezone": "America/New_York",
        "timezone_defaulted": False,
        "has_business_hours": True,
        "poll_count": 3,
        "last_poll_at": "2023-01-23T16:15:00Z",
        "last_poll_status": "inactive",
    }
    assert by_id["99"] == {
        "store_id": "99",
        "brand": None,
        "name": "",
        "timezone_str": "",
        "timezone": "America/Chicago",
        "timezone_defaulted": True,
        "has_business_hours": False,
        "poll_count": 0,
        "last_poll_at": None,
        "last_poll_status": None,
    }
    assert (by_id["a-bad-zone"]["timezone"], by_id["a-bad-zone"]["timezone_defaulted"]) == ("America/Chicago", True)
    assert by_id["a-bad-zone"]["has_business_hours"] is True
    assert (by_id["alias"]["timezone"], by_id["alias"]["timezone_defaulted"]) == ("US/Eastern", False)


def test_list_search_and_pagination(api):
    # given: 120 stores store-000 ... store-119, and one UUID store
    for i in range(120):
        make_store(f"store-{i:03d}", polls=[(dt.datetime(2023, 1, 1, tzinfo=UTC) + dt.timedelta(hours=i), i % 2 == 0)])
    make_store("0B4F4B36-1C2E-4B8E-9A57-2F0C1A6D7E11")

    # when
    first = api.get("/api/stores/").json()
    third = api.get("/api/stores/", {"page": 3}).json()
    found = api.get("/api/stores/", {"search": "07"}).json()
    uuid_found = api.get("/api/stores/", {"search": "0b4f4b36"}).json()
    none = api.get("/api/stores/", {"search": "zzz"}).json()
    beyond = api.get("/api/stores/", {"page": 9})

    # then
    assert first["count"] == 121 and len(first["results"]) == 50 and first["previous"] is None
    assert "page=2" in first["next"]
    assert [s["store_id"] for s in third["results"]] == [f"store-{i:03d}" for i in range(99, 120)]
    assert third["next"] is None
    assert third["results"][1]["last_poll_status"] == "active" and third["results"][0]["last_poll_status"] == "inactive"
    assert [s["store_id"] for s in found["results"]] == (
        ["store-007"] + [f"store-{i:03d}" for i in range(70, 80)] + ["store-107"]
    )
    assert [s["store_id"] for s in uuid_found["results"]] == ["0B4F4B36-1C2E-4B8E-9A57-2F0C1A6D7E11"]
    assert none["count"] == 0 and none["results"] == []
    assert beyond.status_code == 404


def test_list_queries_do_not_grow_with_the_page(api):
    for i in range(60):
        make_store(
            f"s{i:02d}", hours=[(0, "09:00", "17:00")], polls=[(dt.datetime(2023, 1, 1, i % 24, tzinfo=UTC), True)]
        )

    # A key's first use in a minute also writes its last_used_at (brands.authentication): once, here.
    api.get("/api/stores/")
    with CaptureQueriesContext(connection) as page_of_50:
        api.get("/api/stores/")
    with CaptureQueriesContext(connection) as page_of_10:
        api.get("/api/stores/", {"page": 2})

    # the API key, count, the page's keys, the page's summaries
    assert len(page_of_50.captured_queries) == len(page_of_10.captured_queries) == 4


@pytest.mark.parametrize(
    "hours, expected",
    [
        pytest.param([], {d: [("00:00:00", "24:00:00")] for d in range(7)}, id="no rows at all: open 24x7"),
        pytest.param(
            [(4, "18:00", "02:00")],
            {4: [("18:00:00", "24:00:00")], 5: [("00:00:00", "02:00:00")]},
            id="overnight row: until 24:00, then the next day from 00:00",
        ),
        pytest.param(
            [(6, "22:00", "01:30")],
            {6: [("22:00:00", "24:00:00")], 0: [("00:00:00", "01:30:00")]},
            id="Sunday into Monday",
        ),
        pytest.param([(2, "10:00", "10:00")], {2: [("00:00:00", "24:00:00")]}, id="start = end: whole day"),
        pytest.param(
            [(0, "09:00", "12:00"), (0, "11:00", "14:00"), (0, "14:00", "15:00"), (0, "20:00", "21:00")],
            {0: [("09:00:00", "15:00:00"), ("20:00:00", "21:00:00")]},
            id="overlapping and touching rows merged",
        ),
        pytest.param(
            [(1, "00:00", "02:00"), (1, "11:00", "23:59:59"), (0, "23:00", "03:00")],
            {0: [("23:00:00", "24:00:00")], 1: [("00:00:00", "03:00:00"), ("11:00:00", "23:59:59")]},
            id="overnight row merged with the next day's rows",
        ),
    ],
)
def test_detail_hours_as_given_and_merged_per_local_day(api, hours, expected):
    make_store("s1", timezone_str="Europe/Berlin", hours=hours)

    body = api.get("/api/stores/s1").json()

    assert sorted((h["day_of_week"], h["start_time_local"], h["end_time_local"]) for h in body["hours"]) == sorted(
        (d, dt.time.fromisoformat(s).isoformat(), dt.time.fromisoformat(e).isoformat()) for d, s, e in hours
    )
    assert body["hours_merged"] == [
        {"day_of_week": d, "intervals": [{"start": a, "end": b} for a, b in expected.get(d, [])]} for d in range(7)
    ]
    assert body["has_business_hours"] is bool(hours)
    assert body["timezone"] == "Europe/Berlin"


def test_detail_has_the_list_fields(api, example_a):
    body = api.get("/api/stores/1481966498820158979").json()

    assert body["poll_count"] == 3 and body["last_poll_status"] == "inactive" and body["timezone_defaulted"] is False
    assert body["hours"] == [{"day_of_week": 0, "start_time_local": "09:00:00", "end_time_local": "12:00:00"}]


# --- Admin -------------------------------------------------------------------------------------


def test_admin_store_list_shows_last_status_and_poll_time(admin_client, example_a):
    make_store("99", timezone_str="")
    make_store("up", polls=[(dt.datetime(2023, 1, 20, 8, tzinfo=UTC), True)])

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(reverse("admin:stores_store_changelist")).content.decode()

    assert "Last status" in page and "Last poll (UTC)" in page
    assert ">inactive<" in page and ">active<" in page and ">no polls<" in page
    assert "Jan. 23, 2023, 4:15 p.m." in page  # example A's last poll
    per_row = [q for q in queries.captured_queries if "stores_poll" in q["sql"]]
    assert len(per_row) <= 2  # annotated (changelist and its count), not a query per store
