"""The calendar API of the "Real calendars" issue (docs/numbers.md rules 10, 11): a store's weekly versions
and special days in GET /api/stores/{id}, PUT /api/stores/{id}/hours, GET/PUT/DELETE
/api/stores/{id}/special-days/{date} and the POST /api/special-days batch (JSON or CSV).

Every refusal is a 400 naming the field (or the row and field), with nothing stored.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from loopmonitor.testing import ClientResponse
from stores.calendar_rows import FieldError, special_row_parse, version_spans, weekly_row_parse
from stores.conftest import make_store
from stores.models import BusinessHours, SpecialHours, Store

pytestmark = pytest.mark.django_db

A = "1481966498820158979"
SPECIAL_HEADER = "store_id,date,start_time_local,end_time_local"


def versions_of(store_id: str) -> list[tuple[str | None, int, str, str]]:
    """(effective_from, day, start, end) of every weekly row, the undated version first."""
    rows = BusinessHours.objects.filter(store__store_id=store_id)
    found = (
        (
            h.effective_from.isoformat() if h.effective_from else None,
            h.day_of_week,
            h.start_time_local.isoformat(),
            h.end_time_local.isoformat(),
        )
        for h in rows
    )
    return sorted(found, key=lambda row: (row[0] is not None, row[0] or "", row[1:]))


def specials_of(store_id: str) -> list[tuple[str, str | None, str | None]]:
    """(date, start, end) of every special row, sorted (closed rows as None, None)."""
    rows = SpecialHours.objects.filter(store__store_id=store_id)
    return sorted(
        (
            (
                r.date.isoformat(),
                r.start_time_local.isoformat() if r.start_time_local else None,
                r.end_time_local.isoformat() if r.end_time_local else None,
            )
            for r in rows
        ),
        key=lambda row: (row[0], row[1] or "", row[2] or ""),
    )


def special(store: Store, date: str, start: str | None = None, end: str | None = None) -> SpecialHours:
    return SpecialHours.objects.create(
        store=store,
        date=dt.date.fromisoformat(date),
        start_time_local=dt.time.fromisoformat(start) if start else None,
        end_time_local=dt.time.fromisoformat(end) if end else None,
    )


@pytest.fixture
def example_i(db) -> Store:
    """docs/numbers.md example I's store (Mondays 09:00-12:00 undated, 13:00-15:00 from 2023-01-23), with
    example F's closed Monday a week later and a special 10:00-11:00 the Monday after."""
    store = make_store(A, timezone_str="America/New_York", hours=[(0, "09:00", "12:00")])
    BusinessHours.objects.create(
        store=store,
        day_of_week=0,
        start_time_local=dt.time(13),
        end_time_local=dt.time(15),
        effective_from=dt.date(2023, 1, 23),
    )
    special(store, "2023-01-30")
    special(store, "2023-02-06", "10:00", "11:00")
    return store


def put_json(client: APIClient, url: str, body) -> ClientResponse:
    return client.put(url, body, format="json")


