"""Report retention (reports/retention.py): a report finished more than REPORTS_RETENTION_DAYS ago
goes with its shards and its CSV file; one in flight never does; no file is left without its row
and no row without its file. On PostgreSQL with real report files in the test's MEDIA_ROOT.

Through a real worker and beat: test_retention_beat.py.
"""

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from loopmonitor.tests.test_commands_cli import assert_one_line_bad_input, manage
from reports import retention, services
from reports.models import Report, ReportShard

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def finished_report(example_fleet, eager_tasks, django_capture_on_commit_callbacks):
    """A real report computed (its shards, its CSV file in MEDIA_ROOT), then aged: it finished
    `days_ago` days ago (created a minute before that)."""
    hour = iter(range(17, 0, -1))

    def make(days_ago: float) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.report_create(as_of=example_fleet.replace(hour=next(hour)))
        report.refresh_from_db()
        assert report.status == Report.Status.COMPLETE and Path(report.file.path).is_file()
        finished = timezone.now() - dt.timedelta(days=days_ago)
        Report.objects.filter(pk=report.pk).update(
            created_at=finished - dt.timedelta(minutes=1), started_at=finished, finished_at=finished
        )
        return Report.objects.get(pk=report.pk)

    return make


def aged(path: Path, days: float) -> Path:
    """`path` last written `days` ago."""
    then = (timezone.now() - dt.timedelta(days=days)).timestamp()
    os.utime(path, (then, then))
    return path


def media_file(name: str, *, days: float, text: str = "store_id\n") -> Path:
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return aged(path, days)


def run(django_capture_on_commit_callbacks, **kwargs) -> retention.RetentionResult:
    """One retention run whose commits' callbacks (the file deletions) run, as they would outside a test."""
    with django_capture_on_commit_callbacks(execute=True):
        return retention.reports_retention(days=kwargs.pop("days", 30), **kwargs)


def test_a_report_past_retention_goes_with_its_shards_and_file_and_a_younger_one_stays(
    finished_report, api, django_capture_on_commit_callbacks
):
    # given a report finished 31 days ago and one finished 29 days ago, each with its file and shards
    old = finished_report(days_ago=31)
    young = finished_report(days_ago=29)
    old_file, young_file = Path(old.file.path), Path(young.file.path)
    old_size = old_file.stat().st_size

    # when retention keeps 30 days
    result = run(django_capture_on_commit_callbacks)

    # then the old one is gone whole, the young one is untouched
    assert (result.reports, result.shards, result.files, result.orphan_files) == (1, 2, 1, 0)
    assert result.bytes == old_size
    assert not Report.objects.filter(pk=old.pk).exists()
    assert not ReportShard.objects.filter(report_id=old.pk).exists()
    assert not old_file.exists()
    assert young_file.is_file() and ReportShard.objects.filter(report_id=young.pk).count() == 2
    # and the API says the old id is no report; the young one still downloads
    assert api.get(f"/get_report?report_id={old.pk}").status_code == 404
    assert api.get(f"/get_report?report_id={young.pk}").status_code == 200


def test_older_means_finished_before_now_minus_the_days_by_the_wall_clock(finished_report):
    report = finished_report(days_ago=10)

    just_kept = retention.reports_retention(days=10, now=report.finished_at + 10 * DAY, dry_run=True)
    just_gone = retention.reports_retention(
        days=10, now=report.finished_at + 10 * DAY + dt.timedelta(microseconds=1), dry_run=True
    )

    assert (just_kept.reports, just_gone.reports) == (0, 1)
    assert just_gone.cutoff == report.finished_at + dt.timedelta(microseconds=1)


