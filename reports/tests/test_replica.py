"""Issue 17, "Grow past one database": a report's shards read a streaming replica
(REPORTS_DATABASE_URL), never missing a poll stored before the report was triggered.

Real parts: a throwaway primary cluster and a hot standby of it (`pg_basebackup -R`,
streaming), both started here on ports of their own and stopped at the end (and by a timer,
should the test hang), a real Celery worker whose DATABASE_URL is the primary and whose
REPORTS_DATABASE_URL is the standby. Polls are pushed and the report triggered in one
process, at once, so the report is planned while the standby may still be replaying them.

Which database a shard read is seen in the servers' own statement logs (log_statement=all):
the standby's log shows the report's poll reads when the report read it, the primary's
when the standby was paused (`pg_wal_replay_pause()`) or stopped.
Ports: REPLICA_TEST_PORTS="primary,standby" (default: two free ones).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time

import pytest

from loopmonitor.celery import app as celery_app
from reports.conftest import WorkerProcess
from reports.tests.pg_cluster import (
    ThrowawayPostgres,
    app_env,
    cluster_root,
    clusters_remove,
    free_port,
    manage,
    primary_init,
    standby_of,
    timeout_guard,
)

pytestmark = [pytest.mark.queue, pytest.mark.slow]

MAX_WAIT_SECONDS = 3  # the worker's REPLICA_MAX_WAIT_SECONDS
CLUSTERS_TIMEOUT_SECONDS = 900  # the clusters stop by then whatever happens
# A store of data/, and instants after its last poll (2023-01-25 17:59 UTC) and before the
# reports' as_of: every poll pushed is in the reports' week.
STORE = "515321801251311691"
PUSH_FROM = dt.datetime(2023, 1, 25, 18, 30, tzinfo=dt.UTC)
AS_OF = dt.datetime(2023, 1, 25, 20, 0, tzinfo=dt.UTC)
PUSHED = 40
# Every read of the polls table in a server's statement log (nothing else reads the standby).
POLL_READ = re.compile(r"statement: .*FROM stores_poll", re.S)


@pytest.fixture(scope="module")
def clusters(request):
    """(primary, standby): the primary migrated and loaded with data/, the standby streaming from it."""
    ports = os.environ.get("REPLICA_TEST_PORTS")
    primary_port, standby_port = (int(p) for p in ports.split(",")) if ports else (free_port(), free_port())
    root = cluster_root("lm-replica-")
    started: list[ThrowawayPostgres] = []
    guard = timeout_guard(CLUSTERS_TIMEOUT_SECONDS, started)

    def remove() -> None:
        guard.cancel()
        clusters_remove(root, *started)

    request.addfinalizer(remove)
    primary = primary_init(root, port=primary_port, dbname="lm_replica_test", options={"log_statement": "all"})
    started.append(primary)
    manage(primary.url, "migrate", "--noinput")
    manage(primary.url, "load_data", "--dir", "data")
    standby = standby_of(primary, root, port=standby_port, options={"log_statement": "all"})
    started.append(standby)
    assert standby.sql("SELECT pg_is_in_recovery()", dbname="lm_replica_test") == (True,)
    return primary, standby


@pytest.fixture(scope="module")
def worker(clusters, tmp_path_factory):
    primary, standby = clusters
    celery_app.control.purge()  # no stale messages from earlier tests on this broker
    process = WorkerProcess(
        tmp_path_factory.mktemp("replica-worker"),
        name="replica",
        env=app_env(primary.url, REPORTS_DATABASE_URL=standby.url, REPLICA_MAX_WAIT_SECONDS=str(MAX_WAIT_SECONDS)),
    )
    yield process
    process.stop()


_PUSH_AND_TRIGGER = """
import datetime as dt, json
from stores.services import polls_push
from reports.services import report_create
args = json.loads({args!r})
start = dt.datetime.fromisoformat(args["push_from"])
items = [
    {{"store_id": args["store"], "status": "active",
      "timestamp_utc": (start + dt.timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")}}
    for s in range(args["count"])
]
if items:
    assert polls_push(items=items).inserted == len(items)
print("REPORT", report_create(as_of=dt.datetime.fromisoformat(args["as_of"])).id)
"""


def _push_and_trigger(primary: ThrowawayPostgres, *, push_from: dt.datetime, count: int) -> str:
    """Push `count` polls of STORE from `push_from` (one a second) and, in the same process at
    once, trigger a report as of AS_OF: its id."""
    args = json.dumps({"store": STORE, "push_from": push_from.isoformat(), "count": count, "as_of": AS_OF.isoformat()})
    out = manage(primary.url, "shell", "-c", _PUSH_AND_TRIGGER.format(args=args))
    found = re.search(r"^REPORT (\S+)$", out, re.M)
    assert found, out
    return found.group(1)


def _finished(primary: ThrowawayPostgres, report_id: str, worker: WorkerProcess, *, timeout: float = 120) -> dict:
    """The report's row once it is no longer Pending or Running."""
    deadline = time.monotonic() + timeout
    while True:
        status, polls_read, read_from, wal_lsn, error = primary.sql(
            "SELECT status, polls_read, read_from, wal_lsn, error FROM reports_report WHERE id = %s",
            [report_id],
            dbname="lm_replica_test",
        )
        if status not in ("Pending", "Running"):
            return {
                "status": status,
                "polls_read": polls_read,
                "read_from": read_from,
                "wal_lsn": wal_lsn,
                "error": error,
            }
        assert time.monotonic() < deadline, f"report {report_id} stayed {status}:\n{worker.output()[-6000:]}"
        time.sleep(0.1)


def _poll_reads(pg: ThrowawayPostgres, since: int) -> int:
    """Reads of the polls table in the server's log after offset `since`."""
    return len(POLL_READ.findall(pg.log_text()[since:]))


def _report_pair(clusters, worker, *, push_from: dt.datetime) -> tuple[dict, dict, dict[str, int]]:
    """A report before the push, then PUSHED polls and at once a report again: both rows, and
    the reads of the polls table each server logged for the second report."""
    primary, standby = clusters
    before = _finished(primary, _push_and_trigger(primary, push_from=push_from, count=0), worker)
    logs = {"primary": len(primary.log_text()), "standby": len(standby.log_text())}
    after = _finished(primary, _push_and_trigger(primary, push_from=push_from, count=PUSHED), worker)
    # (the pushes and triggers of the shell process read the polls table on the primary too)
    reads = {"primary": _poll_reads(primary, logs["primary"]), "standby": _poll_reads(standby, logs["standby"])}
    return before, after, reads


def test_a_report_reads_the_replica_and_counts_the_polls_pushed_just_before(clusters, worker):
    before, after, reads = _report_pair(clusters, worker, push_from=PUSH_FROM)

    assert after["status"] == "Complete", after
    assert after["polls_read"] == before["polls_read"] + PUSHED
    assert after["read_from"] == "replica"
    assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", after["wal_lsn"]), after["wal_lsn"]
    assert reads["standby"] > 0, "the standby logged no read of the polls: the report did not read it"
    assert "reading the primary" not in worker.output()


def test_a_paused_replica_is_waited_for_then_the_primary_read(clusters, worker):
    primary, standby = clusters
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        before, after, reads = _report_pair(clusters, worker, push_from=PUSH_FROM + dt.timedelta(hours=1))
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")

    assert after["status"] == "Complete", after
    assert after["polls_read"] == before["polls_read"] + PUSHED
    assert after["read_from"] == "primary"
    assert reads["standby"] == 0, "a shard read the standby that had not replayed the polls"
    waits = [float(s) for s in re.findall(r"had not replayed past \S+ after ([\d.]+) s", worker.output())]
    assert waits, worker.output()[-4000:]
    assert min(waits) >= MAX_WAIT_SECONDS  # each shard waited the whole limit before it gave up on the replica


def test_a_stopped_replica_costs_no_report(clusters, worker):
    primary, standby = clusters
    standby.stop()
    before, after, reads = _report_pair(clusters, worker, push_from=PUSH_FROM + dt.timedelta(hours=1, minutes=10))

    assert after["status"] == "Complete", after
    assert after["polls_read"] == before["polls_read"] + PUSHED
    assert after["read_from"] == "primary"
    assert "the replica does not answer" in worker.output()
