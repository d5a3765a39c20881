"""Issue 14: every write of store data is scoped to the caller's brands and on record (PostgreSQL).

POST /api/polls, PUT /api/stores/{id}/hours, GET/PUT/DELETE /api/stores/{id}/special-days/{date}
and POST /api/special-days: a brand's operator writes its brand's stores; another brand's store,
or one of no brand, is an unknown store (404 for one store; a bad row, in the same words
whoever holds the id, for a batch) and nothing is stored or recorded; a viewer gets 403; new
stores pushed by a brand join it; platform staff still write everything. Each successful
write is one audit event per brand touched, with who, brand, what and the address.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from brands.models import AuditEvent, Brand, Membership
from brands.services import brand_get_or_create
from stores.conftest import make_store, polls_of
from stores.models import BusinessHours, Poll, SpecialHours, Store

pytestmark = pytest.mark.django_db

A1, A2 = "1000000000000000001", "1000000000000000002"  # brand a's stores
B1 = "2000000000000000001"  # brand b's
LOOSE = "3000000000000000001"  # a store of no brand
NEW = "4000000000000000001"  # no store yet
SPECIAL_HEADER = "store_id,date,start_time_local,end_time_local"


def poll(store_id: str, at: str = "2024-10-07T10:14:42Z", status: str = "active") -> dict[str, str]:
    return {"store_id": store_id, "timestamp_utc": at, "status": status}


def day(store_id: str, date: str = "2023-12-25", start: str | None = None, end: str | None = None) -> dict:
    return {"store_id": store_id, "date": date, "start_time_local": start, "end_time_local": end}


def post(client: APIClient, url: str, body: list | str, *, query: str = ""):
    if isinstance(body, str):
        return client.post(f"{url}{query}", data=body, content_type="text/csv")
    return client.post(f"{url}{query}", data=json.dumps(body), content_type="application/json")


def put(client: APIClient, url: str, body: dict | list):
    return client.put(url, data=json.dumps(body), content_type="application/json")


def everything() -> tuple[list, list, list, list]:
    """Every stored row that a write could change: stores (with brand and name), polls, weekly and special rows."""
    return (
        list(Store.objects.order_by("store_id").values_list("store_id", "brand_id", "name", "timezone_str")),
        list(Poll.objects.order_by("id").values_list("store__store_id", "observed_at_utc", "active")),
        list(BusinessHours.objects.order_by("id").values_list("store__store_id", "day_of_week", "effective_from")),
        list(SpecialHours.objects.order_by("id").values_list("store__store_id", "date", "start_time_local")),
    )


def events() -> list[tuple[str, str, str]]:
    """(brand slug, action, actor) of every audit event, oldest first."""
    return list(AuditEvent.objects.order_by("at", "id").values_list("brand_slug", "action", "actor"))


@pytest.fixture
def fleet(db) -> dict[str, Brand]:
    """Brand a with stores A1 and A2, brand b with B1, and LOOSE of no brand."""
    a, b = brand_get_or_create(slug="a"), brand_get_or_create(slug="b")
    for store_id, brand in ((A1, a), (A2, a), (B1, b), (LOOSE, None)):
        store = make_store(store_id, hours=[(0, "09:00", "17:00")])
        store.brand = brand
        store.save()
    return {"a": a, "b": b}


@pytest.fixture
def member(fleet):
    """member({"a": "viewer", "b": "operator"}) -> a logged-in session client of a person with those roles."""

    def make(roles: dict[str, str]) -> APIClient:
        person = get_user_model().objects.create_user(f"person-{len(roles)}-{'-'.join(roles)}", password="x")
        for slug, role in roles.items():
            Membership.objects.create(user=person, brand=fleet[slug], role=role)
        client = APIClient()
        client.force_login(person)
        return client

    return make


# --- POST /api/polls ------------------------------------------------------------------------


def test_a_brands_operator_pushes_polls_for_its_stores_and_the_push_is_on_record(fleet, brand_api):
    # given
    client = brand_api("a", "operator")
    # when
    answer = post(client, "/api/polls", [poll(A1), poll(A2), poll(A2, "2024-10-07T11:14:42Z")])
    # then
    assert answer.status_code == 200
    assert answer.json() == {"received": 3, "inserted": 3, "updated": 0, "duplicates": 0, "stores_touched": 2}
    assert len(polls_of(A2)) == 2
    (event,) = AuditEvent.objects.all()
    assert (event.brand_slug, event.brand_id, event.action) == ("a", fleet["a"].pk, "polls.pushed")
    assert event.actor.startswith("key a-operator (") and event.api_key_id is not None
    assert event.ip == "127.0.0.1"
    assert event.target == "3 poll(s) of 2 store(s)"
    assert event.detail == {
        "received": 3,
        "inserted": 3,
        "updated": 0,
        "duplicates": 0,
        "stores_touched": 2,
        "stores_created": 0,
    }


@pytest.mark.parametrize("foreign", [B1, LOOSE], ids=["another brand's store", "a store of no brand"])
@pytest.mark.parametrize("as_csv", [False, True], ids=["json", "csv"])
def test_a_push_naming_a_store_outside_the_brand_is_refused_whole_and_not_recorded(fleet, brand_api, foreign, as_csv):
    # given: a batch with one good row and, second, a row of a store the brand does not own
    client = brand_api("a", "operator")
    before = everything()
    rows = [poll(A1), poll(foreign)]
    body = "store_id,timestamp_utc,status\n" + "".join(f"{r['store_id']},{r['timestamp_utc']},active\n" for r in rows)
    # when
    answer = post(client, "/api/polls", body if as_csv else rows)
    # then: the row is named (CSV line 3, or item 1), in words that do not say who holds the id
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "1 bad row(s); nothing was stored.",
        "errors": [{"index": 3 if as_csv else 1, "field": "store_id", "reason": "not a store of brand 'a'"}],
    }
    assert everything() == before
    assert AuditEvent.objects.count() == 0


def test_the_refusal_reads_the_same_for_another_brands_store_and_a_store_of_no_brand(fleet, brand_api):
    client = brand_api("a", "operator")
    answers = [post(client, "/api/polls", [poll(store_id)]) for store_id in (B1, LOOSE)]
    assert answers[0].status_code == answers[1].status_code == 400
    assert answers[0].content == answers[1].content


def test_new_stores_pushed_by_a_brand_join_it(fleet, brand_api):
    # when
    answer = post(brand_api("a", "operator"), "/api/polls", [poll(NEW), poll(A1)])
    # then
    assert answer.status_code == 200
    assert Store.objects.get(store_id=NEW).brand == fleet["a"]
    assert AuditEvent.objects.get().detail["stores_created"] == 1


def test_a_viewer_cannot_push_and_nothing_is_stored(fleet, brand_api):
    before = everything()
    answer = post(brand_api("a", "viewer"), "/api/polls", [poll(A1), poll(NEW)])
    assert answer.status_code == 403
    assert everything() == before
    assert AuditEvent.objects.count() == 0


def test_staff_push_every_store_new_ones_without_a_brand_and_each_brand_reads_its_own_share(fleet, api):
    # when: a staff key pushes polls of a, b, no brand and a new store
    batch = [poll(A1), poll(A2), poll(B1), poll(B1, "2024-10-07T11:00:00Z"), poll(LOOSE), poll(NEW)]
    answer = post(api, "/api/polls", batch)
    # then
    assert answer.status_code == 200
    assert answer.json()["inserted"] == 6
    assert Store.objects.get(store_id=NEW).brand is None
    by_brand = {e.brand_slug: e for e in AuditEvent.objects.all()}
    assert sorted(by_brand) == ["", "a", "b"]
    # each brand's event counts its own stores and rows only: nothing of the batch's other brands
    assert by_brand["a"].detail == {"received": 2, "stores_touched": 2}
    assert by_brand["b"].detail == {"received": 2, "stores_touched": 1}
    assert by_brand[""].detail == {"received": 2, "stores_touched": 2}
    assert all(e.actor.startswith("key api-client (") and e.ip == "127.0.0.1" for e in by_brand.values())


def test_staff_may_name_the_brand_of_a_push(fleet, api):
    # when
    answer = post(api, "/api/polls", [poll(NEW), poll(A1)], query="?brand=a")
    refused = post(api, "/api/polls", [poll(B1)], query="?brand=a")
    unknown = post(api, "/api/polls", [poll(A1)], query="?brand=zzz")
    # then
    assert answer.status_code == 200
    assert Store.objects.get(store_id=NEW).brand == fleet["a"]
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"index": 0, "field": "store_id", "reason": "not a store of brand 'a'"}]
    assert (unknown.status_code, unknown.json()) == (400, {"detail": "brand: no brand: 'zzz'"})


def test_a_member_of_several_brands_names_the_brand_of_new_stores(fleet, member):
    # given: an operator of a and b
    client = member({"a": "operator", "b": "admin"})
    # when / then: their stores of both brands, without ?brand=
    assert post(client, "/api/polls", [poll(A1), poll(B1)]).status_code == 200
    # a new store needs ?brand=
    before = everything()
    needs = post(client, "/api/polls", [poll(A1), poll(NEW)])
    assert needs.status_code == 400
    assert needs.json()["detail"].startswith("brand: the batch has new stores and you are an operator of several")
    assert everything() == before
    # with it, the new store joins that brand, and the batch may touch only that brand's stores
    assert post(client, "/api/polls", [poll(NEW)], query="?brand=b").status_code == 200
    assert Store.objects.get(store_id=NEW).brand == fleet["b"]
    outside = post(client, "/api/polls", [poll(A1)], query="?brand=b")
    assert outside.json()["errors"][0]["reason"] == "not a store of brand 'b'"
    # and with no ?brand=, a store outside both is named with both
    loose = post(client, "/api/polls", [poll(LOOSE)])
    assert loose.json()["errors"][0]["reason"] == "not a store of brands 'a', 'b'"


def test_brand_names_a_brand_of_the_caller_or_is_refused_without_saying_whether_it_exists(fleet, brand_api, member):
    client = brand_api("a", "operator")
    foreign = post(client, "/api/polls", [poll(A1)], query="?brand=b")
    missing = post(client, "/api/polls", [poll(A1)], query="?brand=nope")
    garbage = post(client, "/api/polls", [poll(A1)], query="?brand=%00x")
    assert foreign.status_code == missing.status_code == garbage.status_code == 400
    assert foreign.json() == {"detail": "brand: not one of your brands: 'b'"}
    assert missing.json() == {"detail": "brand: not one of your brands: 'nope'"}
    # where the caller is a viewer, it sees the brand: 403
    viewer_there = post(member({"a": "viewer", "b": "operator"}), "/api/polls", [poll(A1)], query="?brand=a")
    assert viewer_there.status_code == 403
    assert AuditEvent.objects.count() == 0


# --- PUT /api/stores/{id}/hours ------------------------------------------------------------


HOURS = {
    "effective_from": "2023-01-23",
    "rows": [{"day_of_week": 0, "start_time_local": "13:00", "end_time_local": "15:00"}],
}


def test_a_brands_operator_replaces_its_stores_hours_on_record(fleet, brand_api):
    # when
    answer = put(brand_api("a", "operator"), f"/api/stores/{A1}/hours", HOURS)
    # then
    assert answer.status_code == 200
    assert BusinessHours.objects.filter(store__store_id=A1).count() == 2
    (event,) = AuditEvent.objects.all()
    assert (event.brand_slug, event.action, event.ip) == ("a", "hours.changed", "127.0.0.1")
    assert event.target == f"store {A1}, version 2023-01-23"
    assert event.detail == {"store_id": A1, "effective_from": "2023-01-23", "deleted": 0, "inserted": 1}


@pytest.mark.parametrize("foreign", [B1, LOOSE, NEW], ids=["another brand's", "no brand's", "unknown"])
def test_hours_of_a_store_outside_the_brand_are_an_unknown_stores_404(fleet, brand_api, foreign):
    before = everything()
    answer = put(brand_api("a", "admin"), f"/api/stores/{foreign}/hours", HOURS)
    assert answer.status_code == 404
    assert answer.json() == {"detail": f"No store with store_id '{foreign}'."}
    assert everything() == before
    assert AuditEvent.objects.count() == 0


def test_a_viewer_of_the_stores_brand_gets_403_for_hours(fleet, brand_api, member):
    before = everything()
    only_viewer = put(brand_api("a", "viewer"), f"/api/stores/{A1}/hours", HOURS)
    # an operator elsewhere who only views this store's brand sees the store, so 403 tells it nothing
    viewer_here = put(member({"a": "viewer", "b": "operator"}), f"/api/stores/{A1}/hours", HOURS)
    assert only_viewer.status_code == viewer_here.status_code == 403
    assert "viewer" in viewer_here.json()["detail"]
    assert everything() == before
    assert AuditEvent.objects.count() == 0


def test_staff_replace_any_stores_hours_and_a_brandless_stores_change_is_staffs_record(fleet, api):
    assert put(api, f"/api/stores/{B1}/hours", HOURS).status_code == 200
    assert put(api, f"/api/stores/{LOOSE}/hours", {"effective_from": None, "rows": []}).status_code == 200
    assert [(slug, action) for slug, action, _ in events()] == [("b", "hours.changed"), ("", "hours.changed")]
    assert AuditEvent.objects.get(brand_slug="").detail["effective_from"] is None


# --- GET/PUT/DELETE /api/stores/{id}/special-days/{date} ---------------------------------------


def test_a_brands_operator_sets_and_removes_a_special_day_on_record(fleet, brand_api):
    client = brand_api("a", "operator")
    url = f"/api/stores/{A1}/special-days/2023-12-25"
    # when
    assert put(client, url, {"closed": True}).status_code == 200
    assert client.get(url).json()["closed"] is True
    assert client.delete(url).status_code == 204
    # then
    set_event, removed_event = AuditEvent.objects.order_by("at", "id")
    assert (set_event.brand_slug, set_event.action) == ("a", "special_days.changed")
    assert set_event.target == f"store {A1} on 2023-12-25: closed"
    assert set_event.detail == {
        "store_id": A1,
        "date": "2023-12-25",
        "rows": [{"start_time_local": None, "end_time_local": None}],
    }
    assert removed_event.detail == {"store_id": A1, "date": "2023-12-25", "deleted": 1}
    assert not SpecialHours.objects.exists()


@pytest.mark.parametrize("foreign", [B1, LOOSE, NEW], ids=["another brand's", "no brand's", "unknown"])
def test_special_days_of_a_store_outside_the_brand_are_an_unknown_stores_404(fleet, brand_api, api, foreign):
    # given: each store with a special day (staff set them)
    for store_id in (B1, LOOSE):
        assert put(api, f"/api/stores/{store_id}/special-days/2023-12-25", {"closed": True}).status_code == 200
    AuditEvent.objects.all().delete()
    before = everything()
    client = brand_api("a", "operator")
    url = f"/api/stores/{foreign}/special-days/2023-12-25"
    # when
    answers = [client.get(url), put(client, url, {"closed": True}), client.delete(url)]
    # then
    for answer in answers:
        assert answer.status_code == 404
        assert answer.json() == {"detail": f"No store with store_id '{foreign}'."}
    assert everything() == before
    assert AuditEvent.objects.count() == 0


def test_a_viewer_reads_its_brands_special_days_but_cannot_change_them(fleet, brand_api, api):
    url = f"/api/stores/{A1}/special-days/2023-12-25"
    put(api, url, {"closed": True})
    AuditEvent.objects.all().delete()
    viewer = brand_api("a", "viewer")
    assert viewer.get(url).status_code == 200
    assert put(viewer, url, [{"start_time_local": "10:00", "end_time_local": "11:00"}]).status_code == 403
    assert viewer.delete(url).status_code == 403
    assert SpecialHours.objects.filter(store__store_id=A1).count() == 1
    assert AuditEvent.objects.count() == 0


# --- POST /api/special-days ------------------------------------------------------------------


def test_a_brands_operator_pushes_special_days_new_stores_join_it_on_record(fleet, brand_api):
    # when
    answer = post(brand_api("a", "operator"), "/api/special-days", [day(A1), day(A1, "2023-12-26"), day(NEW)])
    # then
    assert answer.status_code == 200
    assert Store.objects.get(store_id=NEW).brand == fleet["a"]
    (event,) = AuditEvent.objects.all()
    assert (event.brand_slug, event.action, event.target) == (
        "a",
        "special_days.changed",
        "3 special-hours row(s) of 2 store(s)",
    )
    assert event.detail == {
        "received": 3,
        "dates_replaced": 3,
        "deleted": 0,
        "inserted": 3,
        "stores_touched": 2,
        "stores_created": 1,
    }


@pytest.mark.parametrize("foreign", [B1, LOOSE], ids=["another brand's store", "a store of no brand"])
def test_a_special_days_push_naming_a_store_outside_the_brand_is_refused_whole(fleet, brand_api, foreign):
    client = brand_api("a", "operator")
    before = everything()
    csv = f"{SPECIAL_HEADER}\n{A1},2023-12-25,,\n\n{foreign},2023-12-25,10:00,11:00\n{NEW},2023-12-25,,\n"
    # when
    as_csv = post(client, "/api/special-days", csv)
    as_json = post(client, "/api/special-days", [day(NEW), day(foreign)])
    # then: line 4 of the CSV (a blank line before it), item 1 of the list; nothing stored, nothing created
    assert as_csv.status_code == as_json.status_code == 400
    assert as_csv.json()["errors"] == [{"index": 4, "field": "store_id", "reason": "not a store of brand 'a'"}]
    assert as_csv.json()["detail"] == "1 bad row(s); nothing was stored: line 4: store_id: not a store of brand 'a'"
    assert as_json.json()["errors"] == [{"index": 1, "field": "store_id", "reason": "not a store of brand 'a'"}]
    assert everything() == before
    assert AuditEvent.objects.count() == 0


def test_a_viewer_cannot_push_special_days(fleet, brand_api):
    assert post(brand_api("b", "viewer"), "/api/special-days", [day(B1)]).status_code == 403
    assert not SpecialHours.objects.exists()


def test_staff_push_special_days_of_two_brands_as_two_events(fleet, api):
    answer = post(api, "/api/special-days", [day(A1), day(B1), day(B1, "2023-12-26")])
    assert answer.status_code == 200
    by_brand = {e.brand_slug: e.detail for e in AuditEvent.objects.all()}
    assert by_brand == {"a": {"received": 1, "stores_touched": 1}, "b": {"received": 2, "stores_touched": 1}}
