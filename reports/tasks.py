"""Celery tasks: each adapts the queue to one service call.

acks_late: a task's message is acknowledged only after it finished, so a
worker that dies mid-shard leaves the message to be delivered again to another
worker (Redis: after the visibility timeout). Every service here is safe to
run twice.
"""

from celery import group, shared_task

from reports import services


@shared_task(acks_late=True, ignore_result=True)
def report_generate_task(report_id: str) -> None:
    """Plan the report and fan its shards out over the workers."""
    try:
        pending = services.report_generate(report=services.report_get(report_id=report_id))
    except Exception as exc:
        services.report_fail(report_id=report_id, reason=f"Planning the report failed: {exc!r}")
        raise
    if pending:
        group(report_shard_task.s(report_id, n) for n in pending).apply_async()


@shared_task(acks_late=True, ignore_result=True)
def report_shard_task(report_id: str, number: int) -> None:
    """Compute one shard of a report (and merge the report if it is the last)."""
    try:
        services.report_shard_run(report_id=report_id, number=number)
    except Exception as exc:
        services.report_fail(report_id=report_id, reason=f"Shard {number} failed: {exc!r}")
        raise
