"""The access matrix: every endpoint and method, for every kind of caller, against objects of two
brands, answers exactly the status the roles say (issue "Brands and people").

The endpoints come from the URL configuration itself (`routes()`), so an endpoint added later
without an entry in `MATRIX` fails `test_every_endpoint_has_an_entry`. The expected status is not
written out per caller: it follows from the endpoint's kind (`Endpoint.kind`) by the rules in
`expected()`, which are the issue's rules in code:

- anonymous: 401 for the API (a page redirects to the login);
- platform staff: the endpoint's success status, on every brand's object;
- a caller with no role in the object's brand: the same status as an object that does not exist
  (404; 400 "unknown" for batch bodies and report scopes), never a sign that it exists;
- a caller whose role is below what the endpoint needs: 403 (it can see the object, or it holds
  that role in no brand at all and so learns nothing).

Callers: anonymous, viewer / operator / admin of brand A (API keys), a viewer of brand B, staff.
Objects: brand A's and brand B's store, special day, report, key, member, report schedule.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from brands.models import Brand, Membership, Role
from brands.services import apikey_create, brand_get_or_create
from loopmonitor.celery import app as celery_app
from reports.models import Report
from reports.schedule_services import schedule_create
from stores.models import BusinessHours, Poll, SpecialHours, Store

pytestmark = pytest.mark.django_db

UTC = dt.UTC
AS_OF = dt.datetime(2023, 1, 23, 17, 0, tzinfo=UTC)
SPECIAL_DATE = "2023-01-30"
STORE_IDS = {"a": "1000000000000000001", "b": "2000000000000000002"}
NOWHERE = "9000000000000000009"  # a store id no brand has

# The URL prefixes that are not this project's API or page: the Django admin (staff only, its
# own login: tested in reports/tests/test_admin.py) and static files.
NOT_IN_MATRIX = ("admin/", "static/", "media/")


@dataclass
class World:
    """Two brands with one store each (hours, polls, a special day), one report each, one
    extra key and one extra member each: the objects the matrix asks for."""

    brands: dict[str, Brand]
    stores: dict[str, Store]
    reports: dict[str, Report]
    key_prefixes: dict[str, str]
    members: dict[str, str]
    schedules: dict[str, str]


def world_build() -> World:
    brands = {slug: brand_get_or_create(slug=slug) for slug in ("a", "b")}
    stores, reports, prefixes, members, schedules = {}, {}, {}, {}, {}
    for slug, brand in brands.items():
        store = Store.objects.create(store_id=STORE_IDS[slug], timezone_str="America/New_York", brand=brand)
        BusinessHours.objects.create(
            store=store, day_of_week=0, start_time_local=dt.time(9), end_time_local=dt.time(12)
        )
        SpecialHours.objects.create(store=store, date=dt.date.fromisoformat(SPECIAL_DATE))
        Poll.objects.bulk_create(
            [
                Poll(store=store, observed_at_utc=AS_OF - dt.timedelta(hours=2), active=True),
                Poll(store=store, observed_at_utc=AS_OF - dt.timedelta(minutes=45), active=False),
            ]
        )
        stores[slug] = store
        reports[slug] = Report.objects.create(as_of=AS_OF, brand=brand)
        prefixes[slug] = apikey_create(brand=brand, role=Role.VIEWER, name=f"{slug}-spare")[0].prefix
        person = get_user_model().objects.create_user(f"{slug}-member")
        Membership.objects.create(user=person, brand=brand, role=Role.VIEWER)
        members[slug] = person.get_username()
        schedule = schedule_create(brand_id=brand.pk, name=f"{slug} daily", cron_line="0 6 * * *", timezone_name="UTC")
        schedules[slug] = str(schedule.id)
    return World(brands, stores, reports, prefixes, members, schedules)


# --- Callers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    name: str
    brand: str | None = None  # None: anonymous or staff
    role: Role | None = None
    staff: bool = False

    def role_in(self, brand: str) -> Role | None:
        return Role.ADMIN if self.staff else (self.role if self.brand == brand else None)

    def holds_anywhere(self, role: Role) -> bool:
        return self.staff or (self.role is not None and self.role.rank >= role.rank)


ACTORS = (
    Actor("anonymous"),
    Actor("a-viewer", "a", Role.VIEWER),
    Actor("a-operator", "a", Role.OPERATOR),
    Actor("a-admin", "a", Role.ADMIN),
    Actor("b-viewer", "b", Role.VIEWER),
    Actor("staff", staff=True),
)


def client_of(actor: Actor, world: World) -> APIClient:
    client = APIClient()
    if actor.name == "anonymous":
        return client
    brand = None if actor.staff else world.brands[actor.brand or ""]
    key = apikey_create(brand=brand, role=actor.role or Role.ADMIN, name=f"matrix-{actor.name}")[1]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- Endpoints ---------------------------------------------------------------------------

Build = Callable[[World, str], Any]


def _none(world: World, brand: str) -> Any:
    return None


def _store(world: World, brand: str) -> dict[str, str]:
    return {"store_id": world.stores[brand].store_id}


def _store_day(world: World, brand: str) -> dict[str, str]:
    return {**_store(world, brand), "date": SPECIAL_DATE}


def _report(world: World, brand: str) -> dict[str, str]:
    return {"report_id": str(world.reports[brand].id)}


def _slug(world: World, brand: str) -> dict[str, str]:
    return {"slug": brand}


@dataclass(frozen=True)
class Endpoint:
    """How to call one (URL name, method), and which rule its statuses follow.

    kind: "open" (no key needed), "read" (viewer of the object's brand), "write" (operator),
    "admin" (admin of the brand), "staff" (platform staff only), "list" (any role: the answer
    holds only the caller's objects), "admin-list" (the same for admins: 403 to a caller who is
    admin nowhere), "page" (a logged-in session; keys are not sessions), "token" (its own bearer
    token, METRICS_TOKEN, which no key or role is: 401 for every caller).
    `foreign`: the answer when the object is another brand's (as when it does not exist).
    """

    kind: str
    ok: int = 200
    kwargs: Build = _none
    body: Build = _none
    query: Build = _none
    foreign: int = 404
    # For "list": the text that marks an object of a brand in the answer.
    marker: Build = _none
    fmt: str = "json"
    # What the world needs beyond its rows before the call (derived rows, such as incidents).
    prepare: Callable[[World], None] = lambda world: None


def _poll_body(world: World, brand: str) -> list[dict[str, str]]:
    return [{"store_id": world.stores[brand].store_id, "timestamp_utc": "2023-01-23 16:50:00 UTC", "status": "active"}]


def _special_push_body(world: World, brand: str) -> list[dict[str, Any]]:
    return [{"store_id": world.stores[brand].store_id, "date": "2023-02-06", "start_time_local": None}]


def _trigger_body(world: World, brand: str) -> dict[str, Any]:
    return {"as_of": AS_OF.isoformat(), "store_ids": [world.stores[brand].store_id], "brand": brand}


def _hours_body(world: World, brand: str) -> dict[str, Any]:
    return {
        "effective_from": None,
        "rows": [{"day_of_week": 1, "start_time_local": "10:00:00", "end_time_local": "11:00:00"}],
    }


def _schedule(world: World, brand: str) -> dict[str, str]:
    return {"schedule_id": world.schedules[brand]}


def _schedule_body(world: World, brand: str) -> dict[str, str]:
    return {"brand": brand, "name": "weekly", "every": "monday", "at": "07:00", "timezone": "Europe/Berlin"}


def _slug_prefix(world: World, brand: str) -> dict[str, str]:
    return {"slug": brand, "prefix": world.key_prefixes[brand]}


def _slug_member(world: World, brand: str) -> dict[str, str]:
    return {"slug": brand, "username": world.members[brand]}


def _password_link(world: World, brand: str) -> dict[str, str]:
    return {"uidb64": "MQ", "token": "set-password"}  # a link no one was given: the page says so


def _store_marker(world: World, brand: str) -> str:
    return world.stores[brand].store_id


def _report_marker(world: World, brand: str) -> str:
    return str(world.reports[brand].id)


def _notification_targets(world: World) -> None:
    """Each brand has a webhook subscription and an email recipient. The subscription's address is
    loopback, which its delivery refuses before any connection (WEBHOOK_ALLOW_PRIVATE is off): a
    ping answers at once, with the refusal in its delivery."""
    from notifications.models import EmailRecipient, WebhookSubscription

    for slug, brand in world.brands.items():
        WebhookSubscription.objects.create(
            brand=brand, url=f"http://127.0.0.1:9/hook-{slug}", events=["incident.opened"]
        )
        EmailRecipient.objects.create(brand=brand, email=f"ops@{slug}.example", events=["incident.opened"])


def _webhook(world: World, brand: str) -> dict[str, str]:
    from notifications.models import WebhookSubscription

    return {"webhook_id": str(WebhookSubscription.objects.get(brand=world.brands[brand]).pk)}


def _recipient(world: World, brand: str) -> dict[str, str]:
    from notifications.models import EmailRecipient

    return {"recipient_id": str(EmailRecipient.objects.get(brand=world.brands[brand]).pk)}


def _incidents(world: World) -> None:
    """Each brand's store has an incident (its 11:15 inactive poll after the 10:00 active one): as the
    refresh after a push would store it."""
    from alerts.services import incidents_refresh

    incidents_refresh([store.pk for store in world.stores.values()])


MATRIX: dict[tuple[str, str], Endpoint] = {
    ("healthz", "GET"): Endpoint("open"),  # tasks run inline here (`eager`): no worker is needed
    ("healthz-web", "GET"): Endpoint("open"),
    ("metrics", "GET"): Endpoint("token"),
    ("schema", "GET"): Endpoint("open"),
    ("api-docs", "GET"): Endpoint("open"),
    ("index", "GET"): Endpoint("page"),
    ("store-page", "GET"): Endpoint("page", kwargs=_store),
    ("report-page", "GET"): Endpoint("page", kwargs=_report),
    # Reports
    ("trigger-report", "POST"): Endpoint("write", ok=202, body=_trigger_body, foreign=400),
    ("get-report", "GET"): Endpoint("read", query=_report),
    ("get-report-path", "GET"): Endpoint("read", kwargs=_report),
    ("report-list", "GET"): Endpoint("list", marker=_report_marker),
    # A signed link is its own permission: without its signature it is refused to everyone.
    ("report-download-signed", "GET"): Endpoint("open", ok=403, kwargs=_report),
    # Report schedules: a viewer reads, the brand's admins write (a brand it does not administer is unknown)
    ("schedule-list", "GET"): Endpoint("list", marker=lambda w, b: w.schedules[b]),
    ("schedule-list", "POST"): Endpoint("admin", ok=201, body=_schedule_body, foreign=400),
    ("schedule-detail", "GET"): Endpoint("read", kwargs=_schedule),
    ("schedule-detail", "PATCH"): Endpoint("admin", kwargs=_schedule, body=lambda w, b: {"enabled": False}),
    ("schedule-detail", "DELETE"): Endpoint("admin", ok=204, kwargs=_schedule),
    # Stores
    ("store-list", "GET"): Endpoint("list", marker=_store_marker),
    ("store-detail", "GET"): Endpoint("read", kwargs=_store),
    ("store-uptime", "GET"): Endpoint("read", kwargs=_store, query=lambda w, b: {"as_of": AS_OF.isoformat()}),
    ("store-timeline-svg", "GET"): Endpoint("read", kwargs=_store, query=lambda w, b: {"as_of": AS_OF.isoformat()}),
    ("store-hours", "PUT"): Endpoint("write", kwargs=_store, body=_hours_body),
    ("store-special-day", "GET"): Endpoint("read", kwargs=_store_day),
    ("store-special-day", "PUT"): Endpoint("write", kwargs=_store_day, body=lambda w, b: {"closed": True}),
    ("store-special-day", "DELETE"): Endpoint("write", ok=204, kwargs=_store_day),
    ("brand-list", "GET"): Endpoint("list", marker=lambda w, b: f'"slug":"{b}"'),
    # Incidents
    ("incident-list", "GET"): Endpoint("list", marker=_store_marker, prepare=_incidents),
    ("store-incidents", "GET"): Endpoint("read", kwargs=_store, prepare=_incidents),
    # Brand administration (its admins and staff)
    ("brand-keys", "GET"): Endpoint("admin", kwargs=_slug),
    ("brand-keys", "POST"): Endpoint(
        "admin", ok=201, kwargs=_slug, body=lambda w, b: {"name": "new key", "role": "viewer"}
    ),
    ("brand-key", "DELETE"): Endpoint("admin", ok=204, kwargs=_slug_prefix),
    ("brand-members", "GET"): Endpoint("admin", kwargs=_slug),
    ("brand-members", "POST"): Endpoint(
        "admin", ok=201, kwargs=_slug, body=lambda w, b: {"username": "newcomer", "role": "viewer"}
    ),
    ("brand-member", "PATCH"): Endpoint("admin", kwargs=_slug_member, body=lambda w, b: {"role": "operator"}),
    ("brand-member", "DELETE"): Endpoint("admin", ok=204, kwargs=_slug_member),
    ("brand-audit", "GET"): Endpoint("admin", kwargs=_slug),
    # Notifications (the brand's admins and staff)
    ("webhook-list", "GET"): Endpoint("admin-list", marker=lambda w, b: f"/hook-{b}", prepare=_notification_targets),
    ("webhook-list", "POST"): Endpoint(
        "admin",
        ok=201,
        foreign=400,
        body=lambda w, b: {"url": "https://93.184.215.14/hook", "events": ["incident.opened"], "brand": b},
    ),
    ("webhook-detail", "GET"): Endpoint("admin", kwargs=_webhook, prepare=_notification_targets),
    ("webhook-detail", "PATCH"): Endpoint(
        "admin", kwargs=_webhook, body=lambda w, b: {"events": ["incident.resolved"]}, prepare=_notification_targets
    ),
    ("webhook-detail", "DELETE"): Endpoint("admin", ok=204, kwargs=_webhook, prepare=_notification_targets),
    ("webhook-ping", "POST"): Endpoint("admin", kwargs=_webhook, prepare=_notification_targets),
    ("webhook-deliveries", "GET"): Endpoint("admin", kwargs=_webhook, prepare=_notification_targets),
    ("email-recipient-list", "GET"): Endpoint(
        "admin-list", marker=lambda w, b: f"ops@{b}.example", prepare=_notification_targets
    ),
    ("email-recipient-list", "POST"): Endpoint(
        "admin",
        ok=201,
        foreign=400,
        body=lambda w, b: {"email": f"new@{b}.example", "events": ["report.completed"], "brand": b},
    ),
    ("email-recipient-detail", "DELETE"): Endpoint("admin", ok=204, kwargs=_recipient, prepare=_notification_targets),
    # People's own pages: open to all (the login form; a link no one was given says so)
    ("login", "GET"): Endpoint("open"),
    ("login", "POST"): Endpoint("open", body=lambda w, b: {"username": "nobody", "password": "wrong"}),
    # Django's form views answer PUT as POST.
    ("login", "PUT"): Endpoint("open", body=lambda w, b: {"username": "nobody", "password": "wrong"}),
    ("logout", "POST"): Endpoint("open", ok=302),
    ("password-set", "GET"): Endpoint("open", kwargs=_password_link),
    ("password-set", "POST"): Endpoint("open", kwargs=_password_link, body=lambda w, b: {}),
    ("password-set", "PUT"): Endpoint("open", kwargs=_password_link, body=lambda w, b: {}),
    ("password-set-done", "GET"): Endpoint("open"),
    ("polls-push", "POST"): Endpoint("write", body=_poll_body, foreign=400),
    ("special-days-push", "POST"): Endpoint("write", body=_special_push_body, foreign=400),
}


def expected(endpoint: Endpoint, actor: Actor, brand: str) -> int:
    """The status `actor` must get from `endpoint` on brand `brand`'s object (see the module's rules)."""
    if endpoint.kind == "open":
        return endpoint.ok
    if endpoint.kind == "page":
        return 302  # a key is not a session: the page sends everyone to its login
    if endpoint.kind == "token":
        return 401  # staff's key included (off without METRICS_TOKEN: 404, loopmonitor/observability/tests)
    if actor.name == "anonymous":
        return 401
    if endpoint.kind == "staff":
        return endpoint.ok if actor.staff else 403
    if endpoint.kind == "list":
        return endpoint.ok if actor.staff or actor.role is not None else 403
    if endpoint.kind == "admin-list":
        return endpoint.ok if actor.holds_anywhere(Role.ADMIN) else 403
    needed = {"read": Role.VIEWER, "write": Role.OPERATOR, "admin": Role.ADMIN}[endpoint.kind]
    if not actor.holds_anywhere(needed):
        return 403
    held = actor.role_in(brand)
    if held is None:
        return endpoint.foreign
    return endpoint.ok if held.rank >= needed.rank else 403


# --- The URL configuration ---------------------------------------------------------------

METHODS = ("get", "post", "put", "patch", "delete")


def routes() -> Iterator[tuple[str, str]]:
    """(URL name, METHOD) of every route of the project but the admin's and static files'."""

    def walk(patterns: list, prefix: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if text.startswith(NOT_IN_MATRIX):
                continue
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, text)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"route {text!r} has no name: the matrix keys routes by name"
                view = getattr(pattern.callback, "view_class", None)
                assert view is not None, f"route {text!r} is a function view: the matrix reads view classes"
                for method in METHODS:
                    if method in view.http_method_names and hasattr(view, method):
                        yield pattern.name, method.upper()

    return walk(get_resolver().url_patterns, "")


def test_every_endpoint_has_an_entry():
    found = set(routes())
    assert found, "no routes found"
    assert not found - MATRIX.keys(), (
        f"endpoints without an entry in the access matrix: {sorted(found - MATRIX.keys())}"
    )
    assert not MATRIX.keys() - found, f"entries for endpoints that no longer exist: {sorted(MATRIX.keys() - found)}"


def test_the_rules_are_not_vacuous():
    """The rules tell the callers apart: each kind of endpoint gives some caller a refusal."""
    for kind in ("read", "write", "admin", "list", "admin-list", "staff"):
        endpoint = Endpoint(kind)
        answers = {expected(endpoint, actor, brand) for actor in ACTORS for brand in ("a", "b")}
        assert 200 in answers and (answers & {401, 403, 404}), (kind, answers)
    assert expected(Endpoint("read"), ACTORS[4], "a") == 404  # b's viewer on a's store
    assert expected(Endpoint("write"), ACTORS[1], "a") == 403  # a's viewer writing a's store
    assert expected(Endpoint("write"), ACTORS[4], "a") == 403  # holds no write role anywhere


def _call(client: APIClient, name: str, method: str, endpoint: Endpoint, world: World, brand: str):
    from django.urls import reverse

    url = reverse(name, kwargs=endpoint.kwargs(world, brand) or {})
    query = endpoint.query(world, brand)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items()).replace("+", "%2B")
    body = endpoint.body(world, brand)
    send = getattr(client, method.lower())
    if body is None:
        return send(url)
    return send(url, data=json.dumps(body), content_type="application/json")


CASES = [
    pytest.param(name, method, actor, brand, id=f"{method} {name} {actor.name} on {brand}")
    for (name, method) in MATRIX
    for actor in ACTORS
    for brand in ("a", "b")
]


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run inline: a triggered report is computed in the request (the queue has its own tests)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.mark.parametrize(("name", "method", "actor", "brand"), CASES)
def test_access(name, method, actor, brand, eager, settings):
    settings.METRICS_TOKEN = "the-metrics-token"  # on: else /metrics is off, a 404 for everyone
    world = world_build()
    endpoint = MATRIX[(name, method)]
    endpoint.prepare(world)
    answer = _call(client_of(actor, world), name, method, endpoint, world, brand)
    want = expected(endpoint, actor, brand)
    assert answer.status_code == want, (answer.status_code, getattr(answer, "content", b"")[:300])
    if endpoint.kind in ("list", "admin-list") and want == 200:
        text = answer.content.decode()
        for other in ("a", "b"):
            sees = actor.staff or actor.brand == other
            assert (endpoint.marker(world, other) in text) == sees, (other, text[:300])


ABSENT = {
    "store_id": NOWHERE,
    "report_id": "00000000-0000-4000-8000-000000000000",
    "slug": "nowhere",
    "prefix": "Zz9Zz9Zz",
    "username": "nobody",
    "webhook_id": "987654321",
    "recipient_id": "987654321",
    "schedule_id": "00000000-0000-4000-8000-00000000000f",
}


def _absent(build: Build) -> Build:
    """`build` with every object it names swapped for one that does not exist."""

    def swapped(world: World, brand: str) -> Any:
        found = build(world, brand)
        if not isinstance(found, dict):
            return found
        return {name: ABSENT.get(name, value) for name, value in found.items()}

    return swapped


def _with_ids_blanked(text: str, world: World) -> str:
    text = text.replace("'b'", "'<slug>'").replace("'nowhere'", "'<slug>'")
    named = [
        *STORE_IDS.values(),
        *(str(r.id) for r in world.reports.values()),
        *world.key_prefixes.values(),
        *world.schedules.values(),
    ]
    for value in [*named, *world.members.values(), *ABSENT.values()]:
        text = text.replace(value, "<id>")
    for pk in _notification_ids():
        text = text.replace(f"'{pk}'", "'<id>'")
    return text


def _notification_ids() -> list[int]:
    from notifications.models import EmailRecipient, WebhookSubscription

    return [
        *WebhookSubscription.objects.values_list("pk", flat=True),
        *EmailRecipient.objects.values_list("pk", flat=True),
    ]


FOREIGN_CASES = [
    pytest.param(name, method, id=f"{method} {name}")
    for (name, method), endpoint in MATRIX.items()
    if endpoint.kind in ("read", "write", "admin") and endpoint.foreign == 404
]


@pytest.mark.parametrize(("name", "method"), FOREIGN_CASES)
def test_another_brands_object_answers_exactly_like_one_that_does_not_exist(name, method, eager):
    """Brand A's admin (every role in A) asks for brand B's object and for one that does not
    exist: the same status and the same body, but for the id it asked for."""
    world = world_build()
    endpoint = MATRIX[(name, method)]
    endpoint.prepare(world)
    client = client_of(ACTORS[3], world)
    foreign = _call(client, name, method, endpoint, world, "b")
    absent = Endpoint(
        endpoint.kind,
        kwargs=_absent(endpoint.kwargs),
        query=_absent(endpoint.query),
        body=endpoint.body,
    )
    missing = _call(client, name, method, absent, world, "b")
    assert foreign.status_code == missing.status_code == 404
    assert _with_ids_blanked(foreign.content.decode(), world) == _with_ids_blanked(missing.content.decode(), world)
