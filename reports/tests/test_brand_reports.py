"""Reports belong to a brand (issue 14): a brand's caller triggers, lists and reads its brand's
reports only, and another brand's report is exactly as absent as one that does not exist.

The reports are computed for real (the eager path: the same services the workers run, in
this process), on two brands whose stores interleave by primary key (reports/conftest.py).
"""

import uuid
from typing import Any

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from brands.models import AuditEvent, Membership
from brands.services import brand_get_or_create
from reports import selectors
from reports.conftest import ACME_STORES, BRANDS_AS_OF, LATEST_POLL, STORE_OWNERS
from reports.models import Report, scope_key_of
from stores.models import Store

pytestmark = pytest.mark.django_db

AS_OF = {"as_of": BRANDS_AS_OF.isoformat()}


def trigger(client: APIClient, body: dict | None = None, **extra):
    return client.post("/trigger_report", body or {}, format="json", **extra)


def csv_of(client: APIClient, report_id: str) -> str:
    response: Any = client.get(f"/get_report/{report_id}")  # a FileResponse: the stubs know no streaming_content
    assert response.status_code == 200 and response["Content-Type"] == "text/csv", response
    return b"".join(response.streaming_content).decode()


def store_ids_of(csv_text: str) -> list[str]:
    return [line.split(",", 1)[0] for line in csv_text.splitlines()[1:]]


@pytest.fixture
def member(django_user_model):
    """member(acme="operator", ...): a logged-in session of a person with those roles."""

    def make(**roles: str) -> APIClient:
        user = django_user_model.objects.create_user(f"person-{uuid.uuid4().hex[:8]}", password="pw-123456")
        for slug, role in roles.items():
            Membership.objects.create(user=user, brand=brand_get_or_create(slug=slug), role=role)
        client = APIClient()
        client.force_login(user)
        return client

    return make


# --- Triggering ------------------------------------------------------------------------------


def test_a_brands_report_has_exactly_its_stores_and_the_staff_reports_numbers(
    two_brands, brand_api, api, eager_tasks, settings
):
    # given: shards of 2 stores, so that each of acme's shards spans some of globex's stores
    settings.REPORT_SHARD_STORES = 2
    acme = brand_api("acme", "operator")

    # when: acme's operator, then platform staff, report as of the same instant
    mine = trigger(acme, AS_OF).json()["report_id"]
    fleet = trigger(api, AS_OF).json()["report_id"]

    # then: acme's report has acme's stores, each row that of the staff report, byte for byte
    report = Report.objects.get(pk=mine)
    assert (report.brand, report.status, report.shards_total) == (two_brands["acme"], Report.Status.COMPLETE, 2)
    ours, everyone = csv_of(acme, mine), csv_of(api, fleet)
    assert store_ids_of(ours) == ACME_STORES
    assert store_ids_of(everyone) == list(STORE_OWNERS)
    assert ours.splitlines()[0] == everyone.splitlines()[0]
    assert ours.splitlines()[1:] == [line for line in everyone.splitlines()[1:] if line.split(",")[0] in ACME_STORES]
    assert len(set(ours.splitlines()[1:])) == len(ACME_STORES)  # the rows differ: each store's own numbers
    assert report.row_count == len(ACME_STORES)
    assert Report.objects.get(pk=fleet).brand is None
    # and the shards' ranges of primary keys did hold other brands' stores, which the report left out
    spans = report.shards.values_list("store_pk_first", "store_pk_last")
    spanned = {
        s
        for first, last in spans
        for s in Store.objects.filter(pk__range=(first, last)).values_list("store_id", flat=True)
    }
    assert spanned > set(ACME_STORES)


def test_staff_naming_a_brand_get_that_brands_report_byte_for_byte(two_brands, brand_api, api, eager_tasks):
    acme = brand_api("acme", "operator")
    mine = trigger(acme, AS_OF).json()["report_id"]

    theirs = trigger(api, {**AS_OF, "brand": "acme"}).json()["report_id"]

    assert theirs != mine  # mine was complete: not in flight any more
    assert Report.objects.get(pk=theirs).brand == two_brands["acme"]
    assert csv_of(api, theirs) == csv_of(acme, mine)


def test_a_brands_report_starts_from_its_own_brands_latest_poll(two_brands, brand_api, api):
    # docs/numbers.md rule 2 per brand: globex's and the brandless store's later polls never move acme's T
    acme = brand_api("acme", "operator")

    ours = Report.objects.get(pk=trigger(acme).json()["report_id"])
    globex = Report.objects.get(pk=trigger(api, {"brand": "globex"}).json()["report_id"])
    fleet = Report.objects.get(pk=trigger(api).json()["report_id"])

    assert ours.as_of == LATEST_POLL["acme"]
    assert globex.as_of == LATEST_POLL["globex"]
    assert fleet.as_of == LATEST_POLL[None]  # the whole fleet's latest poll


