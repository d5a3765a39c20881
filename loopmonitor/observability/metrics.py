"""The loopmonitor_* metrics, and the one function per event that records them.

Other apps call these functions (`polls_stored`, `webhook_delivery_observed`, ...), never the
metric objects: this module names no app, so that `stores` may import it, and the metrics
are made at the first event of a process (`_metrics`), when the shared folder is made too
(multiproc.enable): importing this module or starting Django writes nothing.

Granularity: one event per request, report, task or stored batch, never per store or per
poll, so the report's inner loops carry no metric at all. What /metrics reads from the
database or the broker at scrape time (queue length, reports in flight, open incidents) is
in collectors.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import transaction
from prometheus_client import Counter, Histogram

from loopmonitor.observability import multiproc

# Seconds. A report of a few stores takes a fraction of a second, the full fleet of 14,000 a
# few seconds, ten times that fleet tens of seconds.
REPORT_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 120, 300, 600)
QUEUE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

# The methods counted by name; any other (a client may send anything) is "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class _Metrics:
    http_requests: Counter
    http_duration: Histogram
    reports: Counter
    report_duration: Histogram
    report_queue: Histogram
    report_shards: Counter
    tasks: Counter
    task_duration: Histogram
    polls_stored: Counter
    webhook_deliveries: Counter
    shard_reads: Counter
    replica_wait: Histogram
    reports_deleted: Counter


@functools.cache
def _metrics() -> _Metrics:
    """The metric objects of this process, made at its first event (a forked child inherits them
    and writes files of its own: the files are named by process)."""
    multiproc.enable()
    # registry=None: /metrics reads the files (collectors.py), not this process's registry.
    return _Metrics(
        http_requests=Counter(
            "loopmonitor_http_requests",
            "HTTP requests answered, by view (URL name; none: no route), method and status.",
            ["view", "method", "status"],
            registry=None,
        ),
        http_duration=Histogram(
            "loopmonitor_http_request_duration_seconds",
            "Time to answer an HTTP request (until the answer is handed to the server), by view and method.",
            ["view", "method"],
            buckets=REQUEST_BUCKETS,
            registry=None,
        ),
        reports=Counter(
            "loopmonitor_reports",
            "Reports that entered each status: pending (created), running (planned), complete, failed.",
            ["status"],
            registry=None,
        ),
        report_duration=Histogram(
            "loopmonitor_report_duration_seconds",
            "Seconds from a report's creation (the trigger) to its completion, as the API's duration_seconds.",
            buckets=REPORT_BUCKETS,
            registry=None,
        ),
        report_queue=Histogram(
            "loopmonitor_report_queue_seconds",
            "Seconds a report waited from its creation until a worker planned it (created_at to started_at).",
            buckets=QUEUE_BUCKETS,
            registry=None,
        ),
        report_shards=Counter(
            "loopmonitor_report_shards",
            "Shard tasks run, by outcome: success, retry (a database error, tried again), failure.",
            ["outcome"],
            registry=None,
        ),
        tasks=Counter(
            "loopmonitor_tasks",
            "Celery tasks run, by task name and outcome (success, retry, failure).",
            ["task", "outcome"],
            registry=None,
        ),
        task_duration=Histogram(
            "loopmonitor_task_duration_seconds",
            "Seconds a Celery task ran, by task name.",
            ["task"],
            buckets=TASK_BUCKETS,
            registry=None,
        ),
        polls_stored=Counter(
            "loopmonitor_polls_stored",
            "New polls stored, by source: file (manage.py load_data, uploads), push (POST /api/polls).",
            ["source"],
            registry=None,
        ),
        webhook_deliveries=Counter(
            "loopmonitor_webhook_deliveries",
            "Webhook delivery attempts, by what each left the delivery: succeeded, failed (tried again), gave_up.",
            ["outcome"],
            registry=None,
        ),
        shard_reads=Counter(
            "loopmonitor_report_shard_reads",
            "Report shards by the database they read (replica, primary) and why: caught_up (the replica had"
            " replayed past the report's WAL position), lagging (not within REPLICA_MAX_WAIT_SECONDS),"
            " unavailable (the replica did not answer), no_position (a report without one). Only with"
            " REPORTS_DATABASE_URL set.",
            ["database", "reason"],
            registry=None,
        ),
        replica_wait=Histogram(
            "loopmonitor_replica_wait_seconds",
            "Seconds a shard waited for the replica to replay past its report's WAL position (or gave up).",
            buckets=QUEUE_BUCKETS,
            registry=None,
        ),
        reports_deleted=Counter(
            "loopmonitor_reports_deleted",
            "What the report retention deleted: report (a report with its shards and file), orphan_file.",
            ["what"],
            registry=None,
        ),
    )


def request_observed(*, view: str, method: str, status: int, seconds: float) -> None:
    """One HTTP request answered (the middleware)."""
    method = method if method in METHODS else "other"
    m = _metrics()
    m.http_requests.labels(view, method, str(status)).inc()
    m.http_duration.labels(view, method).observe(seconds)


def report_created() -> None:
    m = _metrics()
    m.reports.labels("pending").inc()


def report_planned(*, queue_seconds: float) -> None:
    """A report's shards were planned: it is Running, after `queue_seconds` in the queue."""
    m = _metrics()
    m.reports.labels("running").inc()
    m.report_queue.observe(max(queue_seconds, 0.0))


def report_completed(*, duration_seconds: float) -> None:
    m = _metrics()
    m.reports.labels("complete").inc()
    m.report_duration.observe(max(duration_seconds, 0.0))


def report_failed() -> None:
    """A report was marked Failed; counted once the transaction it happens in (if any) commits."""
    transaction.on_commit(lambda: _metrics().reports.labels("failed").inc())


def task_observed(*, task: str, outcome: str, seconds: float) -> None:
    """One Celery task ran to `outcome` (success, retry, failure) in `seconds`."""
    m = _metrics()
    m.tasks.labels(task, outcome).inc()
    m.task_duration.labels(task).observe(seconds)


def shard_observed(*, outcome: str) -> None:
    _metrics().report_shards.labels(outcome).inc()


def polls_stored(*, source: str, count: int) -> None:
    """`count` new polls were stored from `source` ("file" or "push"): called once the load's
    transaction committed (a refused load never gets here)."""
    if count:
        _metrics().polls_stored.labels(source).inc(count)


def webhook_delivery_observed(outcome: str) -> None:
    """One webhook delivery attempt left its delivery `outcome` (the notifications app's statuses:
    "succeeded", "failed", "gave_up"; a small fixed set, each a time series)."""
    _metrics().webhook_deliveries.labels(outcome).inc()


def report_shard_read(*, database: str, reason: str, wait_seconds: float) -> None:
    """A shard chose the database it reads (reports/replica.py) after waiting `wait_seconds` for the replica."""
    m = _metrics()
    m.shard_reads.labels(database, reason).inc()
    m.replica_wait.observe(max(wait_seconds, 0.0))


def reports_deleted(*, reports: int, orphan_files: int) -> None:
    """One retention run deleted `reports` reports (with their files) and `orphan_files` files no report named."""
    m = _metrics()
    if reports:
        m.reports_deleted.labels("report").inc(reports)
    if orphan_files:
        m.reports_deleted.labels("orphan_file").inc(orphan_files)