def test_a_report_in_flight_is_never_deleted_however_old(example_fleet, django_capture_on_commit_callbacks):
    # given a Pending and a Running report created a year ago (and a Failed one that finished then)
    long_ago = timezone.now() - 365 * DAY
    pending = Report.objects.create(as_of=example_fleet)
    running = Report.objects.create(as_of=example_fleet.replace(hour=16), status=Report.Status.RUNNING)
    failed = Report.objects.create(as_of=example_fleet.replace(hour=15), status=Report.Status.FAILED, error="x")
    Report.objects.filter(pk__in=[pending.pk, running.pk]).update(created_at=long_ago, started_at=long_ago)
    Report.objects.filter(pk=failed.pk).update(created_at=long_ago, finished_at=long_ago)

    result = run(django_capture_on_commit_callbacks, days=1)

    assert result.reports == 1 and result.files == 0  # a failed report has no file
    assert set(Report.objects.values_list("pk", flat=True)) == {pending.pk, running.pk}


def test_a_finished_report_without_a_recorded_finish_is_aged_by_its_creation(example_fleet):
    report = Report.objects.create(as_of=example_fleet, status=Report.Status.FAILED, error="x")
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - 40 * DAY, finished_at=None)

    assert retention.reports_retention(days=30).reports == 1
    assert not Report.objects.exists()


def test_a_dry_run_counts_what_a_run_deletes_and_deletes_nothing(finished_report, django_capture_on_commit_callbacks):
    # given two expired reports, one young, and an orphaned old file
    expired = [finished_report(days_ago=40), finished_report(days_ago=31)]
    finished_report(days_ago=1)
    orphan = media_file(f"reports/2020/01/01/{uuid.uuid4()}.csv", days=400)
    files = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())

    dry = run(django_capture_on_commit_callbacks, dry_run=True)

    assert (dry.dry_run, dry.reports, dry.shards, dry.files, dry.orphan_files) == (True, 2, 4, 2, 1)
    assert Report.objects.count() == 3 and ReportShard.objects.count() == 6
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files
    assert dry.summary().startswith("would delete 2 report(s) finished before ")

    done = run(django_capture_on_commit_callbacks)

    assert (done.reports, done.shards, done.files, done.orphan_files, done.bytes) == (
        dry.reports,
        dry.shards,
        dry.files,
        dry.orphan_files,
        dry.bytes,
    )
    assert not any(Path(r.file.path).exists() for r in expired) and not orphan.exists()
    assert done.summary().startswith("deleted 2 report(s)")


def test_old_files_no_report_names_are_deleted_young_ones_and_named_ones_stay(
    finished_report, django_capture_on_commit_callbacks
):
    # given a young report whose file was last written long ago (it stays: a row names it), an old
    # orphaned CSV, an old temporary file of a finalisation killed mid-write, a young orphan (a
    # file being written right now), and a file beside the reports' folder
    named = finished_report(days_ago=1)
    aged(Path(named.file.path), days=100)
    old_orphan = media_file(f"reports/2021/03/04/{uuid.uuid4()}.csv", days=60)
    old_temp = media_file("reports/2021/03/05/.k3j2h1.csv.tmp", days=60)
    young_orphan = media_file(f"reports/{timezone.now():%Y/%m/%d}/.x9y8.csv.tmp", days=0)
    elsewhere = media_file("other/keep.txt", days=400)

    result = run(django_capture_on_commit_callbacks)

    assert (result.reports, result.orphan_files) == (0, 2)
    assert not old_orphan.exists() and not old_temp.exists()
    assert not (Path(settings.MEDIA_ROOT) / "reports/2021").exists()  # their emptied folders too
    assert Path(named.file.path).is_file() and young_orphan.is_file() and elsewhere.is_file()


def test_a_file_left_by_a_run_that_died_after_its_commit_is_deleted_by_the_next(
    finished_report, django_capture_on_commit_callbacks
):
    # given an expired report whose row (and shards) were deleted and committed, but whose file
    # was not: the process died before the commit's callback (a row deleted without the model)
    report = finished_report(days_ago=45)
    path = Path(report.file.path)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_reportshard WHERE report_id = %s", [report.pk])
        cursor.execute("DELETE FROM reports_report WHERE id = %s", [report.pk])
    aged(path, days=45)  # written when the report finished
    assert path.is_file()

    result = run(django_capture_on_commit_callbacks)

    assert (result.reports, result.orphan_files) == (0, 1)
    assert not path.exists()