# --- The pure row parsers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field, reason",
    [
        (("", "2023-01-23", "", ""), "store_id", "empty"),
        (("   ", "2023-01-23", "", ""), "store_id", "empty"),
        (("=1+2", "2023-01-23", "", ""), "store_id", "begins with '='"),
        ((" +1", "2023-01-23", "", ""), "store_id", "begins with '+'"),
        (("-1", "2023-01-23", "", ""), "store_id", "begins with '-'"),
        (("@sum", "2023-01-23", "", ""), "store_id", "begins with '@'"),
        (("\t1", "2023-01-23", "", ""), "store_id", "begins with a tab"),
        (("\r1", "2023-01-23", "", ""), "store_id", "begins with a carriage return"),
        (("x" * 65, "2023-01-23", "", ""), "store_id", "longer than 64"),
        (("a\x00b", "2023-01-23", "", ""), "store_id", "control characters"),
        ((A, "2023-02-30", "", ""), "date", "2023-02-30 is not a date"),
        ((A, "2023-1-5", "", ""), "date", "not a date (expected YYYY-MM-DD)"),
        ((A, "23.01.2023", "", ""), "date", "not a date"),
        ((A, "", "", ""), "date", "not a date"),
        ((A, "١٩٧١-٠١-٠١", "", ""), "date", "not a date"),
        ((A, "1970-12-31", "", ""), "date", "outside 1971-01-01 to 9998-12-31"),
        ((A, "9999-12-31", "", ""), "date", "outside"),
        ((A, "2023-01-23", "", "10:00:00"), "start_time_local", "empty while end_time_local is given"),
        ((A, "2023-01-23", "10:00:00", " "), "end_time_local", "empty while start_time_local is given"),
        ((A, "2023-01-23", "24:00:00", "10:00:00"), "start_time_local", "24:00:00 is not a time of day"),
        ((A, "2023-01-23", "10:00:00", "noon"), "end_time_local", "not a time (expected HH:MM:SS)"),
    ],
)
def test_a_bad_special_row_names_its_field(fields, field, reason):
    with pytest.raises(FieldError) as raised:
        special_row_parse(*fields)

    assert raised.value.field == field
    assert reason in raised.value.reason
    assert str(raised.value).startswith(f"{field}: ")


def test_special_rows_read_as_the_file_says():
    assert special_row_parse(f" {A} ", " 2023-01-23 ", " ", "") == (A, "2023-01-23", None, None)
    assert special_row_parse("u", "2023-01-23", "9:00", "17:30") == ("u", "2023-01-23", "09:00:00", "17:30:00")
    assert special_row_parse("u", "2024-02-29", "22:00:00", "02:00:00").end_time_local == "02:00:00"


def test_weekly_rows_and_version_spans():
    assert weekly_row_parse("6", "18:00", "02:00:00") == (6, "18:00:00", "02:00:00")
    assert weekly_row_parse(0, "09:00:00", "09:00:00") == (0, "09:00:00", "09:00:00")
    # Any: the wrong types (a bool, a float) are the point, as a JSON body can hold them.
    bad_days: tuple[Any, ...] = (7, -1, True, "x", 1.0)
    for day in bad_days:
        with pytest.raises(FieldError, match="day_of_week"):
            weekly_row_parse(day, "09:00", "10:00")
    with pytest.raises(FieldError, match="end_time_local: empty"):
        weekly_row_parse(1, "09:00", "")

    jan, feb = dt.date(2023, 1, 23), dt.date(2023, 2, 1)
    assert version_spans([None]) == [(None, None, None)]
    assert version_spans([feb, None, jan]) == [(None, None, jan), (jan, jan, feb), (feb, feb, None)]
    # Without an undated version the earliest one supplies every date before it too (rule 10).
    assert version_spans([feb, jan]) == [(jan, None, feb), (feb, feb, None)]


# --- GET /api/stores/{id} ------------------------------------------------------------------------


def test_detail_shows_the_versions_and_the_special_days(api, example_i):
    body = api.get(f"/api/stores/{A}").json()

    assert [h["start_time_local"] for h in body["hours"]] == ["09:00:00", "13:00:00"]  # every version's rows
    undated, dated = body["versions"]
    assert (undated["effective_from"], undated["applies_from"], undated["applies_until"]) == (None, None, "2023-01-23")
    assert (dated["effective_from"], dated["applies_from"], dated["applies_until"]) == (
        "2023-01-23",
        "2023-01-23",
        None,
    )
    assert undated["hours"] == [{"day_of_week": 0, "start_time_local": "09:00:00", "end_time_local": "12:00:00"}]
    assert undated["hours_merged"][0] == {"day_of_week": 0, "intervals": [{"start": "09:00:00", "end": "12:00:00"}]}
    assert dated["hours_merged"][0] == {"day_of_week": 0, "intervals": [{"start": "13:00:00", "end": "15:00:00"}]}
    # The top-level merge is the latest version's, not a mix of both.
    assert body["hours_merged"] == dated["hours_merged"]
    assert body["special_days"] == [
        {"date": "2023-01-30", "closed": True, "rows": [{"start_time_local": None, "end_time_local": None}]},
        {
            "date": "2023-02-06",
            "closed": False,
            "rows": [{"start_time_local": "10:00:00", "end_time_local": "11:00:00"}],
        },
    ]


