"""Telling a brand what happened: `notify` records an event and one delivery per destination, and the
workers send each delivery, retrying on a schedule, until it succeeds or runs out of attempts.

Every delivery is safe to send twice over (the STYLE.md rule for background jobs): a worker first
*claims* the attempt under the row's lock (`_claim`: due, not finished, and not in another worker's
hands), sends with no transaction open, then records the outcome under the lock again. A task run
twice, or a sweep that queues a delivery whose task is already on its way, finds nothing to claim.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from brands.audit import Action, audit_record
from brands.models import Brand, Membership, Role
from loopmonitor.observability import metrics
from notifications import addresses, emails, webhooks
from notifications.models import (
    EVENTS,
    OPEN_STATUSES,
    WEBHOOK_DISABLED,
    WEBHOOK_PING,
    Delivery,
    DeliveryStatus,
    EmailDelivery,
    EmailRecipient,
    Event,
    WebhookDelivery,
    WebhookSubscription,
)

log = logging.getLogger(__name__)

D = TypeVar("D", bound=Delivery)

# A retry due sooner than this is queued with a countdown; a later one is left to the sweeper
# (deliveries_due_task, every NOTIFY_SWEEP_EVERY_SECONDS). A countdown message sits unacknowledged
# in a worker until it is due, and Redis hands such a message to another worker once
# CELERY_VISIBILITY_TIMEOUT (300 s) has passed: waits of hours belong in the row, not the broker.
COUNTDOWN_MAX_SECONDS = 60
# How early a task may claim a delivery due a moment later (a countdown's clock and ours).
EARLY = timedelta(seconds=1)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Attachment:
    """A file for the emails of a report.completed event: `path` (readable by the workers) or
    `content`; attached when at most REPORT_EMAIL_ATTACH_MAX_BYTES, else the email has the link."""

    filename: str
    path: str = ""
    content: bytes | None = None


class SubscriptionRefused(ValueError):
    """A subscription or recipient that cannot be written as asked: `field` is the request's field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- Recording events ------------------------------------------------------------------------


def envelope(event: str, data: dict[str, Any], *, at: datetime) -> dict[str, Any]:
    """The Standard Webhooks payload: `{"type", "timestamp", "data"}`, `data` as plain JSON
    (datetimes, decimals and UUIDs as DRF would write them)."""
    return {
        "type": event,
        "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    }


def max_attempts() -> int:
    return 1 + len(settings.WEBHOOK_RETRY_DELAYS_SECONDS)


def notify(
    *,
    brand_id: int | None,
    event: str,
    data: dict[str, Any],
    idempotency_key: str | None = None,
    attachment: Attachment | None = None,
) -> Event | None:
    """Record `event` of the brand and one delivery per active subscription and email recipient that
    asked for it; their tasks are queued once the caller's transaction commits.

    Returns the event, or None for brand None (stores of no brand have no subscribers). With an
    `idempotency_key` ("incident:42:opened") a second call for the same brand and key returns the
    first call's event and delivers nothing more, concurrent calls included (a unique constraint).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}: one of {', '.join(EVENTS)}")
    if brand_id is None:
        return None
    with transaction.atomic():
        if idempotency_key is not None:
            if (seen := Event.objects.filter(brand_id=brand_id, idempotency_key=idempotency_key).first()) is not None:
                return seen
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction survives a concurrent twin
                recorded = _event_create(brand_id, event, data, idempotency_key=idempotency_key, attachment=attachment)
        except IntegrityError:
            return Event.objects.get(brand_id=brand_id, idempotency_key=idempotency_key)
        subscriptions = [
            s for s in WebhookSubscription.objects.filter(brand_id=brand_id, active=True) if event in s.events
        ]
        recipients = [r for r in EmailRecipient.objects.filter(brand_id=brand_id) if event in r.events]
        _webhook_deliveries_create(recorded, subscriptions)
        _email_deliveries_create(recorded, [(r.email, r) for r in recipients])
    return recorded


def _event_create(
    brand_id: int, event: str, data: dict[str, Any], *, idempotency_key: str | None, attachment: Attachment | None
) -> Event:
    content = attachment.content if attachment is not None else None
    if content is not None and len(content) > settings.REPORT_EMAIL_ATTACH_MAX_BYTES:
        content = None  # too large to attach: never stored, the email carries the link
    return Event.objects.create(
        brand_id=brand_id,
        type=event,
        payload=envelope(event, data, at=timezone.now()),
        idempotency_key=idempotency_key,
        attachment_name=attachment.filename if attachment is not None else "",
        attachment_path=attachment.path if attachment is not None else "",
        attachment_content=content,
    )


def _webhook_deliveries_create(
    event: Event, subscriptions: Iterable[WebhookSubscription], *, attempts: int | None = None
) -> list[WebhookDelivery]:
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, subscription=s, max_attempts=attempts or max_attempts(), next_attempt_at=now)
        for s in subscriptions
    )
    for delivery in deliveries:
        transaction.on_commit(partial(_enqueue, "webhook", delivery.pk))
    return deliveries


def _email_deliveries_create(event: Event, destinations: Iterable[tuple[str, EmailRecipient | None]]) -> None:
    now = timezone.now()
    unique = {to.lower(): (to, recipient) for to, recipient in destinations}  # one email per address
    deliveries = EmailDelivery.objects.bulk_create(
        EmailDelivery(event=event, to=to, recipient=recipient, max_attempts=max_attempts(), next_attempt_at=now)
        for to, recipient in unique.values()
    )
    for delivery in deliveries:
        transaction.on_commit(partial(_enqueue, "email", delivery.pk))


def _enqueue(channel: str, delivery_id: int, countdown: float | None = None) -> None:
    """Queue one delivery's task; an unreachable broker only delays it: the row is due, and the
    sweeper queues it again."""
    from notifications.tasks import email_deliver_task, webhook_deliver_task

    task = webhook_deliver_task if channel == "webhook" else email_deliver_task
    try:
        task.apply_async(args=(delivery_id,), countdown=countdown or 0, retry=False)
    except Exception as exc:  # kombu raises many kinds: all mean "not queued"
        log.warning("%s delivery %s not queued (the sweeper will): %s", channel, delivery_id, exc)


def deliveries_due(*, now: datetime | None = None) -> int:
    """Queue the deliveries whose next attempt is due (retries after long waits, tasks lost with a
    worker or never queued): the sweeper's job, run by beat. Returns how many were queued."""
    now = now or timezone.now()
    queued = 0
    for channel, model in (("webhook", WebhookDelivery), ("email", EmailDelivery)):
        due = model.objects.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now).order_by("next_attempt_at")
        for delivery_id in due.values_list("pk", flat=True)[:SWEEP_BATCH]:
            _enqueue(channel, delivery_id)
            queued += 1
    return queued


