"""The notifications API for each kind of caller (PostgreSQL, real requests through the test client):
a brand's admins manage their brand's webhooks and email recipients, nobody else's; every write is
on record; bad input names its field."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from brands.models import AuditEvent, Brand, Membership, Role
from notifications import services
from notifications.models import EmailRecipient, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.215.14/hook"  # a public address: passes without resolving a name


def _webhook(brand: Brand, url: str = PUBLIC_URL, events=("incident.opened",)) -> WebhookSubscription:
    return WebhookSubscription.objects.create(brand=brand, url=url, events=list(events))


def _actions() -> list[tuple[str, str]]:
    return [(e.action, e.brand_slug) for e in AuditEvent.objects.order_by("id")]


# --- webhooks ----------------------------------------------------------------------------------


def test_a_brand_admin_subscribes_and_sees_the_secret_once(acme, brand_api):
    client = brand_api("acme", "admin")

    created = client.post("/api/webhooks/", {"url": PUBLIC_URL, "events": ["incident.opened"]}, format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert (body["brand"], body["url"], body["events"], body["active"]) == (
        "acme",
        PUBLIC_URL,
        ["incident.opened"],
        True,
    )
    assert WebhookSubscription.objects.get(pk=body["id"]).secret == body["secret"]
    listed = client.get("/api/webhooks/").json()
    assert [w["id"] for w in listed["results"]] == [body["id"]]
    assert "secret" not in listed["results"][0]
    assert "secret" not in client.get(f"/api/webhooks/{body['id']}").json()
    assert body["secret"] not in client.get("/api/webhooks/").content.decode()
    assert _actions() == [("webhook.created", "acme")]
    assert AuditEvent.objects.get().detail == {"url": PUBLIC_URL, "events": ["incident.opened"]}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": PUBLIC_URL, "events": ["incident.exploded"]}, "events"),
        ({"url": PUBLIC_URL, "events": []}, "events"),
        ({"url": PUBLIC_URL}, "events"),
        ({"url": "ftp://93.184.215.14/", "events": ["incident.opened"]}, "url"),
        ({"url": "not a url", "events": ["incident.opened"]}, "url"),
        ({"url": "http://127.0.0.1:18700/hook", "events": ["incident.opened"]}, "url"),
        ({"url": "http://localhost/hook", "events": ["incident.opened"]}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/", "events": ["incident.opened"]}, "url"),
        ({"url": "http://no-such-host.invalid/", "events": ["incident.opened"]}, "url"),
        ({"events": ["incident.opened"]}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_its_field(acme, brand_api, body, field):
    answer = brand_api("acme", "admin").post("/api/webhooks/", body, format="json")

    assert answer.status_code == 400
    assert field in answer.json()
    assert answer.json()["detail"].startswith(f"{field}:")
    assert WebhookSubscription.objects.count() == 0
    assert _actions() == []


def test_a_private_url_is_allowed_with_webhook_allow_private(acme, brand_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    answer = brand_api("acme", "admin").post(
        "/api/webhooks/", {"url": "http://127.0.0.1:18700/hook", "events": ["incident.opened"]}, format="json"
    )

    assert answer.status_code == 201


def test_staff_name_the_brand(acme, brand_api):
    staff = brand_api(None)
    body = {"url": PUBLIC_URL, "events": ["report.completed"]}

    missing = staff.post("/api/webhooks/", body, format="json")
    unknown = staff.post("/api/webhooks/", {**body, "brand": "nope"}, format="json")
    named = staff.post("/api/webhooks/", {**body, "brand": "acme"}, format="json")

    assert missing.status_code == unknown.status_code == 400
    assert "brand" in missing.json() and "brand" in unknown.json()
    assert named.status_code == 201
    assert named.json()["brand"] == "acme"


def test_an_admin_of_several_brands_names_one_and_a_viewer_there_is_refused(acme, other):
    user = get_user_model().objects.create_user("sam", email="sam@example.com")
    third = Brand.objects.create(slug="third", name="Third")
    Membership.objects.create(user=user, brand=acme, role=Role.ADMIN)
    Membership.objects.create(user=user, brand=other, role=Role.ADMIN)
    Membership.objects.create(user=user, brand=third, role=Role.VIEWER)
    client = APIClient()
    client.force_login(user)
    body = {"url": PUBLIC_URL, "events": ["incident.opened"]}

    assert "brand" in client.post("/api/webhooks/", body, format="json").json()
    assert client.post("/api/webhooks/", {**body, "brand": "other"}, format="json").status_code == 201
    assert client.post("/api/webhooks/", {**body, "brand": "third"}, format="json").status_code == 403
    assert WebhookSubscription.objects.get().brand == other


def test_an_admin_of_one_brand_and_viewer_of_another_needs_no_brand(acme, other):
    user = get_user_model().objects.create_user("sam")
    Membership.objects.create(user=user, brand=acme, role=Role.ADMIN)
    Membership.objects.create(user=user, brand=other, role=Role.VIEWER)
    client = APIClient()
    client.force_login(user)

    answer = client.post("/api/webhooks/", {"url": PUBLIC_URL, "events": ["incident.opened"]}, format="json")

    assert answer.status_code == 201
    assert answer.json()["brand"] == "acme"


# (method, path with {id}, body, what an admin of the subscription's brand gets)
DETAIL_ENDPOINTS = [
    ("get", "/api/webhooks/{id}", None, 200),
    ("patch", "/api/webhooks/{id}", {"events": ["incident.resolved"]}, 200),
    ("delete", "/api/webhooks/{id}", None, 204),
    ("post", "/api/webhooks/{id}/ping", None, 200),
    ("get", "/api/webhooks/{id}/deliveries/", None, 200),
]
IDS = [f"{m} {p}" for m, p, _, _ in DETAIL_ENDPOINTS]


def _call(client: APIClient, method: str, path: str, body, pk):
    url = path.format(id=pk)
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


@pytest.mark.parametrize("method, path, body, ok", DETAIL_ENDPOINTS, ids=IDS)
def test_another_brands_webhook_is_a_404_like_none_at_all(acme, other, brand_api, method, path, body, ok):
    theirs = _webhook(other)
    client = brand_api("acme", "admin")

    foreign = _call(client, method, path, body, theirs.pk)
    missing = _call(client, method, path, body, theirs.pk + 1000)
    not_a_number = _call(client, method, path, body, "x7")

    assert foreign.status_code == missing.status_code == not_a_number.status_code == 404
    assert foreign.json() == {"detail": f"No webhook with id '{theirs.pk}'."}
    assert missing.json() == {"detail": f"No webhook with id '{theirs.pk + 1000}'."}
    assert WebhookSubscription.objects.get(pk=theirs.pk).events == ["incident.opened"]
    assert WebhookDelivery.objects.count() == 0
    assert _actions() == []


@pytest.mark.parametrize("method, path, body, ok", DETAIL_ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_of_the_brand_get_403(acme, brand_api, method, path, body, ok, role):
    mine = _webhook(acme)

    assert _call(brand_api("acme", role), method, path, body, mine.pk).status_code == 403


@pytest.mark.parametrize("method, path, body, ok", DETAIL_ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("who", ["admin", "staff"])
def test_the_brands_admins_and_staff_reach_it(acme, brand_api, receiver, settings, method, path, body, ok, who):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    hooked = receiver()
    mine = hooked.subscribe(acme)

    answer = _call(brand_api("acme", "admin") if who == "admin" else brand_api(None), method, path, body, mine.pk)

    assert answer.status_code == ok, answer.content


def test_lists_answer_403_to_a_caller_who_is_admin_nowhere(acme, brand_api):
    for role in ("viewer", "operator"):
        client = brand_api("acme", role)
        assert client.get("/api/webhooks/").status_code == 403
        assert client.get("/api/email-recipients/").status_code == 403
        post = client.post("/api/webhooks/", {"url": PUBLIC_URL, "events": ["incident.opened"]}, format="json")
        assert post.status_code == 403
    assert APIClient().get("/api/webhooks/").status_code == 401


def test_the_list_holds_only_the_callers_brands(acme, other, brand_api):
    mine, theirs = _webhook(acme), _webhook(other)

    assert [w["id"] for w in brand_api("acme", "admin").get("/api/webhooks/").json()["results"]] == [mine.pk]
    assert [w["id"] for w in brand_api("other", "admin").get("/api/webhooks/").json()["results"]] == [theirs.pk]
    assert len(brand_api(None).get("/api/webhooks/").json()["results"]) == 2


def test_patch_changes_checks_and_records(acme, brand_api):
    mine = _webhook(acme)
    client = brand_api("acme", "admin")

    changed = client.patch(f"/api/webhooks/{mine.pk}", {"events": ["report.failed", "incident.opened"]}, format="json")
    private = client.patch(f"/api/webhooks/{mine.pk}", {"url": "http://10.0.0.7/"}, format="json")
    unknown = client.patch(f"/api/webhooks/{mine.pk}", {"events": ["nope"]}, format="json")
    same = client.patch(f"/api/webhooks/{mine.pk}", {"active": True}, format="json")
    off = client.patch(f"/api/webhooks/{mine.pk}", {"active": False}, format="json")

    assert changed.status_code == 200
    assert changed.json()["events"] == ["incident.opened", "report.failed"]  # canonical order
    assert private.status_code == unknown.status_code == 400
    assert "url" in private.json() and "events" in unknown.json()
    assert same.status_code == 200
    assert (off.json()["active"], off.json()["disabled_reason"]) == (False, "disabled by hand")
    assert _actions() == [("webhook.updated", "acme"), ("webhook.updated", "acme")]  # nothing for no change
    mine.refresh_from_db()
    assert mine.url == PUBLIC_URL


def test_delete_removes_it_and_records(acme, brand_api):
    mine = _webhook(acme)

    answer = brand_api("acme", "admin").delete(f"/api/webhooks/{mine.pk}")

    assert answer.status_code == 204
    assert WebhookSubscription.objects.count() == 0
    assert _actions() == [("webhook.deleted", "acme")]


def test_ping_sends_a_signed_test_event_now_and_answers_its_delivery(acme, brand_api, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    hooked = receiver()
    mine = hooked.subscribe(acme)

    answer = brand_api("acme", "admin").post(f"/api/webhooks/{mine.pk}/ping")

    assert answer.status_code == 200
    body = answer.json()
    assert (body["event_type"], body["status"], body["attempts"], body["last_response_code"]) == (
        "webhook.ping",
        "succeeded",
        1,
        200,
    )
    (got,) = hooked.wait_for(1)
    assert got.verified, got.error
    assert got.headers["webhook-id"] == body["event_id"]
    assert got.payload == body["payload"]


def test_the_delivery_log_is_paginated_newest_first(acme, brand_api):
    mine = _webhook(acme)
    for n in range(52):
        services.notify(brand_id=acme.pk, event="incident.opened", data={"id": n}, idempotency_key=f"incident:{n}")
    client = brand_api("acme", "admin")

    page = client.get(f"/api/webhooks/{mine.pk}/deliveries/").json()
    last = client.get(f"/api/webhooks/{mine.pk}/deliveries/?page=2").json()

    assert page["count"] == 52
    assert [d["payload"]["data"]["id"] for d in page["results"]] == list(range(51, 1, -1))
    assert [d["payload"]["data"]["id"] for d in last["results"]] == [1, 0]
    first = page["results"][0]
    assert (first["status"], first["attempts"], first["max_attempts"], first["webhook_id"]) == (
        "pending",
        0,
        8,
        mine.pk,
    )
    assert first["event_id"].startswith("msg_")


# --- email recipients --------------------------------------------------------------------------


def test_a_brand_admin_adds_lists_and_removes_recipients(acme, other, brand_api):
    client = brand_api("acme", "admin")
    theirs = EmailRecipient.objects.create(brand=other, email="x@other.example", events=["incident.opened"])

    added = client.post(
        "/api/email-recipients/", {"email": "ops@acme.example", "events": ["incident.opened"]}, format="json"
    )
    again = client.post(
        "/api/email-recipients/", {"email": "OPS@acme.example", "events": ["report.failed"]}, format="json"
    )
    bad = client.post(
        "/api/email-recipients/", {"email": "not-an-address", "events": ["incident.opened"]}, format="json"
    )
    unknown = client.post("/api/email-recipients/", {"email": "a@acme.example", "events": ["x"]}, format="json")
    listed = client.get("/api/email-recipients/").json()["results"]
    foreign = client.delete(f"/api/email-recipients/{theirs.pk}")
    missing = client.delete(f"/api/email-recipients/{theirs.pk + 1000}")
    removed = client.delete(f"/api/email-recipients/{added.json()['id']}")

    assert added.status_code == 201
    assert added.json()["brand"] == "acme"
    assert again.status_code == bad.status_code == 400
    assert "email" in again.json() and "email" in bad.json()
    assert unknown.status_code == 400 and "events" in unknown.json()
    assert [r["email"] for r in listed] == ["ops@acme.example"]
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == {"detail": f"No email recipient with id '{theirs.pk}'."}
    assert removed.status_code == 204
    assert list(EmailRecipient.objects.values_list("email", flat=True)) == ["x@other.example"]
    assert _actions() == [("email_recipient.added", "acme"), ("email_recipient.removed", "acme")]


def test_the_schema_documents_the_notifications_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in [
        "/api/webhooks/",
        "/api/webhooks/{webhook_id}",
        "/api/webhooks/{webhook_id}/ping",
        "/api/webhooks/{webhook_id}/deliveries/",
        "/api/email-recipients/",
        "/api/email-recipients/{recipient_id}",
    ]:
        assert path in schema["paths"], path


# --- unknown keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, body, key",
    [
        ("post", "/api/webhooks/", {"url": PUBLIC_URL, "events": ["incident.opened"], "evnets": []}, "evnets"),
        ("patch", "/api/webhooks/{pk}", {"activ": False}, "activ"),
        ("post", "/api/email-recipients/", {"email": "a@acme.example", "events": ["report.failed"], "x": 1}, "x"),
    ],
)
def test_an_unknown_key_is_a_400_naming_it_and_changes_nothing(acme, brand_api, method, path, body, key):
    client = brand_api("acme", "admin")
    hook = _webhook(acme)
    before = (WebhookSubscription.objects.count(), EmailRecipient.objects.count(), hook.active)

    answer = getattr(client, method)(path.format(pk=hook.pk), body, format="json")

    assert answer.status_code == 400
    assert key in answer.json() and f"unknown field '{key}'" in answer.json()[key][0]
    hook.refresh_from_db()
    assert (WebhookSubscription.objects.count(), EmailRecipient.objects.count(), hook.active) == before
    assert _actions() == []