def test_detail_of_a_store_without_calendar_rows(api):
    make_store("plain", hours=[(2, "10:00", "11:00")])
    make_store("bare")

    plain = api.get("/api/stores/plain").json()
    bare = api.get("/api/stores/bare").json()

    assert [v["effective_from"] for v in plain["versions"]] == [None]
    assert (plain["versions"][0]["applies_from"], plain["versions"][0]["applies_until"]) == (None, None)
    assert plain["special_days"] == [] and bare["special_days"] == [] and bare["versions"] == []
    assert bare["hours_merged"] == [
        {"day_of_week": d, "intervals": [{"start": "00:00:00", "end": "24:00:00"}]} for d in range(7)
    ]


def test_detail_special_days_by_date_range(api, example_i):
    special(example_i, "2023-02-06")  # a closed row beside the row with times: the date is not closed

    def dates(**params):
        return [(d["date"], d["closed"]) for d in api.get(f"/api/stores/{A}", params).json()["special_days"]]

    assert dates(special_from="2023-01-31") == [("2023-02-06", False)]
    assert dates(special_until="2023-01-30") == [("2023-01-30", True)]
    assert dates(special_from="2023-01-30", special_until="2023-02-06") == [
        ("2023-01-30", True),
        ("2023-02-06", False),
    ]
    assert dates(special_from="2023-02-07") == []
    rows = api.get(f"/api/stores/{A}", {"special_from": "2023-02-06"}).json()["special_days"][0]["rows"]
    assert rows == [
        {"start_time_local": None, "end_time_local": None},
        {"start_time_local": "10:00:00", "end_time_local": "11:00:00"},
    ]


@pytest.mark.parametrize(
    "params, named",
    [
        ({"special_from": "2023-02-30"}, "special_from: 2023-02-30 is not a date"),
        ({"special_until": "tomorrow"}, "special_until: not a date (expected YYYY-MM-DD)"),
        ({"special_from": "2023-02-01", "special_until": "2023-01-31"}, "special_until: 2023-01-31 is before"),
    ],
)
def test_detail_bad_date_range_is_400_naming_the_parameter(api, example_i, params, named):
    response = api.get(f"/api/stores/{A}", params)

    assert response.status_code == 400
    assert named in response.json()["detail"]


# --- PUT /api/stores/{id}/hours ----------------------------------------------------------------