# --- Attempts --------------------------------------------------------------------------------


def webhook_attempt_seconds() -> int:
    """The longest one webhook attempt may take, in whole seconds: connect and read, on at most
    MAX_ADDRESSES addresses, plus a margin (the task's soft time limit; the claim's lease is longer)."""
    return math.ceil(2 * webhooks.MAX_ADDRESSES * settings.WEBHOOK_TIMEOUT_SECONDS) + 5


def email_attempt_seconds() -> int:
    """The longest one email may take, in whole seconds: several SMTP exchanges, each waiting at most EMAIL_TIMEOUT."""
    return math.ceil(6 * settings.EMAIL_TIMEOUT) + 5


def _claim(model: type[D], delivery_id: int, *, lease_seconds: float, related: tuple[str, ...]) -> D | None:
    """The delivery, now in this worker's hands until its lease ends, if its attempt is due; else None
    (finished, not due yet, or another worker is on it)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            model._default_manager.select_for_update(of=("self",))
            .select_related(*related)
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in OPEN_STATUSES:
            return None
        if delivery.next_attempt_at is None or delivery.next_attempt_at > now + EARLY:
            return None
        delivery.next_attempt_at = now + timedelta(seconds=lease_seconds + 60)
        delivery.save(update_fields=["next_attempt_at", "updated_at"])
    return delivery


def _record(delivery: Delivery, *, ok: bool, error: str, now: datetime) -> float | None:
    """Count the attempt made at `now` on `delivery` (locked by the caller) and set its status and
    next attempt. Returns the wait before the next attempt, in seconds, None when there is none."""
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_error = error[:1000]
    wait: float | None = None
    # The schedule as this process has it: a delivery made under a longer one waits the last delay again.
    delays = settings.WEBHOOK_RETRY_DELAYS_SECONDS
    if ok:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, None
    elif delivery.attempts >= delivery.max_attempts or not delays:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.GAVE_UP, None
    else:
        wait = float(delays[min(delivery.attempts, len(delays)) - 1])
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, now + timedelta(seconds=wait)
    return wait


def _requeue(channel: str, delivery_id: int, wait: float | None) -> None:
    if wait is not None and wait <= COUNTDOWN_MAX_SECONDS:
        transaction.on_commit(partial(_enqueue, channel, delivery_id, countdown=wait))


def webhook_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make the delivery's next attempt if it is due: check the URL's addresses again (DNS may have
    changed since the subscription was made), sign, POST, record. Returns the delivery as recorded,
    None when there was nothing to attempt."""
    delivery = _claim(
        WebhookDelivery,
        delivery_id,
        lease_seconds=webhook_attempt_seconds(),
        related=("event", "subscription"),
    )
    if delivery is None:
        return None
    subscription = delivery.subscription
    is_ping = delivery.event.type == WEBHOOK_PING
    if not subscription.active and not is_ping:
        return _give_up(delivery, reason="the subscription is disabled")
    attempted_at = timezone.now()
    outcome = _webhook_send(delivery)
    with transaction.atomic():
        # The subscription's lock before the delivery's, in every transaction that takes both: disabling
        # it writes its other deliveries, which another worker may be recording at the same moment.
        WebhookSubscription.objects.select_for_update().filter(pk=subscription.pk).first()
        locked = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(pk=delivery.pk)
            .first()
        )
        if locked is None:
            return None  # its subscription was deleted meanwhile, and the log with it
        locked.last_response_code = outcome.status_code
        locked.last_duration_ms = outcome.duration_ms
        wait = _record(locked, ok=outcome.ok, error=outcome.error, now=attempted_at)
        locked.save()
        transaction.on_commit(partial(metrics.webhook_delivery_observed, locked.status))
        if not is_ping:  # a ping tests the receiver; it never counts towards disabling it
            _subscription_health(locked.subscription_id, ok=outcome.ok, error=outcome.error, at=attempted_at)
        _requeue("webhook", locked.pk, wait)
    return locked


