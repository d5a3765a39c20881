"""The stores app's periodic task."""

from celery import shared_task
from django.conf import settings

from stores import partitions


@shared_task(ignore_result=True)
def polls_retention_task() -> None:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE): keep the poll table to POLLS_RETENTION_DAYS
    and its coming months' partitions ready (stores.partitions)."""
    partitions.polls_retention(days=settings.POLLS_RETENTION_DAYS)
