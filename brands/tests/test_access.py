"""The scoping primitives every endpoint uses: a caller's brands, scoped querysets, the client's
address, the audit log's records (PostgreSQL)."""

import datetime as dt

import pytest
from django.test import RequestFactory

from brands.access import ANONYMOUS, Caller, caller_for_key, client_ip, scoped
from brands.audit import Action, audit_record, audit_request
from brands.models import ApiKey, AuditEvent, Brand, Role
from brands.services import apikey_create, brand_get_or_create
from reports.models import Report, scope_key_of

pytestmark = pytest.mark.django_db


def test_brand_ids_by_role_and_staff_sees_every_brand():
    caller = Caller(is_staff=False, roles={1: Role.VIEWER, 2: Role.OPERATOR, 3: Role.ADMIN})
    assert caller.brand_ids() == {1, 2, 3}
    assert caller.brand_ids(Role.OPERATOR) == {2, 3}
    assert caller.brand_ids(Role.ADMIN) == {3}
    assert caller.only_brand(Role.ADMIN) == 3
    assert caller.only_brand() is None  # several
    assert Caller(is_staff=True).brand_ids() is None
    assert Caller(is_staff=True).only_brand() is None
    assert ANONYMOUS.brand_ids() == set()


def test_scoped_keeps_the_callers_brands_rows_and_staff_sees_all():
    a, b = brand_get_or_create(slug="a"), brand_get_or_create(slug="b")
    caller = Caller(is_staff=False, roles={a.pk: Role.VIEWER})
    assert list(scoped(Brand.objects.all(), caller, field="pk")) == [a]
    assert list(scoped(Brand.objects.all(), caller, field="pk", role=Role.OPERATOR)) == []
    assert list(scoped(Brand.objects.all(), Caller(is_staff=True), field="pk")) == [a, b]
    assert list(scoped(Brand.objects.all(), ANONYMOUS, field="pk")) == []


def test_a_keys_caller_names_it_for_the_log():
    brand = brand_get_or_create(slug="acme")
    api_key, _ = apikey_create(brand=brand, role=Role.OPERATOR, name="till")
    caller = caller_for_key(ApiKey.objects.get(pk=api_key.pk))
    assert caller.name == f"key till ({api_key.prefix})"
    assert caller.key_id == api_key.pk
    assert caller.roles == {brand.pk: Role.OPERATOR}


def test_client_ip_believes_forwarded_for_only_behind_the_proxy(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    settings.BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.2"
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.7"
    # What nginx appends last is the address it saw; anything before is the client's own claim.
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.8")
    assert client_ip(request) == "203.0.113.8"


def test_audit_record_writes_one_event_per_brand():
    a, b = brand_get_or_create(slug="a"), brand_get_or_create(slug="b")
    caller = Caller(is_staff=True, user_id=None, name="ops")
    events = audit_record(
        action=Action.POLLS_PUSHED, brand_ids=[b.pk, a.pk, None, a.pk], caller=caller, target="3 polls", ip="::1"
    )
    assert sorted((e.brand_slug, e.actor, e.action, e.ip) for e in events) == [
        ("", "ops", "polls.pushed", "::1"),
        ("a", "ops", "polls.pushed", "::1"),
        ("b", "ops", "polls.pushed", "::1"),
    ]
    assert AuditEvent.objects.count() == 3


def test_audit_request_takes_the_callers_name_and_address():
    brand = brand_get_or_create(slug="acme")
    request = RequestFactory().post("/x", REMOTE_ADDR="192.0.2.9")
    caller = Caller(is_staff=False, roles={brand.pk: Role.ADMIN}, key_prefix="Abcd1234", name="key k (Abcd1234)")
    request.user = caller  # type: ignore[assignment]  # as DRF's request.user is for a key
    (event,) = audit_request(request, action=Action.KEY_CREATED, brand_ids=[brand.pk], target="key x")
    assert (event.actor, event.ip, event.brand_id, event.target) == ("key k (Abcd1234)", "192.0.2.9", brand.pk, "key x")


def test_a_brands_report_has_its_own_scope_key_and_names_its_brand():
    brand = brand_get_or_create(slug="acme")
    assert scope_key_of(None) == ""
    assert scope_key_of(None, brand.pk) == f"brand:{brand.pk}"
    assert scope_key_of(["1", "2"]) != scope_key_of(["1", "2"], brand.pk)
    assert scope_key_of(["2", "1", "1"], brand.pk) == scope_key_of(["1", "2"], brand.pk)
    report = Report.objects.create(as_of=dt.datetime(2023, 1, 1, tzinfo=dt.UTC), brand=brand, store_ids=["1"])
    assert report.scope_key == scope_key_of(["1"], brand.pk)
    assert report.scope == "acme: 1 store(s)"
