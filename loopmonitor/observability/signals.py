"""The hooks that feed the metrics and the logs from outside the request: Celery's task signals
and the reports' own saves. Connected once per process, by apps.ObservabilityConfig.ready.

A request id travels with the work it queues: `request_id_stamp` puts the current one in the
headers of every task message published (the web process's trigger, the planning task's
shards), `task_started` makes it the task's context again on the worker. A task that no
request queued (beat's sweeper) takes its own task id, and what it queues carries that.

Metrics of a report come from its own saves (post_save with `update_fields`): created, planned
(queue time) and completed (duration), each counted once the transaction commits, so a
rolled-back finalisation counts nothing. Marking a report Failed is an UPDATE without a save:
services.report_fail calls metrics.report_failed itself.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from contextvars import Token
from typing import Any

from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_process_shutdown,
)
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from loopmonitor.observability import logs, metrics, multiproc
from reports.models import Report

log = logging.getLogger("loopmonitor.task")

# The task message header that carries the request id (protocol 2: a header of its own).
HEADER = "loopmonitor_request_id"
SHARD_TASK = "reports.tasks.report_shard_task"


def connect() -> None:
    before_task_publish.connect(request_id_stamp, weak=False, dispatch_uid="loopmonitor.request_id_stamp")
    task_prerun.connect(task_started, weak=False, dispatch_uid="loopmonitor.task_started")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="loopmonitor.task_finished")
    worker_process_shutdown.connect(worker_process_retire, weak=False, dispatch_uid="loopmonitor.retire")
    post_save.connect(report_saved, sender=Report, weak=False, dispatch_uid="loopmonitor.report_saved")
    if settings.LOG_FORMAT == "json":
        # Any receiver at all keeps Celery from installing its own (text) handlers and format.
        setup_logging.connect(logging_kept, weak=False, dispatch_uid="loopmonitor.logging_kept")


def logging_kept(**kwargs: Any) -> None:
    """Celery's worker and beat keep the logging Django set up from settings.LOGGING (JSON)."""


def request_id_stamp(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = logs.REQUEST_ID.get()
    if headers is not None and request_id is not None:
        headers.setdefault(HEADER, request_id)


# Per task id (eager tasks nest in one process): when it started, the context tokens to restore.
_running: dict[str, tuple[float, Token, Token]] = {}


def task_started(task_id: str, task: Any, args: Any = (), kwargs: Any = None, **_: Any) -> None:
    request = task.request
    given = _arguments(task, args or (), kwargs or {})
    fields = {
        "task": task.name,
        "task_id": task_id,
        "report_id": given.get("report_id"),
        "shard": given.get("number") if task.name == SHARD_TASK else None,
        "attempt": (request.retries or 0) + 1,
    }
    request_id = request.get(HEADER) or logs.REQUEST_ID.get() or task_id
    _running[task_id] = (time.perf_counter(), logs.REQUEST_ID.set(request_id), logs.TASK.set(fields))


def task_finished(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    started, request_token, task_token = _running.pop(task_id, (None, None, None))
    seconds = time.perf_counter() - started if started is not None else 0.0
    outcome = (state or "unknown").lower()
    metrics.task_observed(task=task.name, outcome=outcome, seconds=seconds)
    if task.name == SHARD_TASK:
        metrics.shard_observed(outcome=outcome)
    if log.isEnabledFor(logging.INFO):
        delivery = getattr(task.request, "delivery_info", None) or {}
        log.info(
            "task %s %s in %.1f ms",
            task.name,
            outcome,
            seconds * 1000,
            extra={
                "outcome": outcome,
                "duration_ms": round(seconds * 1000, 3),
                "redelivered": bool(delivery.get("redelivered")),
            },
        )
    if task_token is not None:
        logs.TASK.reset(task_token)
    if request_token is not None:
        logs.REQUEST_ID.reset(request_token)


def _arguments(task: Any, args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The task's arguments by parameter name (report_id, number), as its function names them."""
    signature = _signature(task.name, task.run)
    if signature is None:
        return {}
    try:
        return dict(signature.bind_partial(*args, **kwargs).arguments)
    except TypeError:
        return {}


@functools.lru_cache(maxsize=256)
def _signature(name: str, run: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(run)
    except (TypeError, ValueError):
        return None


def worker_process_retire(**kwargs: Any) -> None:
    """A child of Celery's pool is about to exit: its metric files go into the archive."""
    multiproc.retire()


def report_saved(
    sender: type[Report], instance: Report, created: bool, update_fields: Any = None, using: str = "default", **_: Any
) -> None:
    if created:
        transaction.on_commit(metrics.report_created, using=using)
        return
    if not update_fields or "status" not in update_fields:
        return
    if instance.status == Report.Status.RUNNING and instance.started_at:
        queued = (instance.started_at - instance.created_at).total_seconds()
        transaction.on_commit(lambda: metrics.report_planned(queue_seconds=queued), using=using)
    elif instance.status == Report.Status.COMPLETE and instance.finished_at:
        took = (instance.finished_at - instance.created_at).total_seconds()
        transaction.on_commit(lambda: metrics.report_completed(duration_seconds=took), using=using)
