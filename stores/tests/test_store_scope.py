"""The stores list and detail show the caller's brands' stores only (issue 14): another brand's
store is a 404 word for word like one that does not exist, and is never listed or found."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from brands.models import Membership, Role
from brands.services import brand_get_or_create
from stores.conftest import make_store
from stores.models import Store

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def fleet(db) -> None:
    """acme's stores a-1, a-2 (named), globex's g-1, g-2 and a store of no brand, n-1; each with hours and a poll."""
    acme, globex = brand_get_or_create(slug="acme"), brand_get_or_create(slug="globex")
    for store_id, brand, name in [
        ("a-1", acme, "ACME 5th Avenue"),
        ("g-1", globex, ""),
        ("a-2", acme, ""),
        ("n-1", None, ""),
        ("g-2", globex, "Globex Main"),
    ]:
        store = make_store(
            store_id,
            timezone_str="America/New_York",
            hours=[(0, "09:00", "17:00")],
            polls=[(dt.datetime(2023, 1, 23, 15, tzinfo=UTC), True)],
        )
        Store.objects.filter(pk=store.pk).update(brand=brand, name=name)


def listed(client: APIClient, **params) -> list[str]:
    answer = client.get("/api/stores/", params)
    assert answer.status_code == 200, answer.content
    return [s["store_id"] for s in answer.json()["results"]]


def test_the_list_and_search_show_the_callers_brands_stores_only(fleet, brand_api, api, django_user_model):
    acme = brand_api("acme", "viewer")
    person = django_user_model.objects.create_user("both", password="pw-123456")
    Membership.objects.create(user=person, brand=brand_get_or_create(slug="acme"), role=Role.VIEWER)
    Membership.objects.create(user=person, brand=brand_get_or_create(slug="globex"), role=Role.ADMIN)
    both = APIClient()
    both.force_login(person)

    assert listed(acme) == ["a-1", "a-2"]
    assert listed(acme, search="1") == ["a-1"]
    assert listed(acme, search="g-") == []  # globex's stores are found by nobody of acme's
    assert listed(both) == ["a-1", "a-2", "g-1", "g-2"]
    assert listed(api) == ["a-1", "a-2", "g-1", "g-2", "n-1"]  # staff: the store of no brand too
    assert acme.get("/api/stores/").json()["count"] == 2


def test_a_store_shows_its_brand_and_name(fleet, brand_api, api):
    rows = {s["store_id"]: s for s in api.get("/api/stores/").json()["results"]}
    detail = brand_api("globex", "viewer").get("/api/stores/g-2").json()

    assert {s: (row["brand"], row["name"]) for s, row in rows.items()} == {
        "a-1": ("acme", "ACME 5th Avenue"),
        "a-2": ("acme", ""),
        "g-1": ("globex", ""),
        "g-2": ("globex", "Globex Main"),
        "n-1": (None, ""),
    }
    assert (detail["store_id"], detail["brand"], detail["name"]) == ("g-2", "globex", "Globex Main")


@pytest.mark.parametrize("query", ["", "?special_from=2023-01-01"])
def test_another_brands_store_is_404_exactly_like_one_that_does_not_exist(fleet, brand_api, query):
    acme = brand_api("acme", "admin")

    assert acme.get(f"/api/stores/a-1{query}").status_code == 200
    for store_id in ("g-1", "n-1", "no-such-store"):
        answer = acme.get(f"/api/stores/{store_id}{query}")
        assert answer.status_code == 404
        assert answer["Content-Type"] == "application/json"
        assert answer.json() == {"detail": f"No store with store_id '{store_id}'."}


def test_a_caller_without_any_brand_role_sees_no_store(fleet, django_user_model):
    nobody = APIClient()
    nobody.force_login(django_user_model.objects.create_user("nobody", password="pw-123456"))

    for url in ("/api/stores/", "/api/stores/a-1"):
        assert nobody.get(url).status_code == 403


def test_the_page_of_a_brands_stores_costs_as_many_queries_as_the_fleets(fleet, brand_api, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    acme = brand_api("acme", "viewer")
    for client in (acme, api):
        client.get("/api/stores/")  # a key's first use in a minute writes its last_used_at: once, here
    with CaptureQueriesContext(connection) as ours:
        acme.get("/api/stores/")
    with CaptureQueriesContext(connection) as everyone:
        api.get("/api/stores/")

    # the API key, count, the page's keys, the page's summaries (their brands joined in)
    assert len(ours.captured_queries) == len(everyone.captured_queries) == 4
