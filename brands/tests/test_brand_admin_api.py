"""Brand administration through the API: keys, members and the audit log of /api/brands/{slug}/,
for each kind of caller (PostgreSQL, real requests)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from brands.models import ApiKey, AuditEvent, Brand, Membership, Role
from brands.services import apikey_create, brand_get_or_create
from brands.tests.test_keys import rows_holding

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
User = get_user_model()


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@dataclass
class World:
    """Brand "a" with its admin "ann", viewer "bob" and an operator key; brand "b" with its own admin
    key. `till` is the prefix of a's operator key, `b_key` the prefix of b's."""

    a: Brand
    b: Brand
    ann: object
    till: str
    b_key: str


@pytest.fixture
def world() -> World:
    a, b = brand_get_or_create(slug="a", name="Brand A"), brand_get_or_create(slug="b", name="Brand B")
    ann = User.objects.create_user("ann", email="ann@example.com", password="pw-ann-123456")
    bob = User.objects.create_user("bob", email="bob@example.com")
    Membership.objects.create(user=ann, brand=a, role=Role.ADMIN)
    Membership.objects.create(user=bob, brand=a, role=Role.VIEWER)
    till, _ = apikey_create(brand=a, role=Role.OPERATOR, name="till")
    b_key, _ = apikey_create(brand=b, role=Role.ADMIN, name="b admin")
    return World(a=a, b=b, ann=ann, till=till.prefix, b_key=b_key.prefix)


# (method, path under /api/brands/a/, body, the status an admin of "a" gets)
ENDPOINTS = [
    ("get", "keys/", None, 200),
    ("post", "keys/", {"name": "new key", "role": "viewer"}, 201),
    ("delete", "keys/{till}", None, 204),
    ("get", "members/", None, 200),
    ("post", "members/", {"username": "carol", "role": "viewer"}, 201),
    ("patch", "members/bob", {"role": "operator"}, 200),
    ("delete", "members/bob", None, 204),
    ("get", "audit/", None, 200),
]
ENDPOINT_IDS = [f"{method} {path}" for method, path, _, _ in ENDPOINTS]


def call(client: APIClient, method: str, path: str, body, world: World, slug: str = "a"):
    url = f"/api/brands/{slug}/" + path.format(till=world.till)
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


@pytest.mark.parametrize("method, path, body, ok", ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("who", ["admin key", "admin person", "staff key", "staff person"])
def test_the_brands_admins_and_staff_may(who, method, path, body, ok, world, brand_api, admin_user):
    client = {
        "admin key": lambda: brand_api("a", "admin"),
        "admin person": lambda: session_client(world.ann),
        "staff key": lambda: brand_api(None),
        "staff person": lambda: session_client(admin_user),
    }[who]()

    answer = call(client, method, path, body, world)

    assert answer.status_code == ok, answer.content


@pytest.mark.parametrize("method, path, body, ok", ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_the_brands_viewers_and_operators_get_403_and_change_nothing(role, method, path, body, ok, world, brand_api):
    events = AuditEvent.objects.count()
    for client in (brand_api("a", role), _person_of("a", role)):
        answer = call(client, method, path, body, world)

        assert answer.status_code == 403, answer.content
        assert isinstance(answer.json()["detail"], str)
    assert AuditEvent.objects.count() == events
    assert not ApiKey.objects.get(prefix=world.till).revoked
    assert Membership.objects.get(user__username="bob").role == Role.VIEWER


def _person_of(slug: str, role: str) -> APIClient:
    person = User.objects.create_user(f"{slug}-{role}-{User.objects.count()}")
    Membership.objects.create(user=person, brand=brand_get_or_create(slug=slug), role=role)
    return session_client(person)


@pytest.mark.parametrize("method, path, body, ok", ENDPOINTS, ids=ENDPOINT_IDS)
def test_another_brands_admin_gets_404_exactly_as_for_a_brand_that_does_not_exist(
    method, path, body, ok, world, brand_api
):
    b_admin = brand_api("b", "admin")

    other = call(b_admin, method, path, body, world, slug="a")
    missing = call(b_admin, method, path, body, world, slug="zz")

    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.json() == {"detail": "No brand with slug 'a'."}
    assert missing.json() == {"detail": "No brand with slug 'zz'."}
    assert sorted(other.headers) == sorted(missing.headers)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("method, path, body, ok", ENDPOINTS, ids=ENDPOINT_IDS)
def test_no_key_or_a_wrong_one_gets_401(method, path, body, ok, world):
    for client in (APIClient(), key_client("Abcd1234." + "x" * 32)):
        answer = call(client, method, path, body, world)

        assert answer.status_code == 401
        assert answer["WWW-Authenticate"] == "Token"


def test_another_brands_key_is_unknown_to_a_brands_admin(world, brand_api):
    a_admin = brand_api("a", "admin")

    other = a_admin.delete(f"/api/brands/a/keys/{world.b_key}")
    missing = a_admin.delete("/api/brands/a/keys/Zzzz9999")

    assert other.status_code == missing.status_code == 404
    assert other.json() == {"detail": f"No key with prefix '{world.b_key}' in brand 'a'."}
    assert not ApiKey.objects.get(prefix=world.b_key).revoked


def test_a_url_holding_a_nul_character_is_a_404_not_a_500(world, brand_api):
    a_admin = brand_api("a", "admin")

    assert a_admin.get("/api/brands/a%00/keys/").status_code == 404
    assert a_admin.delete("/api/brands/a/keys/ab%00cd").status_code == 404
    assert a_admin.delete("/api/brands/a/members/b%00b").status_code == 404


# --- keys ----------------------------------------------------------------------------


def test_a_new_key_is_shown_once_listed_by_prefix_and_works(world, brand_api):
    a_admin = brand_api("a", "admin")
    expires = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)

    created = a_admin.post(
        "/api/brands/a/keys/", {"name": "dashboard", "role": "admin", "expires_at": expires.isoformat()}, format="json"
    )

    assert created.status_code == 201
    body = created.json()
    key = body.pop("key")
    prefix, secret = key.split(".")
    assert body == {
        "prefix": prefix,
        "name": "dashboard",
        "role": "admin",
        "created": body["created"],
        "expires_at": expires.isoformat().replace("+00:00", "Z"),
        "last_used_at": None,
        "revoked": False,
    }
    listed = a_admin.get("/api/brands/a/keys/").json()
    assert [row["prefix"] for row in listed["results"]][0] == prefix  # newest first
    assert key not in str(listed) and "key" not in listed["results"][0]
    assert rows_holding(secret) == []  # not in the keys' table, nor in the audit log
    assert ApiKey.objects.get(prefix=prefix).brand == world.a
    assert key_client(key).get("/api/brands/a/members/").status_code == 200  # an admin key of "a"
    assert key_client(key).get("/api/brands/b/members/").status_code == 404


def test_a_revoked_key_gets_401_and_stays_listed_as_revoked(world, brand_api):
    a_admin = brand_api("a", "admin")
    _, key = apikey_create(brand=world.a, role=Role.VIEWER, name="old till")
    old = key_client(key)
    assert old.get("/api/brands/a/keys/").status_code == 403  # it works: a viewer, not an admin

    assert a_admin.delete(f"/api/brands/a/keys/{key[:8]}").status_code == 204
    assert a_admin.delete(f"/api/brands/a/keys/{key[:8]}").status_code == 204  # again: nothing changes

    assert old.get("/api/brands/a/keys/").status_code == 401
    row = next(r for r in a_admin.get("/api/brands/a/keys/").json()["results"] if r["prefix"] == key[:8])
    assert row["revoked"] is True
    assert AuditEvent.objects.filter(action=Action.KEY_REVOKED).count() == 1


def test_an_admin_key_may_revoke_itself(world, brand_api):
    a_admin = brand_api("a", "admin")

    assert a_admin.delete(f"/api/brands/a/keys/{a_admin.key[:8]}").status_code == 204
    assert a_admin.get("/api/brands/a/keys/").status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "role": "staff"}, "role"),
        ({"name": "x", "role": "owner"}, "role"),
        ({"name": "x"}, "role"),
        ({"role": "viewer"}, "name"),
        ({"name": "   ", "role": "viewer"}, "name"),
        ({"name": "x" * 51, "role": "viewer"}, "name"),
        ({"name": "x", "role": "viewer", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "role": "viewer", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "a\x00b", "role": "viewer"}, "name"),
    ],
)
def test_a_key_that_cannot_be_made_is_a_400_naming_the_field(body, field, world, brand_api):
    answer = brand_api("a", "admin").post("/api/brands/a/keys/", body, format="json")

    assert answer.status_code == 400
    assert field in answer.json() and answer.json()["detail"].startswith(f"{field}:")
    assert ApiKey.objects.filter(brand=world.a).count() == 2  # the till's and the caller's
    assert not AuditEvent.objects.exists()


def test_a_brand_admin_never_makes_a_staff_key(world, brand_api):
    staffish = brand_api("a", "admin").post("/api/brands/a/keys/", {"name": "x", "role": "admin"}, format="json")
    key = staffish.json()["key"]

    assert ApiKey.objects.get(prefix=key[:8]).brand == world.a
    assert key_client(key).get("/api/brands/b/keys/").status_code == 404


# --- members ---------------------------------------------------------------------------


def test_members_are_listed_by_username_with_email_role_and_since(world, brand_api):
    page = brand_api("a", "admin").get("/api/brands/a/members/").json()

    assert page["count"] == 2
    assert [(m["username"], m["email"], m["role"]) for m in page["results"]] == [
        ("ann", "ann@example.com", "admin"),
        ("bob", "bob@example.com", "viewer"),
    ]
    assert all(m["since"] for m in page["results"])


def test_an_existing_person_joins_as_they_are(world, brand_api):
    dora = User.objects.create_user("dora", email="dora@example.com", password="pw-dora-123456")
    Membership.objects.create(user=dora, brand=world.b, role=Role.ADMIN)

    answer = brand_api("a", "admin").post(
        "/api/brands/a/members/", {"username": "dora", "role": "operator", "email": "evil@example.com"}, format="json"
    )

    assert answer.status_code == 201
    assert answer.json() == {
        "username": "dora",
        "email": "dora@example.com",  # not changed: dora is b's too
        "role": "operator",
        "since": answer.json()["since"],
        "user_created": False,
        "password_set_url": None,
    }
    dora.refresh_from_db()
    assert dora.email == "dora@example.com" and dora.check_password("pw-dora-123456")
    assert Membership.objects.get(user=dora, brand=world.b).role == Role.ADMIN


def test_a_new_person_sets_a_password_through_a_one_time_link_and_logs_in_on_the_page(world, brand_api):
    # given: a brand admin adds a person who does not exist yet
    added = brand_api("a", "admin").post(
        "/api/brands/a/members/", {"username": "erin", "role": "operator", "email": "erin@example.com"}, format="json"
    )
    assert added.status_code == 201
    body = added.json()
    erin = User.objects.get(username="erin")
    assert (body["user_created"], body["email"], erin.has_usable_password()) == (True, "erin@example.com", False)
    link = body["password_set_url"]
    assert link.startswith("http://testserver/password/set/")

    # when: erin opens the link and chooses a password
    browser = Client()
    form = browser.get(link, follow=True)
    assert form.status_code == 200 and 'id="password-set-form"' in form.content.decode()
    form_url = form.redirect_chain[-1][0]
    done = browser.post(form_url, {"new_password1": "erin-chose-this-1", "new_password2": "erin-chose-this-1"})

    # then: the password is set, erin logs in on the page and sees it; the link is spent
    assert done.status_code == 302
    erin.refresh_from_db()
    assert erin.check_password("erin-chose-this-1")
    page = Client()
    logged_in = page.post("/login/", {"username": "erin", "password": "erin-chose-this-1"})
    assert logged_in.status_code == 302 and logged_in["Location"] == "/"
    assert page.get("/").status_code == 200
    assert 'id="password-set-form"' not in Client().get(link, follow=True).content.decode()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "new one", "role": "viewer"}, "username"),
        ({"username": "", "role": "viewer"}, "username"),
        ({"username": "x" * 151, "role": "viewer"}, "username"),
        ({"username": "carol", "role": "staff"}, "role"),
        ({"username": "carol"}, "role"),
        ({"username": "carol", "role": "viewer", "email": "not an email"}, "email"),
    ],
)
def test_a_member_that_cannot_be_added_is_a_400_naming_the_field(body, field, world, brand_api):
    answer = brand_api("a", "admin").post("/api/brands/a/members/", body, format="json")

    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(f"{field}:")
    assert not User.objects.filter(username="carol").exists()


def test_a_member_already_is_a_400_saying_so(world, brand_api):
    answer = brand_api("a", "admin").post("/api/brands/a/members/", {"username": "bob", "role": "admin"}, format="json")

    assert answer.status_code == 400
    assert answer.json() == {"detail": "bob is already a member of a: change their role"}
    assert Membership.objects.get(user__username="bob").role == Role.VIEWER


def test_a_role_is_changed_and_a_member_removed_but_the_person_stays(world, brand_api):
    a_admin = brand_api("a", "admin")

    changed = a_admin.patch("/api/brands/a/members/bob", {"role": "admin"}, format="json")
    bad = a_admin.patch("/api/brands/a/members/bob", {"role": "boss"}, format="json")
    removed = a_admin.delete("/api/brands/a/members/bob")

    assert changed.status_code == 200 and changed.json()["role"] == "admin"
    assert bad.status_code == 400 and bad.json()["detail"].startswith("role:")
    assert removed.status_code == 204
    assert not Membership.objects.filter(user__username="bob").exists() and User.objects.filter(username="bob").exists()
    assert a_admin.delete("/api/brands/a/members/bob").status_code == 404
    assert a_admin.patch("/api/brands/a/members/bob", {"role": "viewer"}, format="json").status_code == 404


def test_the_last_admin_can_be_neither_demoted_nor_removed(world, brand_api):
    ann = session_client(world.ann)
    reason = (
        "ann is the brand's last admin: make another member admin first "
        "(a brand keeps at least one admin who can manage its members and keys)"
    )

    demoted = ann.patch("/api/brands/a/members/ann", {"role": "operator"}, format="json")
    removed = brand_api("a", "admin").delete("/api/brands/a/members/ann")
    by_staff = brand_api(None).delete("/api/brands/a/members/ann")

    assert (demoted.status_code, removed.status_code, by_staff.status_code) == (400, 400, 400)
    assert demoted.json() == removed.json() == {"detail": reason}
    assert Membership.objects.get(user=world.ann).role == Role.ADMIN
    assert ann.patch("/api/brands/a/members/ann", {"role": "admin"}, format="json").status_code == 200  # no change

    # with a second admin, ann may step down
    assert ann.patch("/api/brands/a/members/bob", {"role": "admin"}, format="json").status_code == 200
    assert ann.patch("/api/brands/a/members/ann", {"role": "viewer"}, format="json").status_code == 200
    assert ann.get("/api/brands/a/members/").status_code == 403  # a viewer now
    assert not AuditEvent.objects.filter(detail__username="ann", action=Action.MEMBER_REMOVED).exists()


# --- the audit log ----------------------------------------------------------------------


def test_each_write_is_on_record_with_who_what_and_from_where(world, brand_api):
    a_admin = brand_api("a", "admin")
    ann = session_client(world.ann)

    key = a_admin.post(
        "/api/brands/a/keys/", {"name": "pos", "role": "operator"}, format="json", REMOTE_ADDR="192.0.2.1"
    )
    prefix = key.json()["prefix"]
    a_admin.delete(f"/api/brands/a/keys/{prefix}", REMOTE_ADDR="192.0.2.2")
    ann.post("/api/brands/a/members/", {"username": "carol", "role": "viewer"}, format="json", REMOTE_ADDR="192.0.2.3")
    ann.patch("/api/brands/a/members/carol", {"role": "operator"}, format="json", REMOTE_ADDR="192.0.2.4")
    ann.delete("/api/brands/a/members/carol", REMOTE_ADDR="192.0.2.5")

    log = a_admin.get("/api/brands/a/audit/").json()
    actor_key = f"key a-admin ({a_admin.key[:8]})"
    assert [(e["action"], e["actor"], e["target"], e["ip"]) for e in log["results"]] == [
        ("member.removed", "ann", "member carol", "192.0.2.5"),
        ("member.role_changed", "ann", "member carol", "192.0.2.4"),
        ("member.added", "ann", "member carol", "192.0.2.3"),
        ("key.revoked", actor_key, f"key {prefix} (pos)", "192.0.2.2"),
        ("key.created", actor_key, f"key {prefix} (pos)", "192.0.2.1"),
    ]
    details = [e["detail"] for e in log["results"]]
    assert details[0] == {"username": "carol", "role": "operator"}
    assert details[1] == {"username": "carol", "role": "operator", "was": "viewer"}
    assert details[2] == {"username": "carol", "role": "viewer", "user_created": True}
    assert details[4] == {"prefix": prefix, "name": "pos", "role": "operator", "expires_at": None}
    assert set(log["results"][0]) == {"at", "actor", "action", "target", "detail", "ip"}
    assert AuditEvent.objects.filter(brand=world.a).count() == 5 and not AuditEvent.objects.exclude(brand=world.a)


def test_the_log_filters_by_action_and_time_and_shows_only_the_brands_events(world, brand_api):
    a_admin = brand_api("a", "admin")
    at = dt.datetime(2023, 1, 25, 12, tzinfo=dt.UTC)
    for hours, action, brand in [
        (0, Action.KEY_CREATED, world.a),
        (1, Action.MEMBER_ADDED, world.a),
        (2, Action.KEY_CREATED, world.a),
        (3, Action.KEY_CREATED, world.b),
    ]:
        AuditEvent.objects.create(
            at=at + dt.timedelta(hours=hours), brand=brand, brand_slug=brand.slug, action=action, actor="x"
        )

    def ats(query: str) -> list[str]:
        answer = a_admin.get(f"/api/brands/a/audit/{query}")
        assert answer.status_code == 200, answer.content
        return [e["at"][11:16] for e in answer.json()["results"]]

    assert ats("") == ["14:00", "13:00", "12:00"]
    assert ats("?action=key.created") == ["14:00", "12:00"]
    assert ats("?since=2023-01-25T13:00:00Z") == ["14:00", "13:00"]
    assert ats("?until=2023-01-25T13:00:00%2B00:00") == ["13:00", "12:00"]
    assert ats("?since=2023-01-25T12:30:00Z&until=2023-01-25T13:30:00Z&action=member.added") == ["13:00"]


@pytest.mark.parametrize(
    "query, field", [("action=key.eaten", "action"), ("since=yesterday", "since"), ("until=2023-13-01", "until")]
)
def test_a_bad_filter_is_a_400_naming_it(query, field, world, brand_api):
    answer = brand_api("a", "admin").get(f"/api/brands/a/audit/?{query}")

    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(f"{field}:")


def test_the_log_is_paginated_newest_first(world, brand_api):
    at = dt.datetime(2023, 1, 25, tzinfo=dt.UTC)
    AuditEvent.objects.bulk_create(
        AuditEvent(at=at + dt.timedelta(minutes=i), brand=world.a, action=Action.POLLS_PUSHED, actor="till")
        for i in range(60)
    )
    a_admin = brand_api("a", "admin")

    first = a_admin.get("/api/brands/a/audit/").json()
    second = a_admin.get("/api/brands/a/audit/?page=2").json()

    assert first["count"] == 60 and len(first["results"]) == 50 and len(second["results"]) == 10
    assert first["results"][0]["at"] == "2023-01-25T00:59:00Z" and second["results"][-1]["at"] == "2023-01-25T00:00:00Z"
    assert a_admin.get("/api/brands/a/audit/?page=3").status_code == 404


def test_the_key_commands_are_on_record_with_the_os_user(world, capsys, monkeypatch):
    # getpass reads the OS user from the environment first: the test decides who "ran" the command.
    monkeypatch.setenv("LOGNAME", "ops-person")

    call_command("apikey_create", "--brand", "a", "--role", "viewer", "--name", "kiosk")
    key = capsys.readouterr().out.splitlines()[-1]
    call_command("apikey_revoke", key[:8])
    call_command("apikey_revoke", key[:8])  # revoked already: nothing new on record
    call_command("apikey_create", "--staff", "--name", "ops")

    events = list(AuditEvent.objects.order_by("at", "id").values_list("action", "actor", "brand_slug", "target"))
    assert events == [
        ("key.created", "manage.py apikey_create (ops-person)", "a", f"key {key[:8]} (kiosk)"),
        ("key.revoked", "manage.py apikey_revoke (ops-person)", "a", f"key {key[:8]} (kiosk)"),
        ("key.created", "manage.py apikey_create (ops-person)", "", events[2][3]),
    ]
    assert rows_holding(key.split(".")[1]) == []
