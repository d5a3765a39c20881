"""POST /api/polls: a pushed batch, JSON or CSV, validated like the files and stored all or nothing."""

import json

import pytest

from stores.conftest import POLLS_HEADER, polls_of, tables_dump
from stores.models import Poll, Store

URL = "/api/polls"
A = "1481966498820158979"
B = "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11"


def post_json(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def post_csv(client, text: str | bytes):
    return client.post(URL, data=text, content_type="text/csv")


@pytest.mark.django_db
def test_a_json_batch_is_stored_and_counted(api):
    # given
    batch = [
        {"store_id": A, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
        {"store_id": A, "timestamp_utc": "2024-10-07T11:14:42+00:00", "status": " Inactive "},
        {"store_id": B, "timestamp_utc": "2023-01-22 12:09:39.388884 UTC", "status": "ACTIVE"},
    ]
    # when
    response = post_json(api, batch)
    # then
    assert response.status_code == 200
    assert response.json() == {"received": 3, "inserted": 3, "updated": 0, "duplicates": 0, "stores_touched": 2}
    assert polls_of(A) == [("2024-10-07T10:14:42+00:00", True), ("2024-10-07T11:14:42+00:00", False)]
    assert polls_of(B) == [("2023-01-22T12:09:39.388884+00:00", True)]


@pytest.mark.django_db
def test_pushing_the_same_batch_again_changes_nothing(api):
    batch = [{"store_id": A, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"}]
    post_json(api, batch)
    before = tables_dump()
    response = post_json(api, batch)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "inserted": 0, "updated": 0, "duplicates": 1, "stores_touched": 1}
    assert tables_dump() == before


@pytest.mark.django_db
def test_a_conflicting_status_at_a_stored_instant_makes_it_inactive(api):
    post_json(api, [{"store_id": A, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"}])
    response = post_json(api, [{"store_id": A, "timestamp_utc": "2024-10-07 10:14:42 UTC", "status": "inactive"}])
    assert response.json()["updated"] == 1
    assert polls_of(A) == [("2024-10-07T10:14:42+00:00", False)]


@pytest.mark.django_db
def test_an_empty_json_list_stores_nothing(api):
    response = post_json(api, [])
    assert response.status_code == 200
    assert response.json()["received"] == 0


@pytest.mark.django_db
def test_a_csv_batch_follows_the_file_rules(api):
    # given: columns reordered, a BOM, CRLF, spaces
    body = (
        "\ufefftimestamp_utc, status ,store_id\r\n"
        "2024-10-07T10:14:42Z, active ,{a}\r\n"
        "2024-10-07T10:15:42Z,inactive,{b}\r\n"
    )
    # when
    response = post_csv(api, body.format(a=A, b=B).encode("utf-8"))
    # then
    assert response.status_code == 200
    assert response.json() == {"received": 2, "inserted": 2, "updated": 0, "duplicates": 0, "stores_touched": 2}
    assert polls_of(B) == [("2024-10-07T10:15:42+00:00", False)]


@pytest.mark.django_db
def test_a_json_batch_with_bad_rows_lists_them_all_and_stores_nothing(api):
    # given
    batch = [
        {"store_id": A, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
        {"store_id": "", "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
        {"store_id": A, "timestamp_utc": "2024-13-07T10:14:42Z", "status": "active"},
        {"store_id": A, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "online"},
        {"store_id": 123, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
        [A, "2024-10-07T10:14:42Z", "active"],
        {"store_id": A, "status": "active"},
    ]
    # when
    response = post_json(api, batch)
    # then
    assert response.status_code == 400
    body = response.json()
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "store_id"),
        (2, "timestamp_utc"),
        (3, "status"),
        (4, "store_id"),
        (5, "item"),
        (6, "timestamp_utc"),
    ]
    assert all(e["reason"] for e in body["errors"])
    assert "nothing was stored" in body["detail"]
    assert Store.objects.count() == Poll.objects.count() == 0


@pytest.mark.django_db
def test_a_csv_batch_with_bad_rows_lists_their_line_numbers(api):
    body = (
        f"{POLLS_HEADER}\n{A},active,2024-10-07T10:14:42Z\n{A},maybe,2024-10-07T10:14:42Z\n"
        "\n,active,2024-10-07T10:14:42Z\n"
    )
    response = post_csv(api, body)
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(3, "status"), (5, "store_id")]
    assert Poll.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type, body, status",
    [
        ("application/json", b"[{", 400),
        ("application/json", b"", 400),
        ("application/json", b"null", 400),
        ("application/json", b'{"store_id": "1"}', 400),
        ("application/json", b'"a string"', 400),
        ("application/json", b"[NaN]", 400),
        ("application/json", b"\xff\xfe[]", 400),
        ("application/json", b"[" * 100_000, 400),
        ("text/csv", b"", 400),
        ("text/csv", b"store_id,status\n1,active\n", 400),
        ("text/csv", b"\x89PNG\r\n\x1a\n\x00", 400),
        ("text/csv", b"just some text\n", 400),
        ("text/plain", b"store_id,status,timestamp_utc\n", 415),
        ("application/xml", b"<polls/>", 415),
        ("application/x-www-form-urlencoded", b"store_id=1", 415),
    ],
)
def test_a_malformed_body_is_a_json_4xx_never_a_500(api, content_type, body, status):
    response = api.post(URL, data=body, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert Store.objects.count() == 0


@pytest.mark.django_db
def test_a_csv_body_missing_a_column_says_which(api):
    response = post_csv(api, "store_id,timestamp_utc\n1,2024-10-07T10:14:42Z\n")
    assert response.status_code == 400
    assert "missing column status" in response.json()["detail"]


@pytest.mark.django_db
def test_only_post_is_allowed(api):
    assert api.get(URL).status_code == 405


@pytest.mark.django_db
def test_a_batch_over_the_size_limit_is_413(api, settings):
    # given a body one byte over the configured limit (10 MB by default)
    row = f'{{"store_id": "{A}", "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"}}'
    body = "[" + ",".join([row] * (settings.POLLS_PUSH_MAX_BYTES // (len(row) + 1) + 1)) + "]"
    body += " " * (settings.POLLS_PUSH_MAX_BYTES + 1 - len(body))
    assert len(body) > settings.POLLS_PUSH_MAX_BYTES
    # when
    response = api.generic("POST", "/api/polls", body, content_type="application/json")
    # then
    assert response.status_code == 413
    assert "load_data" in response.json()["detail"]
    assert Poll.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("store_id", ["=HYPERLINK(1)", "+1", "-1", "@A1", "\t1", "\r1", " =1", " "])
def test_an_unsafe_store_id_is_a_bad_row_in_json_and_csv_bodies(api, store_id):
    # given: the id a spreadsheet would read as a formula, pushed both ways
    item = {"store_id": store_id, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"}
    quoted = '"' + store_id + '"'
    # when
    from_json = post_json(api, [{**item, "store_id": A}, item])
    from_csv = post_csv(api, f"{POLLS_HEADER}\n{A},active,2024-10-07T10:14:42Z\n{quoted},active,2024-10-07T10:14:42Z\n")
    # then
    assert from_json.status_code == from_csv.status_code == 400
    assert [(e["index"], e["field"]) for e in from_json.json()["errors"]] == [(1, "store_id")]
    assert [(e["index"], e["field"]) for e in from_csv.json()["errors"]] == [(3, "store_id")]
    assert Store.objects.count() == Poll.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("timestamp", ["0001-01-01T05:00+05:00", "1970-12-31 23:59:59 UTC", "٢٠٢٤-10-07T10:14:42Z"])
def test_an_impossible_instant_is_a_named_bad_row(api, timestamp):
    response = post_json(api, [{"store_id": A, "timestamp_utc": timestamp, "status": "active"}])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (0, "timestamp_utc")
    assert "1971" in error["reason"] or "ASCII" in error["reason"]
    assert Poll.objects.count() == 0


@pytest.mark.django_db
def test_a_csv_body_with_a_quote_that_never_closes_is_400_naming_its_line(api):
    rows = [f"{A},active,2024-10-07T10:14:42Z", f'{B},"active,2024-10-07T10:14:42Z', f"{A},active,2024-10-07T11:14:42Z"]
    body = "\n".join([POLLS_HEADER, *rows]) + "\n"
    response = post_csv(api, body)
    assert response.status_code == 400
    assert "opened on line 3 " in response.json()["detail"]
    assert Poll.objects.count() == 0


def test_a_malformed_content_length_is_no_500(api):
    # given: a Content-Length that is no number (Django then reads the body as empty)
    response = api.generic("POST", "/api/polls", "[]", content_type="application/json", CONTENT_LENGTH="ten")
    # then: an answer about the (empty) body Django reads, never a server error
    assert response.status_code == 400
    assert "detail" in response.json()
