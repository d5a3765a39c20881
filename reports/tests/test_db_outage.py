"""Issue 8: the database goes away during a report.

The test brings its own throwaway PostgreSQL cluster (initdb / pg_ctl on a
free port), so it can stop the database under a real worker without touching
the suite's database. The report must end Failed with a readable reason, or
Complete once the database is back: never stay Running.

It needs the PostgreSQL server binaries (initdb, pg_ctl) and uses the
configured broker; it does not use pytest-django's test database at all.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.conf import settings

from loopmonitor.celery import app as celery_app
from reports.conftest import WorkerProcess
from reports.tests.pg_cluster import app_env as _app_env
from reports.tests.pg_cluster import cluster_root, clusters_remove, free_port, primary_init
from reports.tests.pg_cluster import manage as _manage

pytestmark = [pytest.mark.queue, pytest.mark.slow]

OUTAGE_SECONDS = 5  # longer than the shards' fault delay: every shard meets a dead database
SHARD_DELAY_SECONDS = 3


@pytest.fixture(scope="module")
def throwaway_postgres():
    """A PostgreSQL cluster of its own, migrated and loaded with data/; removed afterwards."""
    root = cluster_root("lm-outage-")
    pg = None
    try:
        pg = primary_init(root, port=free_port(), dbname="lm_outage")
        _manage(pg.url, "migrate", "--noinput")
        _manage(pg.url, "load_data", "--dir", "data")
        yield pg
    finally:
        clusters_remove(root, *([pg] if pg else []))


def _report_row(url: str, report_id: str) -> dict:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(
        url.replace("postgres://", "postgresql://", 1), row_factory=dict_row, connect_timeout=5
    ) as conn:
        row = conn.execute(
            "SELECT status, error, as_of, file, shards_done, shards_total FROM reports_report WHERE id = %s",
            [report_id],
        ).fetchone()
    assert row is not None, f"report {report_id} is not in the database"
    return row


def test_a_report_survives_the_database_going_away_mid_report(throwaway_postgres, tmp_path):
    pg = throwaway_postgres
    celery_app.control.purge()  # no stale messages from earlier tests on this broker
    # a real worker (with beat) on the throwaway database, not the test database
    worker = WorkerProcess(
        tmp_path,
        name="outage",
        concurrency=2,
        beat=True,
        shard_delay=SHARD_DELAY_SECONDS,
        env=_app_env(pg.url, REPORT_STALL_SECONDS="3", REPORT_REAP_EVERY_SECONDS="1", CELERY_VISIBILITY_TIMEOUT="30"),
    )
    try:
        # given a report whose shards are in a worker's hands
        report_id = (
            _manage(pg.url, "shell", "-c", "from reports.services import report_create; print(report_create().id)")
            .strip()
            .splitlines()[-1]
        )
        deadline = time.monotonic() + 30
        while not re.search(r"Task reports\.tasks\.report_shard_task\[[\w-]+\] received", worker.output()):
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.05)
        assert _report_row(pg.url, report_id)["status"] == "Running"

        # when the database goes away (no clean shutdown) and comes back a while later
        t_down = time.monotonic()
        pg.stop()
        time.sleep(OUTAGE_SECONDS)
        pg.start()
        t_up = time.monotonic()

        # then the report ends, Failed with a readable reason or Complete
        deadline = t_up + 90
        while (row := _report_row(pg.url, report_id))["status"] in ("Pending", "Running"):
            assert time.monotonic() < deadline, f"the report stayed {row['status']}:\n{worker.output()[-6000:]}"
            time.sleep(0.2)
        t_end = time.monotonic()
        print(
            f"\nreport {row['status']} {t_end - t_up:.1f} s after the database came back "
            f"(down {t_up - t_down:.1f} s); error={row['error']!r}"
        )
    finally:
        worker.stop()

    # (a shard that met the dead database either failed or was retried: either way it says so)
    assert re.search(
        r"report_shard_task\[[\w-]+\] (?:raised unexpected|retry): .*(?:OperationalError|InterfaceError)",
        worker.output(),
    ), "no shard met the dead database: the test proved nothing"
    if row["status"] == "Failed":
        assert re.search(r"database|connection|server", row["error"], re.I), row["error"]
    else:
        assert row["status"] == "Complete", row
        assert row["shards_done"] == row["shards_total"]
        expected = _manage(pg.url, "report", "--as-of", row["as_of"].isoformat())
        assert (Path(settings.MEDIA_ROOT) / row["file"]).read_text(encoding="utf-8") == expected