def test_put_hours_replaces_exactly_that_version(api, example_i):
    response = put_json(
        api,
        f"/api/stores/{A}/hours",
        {
            "effective_from": "2023-01-23",
            "rows": [
                {"day_of_week": 1, "start_time_local": "13:00", "end_time_local": "15:00:00"},
                {"day_of_week": 4, "start_time_local": "18:00:00", "end_time_local": "02:00:00"},
            ],
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "store_id": A,
        "effective_from": "2023-01-23",
        "deleted": 1,
        "inserted": 2,
        "hours": [
            {"day_of_week": 1, "start_time_local": "13:00:00", "end_time_local": "15:00:00"},
            {"day_of_week": 4, "start_time_local": "18:00:00", "end_time_local": "02:00:00"},
        ],
    }
    assert versions_of(A) == [
        (None, 0, "09:00:00", "12:00:00"),
        ("2023-01-23", 1, "13:00:00", "15:00:00"),
        ("2023-01-23", 4, "18:00:00", "02:00:00"),
    ]


def test_put_hours_null_is_the_undated_version_and_a_new_date_adds_a_version(api, example_i):
    undated = put_json(
        api,
        f"/api/stores/{A}/hours",
        {
            "effective_from": None,
            "rows": [{"day_of_week": 2, "start_time_local": "08:00:00", "end_time_local": "09:00"}],
        },
    )
    added = put_json(
        api,
        f"/api/stores/{A}/hours",
        {
            "effective_from": " 2024-01-01 ",
            "rows": [{"day_of_week": 3, "start_time_local": "1:00", "end_time_local": "1:00"}],
        },
    )

    assert (undated.status_code, undated.json()["deleted"], undated.json()["effective_from"]) == (200, 1, None)
    assert (added.status_code, added.json()["deleted"], added.json()["effective_from"]) == (200, 0, "2024-01-01")
    assert versions_of(A) == [
        (None, 2, "08:00:00", "09:00:00"),
        ("2023-01-23", 0, "13:00:00", "15:00:00"),
        ("2024-01-01", 3, "01:00:00", "01:00:00"),
    ]


def test_put_hours_with_no_rows_removes_the_version(api, example_i):
    response = put_json(api, f"/api/stores/{A}/hours", {"effective_from": "2023-01-23", "rows": []})

    assert response.status_code == 200
    assert (response.json()["deleted"], response.json()["inserted"]) == (1, 0)
    assert versions_of(A) == [(None, 0, "09:00:00", "12:00:00")]


@pytest.mark.parametrize(
    "body, named",
    [
        ({"rows": []}, "effective_from: missing (null for the undated version)"),
        ({"effective_from": "2023-02-30", "rows": []}, "effective_from: 2023-02-30 is not a date"),
        ({"effective_from": 20230123, "rows": []}, "effective_from: not a JSON string or null"),
        ({"effective_from": None}, "rows: missing"),
        ({"effective_from": None, "rows": {"day_of_week": 0}}, "rows: not a JSON list"),
        ({"effective_from": None, "rows": [], "version": 2}, "version: unknown field"),
        ([{"day_of_week": 0}], "body: expected a JSON object"),
        (
            {"effective_from": None, "rows": [{"day_of_week": 0, "start_time_local": "09:00"}]},
            "item 0: end_time_local: missing",
        ),
        (
            {
                "effective_from": None,
                "rows": [
                    {"day_of_week": 0, "start_time_local": "09:00", "end_time_local": "10:00"},
                    {"day_of_week": 7, "start_time_local": "09:00", "end_time_local": "10:00"},
                ],
            },
            "item 1: day_of_week: not a day of the week 0-6",
        ),
        (
            {
                "effective_from": None,
                "rows": [{"day_of_week": True, "start_time_local": "9:00", "end_time_local": "10:00"}],
            },
            "item 0: day_of_week",
        ),
        (
            {
                "effective_from": None,
                "rows": [{"day_of_week": 1, "start_time_local": "09:60", "end_time_local": "10:00"}],
            },
            "item 0: start_time_local: 09:60 is not a time of day",
        ),
        (
            {"effective_from": None, "rows": [{"day_of_week": 1, "start": "09:00", "end_time_local": "10:00"}]},
            "item 0: start: unknown field",
        ),
        ({"effective_from": None, "rows": ["09:00-10:00"]}, "item 0: item: not a JSON object"),
    ],
)
def test_put_hours_refuses_bad_input_naming_the_field_and_stores_nothing(api, example_i, body, named):
    before = versions_of(A)

    response = put_json(api, f"/api/stores/{A}/hours", body)

    assert response.status_code == 400
    assert named in response.json()["detail"]
    assert versions_of(A) == before


def test_put_hours_lists_every_bad_row(api, example_i):
    rows = [
        {"day_of_week": 0, "start_time_local": "09:00", "end_time_local": "10:00"},
        {"day_of_week": 9, "start_time_local": "09:00", "end_time_local": "10:00"},
        {"day_of_week": 1, "start_time_local": "09:00", "end_time_local": "25:00"},
    ]

    response = put_json(api, f"/api/stores/{A}/hours", {"effective_from": None, "rows": rows})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": "day_of_week", "reason": "not a day of the week 0-6: '9'"},
        {"index": 2, "field": "end_time_local", "reason": "25:00 is not a time of day 00:00:00-23:59:59"},
    ]
    assert response.json()["detail"].startswith("2 bad row(s); nothing was stored: item 1: day_of_week")


