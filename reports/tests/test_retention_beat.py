"""Report retention through real parts: a real worker process with its embedded Celery beat (the
project's schedule, loopmonitor/beat.py) on the configured broker and PostgreSQL deletes an
expired report, its shards and its file, and leaves a young one alone (test_retention.py has the
rules)."""

import datetime as dt
import time
from pathlib import Path

import pytest
from django.utils import timezone

from reports import services
from reports.models import Report, ReportShard

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]

SENT = "Sending due task reports-retention"


def test_beat_deletes_an_expired_report_with_its_shards_and_file(example_fleet, eager_tasks, start_worker):
    # given two real reports (computed here), one finished 31 days ago and one a day ago
    reports = [services.report_create(as_of=example_fleet.replace(hour=h)) for h in (17, 16)]
    old, young = (Report.objects.get(pk=r.pk) for r in reports)
    assert old.status == young.status == Report.Status.COMPLETE
    for report, days in ((old, 31), (young, 1)):
        finished = timezone.now() - dt.timedelta(days=days)
        Report.objects.filter(pk=report.pk).update(created_at=finished, started_at=finished, finished_at=finished)
    old_file, young_file = Path(old.file.path), Path(young.file.path)

    # when beat runs the retention every second
    worker = start_worker("retention", beat=True, env={"REPORTS_RETENTION_EVERY_SECONDS": "1"})
    deadline = time.monotonic() + 60
    while Report.objects.filter(pk=old.pk).exists():
        assert time.monotonic() < deadline, f"the expired report was never deleted:\n{worker.output()[-4000:]}"
        time.sleep(0.2)
    worker.wait_for(SENT, timeout=10)

    # then the expired report went whole, the young one stays whole
    assert not ReportShard.objects.filter(report_id=old.pk).exists()
    deadline = time.monotonic() + 10
    while old_file.exists():  # deleted once the worker's transaction committed
        assert time.monotonic() < deadline, "the expired report's file stayed"
        time.sleep(0.1)
    assert young_file.is_file() and ReportShard.objects.filter(report_id=young.pk).count() == 2
    assert "reports retention: deleted 1 report(s)" in worker.output()
