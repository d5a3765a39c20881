"""Reading subscriptions, deliveries and recipients, always through what the caller manages: its
brands where it is admin (staff: every brand). Another brand's object and no object look the same."""

from django.db.models import QuerySet

from brands.access import Caller, scoped
from brands.models import Role
from notifications.models import EmailRecipient, WebhookDelivery, WebhookSubscription


def _id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def subscriptions_managed(caller: Caller) -> QuerySet[WebhookSubscription]:
    return scoped(WebhookSubscription.objects.select_related("brand"), caller, role=Role.ADMIN).order_by("id")


def subscription_managed(caller: Caller, webhook_id: str) -> WebhookSubscription | None:
    """The caller's subscription with this id (the URL's text), None when there is none it manages."""
    pk = _id(webhook_id)
    return subscriptions_managed(caller).filter(pk=pk).first() if pk is not None else None


def deliveries_of(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The subscription's delivery log, newest first."""
    return subscription.deliveries.select_related("event").order_by("-created_at", "-id")


def recipients_managed(caller: Caller) -> QuerySet[EmailRecipient]:
    return scoped(EmailRecipient.objects.select_related("brand"), caller, role=Role.ADMIN).order_by("brand", "email")


def recipient_managed(caller: Caller, recipient_id: str) -> EmailRecipient | None:
    pk = _id(recipient_id)
    return recipients_managed(caller).filter(pk=pk).first() if pk is not None else None
