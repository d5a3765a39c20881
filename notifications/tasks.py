"""Celery tasks of the notifications: each fetches by id and calls one service.

acks_late, like every task here: a worker that dies mid-attempt leaves the message to another
worker, and the service's claim makes the repeat harmless. The soft time limit bounds one
attempt whatever the receiver does (a server that drips its answer a byte at a time beats a
read timeout): the service counts it as a failed attempt.
"""

from celery import shared_task

from notifications import services


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=services.webhook_attempt_seconds(),
    time_limit=services.webhook_attempt_seconds() + 30,
)
def webhook_deliver_task(delivery_id: int) -> None:
    services.webhook_attempt(delivery_id=delivery_id)


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=services.email_attempt_seconds(),
    time_limit=services.email_attempt_seconds() + 30,
)
def email_deliver_task(delivery_id: int) -> None:
    services.email_attempt(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def deliveries_due_task() -> None:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE): queue the deliveries whose next attempt is due."""
    services.deliveries_due()