def test_put_hours_of_an_unknown_store_is_404(api, example_i):
    response = put_json(api, "/api/stores/nope/hours", {"effective_from": None, "rows": []})

    assert response.status_code == 404
    assert "nope" in response.json()["detail"]
    assert not Store.objects.filter(store_id="nope").exists()


# --- /api/stores/{id}/special-days/{date} ------------------------------------------------------


def test_special_day_put_get_replace_delete(api, example_i):
    url = f"/api/stores/{A}/special-days/2023-03-06"

    missing = api.get(url)
    put = put_json(
        api,
        url,
        [
            {"start_time_local": "17:00:00", "end_time_local": "23:00:00"},
            {"start_time_local": "10:00", "end_time_local": "12:00:00"},
        ],
    )
    got = api.get(url)
    closed = put_json(api, url, {"closed": True})
    deleted = api.delete(url)
    gone = api.get(url)
    deleted_again = api.delete(url)

    assert missing.status_code == 404 and "no special hours on 2023-03-06" in missing.json()["detail"]
    assert put.status_code == 200
    assert (
        put.json()
        == got.json()
        == {
            "store_id": A,
            "date": "2023-03-06",
            "closed": False,
            "rows": [
                {"start_time_local": "10:00:00", "end_time_local": "12:00:00"},
                {"start_time_local": "17:00:00", "end_time_local": "23:00:00"},
            ],
        }
    )
    assert closed.status_code == 200
    assert closed.json() == {
        "store_id": A,
        "date": "2023-03-06",
        "closed": True,
        "rows": [{"start_time_local": None, "end_time_local": None}],
    }
    assert deleted.status_code == 204 and deleted.content == b""
    assert gone.status_code == 404
    assert deleted_again.status_code == 404
    # The other dates never moved.
    assert specials_of(A) == [("2023-01-30", None, None), ("2023-02-06", "10:00:00", "11:00:00")]


def test_special_day_put_accepts_closed_rows_in_a_list(api, example_i):
    response = put_json(
        api,
        f"/api/stores/{A}/special-days/2023-02-06",
        [
            {"start_time_local": None, "end_time_local": ""},
            {},
            {"start_time_local": "06:00", "end_time_local": "07:00"},
        ],
    )

    assert response.status_code == 200
    assert response.json()["closed"] is False
    assert specials_of(A) == [
        ("2023-01-30", None, None),
        ("2023-02-06", None, None),
        ("2023-02-06", None, None),
        ("2023-02-06", "06:00:00", "07:00:00"),
    ]


@pytest.mark.parametrize(
    "body, named",
    [
        ([{"start_time_local": "10:00:00"}], "item 0: end_time_local: empty while start_time_local is given"),
        (
            [
                {"start_time_local": "10:00", "end_time_local": "11:00"},
                {"start_time_local": "", "end_time_local": "12:00"},
            ],
            "item 1: start_time_local: empty while end_time_local is given",
        ),
        ([{"start_time_local": 10, "end_time_local": "11:00"}], "item 0: start_time_local: not a JSON string"),
        ([{"start": "10:00", "end": "11:00"}], "item 0: start: unknown field"),
        ([], "body: an empty list"),
        ({"closed": False}, "closed: must be true"),
        ({"closed": "yes"}, "closed: must be true"),
        ({"closed": True, "start_time_local": "10:00"}, "start_time_local: unknown field"),
        ({}, "closed: must be true"),
        ("closed", "body: expected a JSON list"),
    ],
)
def test_special_day_put_refuses_bad_input_and_stores_nothing(api, example_i, body, named):
    before = specials_of(A)

    response = put_json(api, f"/api/stores/{A}/special-days/2023-02-06", body)

    assert response.status_code == 400
    assert named in response.json()["detail"]
    assert specials_of(A) == before


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize(
    "date, named",
    [
        ("2023-02-30", "date: 2023-02-30 is not a date"),
        ("2023-2-3", "date: not a date (expected YYYY-MM-DD)"),
        ("1900-01-01", "date: 1900-01-01 is outside"),
    ],
)
def test_special_day_bad_date_is_400(api, example_i, method, date, named):
    response = getattr(api, method)(f"/api/stores/{A}/special-days/{date}", {"closed": True}, format="json")

    assert response.status_code == 400
    assert named in response.json()["detail"]


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_special_day_of_an_unknown_store_is_404(api, method):
    response = getattr(api, method)("/api/stores/nope/special-days/2023-01-23", {"closed": True}, format="json")

    assert response.status_code == 404
    assert "nope" in response.json()["detail"]
    assert not Store.objects.exists()


