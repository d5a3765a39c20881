"""Celery tasks of the incidents: each calls one service (alerts/services.py), safe to run twice.

acks_late, as for the report shards: a refresh lost with its worker is delivered again,
and running it again changes nothing that the first run did not.
"""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from alerts import notify, services

# A database that went away for a moment costs a few retries, not the refresh (the repair
# task would catch it later anyway).
DB_RETRY_COUNTDOWN_SECONDS = 2
DB_RETRIES = 5


@shared_task(acks_late=True, ignore_result=True, bind=True, max_retries=DB_RETRIES)
def incidents_refresh_task(self, store_pks: list[int]) -> None:
    """Recompute the incidents of these stores (at most INCIDENTS_BATCH_STORES, one transaction each batch)."""
    try:
        services.incidents_refresh(store_pks)
        notify.incident_notifications_send(store_pks=store_pks)
    except (OperationalError, InterfaceError) as exc:
        close_old_connections()
        raise self.retry(exc=exc, countdown=DB_RETRY_COUNTDOWN_SECONDS) from exc


@shared_task(ignore_result=True)
def incidents_repair_task() -> None:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE): refresh the stores whose refresh was lost, and tell
    what waited (an incident deferred by the flapping gap, a notification lost with a worker)."""
    services.incidents_repair(window_seconds=settings.INCIDENTS_REPAIR_WINDOW_SECONDS)
    notify.incident_notifications_send()
