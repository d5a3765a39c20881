"""Issue 5: shards agree with one shard, and a report survives a worker killed mid-shard."""

import datetime as dt
import io
import re
import time

import pytest
from django.core.management import call_command

from reports import services
from reports.models import Report, ReportShard

UTC = dt.UTC


@pytest.fixture
def sample_data(db):
    """The committed data/ sample: ~300 stores in the real shapes."""
    call_command("load_data", "--dir", "data", stdout=io.StringIO(), stderr=io.StringIO())


def _report_csv(settings, shard_stores: int, min_shards: int = 1) -> str:
    settings.REPORT_SHARD_STORES = shard_stores
    settings.REPORT_MIN_SHARDS = min_shards
    out = io.StringIO()
    services.report_write_csv(as_of=None, out=out)
    return out.getvalue()


@pytest.mark.django_db
def test_sharded_and_single_shard_reports_are_identical(sample_data, settings):
    single = _report_csv(settings, shard_stores=1_000_000)
    sharded = _report_csv(settings, shard_stores=7)
    uneven = _report_csv(settings, shard_stores=1_000, min_shards=5)

    assert len(single.splitlines()) > 250
    assert sharded == single
    assert uneven == single


@pytest.mark.django_db
def test_a_report_as_of_the_past_ignores_polls_that_arrive_later(sample_data, settings):
    as_of = dt.datetime(2023, 1, 22, 12, tzinfo=UTC)
    before = io.StringIO()
    services.report_write_csv(as_of=as_of, out=before)

    # when newer polls (and polls of a brand-new store) arrive after T
    from reports.conftest import make_store
    from stores.models import Poll, Store

    store = Store.objects.exclude(polls=None).first()
    assert store is not None  # the sample has polls
    Poll.objects.create(store=store, observed_at_utc=as_of + dt.timedelta(minutes=1), active=False)
    make_store("new-after-T", polls=[(as_of + dt.timedelta(hours=1), True)])
    after = io.StringIO()
    services.report_write_csv(as_of=as_of, out=after)

    # then the report as of T is unchanged (rule 2)
    assert after.getvalue() == before.getvalue()


@pytest.mark.django_db
def test_a_stalled_report_is_failed_after_its_shards_used_up_their_attempts():
    report = Report.objects.create(
        as_of=dt.datetime(2023, 1, 1, tzinfo=UTC),
        status=Report.Status.RUNNING,
        shards_total=1,
        started_at=dt.datetime(2023, 1, 1, tzinfo=UTC),
    )
    ReportShard.objects.create(report=report, number=0, store_pk_first=1, store_pk_last=2, attempts=3)
    ReportShard.objects.filter(report=report).update(updated_at=dt.datetime(2023, 1, 1, tzinfo=UTC))

    done = services.reports_reap_stale(stall_seconds=60, max_attempts=3)

    report.refresh_from_db()
    assert done["failed"] == 1
    assert report.status == Report.Status.FAILED
    assert "Shard 0 did not finish after 3 attempts" in report.error


@pytest.mark.queue
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_shard_leaves_the_report_to_another_worker(start_worker, sample_data, settings):
    # given a worker that takes its time over every shard
    slow = start_worker("slow", shard_delay=30)
    report = services.report_create()

    # when it is SIGKILLed while a shard is in its hands
    deadline = time.monotonic() + 30
    while not re.search(r"Task reports\.tasks\.report_shard_task\[[\w-]+\] received", slow.output()):
        assert time.monotonic() < deadline, slow.output()
        time.sleep(0.1)
    slow.kill()
    assert Report.objects.get(pk=report.pk).status == Report.Status.RUNNING, slow.output()

    # then another worker (with beat, which sweeps for stalled reports) completes it
    rescuer = start_worker(
        "rescuer",
        beat=True,
        env={"REPORT_STALL_SECONDS": "2", "REPORT_REAP_EVERY_SECONDS": "1", "CELERY_VISIBILITY_TIMEOUT": "5"},
    )
    deadline = time.monotonic() + 60
    while (status := Report.objects.get(pk=report.pk).status) == Report.Status.RUNNING:
        assert time.monotonic() < deadline, f"the report stayed Running:\n{rescuer.output()[-4000:]}"
        time.sleep(0.2)
    report.refresh_from_db()
    shards = list(report.shards.values_list("number", "done", "attempts"))
    assert status == Report.Status.COMPLETE, f"{report.error}; shards {shards}\n{rescuer.output()[-4000:]}"
    expected = io.StringIO()
    services.report_write_csv(as_of=report.as_of, out=expected)
    assert report.file.open("rb").read().decode() == expected.getvalue()


@pytest.mark.queue
@pytest.mark.django_db(transaction=True)
def test_beat_marks_a_report_stuck_running_without_progress_failed(start_worker):
    # given a report Running for long with no progress, its shard's attempts used up (its task was lost)
    long_ago = dt.datetime(2023, 1, 1, tzinfo=UTC)
    report = Report.objects.create(as_of=long_ago, status=Report.Status.RUNNING, shards_total=1, started_at=long_ago)
    ReportShard.objects.create(report=report, number=0, store_pk_first=1, store_pk_last=2, attempts=3)
    ReportShard.objects.filter(report=report).update(updated_at=long_ago)

    # when a worker with Celery beat runs the periodic sweep
    start_worker("beat", beat=True, env={"REPORT_STALL_SECONDS": "2", "REPORT_REAP_EVERY_SECONDS": "1"})

    # then the report ends Failed with a reason, not Running forever
    deadline = time.monotonic() + 30
    while Report.objects.get(pk=report.pk).status == Report.Status.RUNNING:
        assert time.monotonic() < deadline, "beat never marked the stalled report Failed"
        time.sleep(0.2)
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "did not finish after 3 attempts" in report.error
