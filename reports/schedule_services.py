"""Report schedules: create, change, delete, and run one (beat's task calls `schedule_run`).

A `ReportSchedule` is the truth; its beat entry (a django-celery-beat PeriodicTask with its own
CrontabSchedule in the schedule's timezone) is derived from it, here, in the same transaction
as every write of the row, so beat never runs a schedule that is not stored, nor misses one
that is. Beat notices a change within its loop interval (5 s): PeriodicTask.save marks the
schedule changed.

Missed runs: beat runs an entry when a slot of its cron line has passed since the entry's
`last_run_at` (Celery's crontab). A beat that was down for three days finds one slot passed,
not three, and runs the schedule once, at once (loopmonitor/beat.py makes sure the entry is
loaded); its next run is then the next slot. A change of the cron line or the timezone starts
the count afresh (`last_run_at` = now), so that changing "06:00" to "08:00" at 10:00 runs
nothing until 08:00 tomorrow; so does enabling a disabled schedule.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from brands.access import Caller
from brands.audit import Action, audit_record
from brands.models import Brand, Role
from brands.selectors import brand_visible_by_slug
from reports import cron, services
from reports.models import Report, ReportSchedule

log = logging.getLogger(__name__)

SCHEDULE_TASK = "reports.tasks.scheduled_report_task"
# What a schedule's answer and audit events show of it; `schedule_update` changes these only.
EDITABLE = ("name", "cron", "timezone", "enabled")


class ScheduleRefused(ValueError):
    """A schedule the rules refuse (the brand has as many as REPORT_SCHEDULES_PER_BRAND_MAX)."""


def schedule_brand_choose(*, caller: Caller, slug: str | None) -> int:
    """The brand (its id) of a schedule `caller` creates: the one `slug` names, else the caller's
    only brand where it is admin. A schedule is always of one brand, platform staff's too.

    Raises services.BrandChoiceError for a slug of no brand where the caller is admin, with the
    same message whether that brand does not exist or is another's, and for no slug from staff or
    from an admin of several brands.
    """
    if slug is not None:
        try:
            return brand_visible_by_slug(caller, slug=slug, role=Role.ADMIN).pk
        except Brand.DoesNotExist:
            raise services.BrandChoiceError(f"unknown brand {slug!r}") from None
    if caller.is_staff:
        raise services.BrandChoiceError("required: a schedule is of one brand; give its slug")
    if (brand_id := caller.only_brand(Role.ADMIN)) is not None:
        return brand_id
    if caller.brand_ids(Role.ADMIN):
        raise services.BrandChoiceError("required: you are an admin of several brands; give the slug of the one")
    raise services.BrandChoiceError("you are an admin of no brand, so you may not schedule reports")


def schedule_create(
    *, brand_id: int, name: str, cron_line: str, timezone_name: str, enabled: bool = True, created_by: str = ""
) -> ReportSchedule:
    """A new schedule of the brand, and its beat entry. Raises ScheduleRefused past the brand's
    limit, django's ValidationError for a bad cron line or timezone (the API checks both first)."""
    schedule = ReportSchedule(
        brand_id=brand_id,
        name=name,
        cron=cron_line,
        timezone=timezone_name,
        enabled=enabled,
        created_by=created_by[:200],
    )
    return schedule_save(schedule=schedule)


def schedule_save(*, schedule: ReportSchedule) -> ReportSchedule:
    """Store the schedule (new or changed) and bring its beat entry in step, in one transaction.

    The admin saves through here too. The cron line is stored as Celery reads it (lower case,
    single spaces), so that the row and its CrontabSchedule say the same.
    """
    schedule.full_clean()
    schedule.cron = str(cron.cron_parse(schedule.cron))
    with transaction.atomic():
        if schedule._state.adding:
            _limit_check(schedule.brand_id)
        schedule.save()
        _beat_entry_sync(schedule)
    return schedule


def schedule_limit_problem(brand_id: int) -> str | None:
    """Why the brand may have no further schedule (it has REPORT_SCHEDULES_PER_BRAND_MAX), or None."""
    limit = settings.REPORT_SCHEDULES_PER_BRAND_MAX
    if ReportSchedule.objects.filter(brand_id=brand_id).count() >= limit:
        return f"the brand has {limit} schedules already (REPORT_SCHEDULES_PER_BRAND_MAX): delete or change one"
    return None


