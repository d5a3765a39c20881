"""The notifications in the (staff-only) admin: every page renders; a subscription's change is checked
and on record; the delivery logs are read-only."""

import pytest
from django.urls import reverse

from brands.models import AuditEvent
from notifications import services
from notifications.models import EmailDelivery, EmailRecipient, WebhookDelivery, WebhookSubscription
from notifications.tests.conftest import INCIDENT

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.215.14/hook"


@pytest.fixture
def logged(acme):
    subscription = WebhookSubscription.objects.create(brand=acme, url=PUBLIC_URL, events=["incident.opened"])
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["incident.opened"])
    services.notify(brand_id=acme.pk, event="incident.opened", data=INCIDENT)
    return subscription


@pytest.mark.parametrize("model", [WebhookSubscription, WebhookDelivery, EmailRecipient, EmailDelivery])
def test_changelist_and_change_form_render(admin_client, logged, model):
    meta = model._meta
    obj = model.objects.first()

    changelist = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    change = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))

    assert changelist.status_code == change.status_code == 200
    assert logged.secret not in change.content.decode()


@pytest.mark.parametrize("model", [WebhookDelivery, EmailDelivery])
def test_the_delivery_logs_are_read_only(admin_client, logged, model):
    meta = model._meta
    obj = model.objects.get()

    posted = admin_client.post(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]), {})
    add = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))

    assert posted.status_code == add.status_code == 403
    assert (
        "incident.opened"
        in admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).content.decode()
    )


def test_a_subscription_changed_here_is_checked_and_on_record(admin_client, logged):
    url = reverse("admin:notifications_webhooksubscription_change", args=[logged.pk])

    refused = admin_client.post(url, {"url": "http://127.0.0.1/", "events": ["incident.opened"], "active": "on"})
    turned_off = admin_client.post(url, {"url": PUBLIC_URL, "events": ["incident.opened", "report.failed"]})

    assert refused.status_code == 200 and "a loopback address" in refused.content.decode()
    assert turned_off.status_code == 302
    logged.refresh_from_db()
    assert (logged.active, logged.events, logged.disabled_reason) == (
        False,
        ["incident.opened", "report.failed"],
        "disabled by hand",
    )
    (event,) = AuditEvent.objects.filter(action="webhook.updated")
    assert event.detail == {
        "active": [True, False],
        "events": [["incident.opened"], ["incident.opened", "report.failed"]],
    }
    assert admin_client.get(reverse("admin:notifications_webhooksubscription_add")).status_code == 403