def test_another_brands_store_ids_are_unknown_exactly_like_ids_of_no_store(two_brands, brand_api, api):
    acme = brand_api("acme", "operator")

    answers = {
        store_id: trigger(acme, {"store_ids": ["store-0", store_id]})
        for store_id in ("store-1", "store-4", "no-such-store")  # globex's, no brand's, nobody's
    }
    staff_in_acme = trigger(api, {"brand": "acme", "store_ids": ["store-0", "store-1"]})

    for store_id, answer in answers.items():
        assert answer.status_code == 400
        assert answer.json() == {
            "detail": f"unknown store_ids: {store_id}",
            "unknown_store_ids": [store_id],
            "unknown_store_count": 1,
        }
    assert staff_in_acme.status_code == 400 and staff_in_acme.json()["unknown_store_ids"] == ["store-1"]
    assert not Report.objects.exists()
    # the brand's own stores are known
    ours = Report.objects.get(pk=trigger(acme, {**AS_OF, "store_ids": ["store-5", "store-0"]}).json()["report_id"])
    assert (ours.brand, ours.store_ids, ours.scope) == (two_brands["acme"], ["store-0", "store-5"], "acme: 2 store(s)")


def test_an_operator_of_several_brands_names_one(two_brands, member):
    brand_get_or_create(slug="initech")
    person = member(acme="operator", globex="admin", initech="viewer")

    missing = trigger(person, AS_OF)
    viewed_only = trigger(person, {**AS_OF, "brand": "initech"})
    no_such = trigger(person, {**AS_OF, "brand": "umbrella"})
    chosen = trigger(person, {**AS_OF, "brand": "globex"})

    assert missing.status_code == 400
    assert missing.json()["brand"] == [
        "required: you are an operator of several brands; give the slug of the one to report on"
    ]
    assert missing.json()["detail"].startswith("brand: required")
    # a brand the person only views answers as one that does not exist
    assert (viewed_only.status_code, no_such.status_code) == (400, 400)
    assert viewed_only.json() == {"detail": "brand: unknown brand 'initech'", "brand": ["unknown brand 'initech'"]}
    assert no_such.json() == {"detail": "brand: unknown brand 'umbrella'", "brand": ["unknown brand 'umbrella'"]}
    assert chosen.status_code == 202
    assert Report.objects.get().brand == two_brands["globex"]


def test_an_operator_of_one_brand_may_name_it_and_no_other(two_brands, brand_api, member):
    acme = brand_api("acme", "admin")
    person = member(acme="operator", globex="viewer")

    assert trigger(acme, {**AS_OF, "brand": "acme"}).status_code == 202
    assert trigger(acme, {**AS_OF, "brand": "globex"}).json()["brand"] == ["unknown brand 'globex'"]
    assert trigger(person, {**AS_OF, "brand": "globex"}).json()["brand"] == ["unknown brand 'globex'"]
    # no brand named: the person's one operator brand (it only views globex)
    report = Report.objects.get(pk=trigger(person).json()["report_id"])
    assert report.brand == two_brands["acme"]
    assert set(Report.objects.values_list("brand__slug", flat=True)) == {"acme"}


def test_staff_omitting_the_brand_report_on_the_whole_fleet_and_an_unknown_brand_is_400(two_brands, api):
    fleet = trigger(api, AS_OF)
    unknown = trigger(api, {**AS_OF, "brand": "umbrella"})

    report = Report.objects.get(pk=fleet.json()["report_id"])
    assert (report.brand, report.scope, report.scope_key) == (None, "all stores", "")
    assert (unknown.status_code, unknown.json()["brand"]) == (400, ["unknown brand 'umbrella'"])


@pytest.mark.parametrize("body", [{}, {"brand": "acme"}])
def test_a_viewer_may_not_trigger(two_brands, brand_api, member, body):
    for viewer in (brand_api("acme", "viewer"), member(acme="viewer", globex="viewer")):
        answer = trigger(viewer, body)

        assert answer.status_code == 403
        assert answer.json() == {"detail": "Your key or account has no brand role that allows this."}
    assert not Report.objects.exists() and not AuditEvent.objects.exists()


def test_a_brands_report_in_flight_is_shared_by_its_callers_only(two_brands, brand_api, api):
    acme, globex = brand_api("acme", "operator"), brand_api("globex", "operator")

    first = trigger(acme, AS_OF).json()["report_id"]
    again = trigger(brand_api("acme", "admin"), AS_OF).json()["report_id"]
    staff_for_acme = trigger(api, {**AS_OF, "brand": "acme"}).json()["report_id"]
    other_brand = trigger(globex, AS_OF).json()["report_id"]
    fleet = trigger(api, AS_OF).json()["report_id"]

    assert first == again == staff_for_acme
    assert len({first, other_brand, fleet}) == 3
    assert Report.objects.get(pk=first).scope_key == scope_key_of(None, two_brands["acme"].pk)


