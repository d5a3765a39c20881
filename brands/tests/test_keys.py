"""API keys: hashed at rest, shown once, revocable, expiring, and what they let in (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.deletion import ProtectedError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from brands.access import Caller, caller_for_user, caller_of
from brands.models import LAST_USED_RESOLUTION, ApiKey, Brand, Membership, Role
from brands.services import apikey_create, brand_get_or_create
from reports.models import Report
from stores.models import Store

pytestmark = pytest.mark.django_db


def client_with(authorization: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def rows_holding(text: str) -> list[str]:
    """`table.column` of every text column of every table in which some row contains `text`."""
    found = []
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            for column in introspection.get_table_description(cursor, table):
                if introspection.get_field_type(column.type_code, column) not in {"CharField", "TextField"}:
                    continue
                qn = connection.ops.quote_name
                position = "instr" if connection.vendor == "sqlite" else "strpos"  # both: 1-based, 0 = absent
                cursor.execute(
                    f"SELECT count(*) FROM {qn(table)} WHERE {position}(CAST({qn(column.name)} AS TEXT), %s) > 0",
                    [text],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


def test_the_database_never_holds_a_key_only_its_prefix_and_hash(capsys, admin_client):
    # given: keys made by the command, the service and the admin, each used once
    call_command("apikey_create", "--brand", "acme", "--role", "operator", "--name", "ci")
    by_command = capsys.readouterr().out.splitlines()[-1]
    _, by_service = apikey_create(brand=None, role=Role.ADMIN, name="staff")
    answer = admin_client.post(
        reverse("admin:brands_apikey_add"), {"name": "from the admin", "role": "viewer"}, follow=True
    )
    shown = [str(m) for m in answer.context["messages"]]
    by_admin = next(word for m in shown for word in m.split() if "." in word and len(word) > 40).rstrip(".")
    # each authenticates, the brand's key as well as the staff keys (it reads its brand's reports: none yet)
    for key in (by_command, by_service, by_admin):
        answer = client_with(f"Token {key}").get("/api/reports/")
        assert (answer.status_code, answer.json()["count"]) == (200, 0)

    # then: neither a key nor its secret part is in any text column of any table
    for key in (by_command, by_service, by_admin):
        prefix, secret = key.split(".")
        assert rows_holding(secret) == []
        assert rows_holding(key) == []
        assert "brands_apikey.prefix" in rows_holding(prefix)  # the search itself finds what is there


def test_the_admin_shows_a_new_key_once_and_lists_prefixes_only(admin_client):
    answer = admin_client.post(
        reverse("admin:brands_apikey_add"), {"name": "shown once", "role": "viewer"}, follow=True
    )
    key = next(word for m in answer.context["messages"] for word in str(m).split() if len(word) > 40).rstrip(".")
    listing = admin_client.get(reverse("admin:brands_apikey_changelist")).content.decode()
    again = admin_client.get(reverse("admin:brands_apikey_changelist")).content.decode()

    assert key.split(".")[0] in listing and key not in listing and key not in again
    assert ApiKey.objects.get(prefix=key.split(".")[0]).brand is None  # no brand given: a staff key


def test_the_admin_is_for_staff_only(client, django_user_model):
    member = django_user_model.objects.create_user("member", password="pw-member-1")
    Membership.objects.create(user=member, brand=brand_get_or_create(slug="acme"), role=Role.ADMIN)
    client.force_login(member)

    assert client.get(reverse("admin:brands_apikey_changelist")).status_code == 302  # to the login page


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda key: ApiKey.objects.filter(prefix=key[:8]).update(revoked=True), id="revoked"),
        pytest.param(
            lambda key: ApiKey.objects.filter(prefix=key[:8]).update(expiry_date=timezone.now() - timedelta(seconds=1)),
            id="expired",
        ),
        pytest.param(lambda key: ApiKey.objects.filter(prefix=key[:8]).delete(), id="deleted"),
    ],
)
def test_a_revoked_expired_or_deleted_key_gets_401(api_key, spoil):
    client = client_with(f"Token {api_key}")
    assert client.get("/api/reports/").status_code == 200

    spoil(api_key)
    answer = client.get("/api/reports/")

    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
    assert answer.json() == {"detail": "Invalid, revoked or expired key."}


def test_a_key_with_an_expiry_in_the_future_works():
    _, key = apikey_create(brand=None, role=Role.ADMIN, name="soon", expires_at=timezone.now() + timedelta(hours=1))

    assert client_with(f"Token {key}").get("/api/reports/").status_code == 200


@pytest.mark.parametrize(
    "shown",
    [
        lambda key: key[:8],
        lambda key: key[:9],
        lambda key: key[:8] + "." + "x" * 32,
        lambda key: key[:-1],
        lambda key: key + "x",
        lambda key: key.upper() if key != key.upper() else key.lower(),
        lambda key: key[:8] + "\x00" + key[9:],
        lambda key: ApiKey.objects.get(prefix=key[:8]).hashed_key,
        lambda key: ApiKey.objects.get(prefix=key[:8]).pk,
    ],
    ids=["prefix", "prefix.", "prefix.other", "one short", "one more", "other case", "NUL", "the hash", "the pk"],
)
def test_the_prefix_the_hash_or_a_near_miss_never_authenticates(api_key, shown):
    answer = client_with(f"Token {shown(api_key)}").get("/api/reports/")

    assert answer.status_code == 401


def test_last_used_is_written_on_first_use_and_at_most_once_a_resolution(api_key):
    client = client_with(f"Token {api_key}")
    row = ApiKey.objects.filter(prefix=api_key[:8])
    assert row.get().last_used_at is None

    client.get("/api/reports/")
    first = row.get().last_used_at
    client.get("/api/reports/")
    second = row.get().last_used_at
    assert first is not None and second == first
    row.update(last_used_at=first - LAST_USED_RESOLUTION - timedelta(seconds=1))
    client.get("/api/reports/")
    third = row.get().last_used_at

    assert third is not None and third > first


def test_apikey_create_prints_the_key_alone_on_its_last_line_and_it_works(capsys):
    call_command("apikey_create", "--brand", "new-brand", "--role", "viewer", "--name", "dashboard")
    lines = capsys.readouterr().out.splitlines()

    key = lines[-1]
    api_key = ApiKey.objects.get(prefix=key[:8])
    assert api_key.brand is not None and api_key.brand_id is not None
    assert key == key.strip() and " " not in key and len(key) == 41
    assert (api_key.brand.slug, api_key.brand.name, api_key.role, api_key.name) == (
        "new-brand",
        "new-brand",
        "viewer",
        "dashboard",
    )
    assert api_key.prefix in lines[0] and key not in lines[0]
    # The key authenticates (its caller is resolved, not a 401) and reads its new brand's reports: none.
    answer = client_with(f"Token {key}").get("/api/reports/")
    assert answer.status_code == 200
    assert answer.json()["results"] == []
    assert caller_of(answer.wsgi_request) == Caller(
        is_staff=False,
        roles={api_key.brand_id: Role.VIEWER},
        key_prefix=key[:8],
        key_id=api_key.pk,
        name=f"key dashboard ({key[:8]})",
    )


def test_a_brands_key_and_member_see_only_the_brands_stores_and_reports(django_user_model):
    # given: a store and a report of acme, of globex and of no brand; acme's admin key, an acme
    # member's session, and a platform staff key
    acme, globex = brand_get_or_create(slug="acme"), brand_get_or_create(slug="globex")
    as_of = timezone.now() - timedelta(days=1)
    reports = {}
    for slug, brand in (("acme", acme), ("globex", globex), ("fleet", None)):
        Store.objects.create(store_id=f"{slug}-1", brand=brand)
        reports[slug] = str(Report.objects.create(as_of=as_of, brand=brand).id)
    _, brand_key = apikey_create(brand=acme, role=Role.ADMIN, name="acme admin")
    _, staff_key = apikey_create(brand=None, role=Role.ADMIN, name="ops")
    member = django_user_model.objects.create_user("member", password="pw-123456")
    Membership.objects.create(user=member, brand=acme, role=Role.ADMIN)
    session = APIClient()
    session.force_login(member)
    unknown = "00000000-0000-0000-0000-000000000000"

    # when / then: acme's callers see acme's store and report, and nothing else exists for them
    for client in (client_with(f"Token {brand_key}"), session):
        assert [s["store_id"] for s in client.get("/api/stores/").json()["results"]] == ["acme-1"]
        assert [r["id"] for r in client.get("/api/reports/").json()["results"]] == [reports["acme"]]
        assert client.get(f"/get_report/{reports['acme']}").status_code == 200
        for other in (reports["globex"], reports["fleet"]):
            answer = client.get(f"/get_report/{other}")
            assert (answer.status_code, answer.json()) == (404, {"detail": f"No report with id {other}."})
        assert client.get(f"/get_report/{unknown}").status_code == 404
    # platform staff see every brand's and the stores and reports of none
    staff = client_with(f"Token {staff_key}")
    assert [s["store_id"] for s in staff.get("/api/stores/").json()["results"]] == ["acme-1", "fleet-1", "globex-1"]
    assert sorted(r["id"] for r in staff.get("/api/reports/").json()["results"]) == sorted(reports.values())
    assert staff.get(f"/get_report/{reports['globex']}").status_code == 200


def test_apikey_create_takes_an_expiry_and_an_existing_brand(capsys):
    brand = brand_get_or_create(slug="acme", name="ACME Inc.")
    call_command("apikey_create", "--brand", "acme", "--role", "admin", "--name", "x", "--expires", "2999-01-02T03:04")

    api_key = ApiKey.objects.get(prefix=capsys.readouterr().out.splitlines()[-1][:8])
    assert api_key.brand == brand and Brand.objects.get(slug="acme").name == "ACME Inc."
    assert api_key.expiry_date is not None and api_key.expiry_date.isoformat() == "2999-01-02T03:04:00+00:00"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--brand", "acme", "--name", "x"], "--role is required"),
        (["--staff", "--role", "viewer", "--name", "x"], "--role applies to brand keys"),
        (["--staff", "--name", "x", "--expires", "tomorrow"], "--expires"),
        (["--staff", "--name", "x", "--expires", "2001-01-01T00:00:00Z"], "in the past"),
        (["--staff", "--name", "x" * 51], "at most 50"),
        (["--staff", "--name", " "], "needs a name"),
    ],
)
def test_apikey_create_refuses_what_it_cannot_make(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("apikey_create", *args)
    assert not ApiKey.objects.exists()


def test_apikey_revoke_stops_the_key(api_key, capsys):
    client = client_with(f"Token {api_key}")
    assert client.get("/api/reports/").status_code == 200

    call_command("apikey_revoke", api_key[:8])

    assert "revoked" in capsys.readouterr().out
    assert client.get("/api/reports/").status_code == 401
    with pytest.raises(CommandError, match="no key with prefix"):
        call_command("apikey_revoke", "nosuchpr")


def test_a_staff_key_is_a_staff_caller_and_a_session_user_is_the_caller_of_their_memberships(api):
    answer = api.get("/api/reports/")
    acme, other = brand_get_or_create(slug="acme"), brand_get_or_create(slug="other")
    person = get_user_model().objects.create_user("person")
    Membership.objects.create(user=person, brand=acme, role=Role.OPERATOR)
    caller = caller_for_user(person)

    assert caller_of(answer.wsgi_request).is_staff and caller_of(answer.wsgi_request).can(None, Role.ADMIN)
    assert caller == Caller(is_staff=False, roles={acme.pk: Role.OPERATOR}, user_id=person.pk, name="person")
    assert caller.can(acme.pk, Role.VIEWER) and caller.can(acme.pk, Role.OPERATOR)
    assert not caller.can(acme.pk, Role.ADMIN) and not caller.can(other.pk, Role.VIEWER)
    assert not caller.can(None, Role.VIEWER)  # a store without a brand: platform staff only
    person.is_staff = True
    assert caller_for_user(person).can(other.pk, Role.ADMIN)


def test_a_brand_owns_stores_and_cannot_be_deleted_while_it_does():
    brand = brand_get_or_create(slug="acme")
    Store.objects.create(store_id="s1", brand=brand, name="Main Street")
    Store.objects.create(store_id="s2")

    assert list(brand.stores.values_list("store_id", "name")) == [("s1", "Main Street")]
    assert Store.objects.get(store_id="s2").brand is None and Store.objects.get(store_id="s2").name == ""
    with pytest.raises(ProtectedError):
        brand.delete()


def test_deleting_a_brand_deletes_its_keys():
    brand = brand_get_or_create(slug="gone")
    _, key = apikey_create(brand=brand, role=Role.VIEWER, name="k")

    brand.delete()

    assert client_with(f"Token {key}").get("/api/reports/").status_code == 401
