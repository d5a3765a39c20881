"""GET /api/stores/?search=: a store is found by its id, its name or its timezone (issue 16), within
the caller's brands, in a count and one page of queries whatever the number of matches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brands.services import brand_get_or_create
from stores.conftest import make_store
from stores.models import Store

pytestmark = pytest.mark.django_db


def _found(client, search: str) -> list[str]:
    answer = client.get("/api/stores/", {"search": search})
    assert answer.status_code == 200, answer.content
    return [s["store_id"] for s in answer.json()["results"]]


@pytest.fixture
def named_stores():
    acme = brand_get_or_create(slug="acme")
    rows = [
        ("1000000000000000001", "America/New_York", "Acme Fifth Avenue", acme),
        ("1000000000000000002", "America/Los_Angeles", "Acme Sunset Boulevard", acme),
        ("2000000000000000003", "Asia/Beirut", "Hamra Street", None),
        ("3000000000000000004", None, "No zone given", acme),
        ("3000000000000000005", "", "", acme),
        ("3000000000000000006", "America/Chicgo", "Misspelt zone", acme),
    ]
    for store_id, zone, name, brand in rows:
        store = make_store(store_id, timezone_str=zone)
        Store.objects.filter(pk=store.pk).update(name=name, brand=brand)
    return acme


def test_search_finds_stores_by_timezone(api, named_stores):
    assert _found(api, "new_york") == ["1000000000000000001"]
    assert _found(api, "America/") == [
        "1000000000000000001",
        "1000000000000000002",
        "3000000000000000004",  # no zone given: read in America/Chicago (rule 4)
        "3000000000000000005",
        "3000000000000000006",  # as given: America/Chicgo
    ]
    assert _found(api, "Beirut") == ["2000000000000000003"]
    assert _found(api, "chicago") == ["3000000000000000004", "3000000000000000005"]


def test_search_finds_stores_by_name(api, named_stores):
    assert _found(api, "sunset") == ["1000000000000000002"]
    assert _found(api, "ACME") == ["1000000000000000001", "1000000000000000002"]
    assert _found(api, "street") == ["2000000000000000003"]


def test_search_still_finds_stores_by_id(api, named_stores):
    assert _found(api, "0000000000000000") == [s.store_id for s in Store.objects.order_by("store_id")]
    assert _found(api, "0004") == ["3000000000000000004"]


def test_a_brand_finds_only_its_own_stores_whatever_it_searches_for(brand_api, named_stores):
    acme = brand_api("acme", "viewer")
    other = brand_api("other", "viewer")

    assert _found(acme, "Beirut") == [] and _found(acme, "Hamra") == []  # of no brand: staff's only
    assert _found(other, "acme") == [] and _found(other, "new_york") == []
    assert _found(acme, "new_york") == ["1000000000000000001"]


def test_a_search_costs_the_same_queries_for_one_match_and_for_a_hundred(api):
    for i in range(120):
        make_store(f"store-{i:03d}", timezone_str="Europe/Berlin" if i % 2 else "America/New_York")

    def queries(search: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            body = api.get("/api/stores/", {"search": search}).json()
        return len(captured.captured_queries), body["count"]

    api.get("/api/stores/")  # the key's first use of the minute writes its last-used time: not counted
    few, one = queries("store-007")
    many, sixty = queries("berlin")

    assert (one, sixty) == (1, 60)
    assert few == many <= 4  # the key, the count, the page, the page's summaries