def test_special_day_put_needs_json(api, example_i):
    response = api.put(f"/api/stores/{A}/special-days/2023-02-06", "closed", content_type="text/plain")

    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"


# --- POST /api/special-days ----------------------------------------------------------------------


def post_csv(client: APIClient, text: str | bytes):
    return client.post("/api/special-days", text, content_type="text/csv")


def test_a_json_batch_replaces_the_dates_it_mentions_and_creates_stores(api, example_i):
    batch = [
        {"store_id": A, "date": "2023-01-30", "start_time_local": "12:00:00", "end_time_local": "13:00:00"},
        {"store_id": A, "date": "2023-01-30", "start_time_local": "15:00", "end_time_local": "16:00"},
        {"store_id": "new-store", "date": "2023-12-25"},
        {"store_id": " new-store ", "date": "2023-12-24", "start_time_local": None, "end_time_local": None},
    ]

    response = api.post("/api/special-days", batch, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "received": 4,
        "dates_replaced": 3,
        "deleted": 1,
        "inserted": 4,
        "stores_touched": 2,
        "stores_created": 1,
    }
    assert specials_of(A) == [
        ("2023-01-30", "12:00:00", "13:00:00"),
        ("2023-01-30", "15:00:00", "16:00:00"),
        ("2023-02-06", "10:00:00", "11:00:00"),  # not mentioned: kept
    ]
    assert specials_of("new-store") == [("2023-12-24", None, None), ("2023-12-25", None, None)]
    assert Store.objects.get(store_id="new-store").timezone_str is None


def test_pushing_the_same_batch_again_changes_nothing(api, example_i):
    batch = [{"store_id": A, "date": "2023-01-30", "start_time_local": "12:00:00", "end_time_local": "13:00:00"}]

    first = api.post("/api/special-days", batch, format="json").json()
    stored = specials_of(A)
    again = api.post("/api/special-days", batch, format="json").json()

    assert (first["deleted"], again["deleted"], again["inserted"], again["stores_created"]) == (1, 1, 1, 0)
    assert specials_of(A) == stored


def test_a_csv_batch_reads_columns_by_name(api, example_i):
    body = (
        "\ufeffdate, END_TIME_LOCAL ,store_id,start_time_local\r\n"
        f"2023-02-06,11:30:00,{A},10:30\r\n"
        "\r\n"
        f'2023-02-13,,"{A}",\r\n'
    )

    response = post_csv(api, body.encode())

    assert response.status_code == 200
    assert response.json()["inserted"] == 2 and response.json()["deleted"] == 1
    assert specials_of(A) == [
        ("2023-01-30", None, None),
        ("2023-02-06", "10:30:00", "11:30:00"),
        ("2023-02-13", None, None),
    ]


