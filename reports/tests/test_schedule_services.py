"""Report schedules below the API: the beat entry follows the row, a run triggers and records the
brand's report once, beat runs a missed slot once, and `report_finished` goes out once per report.

On PostgreSQL, with the reports computed for real (eager tasks: the workers' services in this
process); the beat entries are django-celery-beat's own rows, read by its own ModelEntry.
"""

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from brands.models import AuditEvent, Brand
from brands.services import brand_get_or_create
from loopmonitor.beat import DatabaseScheduler
from loopmonitor.celery import app as celery_app
from reports import schedule_services, services, signals
from reports.conftest import LATEST_POLL
from reports.models import Report, ReportSchedule

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def make_schedule(brand: Brand, cron_line: str = "0 6 * * *", timezone_name: str = "Asia/Kolkata", **kw):
    return schedule_services.schedule_create(
        brand_id=brand.pk, name=kw.pop("name", "morning"), cron_line=cron_line, timezone_name=timezone_name, **kw
    )


@pytest.fixture
def finished():
    """The reports `report_finished` was sent with, in order, as (id, status). Its tests commit
    for real (`transaction=True`): the signal goes out on commit."""
    seen: list[tuple[str, str]] = []

    def receiver(sender, report, **kwargs):
        seen.append((str(report.id), report.status))

    signals.report_finished.connect(receiver)
    yield seen
    signals.report_finished.disconnect(receiver)


ON_COMMIT = pytest.mark.django_db(transaction=True)


# --- The beat entry follows the row ---------------------------------------------------------


def test_a_new_schedule_has_its_beat_entry_in_its_timezone(two_brands):
    # when acme gets a daily 06:00 schedule in Kolkata
    schedule = make_schedule(two_brands["acme"], created_by="key acme admin")

    # then beat has an enabled crontab entry for 06:00 Kolkata running the schedule's task
    task = PeriodicTask.objects.select_related("crontab").get(pk=schedule.periodic_task_id)
    assert task.name == f"report schedule {schedule.id}"
    assert task.task == "reports.tasks.scheduled_report_task"
    assert json.loads(task.kwargs) == {"schedule_id": str(schedule.id)}
    assert task.enabled and task.last_run_at is not None
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week) == (
        "0",
        "6",
        "*",
        "*",
        "*",
    )
    assert str(crontab.timezone) == "Asia/Kolkata"
    assert schedule.created_by == "key acme admin"
    # and it is the same schedule beat evaluates: 06:00 Kolkata is 00:30 UTC
    due, _ = task.schedule.is_due(dt.datetime(2026, 3, 1, 0, 29, tzinfo=UTC))
    assert due


def test_a_change_moves_the_beat_entry_and_counts_from_now(two_brands):
    schedule = make_schedule(two_brands["acme"])
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=timezone.now() - dt.timedelta(days=3))

    # when the times and the zone change
    change = schedule_services.schedule_update(
        schedule=schedule, changes={"cron": "30 7 * * mon", "timezone": "Europe/Berlin", "name": "weekly"}
    )

    # then the same entry says the new times, in the new zone, and last ran "now" (no catching up)
    task.refresh_from_db()
    crontab = task.crontab
    assert crontab is not None and task.last_run_at is not None
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "7", "mon")
    assert str(crontab.timezone) == "Europe/Berlin"
    assert task.last_run_at > timezone.now() - dt.timedelta(minutes=1)
    assert task.description == "acme: weekly"
    assert change.before == {"name": "morning", "cron": "0 6 * * *", "timezone": "Asia/Kolkata"}
    assert change.after == {"name": "weekly", "cron": "30 7 * * mon", "timezone": "Europe/Berlin"}
    assert CrontabSchedule.objects.count() == 1


def test_a_change_of_name_only_keeps_the_count_of_missed_runs(two_brands):
    schedule = make_schedule(two_brands["acme"])
    long_ago = timezone.now() - dt.timedelta(days=3)
    PeriodicTask.objects.filter(pk=schedule.periodic_task_id).update(last_run_at=long_ago)

    schedule_services.schedule_update(schedule=schedule, changes={"name": "renamed"})

    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).last_run_at == long_ago


def test_disabling_and_enabling_a_schedule(two_brands):
    schedule = make_schedule(two_brands["acme"])

    schedule_services.schedule_update(schedule=schedule, changes={"enabled": False})
    off = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    schedule_services.schedule_update(schedule=schedule, changes={"enabled": True})
    on = PeriodicTask.objects.get(pk=schedule.periodic_task_id)

    assert not off.enabled and on.enabled
    # enabled again, beat counts from the change (no run for the time it was off)
    counted_from = ModelEntry(on, app=celery_app).last_run_at
    assert counted_from is not None and counted_from >= off.date_changed


