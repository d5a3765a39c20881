"""GET /api/incidents/ and GET /api/stores/{store_id}/incidents/: shape, filters, bad values, scoping."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts import services
from alerts.conftest import EXAMPLE_J_STORE, ny, polls_add
from brands.services import brand_get_or_create
from stores.conftest import make_store
from stores.models import Store

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def resolved_j(example_j) -> Store:
    """Example J's store with its incident resolved the next Monday (and the 13:00 poll)."""
    polls_add(example_j, (ny(2023, 1, 23, 13, 0), True), (ny(2023, 1, 30, 9, 30), True))
    services.incidents_refresh([example_j.pk])
    return example_j


def test_an_incident_as_the_api_shows_it(api, resolved_j):
    response = api.get("/api/incidents/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (incident,) = body["results"]
    assert incident == {
        "id": incident["id"],
        "store_id": EXAMPLE_J_STORE,
        "store_name": "",
        "state": "resolved",
        "start_known": True,
        "started_at": "2023-01-23T15:44:30Z",
        "ended_at": "2023-01-27T03:22:30Z",
        "timezone": "America/New_York",
        "started_at_local": "2023-01-23T10:44:30-05:00",
        "ended_at_local": "2023-01-26T22:22:30-05:00",
        "first_observed_at": "2023-01-23T16:15:00Z",
        "last_observed_at": "2023-01-23T16:15:00Z",
        "open_minutes": 75.5,
        "open_minutes_until": "2023-01-27T03:22:30Z",
    }
    assert api.get(f"/api/stores/{EXAMPLE_J_STORE}/incidents/").json()["results"] == [incident]


def test_an_unknown_start_and_an_open_incident(api):
    store = make_store("unknown-start", timezone_str="Bad/Zone")
    polls_add(store, (dt.datetime(2024, 6, 15, 10, tzinfo=UTC), False))
    services.incidents_refresh([store.pk])

    (incident,) = api.get("/api/incidents/?state=open").json()["results"]

    assert (incident["state"], incident["start_known"], incident["started_at"]) == ("open", False, None)
    assert (incident["ended_at"], incident["ended_at_local"], incident["started_at_local"]) == (None, None, None)
    assert incident["timezone"] == "America/Chicago"  # rule 4
    assert incident["open_minutes"] == 0.0


@pytest.fixture
def three_incidents(db) -> Store:
    """A 24x7 store with incidents on June 1, 2 (resolved) and 3 (open), 10:00-12:00 UTC each."""
    store = make_store("three", timezone_str="UTC")
    for day in (1, 2, 3):
        at = dt.datetime(2024, 6, day, tzinfo=UTC)
        polls_add(store, (at.replace(hour=9), True), (at.replace(hour=10), False), (at.replace(hour=11), False))
        if day < 3:
            polls_add(store, (at.replace(hour=12), True))
    services.incidents_refresh([store.pk])
    return store


def _starts(response) -> list[str | None]:
    assert response.status_code == 200, response.json()
    return [i["started_at"] for i in response.json()["results"]]


def test_newest_first_and_the_filters(api, three_incidents):
    assert _starts(api.get("/api/incidents/")) == [
        "2024-06-03T09:30:00Z",
        "2024-06-02T09:30:00Z",
        "2024-06-01T09:30:00Z",
    ]
    assert _starts(api.get("/api/incidents/?state=resolved")) == ["2024-06-02T09:30:00Z", "2024-06-01T09:30:00Z"]
    assert _starts(api.get("/api/incidents/?state=open")) == ["2024-06-03T09:30:00Z"]
    # since: not ended before it (the open one always); until: begun at or before it
    assert _starts(api.get("/api/incidents/?since=2024-06-02T11:30:00Z")) == [
        "2024-06-03T09:30:00Z",
        "2024-06-02T09:30:00Z",
    ]
    assert _starts(api.get("/api/incidents/?since=2024-06-02T11:30:01Z")) == ["2024-06-03T09:30:00Z"]
    assert _starts(api.get("/api/incidents/?until=2024-06-02T09:30:00")) == [
        "2024-06-02T09:30:00Z",
        "2024-06-01T09:30:00Z",
    ]
    assert _starts(api.get("/api/incidents/?since=2024-06-02T00:00:00Z&until=2024-06-02T23:00:00%2B00:00")) == [
        "2024-06-02T09:30:00Z"
    ]
    assert _starts(api.get("/api/incidents/?store=three&state=open")) == ["2024-06-03T09:30:00Z"]
    assert _starts(api.get("/api/stores/three/incidents/?state=resolved&until=2024-06-01T23:00:00Z")) == [
        "2024-06-01T09:30:00Z"
    ]


def test_pages_of_fifty(api):
    store = make_store("flapping", timezone_str="UTC")
    start = dt.datetime(2024, 6, 1, tzinfo=UTC)
    polls_add(store, *((start + dt.timedelta(hours=h), h % 2 == 0) for h in range(121)))
    services.incidents_refresh([store.pk])

    first = api.get("/api/incidents/").json()
    second = api.get(first["next"].replace("http://testserver", "")).json()

    assert first["count"] == 60 and len(first["results"]) == 50 and len(second["results"]) == 10
    assert second["next"] is None
    assert api.get("/api/incidents/?page=3").status_code == 404


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("state=closed", "state:"),
        ("since=yesterday", "since:"),
        ("since=2024-02-30T00:00:00Z", "since:"),
        ("until=1969-12-31T00:00:00Z", "until:"),
        ("since=2024-06-02T00:00:00Z&until=2024-06-01T00:00:00Z", "until: must not be before since"),
        ("store=" + "x" * 65, "store:"),
        ("store=42", "store: No store with store_id '42'."),
        ("store=a%00b", "store:"),
    ],
)
def test_a_bad_filter_is_400_naming_it(api, three_incidents, query, named):
    response = api.get(f"/api/incidents/?{query}")

    assert response.status_code == 400
    assert named in response.json()["detail"]


