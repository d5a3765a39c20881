"""Whether a Celery worker is alive: each worker writes a heartbeat, /healthz reads it.

A worker process, once ready, writes its row of `WorkerHeartbeat` (its node name, the database's
clock) at once and then every WORKER_HEARTBEAT_SECONDS, from a thread of its main process, and
deletes it when it shuts down; a worker that was killed leaves a row that only ages. /healthz
counts the rows younger than WORKER_HEARTBEAT_STALE_SECONDS.

Why a heartbeat in the database, not a broadcast ping (`celery inspect ping`): a ping makes every
probe wait out its timeout for replies, and the embedded default's filesystem broker carries
broadcasts by polling folders; the database is what the web and every worker share on both
setups (the SQLite file, or PostgreSQL), and its clock is one clock for all of them. Not the
cache: the embedded default's cache is each process's own memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models.functions import Now

from loopmonitor.celery import app as celery_app
from reports.models import WorkerHeartbeat

log = logging.getLogger(__name__)


def heartbeat_record(*, hostname: str) -> None:
    """Say that the worker `hostname` is alive now (by the database's clock)."""
    if WorkerHeartbeat.objects.filter(hostname=hostname).update(seen_at=Now()):
        return
    try:
        WorkerHeartbeat.objects.create(hostname=hostname, seen_at=Now())
    except IntegrityError:  # its row appeared meanwhile (a second beat racing the first)
        WorkerHeartbeat.objects.filter(hostname=hostname).update(seen_at=Now())


def heartbeat_forget(*, hostname: str) -> None:
    """The worker `hostname` is stopping: it is no longer counted, at once."""
    WorkerHeartbeat.objects.filter(hostname=hostname).delete()


def workers_alive(*, within_seconds: float) -> list[str]:
    """The node names of the workers that reported within the last `within_seconds`, by name."""
    since = Now() - dt.timedelta(seconds=within_seconds)
    return list(
        WorkerHeartbeat.objects.filter(seen_at__gte=since).order_by("hostname").values_list("hostname", flat=True)
    )


def worker_problem() -> str | None:
    """Why no report would be computed now, or None: no worker has reported within
    WORKER_HEARTBEAT_STALE_SECONDS, and tasks do not run in the process that queues them."""
    if celery_app.conf.task_always_eager:
        return None  # every task runs in the process that queues it (CELERY_TASK_ALWAYS_EAGER)
    stale = settings.WORKER_HEARTBEAT_STALE_SECONDS
    if workers_alive(within_seconds=stale):
        return None
    return f"no worker has reported in {stale:g} s"


class _Beat:
    """The thread of one worker's main process that writes its heartbeat until told to stop."""

    def __init__(self, hostname: str, every_seconds: float):
        self.hostname = hostname
        self.every_seconds = every_seconds
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="loopmonitor-heartbeat", daemon=True)

    def _run(self) -> None:
        while True:
            try:
                heartbeat_record(hostname=self.hostname)
            except Exception as exc:  # the database away for a while: /healthz says so by itself
                log.warning("worker heartbeat not written: %s", exc)
            finally:
                # Not held between beats: the pool forks children from this process, and a child
                # must not inherit (and on exit close) a connection the thread is using.
                connection.close()
            if self.stopping.wait(self.every_seconds):
                return

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=self.every_seconds + 5)


_beat: _Beat | None = None


@worker_ready.connect
def _worker_ready(sender, **kwargs) -> None:
    """The worker's consumer is ready: start its heartbeat (once, should it become ready again)."""
    global _beat
    if _beat is None:
        _beat = _Beat(str(sender.hostname), settings.WORKER_HEARTBEAT_SECONDS)
        _beat.thread.start()


@worker_shutdown.connect
def _worker_shutdown(sender, **kwargs) -> None:
    """The worker stops: stop the heartbeat and delete its row, so /healthz says so at once."""
    global _beat
    if _beat is None:
        return
    beat, _beat = _beat, None
    beat.stop()
    try:
        heartbeat_forget(hostname=beat.hostname)
    except Exception as exc:  # its row then ages out within WORKER_HEARTBEAT_STALE_SECONDS
        log.warning("worker heartbeat not removed: %s", exc)
    finally:
        connection.close()