def test_deleting_a_schedule_or_its_brand_deletes_its_beat_entry(two_brands):
    initech = brand_get_or_create(slug="initech")  # a brand without stores may be deleted
    gone = make_schedule(initech)
    kept = make_schedule(two_brands["globex"])
    cascaded = make_schedule(initech, name="second")

    schedule_services.schedule_delete(schedule=gone)
    assert set(PeriodicTask.objects.values_list("pk", flat=True)) == {kept.periodic_task_id, cascaded.periodic_task_id}

    initech.delete()
    assert list(PeriodicTask.objects.values_list("pk", flat=True)) == [kept.periodic_task_id]
    assert list(CrontabSchedule.objects.values_list("pk", flat=True)) == [kept.periodic_task.crontab_id]


def test_a_schedules_beat_entry_cannot_be_deleted_on_its_own(two_brands):
    from django.db.models import ProtectedError

    schedule = make_schedule(two_brands["acme"])

    with pytest.raises(ProtectedError):
        PeriodicTask.objects.get(pk=schedule.periodic_task_id).delete()


def test_a_brand_has_at_most_the_limit_of_schedules(two_brands, settings):
    settings.REPORT_SCHEDULES_PER_BRAND_MAX = 2
    make_schedule(two_brands["acme"], name="one")
    make_schedule(two_brands["acme"], name="two")

    with pytest.raises(schedule_services.ScheduleRefused, match="2 schedules already"):
        make_schedule(two_brands["acme"], name="three")
    make_schedule(two_brands["globex"], name="theirs")  # another brand's count is its own

    assert ReportSchedule.objects.filter(brand=two_brands["acme"]).count() == 2
    assert PeriodicTask.objects.count() == 3


def test_a_bad_line_or_zone_is_refused_by_the_service_too(two_brands):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as bad_cron:
        make_schedule(two_brands["acme"], cron_line="0 25 * * *")
    with pytest.raises(ValidationError) as bad_zone:
        make_schedule(two_brands["acme"], timezone_name="Mars/Olympus")

    assert set(bad_cron.value.message_dict) == {"cron"}
    assert set(bad_zone.value.message_dict) == {"timezone"}
    assert not PeriodicTask.objects.exists() and not CrontabSchedule.objects.exists()


# --- Missed runs: once, not once per missed slot ------------------------------------------------


def test_beat_runs_a_schedule_missed_for_days_once(two_brands):
    # given a daily schedule whose entry last ran three days ago (beat was down since)
    schedule = make_schedule(two_brands["acme"], cron_line="0 6 * * *", timezone_name="UTC")
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    task.last_run_at = timezone.now() - dt.timedelta(days=3)
    task.save()

    # when beat reads it (its own entry class) and runs it as it does (`next(entry)`)
    entry = ModelEntry(PeriodicTask.objects.get(pk=task.pk), app=celery_app)
    first_due, _ = entry.is_due()
    after_run = next(entry)
    again_due, wait_seconds = after_run.is_due()

    # then it is due once; after that run its next is the next 06:00, up to a day away
    assert first_due
    assert not again_due
    assert 0 < wait_seconds <= 24 * 3600
    nxt = timezone.now() + dt.timedelta(seconds=wait_seconds)
    assert (nxt.hour, nxt.minute) in {(6, 0), (5, 59)}  # beat's wait ends at the slot


def test_our_scheduler_loads_a_crontab_entry_whatever_its_hour(two_brands):
    """django-celery-beat's own scheduler loads crontab entries within two hours of the server's
    clock only (loopmonitor/beat.py); ours loads all, so a missed run is due when beat returns."""
    hour = (timezone.now().hour + 12) % 24
    schedule = make_schedule(two_brands["acme"], cron_line=f"0 {hour} * * *", timezone_name="UTC")

    scheduler = DatabaseScheduler(app=celery_app, lazy=True)

    assert schedule.beat_name in {model.name for model in scheduler.enabled_models()}


# --- A run triggers the brand's report, once per beat message --------------------------------


def test_a_run_triggers_the_brands_report_and_records_it(two_brands, eager_tasks):
    schedule = make_schedule(two_brands["acme"])

    report = schedule_services.schedule_run(schedule_id=str(schedule.id), run_id="message-1")

    assert report is not None
    report.refresh_from_db()
    assert (report.brand, report.status, report.store_ids) == (two_brands["acme"], Report.Status.COMPLETE, None)
    assert report.as_of == LATEST_POLL["acme"]  # rule 2, per brand: as POST /trigger_report with `brand`
    schedule.refresh_from_db()
    assert schedule.last_report == report and schedule.last_run_id == "message-1"
    assert schedule.last_run_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.REPORT_TRIGGERED)
    assert event.brand == two_brands["acme"]
    assert event.actor == f"schedule 'morning' ({schedule.id})"
    assert event.target == f"report {report.id}"


