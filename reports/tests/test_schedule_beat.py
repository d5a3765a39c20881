"""Report schedules with real parts: a real worker process with Celery beat (its DatabaseScheduler,
loopmonitor/beat.py) on the configured broker (Redis in CI) and PostgreSQL; a brand's schedule
fires and the brand's report ends Complete.

Beat's log says what it sent ("Scheduler: Sending due task <entry>"); the stalled-report sweeper,
an entry run every second here, is the witness that beat went on looking after a run.
"""

import datetime as dt
import time
import zoneinfo

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from reports import schedule_services
from reports.models import Report, ReportSchedule

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]

BEAT_ENV = {"REPORT_REAP_EVERY_SECONDS": "1"}
SWEEP_SENT = "Sending due task reap-stale-reports"


def sent_line(schedule: ReportSchedule) -> str:
    return f"Sending due task {schedule.beat_name}"


def wait_for_complete_report(schedule: ReportSchedule, worker, *, timeout: float) -> Report:
    deadline = time.monotonic() + timeout
    while True:
        schedule.refresh_from_db()
        report = schedule.last_report
        if report is not None and report.status in (Report.Status.COMPLETE, Report.Status.FAILED):
            return report
        assert time.monotonic() < deadline, f"the schedule's report never finished:\n{worker.output()[-4000:]}"
        time.sleep(0.2)


def wait_for_sweeps_after(text: str, worker, *, count: int, timeout: float = 60) -> None:
    """Until beat's log shows `count` sweeps sent after `text`: beat has looked at its schedule again."""
    deadline = time.monotonic() + timeout
    while worker.output().split(text, 1)[-1].count(SWEEP_SENT) < count:
        assert time.monotonic() < deadline, f"beat sent no further sweeps:\n{worker.output()[-4000:]}"
        time.sleep(0.2)


def test_a_run_missed_for_three_days_runs_once_when_beat_returns(two_brands, start_worker):
    # given acme's daily schedule at an hour twelve hours from now (django-celery-beat's own
    # scheduler would not even load it now), whose last run was three days ago: beat was down
    # for three of its slots
    hour = (timezone.now().hour + 12) % 24
    schedule = schedule_services.schedule_create(
        brand_id=two_brands["acme"].pk, name="daily", cron_line=f"0 {hour} * * *", timezone_name="UTC"
    )
    task = PeriodicTask.objects.get(report_schedule=schedule)
    task.last_run_at = timezone.now() - dt.timedelta(days=3)
    task.save()

    # when beat returns (a worker with its embedded beat)
    worker = start_worker("beat", beat=True, env=BEAT_ENV)

    # then the schedule runs at once, and acme's report ends Complete
    report = wait_for_complete_report(schedule, worker, timeout=90)
    assert report.status == Report.Status.COMPLETE, report.error
    assert report.brand == two_brands["acme"] and report.store_ids is None
    # and after beat has looked at its schedule again and again, it ran once, not once per missed slot
    wait_for_sweeps_after(sent_line(schedule), worker, count=3)
    assert worker.output().count(sent_line(schedule)) == 1
    assert Report.objects.count() == 1
    task.refresh_from_db()
    assert task.total_run_count == 1
    assert task.last_run_at > timezone.now() - dt.timedelta(minutes=5)  # beat recorded the run


@pytest.mark.slow
def test_a_schedule_fires_at_its_local_time(two_brands, start_worker):
    # given globex's schedule for the next minute but one, written in Asia/Kolkata's local time
    # (UTC+05:30): the half-hour offset is beat's to apply, not ours
    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")
    slot = (timezone.now() + dt.timedelta(minutes=2)).astimezone(kolkata).replace(second=0, microsecond=0)
    schedule = schedule_services.schedule_create(
        brand_id=two_brands["globex"].pk,
        name="soon",
        cron_line=f"{slot.minute} {slot.hour} * * *",
        timezone_name="Asia/Kolkata",
    )

    # when beat runs
    worker = start_worker("beat", beat=True, env=BEAT_ENV)

    # then it fires at that minute, not before, and globex's report ends Complete
    report = wait_for_complete_report(schedule, worker, timeout=240)
    assert report.status == Report.Status.COMPLETE, report.error
    assert report.brand == two_brands["globex"]
    assert report.created_at >= slot
    assert worker.output().count(sent_line(schedule)) == 1