def test_an_unknown_store_is_404(api):
    response = api.get("/api/stores/42/incidents/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No store with store_id '42'."}
    assert api.get("/api/stores/a%00b/incidents/").status_code == 400


def test_another_brands_incidents_do_not_exist_for_a_caller(brand_api, three_incidents, resolved_j):
    # given: example J's store belongs to brand A, the three-incident store to brand B
    Store.objects.filter(pk=resolved_j.pk).update(brand=brand_get_or_create(slug="a"))
    Store.objects.filter(pk=three_incidents.pk).update(brand=brand_get_or_create(slug="b"))
    viewer_a, viewer_b = brand_api("a", "viewer"), brand_api("b", "viewer")

    # then: each sees its own brand's incidents only
    assert [i["store_id"] for i in viewer_a.get("/api/incidents/").json()["results"]] == [EXAMPLE_J_STORE]
    assert {i["store_id"] for i in viewer_b.get("/api/incidents/").json()["results"]} == {"three"}
    # another brand's store answers exactly as an unknown one
    other = viewer_b.get(f"/api/stores/{EXAMPLE_J_STORE}/incidents/")
    unknown = viewer_b.get("/api/stores/nope/incidents/")
    assert (other.status_code, unknown.status_code) == (404, 404)
    assert other.json() == {"detail": f"No store with store_id {EXAMPLE_J_STORE!r}."}
    filtered = viewer_b.get(f"/api/incidents/?store={EXAMPLE_J_STORE}")
    assert filtered.status_code == 400
    assert filtered.json()["detail"] == f"store: No store with store_id {EXAMPLE_J_STORE!r}."
    assert viewer_a.get(f"/api/stores/{EXAMPLE_J_STORE}/incidents/").json()["count"] == 1


def test_stores_of_no_brand_are_staff_only(api, brand_api, resolved_j):
    viewer = brand_api("a", "viewer")

    assert viewer.get("/api/incidents/").json()["count"] == 0
    assert viewer.get(f"/api/stores/{EXAMPLE_J_STORE}/incidents/").status_code == 404
    assert api.get("/api/incidents/").json()["count"] == 1


def test_a_caller_without_a_key_is_401_and_one_without_a_role_403(client, django_user_model, resolved_j):
    assert client.get("/api/incidents/").status_code == 401
    person = django_user_model.objects.create_user("nobody", password="pw-long-enough-1")
    client.force_login(person)

    assert client.get("/api/incidents/").status_code == 403
    assert client.get(f"/api/stores/{EXAMPLE_J_STORE}/incidents/").status_code == 403


def test_the_queries_of_a_page_do_not_grow_with_it(api, django_assert_max_num_queries):
    for k in range(20):
        store = make_store(f"q{k}", timezone_str="UTC")
        polls_add(
            store, (dt.datetime(2024, 6, 1, 9, tzinfo=UTC), True), (dt.datetime(2024, 6, 1, 10, tzinfo=UTC), False)
        )
        services.incidents_refresh([store.pk])
    api.get("/api/incidents/")  # the key's first use of the minute writes last_used_at

    with django_assert_max_num_queries(4):
        response = api.get("/api/incidents/")

    assert response.json()["count"] == 20


def test_worst_first_orders_by_open_minutes(api, three_incidents):
    """The Now panel's order: the most open minutes first (June 1 and 2: 120 each, the newer first;
    June 3, open, 90 minutes up to its latest poll)."""
    answer = api.get("/api/incidents/?order=worst")
    assert _starts(answer) == ["2024-06-02T09:30:00Z", "2024-06-01T09:30:00Z", "2024-06-03T09:30:00Z"]
    assert [i["open_minutes"] for i in answer.json()["results"]] == [120.0, 120.0, 90.0]
    assert api.get("/api/incidents/?order=longest").status_code == 400
