"""reports/replica.py without a replica configured, on the suite's PostgreSQL: a report records
the primary's WAL position at planning and its shards read the primary. The choice with a replica
(caught up, lagging, down) runs on a real hot standby in test_replica.py."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from reports import replica, services
from reports.models import Report

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="WAL positions are PostgreSQL's")


def test_read_from_of_names_what_the_shards_read():
    assert replica.read_from_of(["replica", "replica"]) == "replica"
    assert replica.read_from_of(["primary"]) == "primary"
    assert replica.read_from_of(["primary", "replica", "primary"]) == "replica and primary"
    assert replica.read_from_of(["", ""]) == ""


@pytest.mark.django_db
def test_without_a_replica_every_shard_reads_the_primary(example_fleet, eager_tasks):
    report = services.report_create(as_of=example_fleet)
    report.refresh_from_db()
    assert report.status == Report.Status.COMPLETE
    assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", report.wal_lsn), report.wal_lsn
    assert report.read_from == "primary"
    assert set(report.shards.values_list("read_from", flat=True)) == {"primary"}


def test_without_a_replica_no_wait_and_the_primary():
    assert not replica.configured()
    assert replica.read_alias("FFFFFFFF/0") == ("default", replica.PRIMARY)