def test_a_delete_rolled_back_keeps_the_file(finished_report, django_capture_on_commit_callbacks):
    report = finished_report(days_ago=45)
    path = Path(report.file.path)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            Report.objects.filter(pk=report.pk).delete()
            raise RuntimeError("the transaction fails after the delete")

    assert Report.objects.filter(pk=report.pk).exists() and path.is_file()


def test_many_reports_are_deleted_in_batches(example_fleet, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(retention, "BATCH", 3)
    long_ago = timezone.now() - 90 * DAY
    Report.objects.bulk_create(
        Report(as_of=example_fleet - i * DAY, status=Report.Status.FAILED, error="x") for i in range(7)
    )
    Report.objects.update(created_at=long_ago, finished_at=long_ago)

    assert run(django_capture_on_commit_callbacks).reports == 7
    assert not Report.objects.exists()


def test_days_must_be_one_or_more():
    with pytest.raises(ValueError, match="days must be 1 or more, not 0"):
        retention.reports_retention(days=0)


# --- manage.py reports_retention ----------------------------------------------------------------


def test_the_command_says_in_one_line_what_it_deleted(finished_report, capsys, django_capture_on_commit_callbacks):
    report = finished_report(days_ago=8)

    call_command("reports_retention", "--dry-run", "--days", "7")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reports_retention", "--days", "9")
    assert Report.objects.filter(pk=report.pk).exists()  # 8 days old, 9 kept
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reports_retention", "--days", "7")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("would delete 1 report(s) finished before ")
    assert lines[1].startswith("deleted 0 report(s)")
    assert lines[2].startswith("deleted 1 report(s)") and "(2 shard(s), 1 file(s))" in lines[2]
    assert not Report.objects.filter(pk=report.pk).exists() and not Path(report.file.path).exists()


def test_the_command_keeps_the_settings_days_by_default(finished_report, settings, django_capture_on_commit_callbacks):
    settings.REPORTS_RETENTION_DAYS = 60
    report = finished_report(days_ago=45)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("reports_retention")

    assert Report.objects.filter(pk=report.pk).exists()


@pytest.mark.parametrize("days", ["0", "-3", "1.5", "abc", "", "٣"])
def test_bad_days_are_one_line_and_exit_2(days, tmp_path):
    done = manage("reports_retention", "--days", days, "--dry-run", tmp_path=tmp_path)

    assert_one_line_bad_input(done, says=f"--days {days!r}: a whole number of days, 1 or more")


def test_a_bad_retention_setting_is_refused_at_start(tmp_path):
    done = manage("reports_retention", "--dry-run", tmp_path=tmp_path, env={"REPORTS_RETENTION_DAYS": "0"})

    assert done.returncode != 0
    assert "REPORTS_RETENTION_DAYS must be a whole number of days, 1 or more, not 0" in done.stderr


def test_beat_runs_retention_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["reports-retention"]

    assert entry == {"task": "reports.tasks.reports_retention_task", "schedule": 3600.0}


def test_what_a_run_deleted_is_counted_in_metrics(
    finished_report, client, settings, django_capture_on_commit_callbacks
):
    from loopmonitor.observability.tests.conftest import parse

    settings.METRICS_TOKEN = "retention-token"

    def scrape():
        return parse(client.get("/metrics", HTTP_AUTHORIZATION="Bearer retention-token").content.decode())

    finished_report(days_ago=31)
    media_file(f"reports/2021/03/04/{uuid.uuid4()}.csv", days=60)
    before = scrape()

    run(django_capture_on_commit_callbacks, dry_run=True)  # counts nothing
    run(django_capture_on_commit_callbacks)

    after = scrape()
    for what in ("report", "orphan_file"):
        key = ("loopmonitor_reports_deleted_total", {"what": what})
        assert after[key] == before[key] + 1, what
