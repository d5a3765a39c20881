"""The Django admin and the audit log: the log is read-only and staff's only; what staff change
there (keys, members) is on record like the same change through the API (PostgreSQL)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from brands.models import ApiKey, AuditEvent, Membership, Role
from brands.services import apikey_create, brand_get_or_create

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


@pytest.fixture
def events():
    acme, other = brand_get_or_create(slug="acme"), brand_get_or_create(slug="other")
    at = dt.datetime(2023, 1, 25, 12, tzinfo=dt.UTC)
    return [
        AuditEvent.objects.create(
            at=at, brand=acme, brand_slug="acme", action=Action.KEY_CREATED, actor="maria", target="key Abcd1234 (till)"
        ),
        AuditEvent.objects.create(
            at=at + dt.timedelta(days=1),
            brand=other,
            brand_slug="other",
            action=Action.MEMBER_ADDED,
            actor="key ops (Zyxw9876)",
            target="member luis",
            ip="203.0.113.7",
        ),
    ]


def test_the_log_lists_filters_and_searches_for_staff(admin_client, events):
    url = reverse("admin:brands_auditevent_changelist")

    everything = admin_client.get(url).content.decode()
    by_brand = admin_client.get(url, {"brand__id__exact": events[0].brand_id}).content.decode()
    by_action = admin_client.get(url, {"action__exact": "member.added"}).content.decode()
    by_day = admin_client.get(url, {"at__day": "26", "at__month": "1", "at__year": "2023"}).content.decode()
    by_actor = admin_client.get(url, {"q": "maria"}).content.decode()
    by_target = admin_client.get(url, {"q": "luis"}).content.decode()

    assert "key Abcd1234 (till)" in everything and "member luis" in everything
    assert "key Abcd1234 (till)" in by_brand and "member luis" not in by_brand
    assert "member luis" in by_action and "key Abcd1234 (till)" not in by_action
    assert "member luis" in by_day and "key Abcd1234 (till)" not in by_day
    assert "key Abcd1234 (till)" in by_actor and "member luis" not in by_actor
    assert "member luis" in by_target and "key Abcd1234 (till)" not in by_target


def test_the_log_cannot_be_added_to_changed_or_deleted_even_by_a_superuser(admin_client, events):
    event = events[0]
    change_url = reverse("admin:brands_auditevent_change", args=[event.pk])

    view = admin_client.get(change_url)
    assert view.status_code == 200  # shown, read-only
    page = view.content.decode()
    assert 'name="_save"' not in page and "maria" in page
    assert admin_client.get(reverse("admin:brands_auditevent_add")).status_code == 403
    assert admin_client.post(change_url, {"actor": "someone else"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:brands_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    bulk = admin_client.post(
        reverse("admin:brands_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [e.pk for e in events], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)  # the changelist again: no such action
    assert AuditEvent.objects.count() == 2 and AuditEvent.objects.get(pk=event.pk).actor == "maria"


def test_the_log_is_not_for_a_brand_admin(client, events):
    person = get_user_model().objects.create_user("maria", password="pw-maria-123456")
    Membership.objects.create(user=person, brand=events[0].brand, role=Role.ADMIN)
    client.force_login(person)

    answer = client.get(reverse("admin:brands_auditevent_changelist"))

    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")


def _actions() -> list[tuple[str, str, str]]:
    return list(AuditEvent.objects.order_by("at", "id").values_list("action", "actor", "brand_slug"))


def test_keys_made_and_revoked_by_staff_in_the_admin_are_on_record(admin_client, admin_user):
    acme = brand_get_or_create(slug="acme")

    admin_client.post(reverse("admin:brands_apikey_add"), {"name": "kiosk", "brand": acme.pk, "role": "viewer"})
    api_key = ApiKey.objects.get(name="kiosk")
    change_url = reverse("admin:brands_apikey_change", args=[api_key.pk])
    admin_client.post(change_url, {"name": "kiosk 2", "expiry_date_0": "", "expiry_date_1": ""})  # not revoked
    admin_client.post(change_url, {"name": "kiosk 2", "revoked": "on", "expiry_date_0": "", "expiry_date_1": ""})
    doomed, _ = apikey_create(brand=acme, role=Role.VIEWER, name="doomed")
    admin_client.post(reverse("admin:brands_apikey_delete", args=[doomed.pk]), {"post": "yes"})

    assert ApiKey.objects.get(pk=api_key.pk).revoked and not ApiKey.objects.filter(name="doomed").exists()
    assert _actions() == [
        ("key.created", "admin", "acme"),
        ("key.revoked", "admin", "acme"),
        ("key.revoked", "admin", "acme"),
    ]
    created, revoked, deleted = AuditEvent.objects.order_by("at", "id")
    assert created.target == f"key {api_key.prefix} (kiosk)" and created.user_id == admin_user.pk
    assert revoked.target == f"key {api_key.prefix} (kiosk 2)" and revoked.ip == "127.0.0.1"
    assert deleted.detail["deleted"] is True and deleted.detail["prefix"] == doomed.prefix


def test_memberships_changed_by_staff_in_the_admin_are_on_record(admin_client):
    acme, other = brand_get_or_create(slug="acme"), brand_get_or_create(slug="other")
    luis = get_user_model().objects.create_user("luis")

    # the memberships' own pages: add, change the role, move to another brand, delete
    admin_client.post(reverse("admin:brands_membership_add"), {"user": luis.pk, "brand": acme.pk, "role": "viewer"})
    membership = Membership.objects.get(user=luis)
    change_url = reverse("admin:brands_membership_change", args=[membership.pk])
    admin_client.post(change_url, {"user": luis.pk, "brand": acme.pk, "role": "admin"})
    admin_client.post(change_url, {"user": luis.pk, "brand": other.pk, "role": "admin"})
    admin_client.post(reverse("admin:brands_membership_delete", args=[membership.pk]), {"post": "yes"})

    assert not Membership.objects.exists()
    assert _actions() == [
        ("member.added", "admin", "acme"),
        ("member.role_changed", "admin", "acme"),
        ("member.removed", "admin", "acme"),
        ("member.added", "admin", "other"),
        ("member.removed", "admin", "other"),
    ]
    changed = AuditEvent.objects.get(action=Action.MEMBER_ROLE_CHANGED)
    assert changed.detail == {"username": "luis", "role": "admin", "was": "viewer"}


def test_memberships_changed_on_the_brands_page_are_on_record(admin_client):
    acme = brand_get_or_create(slug="acme", name="ACME")
    luis, nora = get_user_model().objects.create_user("luis"), get_user_model().objects.create_user("nora")
    kept = Membership.objects.create(user=luis, brand=acme, role=Role.VIEWER)
    gone = Membership.objects.create(user=nora, brand=acme, role=Role.ADMIN)
    newcomer = get_user_model().objects.create_user("omar")
    form = {
        "name": "ACME",
        "slug": "acme",
        "memberships-TOTAL_FORMS": "3",
        "memberships-INITIAL_FORMS": "2",
        "memberships-0-id": kept.pk,
        "memberships-0-brand": acme.pk,
        "memberships-0-user": luis.pk,
        "memberships-0-role": "operator",
        "memberships-1-id": gone.pk,
        "memberships-1-brand": acme.pk,
        "memberships-1-user": nora.pk,
        "memberships-1-role": "admin",
        "memberships-1-DELETE": "on",
        "memberships-2-brand": acme.pk,
        "memberships-2-user": newcomer.pk,
        "memberships-2-role": "viewer",
    }

    answer = admin_client.post(reverse("admin:brands_brand_change", args=[acme.pk]), form)

    assert answer.status_code == 302, answer.content.decode()
    assert sorted(AuditEvent.objects.values_list("action", "target")) == [
        ("member.added", "member omar"),
        ("member.removed", "member nora"),
        ("member.role_changed", "member luis"),
    ]
    assert AuditEvent.objects.get(action=Action.MEMBER_REMOVED).detail == {"username": "nora", "role": "admin"}