def test_a_csv_batch_with_bad_rows_lists_line_and_field_and_stores_nothing(api, example_i):
    before = specials_of(A)
    body = "\n".join(
        [
            SPECIAL_HEADER,
            f"{A},2023-03-06,10:00:00,11:00:00",
            f"{A},2023-02-30,,",
            "",
            "=HYPERLINK(1),2023-03-06,,",
            f'"{A}\n",2023-03-07,10:00:00,',
            f"\t{A},2023-03-06,,",
            f"{A},2023-03-06,,10:00:00",
            "-1,2023-03-06,,",
            "  ,2023-03-06,,",
        ]
    )

    response = post_csv(api, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 3, "field": "date", "reason": "2023-02-30 is not a date"},
        {"index": 5, "field": "store_id", "reason": "begins with '=': a spreadsheet would read it as a formula"},
        {"index": 6, "field": "end_time_local", "reason": "empty while start_time_local is given: give both times, "
         "or neither for a closed day"},
        {"index": 8, "field": "store_id", "reason": "begins with a tab: a spreadsheet would read it as a formula"},
        {"index": 9, "field": "start_time_local", "reason": "empty while end_time_local is given: give both times, "
         "or neither for a closed day"},
        {"index": 10, "field": "store_id", "reason": "begins with '-': a spreadsheet would read it as a formula"},
        {"index": 11, "field": "store_id", "reason": "empty"},
    ]  # fmt: skip
    assert response.json()["detail"].startswith(
        "7 bad row(s); nothing was stored: line 3: date: 2023-02-30 is not a date; line 5: store_id"
    )
    assert "(and 2 more)" in response.json()["detail"]
    assert specials_of(A) == before
    assert not Store.objects.exclude(store_id=A).exists()


def test_a_json_batch_with_bad_rows_lists_them_all_and_stores_nothing(api, example_i):
    before = specials_of(A)
    batch = [
        {"store_id": "fresh", "date": "2023-03-06"},
        {"store_id": "@x", "date": "2023-03-06"},
        {"store_id": A, "date": "2023-13-01"},
        {"store_id": A},
        {"store_id": 7, "date": "2023-03-06"},
        "a row",
        {"store_id": A, "date": "2023-03-06", "start_time_local": "10:00"},
        {"store_id": A, "date": "2023-03-06", "note": "x"},
    ]

    response = api.post("/api/special-days", batch, format="json")

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (1, "store_id"),
        (2, "date"),
        (3, "date"),
        (4, "store_id"),
        (5, "item"),
        (6, "end_time_local"),
        (7, "note"),
    ]
    assert response.json()["errors"][1]["reason"] == "2023-13-01 is not a date"
    assert response.json()["detail"].startswith("7 bad row(s); nothing was stored: item 1: store_id: begins with '@'")
    assert specials_of(A) == before
    assert not Store.objects.filter(store_id="fresh").exists()


@pytest.mark.parametrize(
    "content_type, body, status, detail",
    [
        ("text/csv", "store_id,date,start_time_local\n1,2023-01-01,\n", 400, "missing column end_time_local"),
        ("text/csv", "", 400, "empty (no header line)"),
        ("text/csv", "store_id,date,date,start_time_local,end_time_local\n", 400, "column date twice"),
        ("text/csv", b"\xff\xfe\x00", 400, "not UTF-8"),
        ("application/json", '{"store_id": "1"}', 400, "Expected a JSON list"),
        ("application/json", "[" * 5000, 400, "JSON parse error"),
        ("application/json", "[1,", 400, "JSON parse error"),
        ("text/plain", "store_id,date\n", 415, "Unsupported media type"),
    ],
)
def test_a_malformed_batch_is_a_json_4xx_never_a_500(api, content_type, body, status, detail):
    response = api.post("/api/special-days", body, content_type=content_type)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert detail in response.json()["detail"]
    assert not SpecialHours.objects.exists()


def test_an_empty_batch_stores_nothing(api):
    assert api.post("/api/special-days", [], format="json").json() == {
        "received": 0,
        "dates_replaced": 0,
        "deleted": 0,
        "inserted": 0,
        "stores_touched": 0,
        "stores_created": 0,
    }
    assert post_csv(api, SPECIAL_HEADER + "\n").json()["received"] == 0


