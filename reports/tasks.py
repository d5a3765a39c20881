"""Celery tasks: each fetches by id, calls one service and adapts it to the queue.

acks_late: a task's message is acknowledged only after it finished, so a
worker that dies mid-shard leaves the message to be delivered again to another
worker (Redis: after the visibility timeout). Every service here is safe to
run twice. What a task adds to its service is the queue's side only: retries
on a lost database connection, and a report marked Failed when its task
fails, so that it never stays Running.
"""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from reports import retention, schedule_services, services


@shared_task(acks_late=True, ignore_result=True)
def report_generate_task(report_id: str) -> None:
    """Plan the report; the service fans its shards out over the workers."""
    try:
        services.report_generate(report=services.report_get(report_id=report_id))
    except services.BrokerUnavailable:
        raise  # planned, not queued: the stalled-report sweeper queues the shards again
    except Exception as exc:
        services.report_fail(report_id=report_id, reason=f"Planning the report failed: {exc!r}")
        raise


# A database that went away for a moment (failover, restart) should cost
# seconds, not a report: retry the shard a few times on connection errors.
# Past that, the shard is left to the stalled-report sweeper, because marking
# the report Failed needs the database too.
DB_RETRY_COUNTDOWN_SECONDS = 2
DB_RETRIES = 5


@shared_task(acks_late=True, ignore_result=True, bind=True, max_retries=DB_RETRIES)
def report_shard_task(self, report_id: str, number: int) -> None:
    """Compute one shard of a report (and merge the report if it is the last)."""
    try:
        services.report_shard_run(shard=services.report_shard_get(report_id=report_id, number=number))
    except (OperationalError, InterfaceError) as exc:
        close_old_connections()
        if self.request.retries < DB_RETRIES:
            raise self.retry(exc=exc, countdown=DB_RETRY_COUNTDOWN_SECONDS) from exc
        services.report_fail(report_id=report_id, reason=f"Shard {number}: the database did not answer: {exc}")
        raise
    except Exception as exc:
        services.report_fail(report_id=report_id, reason=f"Shard {number} failed: {exc!r}")
        raise


@shared_task(ignore_result=True)
def reports_reap_stale_task() -> None:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE): rescue reports whose tasks were lost."""
    services.reports_reap_stale(
        stall_seconds=settings.REPORT_STALL_SECONDS, max_attempts=settings.REPORT_SHARD_MAX_ATTEMPTS
    )


@shared_task(ignore_result=True)
def reports_retention_task() -> None:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE): delete the reports past REPORTS_RETENTION_DAYS."""
    retention.reports_retention(days=settings.REPORTS_RETENTION_DAYS)


@shared_task(acks_late=True, ignore_result=True, bind=True)
def scheduled_report_task(self, schedule_id: str) -> None:
    """Run by Celery beat on a report schedule's cron line (its PeriodicTask): trigger the brand's report.

    The message's id tells a redelivered message (same id) from beat's next run (a new one).
    """
    schedule_services.schedule_run(schedule_id=schedule_id, run_id=self.request.id or "")
