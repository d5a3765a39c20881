"""What a brand is told, to whom, and how each telling went: events, webhook subscriptions, email
recipients and the delivery log of both channels.

This app knows nothing of stores, reports or incidents: they call `notifications.services.notify`
with a brand, an event name and the object as their API shows it. A brand's admins manage its
subscriptions and recipients (notifications/views.py).
"""

import base64
import secrets

from django.db import models
from django.db.models import Q

from brands.models import Brand

# The events a subscription or a recipient may ask for (README "Notifications" lists each one's data).
INCIDENT_OPENED = "incident.opened"
INCIDENT_RESOLVED = "incident.resolved"
REPORT_COMPLETED = "report.completed"
REPORT_FAILED = "report.failed"
EVENTS = (INCIDENT_OPENED, INCIDENT_RESOLVED, REPORT_COMPLETED, REPORT_FAILED)
# Sent by this app itself, never subscribed to: a test message to one subscription, and the
# email to a brand's admins about a subscription disabled for failing.
WEBHOOK_PING = "webhook.ping"
WEBHOOK_DISABLED = "webhook.disabled"

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" and 24 random bytes in base64 (as Svix makes them)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_event_id() -> str:
    """A `webhook-id`: unique per event, the same on every attempt, so that a receiver drops repeats."""
    return "msg_" + secrets.token_urlsafe(18)


class Event(models.Model):
    """One thing that happened to a brand, as it is sent: the Standard Webhooks envelope
    `{"type", "timestamp", "data"}` in `payload`, under the id every delivery of it carries.

    `idempotency_key` (e.g. "incident:42:opened") makes `notify` safe to call twice: the second
    call finds this row and delivers nothing more.
    """

    event_id = models.CharField(max_length=40, unique=True, default=new_event_id, editable=False)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="notification_events")
    type = models.CharField(max_length=40)
    payload = models.JSONField()
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001  NULL: no key, never equal
    # A file for the emails of this event (a report's CSV): a path the workers can read, or the
    # bytes themselves (at most REPORT_EMAIL_ATTACH_MAX_BYTES; larger ones are never stored).
    attachment_name = models.CharField(max_length=200, blank=True, default="")
    attachment_path = models.CharField(max_length=1000, blank=True, default="")
    attachment_content = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="event_brand_idempotency_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookSubscription(models.Model):
    """A brand's endpoint that receives the `events` it asked for, signed with `secret`.

    The secret is stored because every delivery is signed with it (Standard Webhooks' HMAC needs
    the key itself, unlike an API key, which only needs checking); the API shows it once, at
    creation. `failing_since` is the first failed attempt since the last success: once it is
    WEBHOOK_DISABLE_AFTER_HOURS old the subscription is disabled and the brand's admins told.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.CharField(max_length=2000, help_text="http(s) URL of the receiver (notifications.addresses)")
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True, default="")
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand", "id"]

    def __str__(self) -> str:
        return f"{self.brand}: {self.url}"


class EmailRecipient(models.Model):
    """An address of a brand's that receives the `events` it asked for by email."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="email_recipients")
    email = models.EmailField(max_length=254)
    events = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "email"]
        constraints = [models.UniqueConstraint(fields=["brand", "email"], name="email_recipient_brand_email_uniq")]

    def __str__(self) -> str:
        return f"{self.brand}: {self.email}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending (not tried yet)"
    FAILED = "failed", "failed (tried again at next_attempt_at)"
    SUCCEEDED = "succeeded", "succeeded"
    GAVE_UP = "gave_up", "gave up (every attempt failed, or the subscription was disabled)"


# A delivery a worker may try: never tried, or failed and waiting for its next attempt.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class Delivery(models.Model):
    """What both channels record of one event sent to one destination: its attempts so far.

    `next_attempt_at` is when a worker may try next: NULL once finished. While an attempt is
    in a worker's hands it is pushed past that attempt's longest possible end (a lease), so a
    second task for the same delivery does nothing, and a worker that dies mid-attempt leaves
    it to the sweeper once the lease has passed.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # How many attempts it gets at most: 1 + len(WEBHOOK_RETRY_DELAYS_SECONDS), or 1 for a ping.
    max_attempts = models.PositiveIntegerField()
    last_error = models.CharField(max_length=1000, blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class WebhookDelivery(Delivery):
    """One event sent to one subscription: the `webhook-id` is the event's, the same on every attempt."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta(Delivery.Meta):
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="webhook_delivery_event_subscription_uniq")
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub_created"),
            models.Index(
                fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False), name="webhook_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} {self.event.event_id} to webhook {self.subscription_id}: {self.status}"


class EmailDelivery(Delivery):
    """One event emailed to one address: a recipient's, or a brand admin's (webhook.disabled).

    `to` is kept apart from `recipient` so that the log still says where it went once the
    recipient is removed.
    """

    to = models.EmailField(max_length=254)
    recipient = models.ForeignKey(
        EmailRecipient, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    subject = models.CharField(max_length=300, blank=True, default="")

    class Meta(Delivery.Meta):
        verbose_name_plural = "email deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "to"], name="email_delivery_event_to_uniq")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False), name="email_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} {self.event.event_id} to {self.to}: {self.status}"