def test_a_batch_over_the_size_limit_is_413(api, settings):
    settings.POLLS_PUSH_MAX_BYTES = 1000
    body = SPECIAL_HEADER + "\n" + "".join(f"s{i},2023-01-01,,\n" for i in range(100))

    response = post_csv(api, body)

    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]
    assert not Store.objects.exists()


def test_a_large_batch_is_stored_whole(api):
    # 3000 stores x 3 dates: several DELETE and INSERT batches in one transaction.
    lines = [SPECIAL_HEADER] + [f"s{i:04d},2023-01-{d:02d},10:00,11:00" for i in range(3000) for d in (1, 2, 3)]

    first = post_csv(api, "\n".join(lines)).json()
    again = post_csv(api, "\n".join(lines)).json()

    assert (first["inserted"], first["stores_created"], first["dates_replaced"]) == (9000, 3000, 9000)
    assert (again["deleted"], again["inserted"], again["stores_created"]) == (9000, 9000, 0)
    assert SpecialHours.objects.count() == 9000


# --- Keys and the schema -------------------------------------------------------------------------

CALENDAR_ENDPOINTS = [
    ("get", f"/api/stores/{A}?special_from=2023-01-01"),
    ("put", f"/api/stores/{A}/hours"),
    ("get", f"/api/stores/{A}/special-days/2023-01-30"),
    ("put", f"/api/stores/{A}/special-days/2023-01-30"),
    ("delete", f"/api/stores/{A}/special-days/2023-01-30"),
    ("post", "/api/special-days"),
]


@pytest.mark.parametrize("method, url", CALENDAR_ENDPOINTS)
@pytest.mark.parametrize("authorization", [None, "Token not-a-real-key", "Bearer abc"])
def test_every_calendar_endpoint_needs_a_key(example_i, method, url, authorization):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    before = (versions_of(A), specials_of(A))

    response = getattr(client, method)(url, {"closed": True}, format="json")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert (versions_of(A), specials_of(A)) == before


def test_every_calendar_endpoint_is_in_the_schema_with_examples():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=io.StringIO())
    paths = yaml.safe_load(out.getvalue())["paths"]

    operations = [
        ("/api/stores/{store_id}", "get"),
        ("/api/stores/{store_id}/hours", "put"),
        ("/api/stores/{store_id}/special-days/{date}", "get"),
        ("/api/stores/{store_id}/special-days/{date}", "put"),
        ("/api/stores/{store_id}/special-days/{date}", "delete"),
        ("/api/special-days", "post"),
    ]
    for path, method in operations:
        operation = paths[path][method]
        assert operation["description"] and operation["summary"], (path, method)
        assert "401" in operation["responses"], (path, method)
        bodies = [operation.get("requestBody", {})] + list(operation["responses"].values())
        if method != "delete":
            assert any(media.get("examples") for body in bodies for media in body.get("content", {}).values()), (
                path,
                method,
            )
    detail_params = {p["name"] for p in paths["/api/stores/{store_id}"]["get"]["parameters"]}
    assert {"special_from", "special_until"} <= detail_params


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/stores/a%00b"),
        ("put", "/api/stores/a%00b/hours"),
        ("get", "/api/stores/a%00b/special-days/2023-01-30"),
        ("put", "/api/stores/a%00b/special-days/2023-01-30"),
        ("delete", "/api/stores/a%00b/special-days/2023-01-30"),
    ],
)
def test_a_store_id_no_store_can_have_is_400_not_500(api, example_i, method, url):
    # PostgreSQL text cannot hold a NUL: asking the database would raise. A NUL in a store id is a
    # bad request (400), as on every endpoint (reports/tests/test_bounds.py), never a 500.
    body: dict[str, object] = {"effective_from": None, "rows": []} if url.endswith("/hours") else {"closed": True}

    response = getattr(api, method)(url, body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