def _limit_check(brand_id: int) -> None:
    # The brand's row lock makes two creations at once count one after the other.
    Brand.objects.select_for_update().filter(pk=brand_id).first()
    if problem := schedule_limit_problem(brand_id):
        raise ScheduleRefused(problem)


def _beat_entry_sync(schedule: ReportSchedule) -> None:
    """Create or update the schedule's PeriodicTask and CrontabSchedule to say what the row says."""
    fields = cron.cron_parse(schedule.cron).fields()
    task = (
        PeriodicTask.objects.select_for_update(of=("self",))
        .select_related("crontab")
        .filter(pk=schedule.periodic_task_id)
        .first()
    )
    if task is None or task.crontab is None:
        crontab = CrontabSchedule.objects.create(timezone=schedule.timezone, **fields)
        task = task or PeriodicTask(name=schedule.beat_name, task=SCHEDULE_TASK)
        task.crontab = crontab
        restart = True
    else:
        crontab = task.crontab
        was = {name: getattr(crontab, name) for name in fields} | {"timezone": str(crontab.timezone)}
        restart = was != fields | {"timezone": schedule.timezone}
        if restart:
            for name, value in fields.items():
                setattr(crontab, name, value)
            crontab.timezone = schedule.timezone
            crontab.save()
    task.kwargs = json.dumps({"schedule_id": str(schedule.id)})
    task.description = f"{schedule.brand.slug}: {schedule.name}"[:200]
    task.enabled = schedule.enabled
    if restart:
        task.last_run_at = timezone.now()
    # A disabled task's last_run_at is cleared by PeriodicTask.save; enabled again, beat counts
    # from its date_changed, the time of that change.
    task.save()
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        schedule.save(update_fields=["periodic_task"])


@dataclass(frozen=True)
class Change:
    """What `schedule_update` changed: each field's value before and after."""

    before: dict[str, Any]
    after: dict[str, Any]


def schedule_update(*, schedule: ReportSchedule, changes: dict[str, Any]) -> Change:
    """Change the schedule's EDITABLE fields given in `changes`, and its beat entry."""
    before = {name: getattr(schedule, name) for name in EDITABLE}
    for name, value in changes.items():
        if name not in EDITABLE:
            raise ValueError(f"{name} cannot be changed")
        setattr(schedule, name, value)
    schedule_save(schedule=schedule)
    after = {name: getattr(schedule, name) for name in EDITABLE}
    changed = [name for name in EDITABLE if before[name] != after[name]]
    return Change(before={n: before[n] for n in changed}, after={n: after[n] for n in changed})


def schedule_delete(*, schedule: ReportSchedule) -> None:
    """Delete the schedule; its beat entry goes with it (models: the post_delete receiver, which
    also covers a brand's deletion)."""
    with transaction.atomic():
        schedule.delete()


def schedule_run(*, schedule_id: str, run_id: str = "") -> Report | None:
    """Trigger the brand's report for one run of the schedule (`scheduled_report_task`) and record it.

    The report is the brand's whole report as of its latest poll (docs/numbers.md rule 2), as
    `POST /trigger_report` with only `brand` makes it. `run_id` names the beat message: the same
    message delivered again (a worker died before acknowledging it) finds its run recorded and
    starts nothing. A schedule deleted or disabled after beat sent the message runs nothing.
    Returns the run's report, or None when there was nothing to run.
    """
    schedule = ReportSchedule.objects.select_related("brand", "last_report").filter(pk=schedule_id).first()
    if schedule is None or not schedule.enabled:
        log.info("schedule %s: deleted or disabled since beat sent its run; nothing to do", schedule_id)
        return None
    if run_id and schedule.last_run_id == run_id:
        return schedule.last_report
    # Outside any transaction: report_create queues the report's task at once, for a committed row.
    report = services.report_create(brand_id=schedule.brand_id)
    ReportSchedule.objects.filter(pk=schedule.pk).update(
        last_report=report, last_run_at=timezone.now(), last_run_id=run_id[:64]
    )
    audit_record(
        action=Action.REPORT_TRIGGERED,
        brand_ids=[schedule.brand_id],
        actor=f"schedule {schedule.name!r} ({schedule.id})",
        target=f"report {report.id}",
        detail={"as_of": report.as_of.isoformat(), "scope": report.scope, "schedule_id": str(schedule.id)},
    )
    return report