def test_a_trigger_is_on_record_with_who_which_brand_and_from_where(two_brands, brand_api, api):
    acme = brand_api("acme", "operator")

    mine = trigger(acme, {**AS_OF, "store_ids": ["store-2", "store-0"]}, REMOTE_ADDR="192.0.2.5")
    fleet = trigger(api, AS_OF, REMOTE_ADDR="192.0.2.6")

    ours, everyone = AuditEvent.objects.order_by("id")
    assert (ours.action, ours.brand, ours.brand_slug, ours.target, ours.ip) == (
        AuditEvent.Action.REPORT_TRIGGERED,
        two_brands["acme"],
        "acme",
        f"report {mine.json()['report_id']}",
        "192.0.2.5",
    )
    assert ours.actor == f"key acme-operator ({acme.key[:8]})"
    assert ours.detail == {
        "as_of": "2023-01-23T17:00:00+00:00",
        "scope": "acme: 2 store(s)",
        "store_count": 2,
        "received_before": None,
    }
    assert (everyone.brand, everyone.brand_slug, everyone.target, everyone.ip) == (
        None,
        "",
        f"report {fleet.json()['report_id']}",
        "192.0.2.6",
    )
    assert everyone.detail["scope"] == "all stores" and everyone.detail["store_count"] is None


def test_a_refused_trigger_is_not_on_record(two_brands, brand_api):
    acme = brand_api("acme", "operator")

    trigger(acme, {"store_ids": ["store-1"]})
    trigger(acme, {"brand": "globex"})
    trigger(acme, {"as_of": "yesterday"})

    assert not AuditEvent.objects.exists()


# --- Reading -----------------------------------------------------------------------------------


@pytest.fixture
def three_reports(two_brands, brand_api, api, eager_tasks) -> dict[str | None, str]:
    """A complete report (its CSV written) of acme, of globex and of the whole fleet, by brand slug."""
    return {
        "acme": trigger(brand_api("acme", "operator"), AS_OF).json()["report_id"],
        "globex": trigger(brand_api("globex", "operator"), AS_OF).json()["report_id"],
        None: trigger(api, AS_OF).json()["report_id"],
    }


def test_another_brands_report_is_404_exactly_like_an_unknown_one(three_reports, brand_api, member):
    unknown = str(uuid.uuid4())
    for acme in (brand_api("acme", "viewer"), member(acme="admin")):
        assert csv_of(acme, three_reports["acme"]).startswith("store_id,")
        for report_id in (three_reports["globex"], three_reports[None], unknown):
            for url in (f"/get_report/{report_id}", f"/get_report?report_id={report_id}"):
                answer = acme.get(url)
                assert answer.status_code == 404, url
                assert answer["Content-Type"] == "application/json"
                assert answer.json() == {"detail": f"No report with id {report_id}."}


def test_the_list_shows_the_callers_brands_reports_with_their_brand_and_scope(three_reports, brand_api, api, member):
    acme = brand_api("acme", "viewer")
    both = member(acme="viewer", globex="operator")

    ours = acme.get("/api/reports/").json()
    theirs = both.get("/api/reports/").json()
    everyone = api.get("/api/reports/").json()

    assert ours["count"] == 1
    (row,) = ours["results"]
    assert (row["id"], row["brand"], row["scope"], row["status"]) == (
        three_reports["acme"],
        "acme",
        "acme: all stores",
        "Complete",
    )
    assert row["download_url"].endswith(f"/get_report/{three_reports['acme']}")
    assert sorted(r["brand"] for r in theirs["results"]) == ["acme", "globex"]
    assert {r["id"]: r["brand"] for r in everyone["results"]} == {v: k for k, v in three_reports.items()}
    assert {r["scope"] for r in everyone["results"]} == {"acme: all stores", "globex: all stores", "all stores"}


def test_a_caller_without_any_brand_role_reads_no_report(three_reports, member):
    nobody = member()

    for url in ("/api/reports/", f"/get_report/{three_reports['acme']}"):
        assert nobody.get(url).status_code == 403


def test_a_reports_file_is_served_only_through_the_report_views(three_reports, api):
    # given: a complete report whose CSV is a file under MEDIA_ROOT
    report = Report.objects.get(pk=three_reports["acme"])
    path = report.file.path
    assert path.startswith(str(settings.MEDIA_ROOT)) and open(path).read().startswith("store_id,")
    url = f"/{settings.MEDIA_URL.strip('/')}/{report.file.name}"

    # then: no URL of Django serves it, even to platform staff
    with pytest.raises(Resolver404):
        resolve(url)
    answer = api.get(url)
    assert answer.status_code == 404 and answer.json() == {"detail": "Not found."}


def test_the_report_stores_of_a_brand_exclude_every_other_store(two_brands):
    acme = two_brands["acme"]
    picked = selectors.report_stores(as_of=BRANDS_AS_OF, brand_id=acme.pk)
    fleet = selectors.report_stores(as_of=BRANDS_AS_OF)

    assert list(picked.values_list("store_id", flat=True)) == ACME_STORES
    assert list(fleet.values_list("store_id", flat=True)) == list(STORE_OWNERS)
    assert selectors.default_as_of(now=BRANDS_AS_OF, brand_id=acme.pk) == LATEST_POLL["acme"]
    assert selectors.default_as_of(now=BRANDS_AS_OF) == LATEST_POLL[None]
    # a brand with no polls yet: now, as for an empty fleet
    empty = brand_get_or_create(slug="empty")
    assert selectors.default_as_of(now=BRANDS_AS_OF, brand_id=empty.pk) == BRANDS_AS_OF