def test_a_message_delivered_twice_runs_once_and_the_next_message_runs_again(two_brands, eager_tasks):
    schedule = make_schedule(two_brands["acme"])

    first = schedule_services.schedule_run(schedule_id=str(schedule.id), run_id="message-1")
    again = schedule_services.schedule_run(schedule_id=str(schedule.id), run_id="message-1")
    tomorrow = schedule_services.schedule_run(schedule_id=str(schedule.id), run_id="message-2")

    assert first is not None and tomorrow is not None
    assert again == first
    assert tomorrow != first
    assert Report.objects.count() == 2


def test_a_schedule_deleted_or_disabled_after_beat_sent_its_run_runs_nothing(two_brands, eager_tasks):
    disabled = make_schedule(two_brands["acme"], enabled=False)
    deleted = make_schedule(two_brands["acme"], name="deleted")
    deleted_id = str(deleted.id)
    schedule_services.schedule_delete(schedule=deleted)

    assert schedule_services.schedule_run(schedule_id=str(disabled.id), run_id="m") is None
    assert schedule_services.schedule_run(schedule_id=deleted_id, run_id="m") is None
    assert not Report.objects.exists()


def test_the_task_runs_the_schedule(two_brands, eager_tasks):
    from reports.tasks import scheduled_report_task

    schedule = make_schedule(two_brands["globex"])

    scheduled_report_task.apply(kwargs={"schedule_id": str(schedule.id)})

    schedule.refresh_from_db()
    assert schedule.last_report is not None and schedule.last_report.brand == two_brands["globex"]
    assert schedule.last_run_id  # the message's id


# --- report_finished ---------------------------------------------------------------------------


@ON_COMMIT
def test_report_finished_is_sent_once_when_a_report_completes(two_brands, eager_tasks, finished):
    report = services.report_create(brand_id=two_brands["acme"].pk)

    services.report_finalize(report_id=report.id)  # a second finalisation changes nothing

    assert finished == [(str(report.id), Report.Status.COMPLETE)]


@ON_COMMIT
def test_report_finished_is_sent_once_when_a_report_fails(two_brands, finished):
    report = Report.objects.create(as_of=LATEST_POLL["acme"], brand=two_brands["acme"])

    services.report_fail(report_id=report.id, reason="first")
    services.report_fail(report_id=report.id, reason="second")

    report.refresh_from_db()
    assert finished == [(str(report.id), Report.Status.FAILED)]
    assert report.error == "second"  # a later reason still replaces the first, as before


@ON_COMMIT
def test_report_finished_is_not_sent_for_a_complete_report_that_fails_later(two_brands, eager_tasks, finished):
    report = services.report_create(brand_id=two_brands["acme"].pk)

    services.report_fail(report_id=report.id, reason="a late shard error")

    report.refresh_from_db()
    assert report.status == Report.Status.COMPLETE
    assert finished == [(str(report.id), Report.Status.COMPLETE)]


@ON_COMMIT
def test_report_finished_waits_for_the_commit_and_a_rollback_sends_nothing(two_brands, finished):
    kept = Report.objects.create(as_of=LATEST_POLL["acme"], brand=two_brands["acme"])
    undone = Report.objects.create(as_of=LATEST_POLL["globex"], brand=two_brands["globex"])

    with transaction.atomic():
        services.report_fail(report_id=kept.id, reason="broken")
        assert finished == []  # not before the commit
    with pytest.raises(RuntimeError), transaction.atomic():
        services.report_fail(report_id=undone.id, reason="broken")
        raise RuntimeError("rolled back")

    assert finished == [(str(kept.id), Report.Status.FAILED)]
    assert Report.objects.get(pk=undone.pk).status == Report.Status.PENDING


@ON_COMMIT
def test_a_receiver_that_raises_does_not_fail_the_report_or_the_others(two_brands, eager_tasks, finished, caplog):
    def broken(sender, report, **kwargs):
        raise RuntimeError("the listener is broken")

    signals.report_finished.connect(broken)
    try:
        report = services.report_create(brand_id=two_brands["acme"].pk)
    finally:
        signals.report_finished.disconnect(broken)

    report.refresh_from_db()
    assert report.status == Report.Status.COMPLETE
    assert finished == [(str(report.id), Report.Status.COMPLETE)]
    assert "the listener is broken" in caplog.text