def _webhook_send(delivery: WebhookDelivery) -> webhooks.Outcome:
    """One signed POST of the delivery's event; every failure (a refused address, the task's soft
    time limit included) comes back as an Outcome, so that the attempt is always counted."""
    try:
        target = addresses.resolve(delivery.subscription.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except addresses.AddressRefused as exc:
        return webhooks.Outcome(ok=False, error=f"not sent: {exc}")
    body = webhooks.body_of(delivery.event.payload)
    try:
        headers = webhooks.signed_headers(
            secret=delivery.subscription.secret, event_id=delivery.event.event_id, body=body, at=timezone.now()
        )
        return webhooks.post(target, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    except Exception as exc:  # celery's SoftTimeLimitExceeded, or anything unforeseen: a failed attempt
        return webhooks.Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")


def _give_up(delivery: D, *, reason: str) -> D:
    with transaction.atomic():
        type(delivery)._default_manager.filter(pk=delivery.pk).update(
            status=DeliveryStatus.GAVE_UP, next_attempt_at=None, last_error=reason, updated_at=timezone.now()
        )
    delivery.refresh_from_db()
    return delivery


def email_attempt(*, delivery_id: int) -> EmailDelivery | None:
    """Send the delivery's email if it is due (Django's email backend, settings EMAIL_URL) and record how it went."""
    delivery = _claim(EmailDelivery, delivery_id, lease_seconds=email_attempt_seconds(), related=("event__brand",))
    if delivery is None:
        return None
    message = emails.message_of(delivery.event, to=delivery.to)
    attempted_at = timezone.now()
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([message])
        ok, error = True, ""
    except Exception as exc:  # smtplib's and the socket's errors, the soft time limit: a failed attempt
        ok, error = False, f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        locked = EmailDelivery.objects.select_for_update().filter(pk=delivery.pk).first()
        if locked is None:
            return None  # its brand was deleted meanwhile
        locked.subject = str(message.subject)[:300]
        wait = _record(locked, ok=ok, error=error, now=attempted_at)
        locked.save()
        _requeue("email", locked.pk, wait)
    return locked


# --- A subscription's health -----------------------------------------------------------------


def _subscription_health(subscription_id: int, *, ok: bool, error: str, at: datetime) -> None:
    """After an attempt made `at`: a success ends the subscription's failing streak; a failure starts
    one, or, once it has lasted WEBHOOK_DISABLE_AFTER_HOURS, disables the subscription."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    if ok:
        if subscription.failing_since is not None:
            subscription.failing_since = None
            subscription.save(update_fields=["failing_since", "updated_at"])
        return
    if subscription.failing_since is None:
        subscription.failing_since = at
        subscription.save(update_fields=["failing_since", "updated_at"])
        return
    if subscription.active and at - subscription.failing_since >= timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS):
        _subscription_disable(subscription, error=error, at=at)


def _subscription_disable(subscription: WebhookSubscription, *, error: str, at: datetime) -> None:
    """Turn the failing subscription off, give up its open deliveries, put it on the brand's audit
    log and email the brand's admins (those with an email address)."""
    assert subscription.failing_since is not None
    since = subscription.failing_since.isoformat().replace("+00:00", "Z")
    subscription.active = False
    subscription.disabled_at = at
    subscription.disabled_reason = f"every delivery failed since {since}; the last: {error}"[:500]
    subscription.save(update_fields=["active", "disabled_at", "disabled_reason", "updated_at"])
    WebhookDelivery.objects.filter(subscription=subscription, status__in=OPEN_STATUSES).update(
        status=DeliveryStatus.GAVE_UP, next_attempt_at=None, last_error="the subscription was disabled", updated_at=at
    )
    audit_record(
        action=Action.WEBHOOK_UPDATED,
        brand_ids=[subscription.brand_id],
        actor="webhook deliveries (failing too long)",
        target=f"webhook {subscription.pk} ({subscription.url})",
        detail={"active": False, "reason": subscription.disabled_reason},
    )
    data = {
        "webhook_id": subscription.pk,
        "url": subscription.url,
        "failing_since": since,
        "disabled_at": at.isoformat().replace("+00:00", "Z"),
        "last_error": error,
    }
    event = Event.objects.create(
        brand_id=subscription.brand_id,
        type=WEBHOOK_DISABLED,
        payload=envelope(WEBHOOK_DISABLED, data, at=at),
        idempotency_key=f"webhook:{subscription.pk}:disabled:{data['disabled_at']}",
    )
    _email_deliveries_create(event, [(email, None) for email in brand_admin_emails(subscription.brand_id)])


def brand_admin_emails(brand_id: int) -> list[str]:
    """The email addresses of the brand's admins (active people with an address)."""
    admins = Membership.objects.filter(brand_id=brand_id, role=Role.ADMIN, user__is_active=True).exclude(user__email="")
    return sorted(set(admins.values_list("user__email", flat=True)))


# --- Subscriptions and recipients ------------------------------------------------------------


def url_check(url: str) -> None:
    """SubscriptionRefused("url", ...) unless `url` may receive webhooks now (notifications.addresses)."""
    try:
        addresses.resolve(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except addresses.AddressRefused as exc:
        raise SubscriptionRefused("url", str(exc)) from None


def subscription_create(*, brand: Brand, url: str, events: list[str]) -> WebhookSubscription:
    """A new active subscription of `brand` (its secret made here, shown once by the caller)."""
    url_check(url)
    return WebhookSubscription.objects.create(brand=brand, url=url, events=_distinct(events))


def subscription_update(*, subscription: WebhookSubscription, **changes: Any) -> dict[str, Any]:
    """Apply `changes` (url, events, active) and return those that changed, as {field: [before, after]}.

    `active` true turns a disabled subscription back on with a clean slate (no failing streak);
    false turns it off by hand. Deliveries given up while it was off stay given up.
    """
    if "url" in changes:
        url_check(changes["url"])
    if "events" in changes:
        changes["events"] = _distinct(changes["events"])
    changed: dict[str, Any] = {}
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        for field, value in changes.items():
            if getattr(locked, field) != value:
                changed[field] = [getattr(locked, field), value]
                setattr(locked, field, value)
        if "active" in changed:
            locked.disabled_at = None if locked.active else timezone.now()
            locked.disabled_reason = "" if locked.active else "disabled by hand"
            locked.failing_since = None
        locked.save()
    subscription.refresh_from_db()
    return changed


def webhook_ping(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a `webhook.ping` event to the subscription now (one attempt, even when it is disabled) and
    return its delivery as recorded. It never changes the subscription's failing streak."""
    data = {"webhook_id": subscription.pk, "message": "A test event from loopmonitor: this endpoint receives webhooks."}
    with transaction.atomic():
        event = Event.objects.create(
            brand_id=subscription.brand_id, type=WEBHOOK_PING, payload=envelope(WEBHOOK_PING, data, at=timezone.now())
        )
        (delivery,) = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(event=event, subscription=subscription, max_attempts=1, next_attempt_at=timezone.now())]
        )
    attempted = webhook_attempt(delivery_id=delivery.pk)
    if attempted is None:  # a worker claimed it first (the sweeper ran in between): show it as it is
        attempted = WebhookDelivery.objects.select_related("event").get(pk=delivery.pk)
    return attempted


def recipient_add(*, brand: Brand, email: str, events: list[str]) -> EmailRecipient:
    """A new email recipient of `brand`; SubscriptionRefused("email") when the brand has it already."""
    email = email.strip()
    if EmailRecipient.objects.filter(brand=brand, email__iexact=email).exists():
        raise SubscriptionRefused("email", f"{email} already receives {brand.slug}'s emails: remove it first")
    try:
        with transaction.atomic():
            return EmailRecipient.objects.create(brand=brand, email=email, events=_distinct(events))
    except IntegrityError:
        raise SubscriptionRefused("email", f"{email} already receives {brand.slug}'s emails: remove it first") from None


def _distinct(events: list[str]) -> list[str]:
    """The events in their canonical order (models.EVENTS), each once."""
    return [event for event in EVENTS if event in set(events)]
