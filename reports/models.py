"""Reports: one computation of the six numbers per store, as of an instant."""

import datetime as dt
import hashlib
import json
import uuid

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from reports import cron


def report_upload_to(report: "Report", filename: str) -> str:
    return f"reports/{report.created_at:%Y/%m/%d}/{report.id}.csv"


# What the uniqueness of in-flight reports compares a report without `received_before` as:
# an instant no cutoff can be (one before AS_OF_EARLIEST), since NULLs never compare equal.
NO_RECEIVED_BEFORE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def scope_key_of(store_ids: list[str] | None, brand_id: int | None = None) -> str:
    """The key of a report's scope: "" for the whole fleet, else the SHA-256 (hex) of the
    sorted, distinct store ids, and of the brand for a brand's report ("brand:<id>" for all
    its stores). A key, not the list, so that a constraint can compare it (an index entry
    cannot hold 100,000 ids)."""
    if store_ids is None:
        return "" if brand_id is None else f"brand:{brand_id}"
    ids = sorted(set(store_ids))
    scope: object = ids if brand_id is None else {"brand": brand_id, "store_ids": ids}
    return hashlib.sha256(json.dumps(scope).encode()).hexdigest()


class Report(models.Model):
    class Status(models.TextChoices):
        PENDING = "Pending"
        RUNNING = "Running"
        COMPLETE = "Complete"
        FAILED = "Failed"

    IN_FLIGHT = (Status.PENDING, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    as_of = models.DateTimeField(help_text="The report's instant T (docs/numbers.md rule 2).")
    # Scope: the brand's stores (brand NULL: every store, a platform staff report), all of
    # them (store_ids None) or those asked for (their external ids).
    brand = models.ForeignKey("brands.Brand", on_delete=models.CASCADE, null=True, blank=True, related_name="reports")
    store_ids = models.JSONField(null=True, blank=True)
    scope_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The data the report reads: the polls received at or before `data_cutoff`
    # (Poll.received_at), fixed when the report is planned, so that every shard reads
    # the same polls. `received_before`: the cutoff asked for (POST /trigger_report),
    # NULL for "what is stored when the report is planned". NULL data_cutoff: a report
    # made before cutoffs were recorded.
    received_before = models.DateTimeField(null=True, blank=True)
    data_cutoff = models.DateTimeField(
        null=True, blank=True, help_text="The report read the polls received at or before this instant."
    )
    # The primary's WAL position right after the cutoff (reports/replica.py): a replica that has
    # replayed past it holds every poll the report reads. "": SQLite, or planned before.
    wal_lsn = models.CharField(
        max_length=32,
        blank=True,
        default="",
        db_default="",
        help_text="The primary's WAL position (pg_lsn) at the data cutoff.",
    )
    # The database the shards read: "primary", "replica", or "replica and primary" (some each).
    read_from = models.CharField(max_length=32, blank=True, default="", db_default="")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    shards_total = models.PositiveIntegerField(default=0)
    shards_done = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    polls_read = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to=report_upload_to, blank=True)
    # What the numbers were computed with: the IANA tz database that turned
    # local hours into UTC, and this code's version.
    tzdata_version = models.CharField(max_length=32, blank=True)
    code_version = models.CharField(max_length=64, blank=True)
    # What a complete report's reader should know before trusting its numbers, in words: it read
    # no polls (its as_of before every poll, or after them all by more than its windows).
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One computation per (as_of, scope, cutoff asked for) at a time: two triggers
            # racing on two web processes both try to insert, the database lets one in
            # and the other returns the winner's id (`services.report_create`).
            models.UniqueConstraint(
                "as_of",
                "scope_key",
                Coalesce("received_before", models.Value(NO_RECEIVED_BEFORE)),
                condition=models.Q(status__in=["Pending", "Running"]),
                name="report_one_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.id} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        # Derived from store_ids, so that no way of creating a report can get it wrong.
        self.scope_key = scope_key_of(self.store_ids, self.brand_id)
        super().save(*args, **kwargs)

    @property
    def scope(self) -> str:
        """In words: "all stores", "12 store(s)", or the same of one brand ("acme: all stores")."""
        stores = "all stores" if self.store_ids is None else f"{len(self.store_ids)} store(s)"
        return stores if self.brand is None else f"{self.brand.slug}: {stores}"

    @property
    def progress(self) -> float | None:
        """Fraction of shards finished, 0..1; None before the work is planned."""
        if self.status == self.Status.COMPLETE:
            return 1.0
        if not self.shards_total:
            return None
        return self.shards_done / self.shards_total

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at:
            return (self.finished_at - self.created_at).total_seconds()
        return None


class ReportShard(models.Model):
    """A slice of a report's stores, computed by one task.

    The shard's CSV rows are kept here until the last shard merges them into
    the report's file; `done` flips once, so a shard that runs twice (a worker
    died after computing it) is counted once.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="shards")
    number = models.PositiveIntegerField()
    # Store primary keys, inclusive range [store_pk_first, store_pk_last].
    store_pk_first = models.BigIntegerField()
    store_pk_last = models.BigIntegerField()
    done = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    rows_csv = models.TextField(blank=True)
    # Each store's status at T (reports/status_rows.py), kept after the merge: the fleet
    # overview's status column, read with the report's own data cutoff and engine run. ""
    # for shards computed before statuses were kept (the overview then shows none). The database's
    # default too, so that code older than the column (a worker not yet restarted) still inserts shards.
    status_rows = models.TextField(blank=True, default="", db_default="")
    row_count = models.PositiveIntegerField(default=0)
    polls_read = models.PositiveBigIntegerField(default=0)
    read_from = models.CharField(max_length=16, blank=True, default="", db_default="", help_text="primary or replica")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["report", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_shard_number_uniq")]

    def __str__(self) -> str:
        return f"Report {self.report_id} shard {self.number}"


@receiver(post_delete, sender=Report)
def _report_file_delete(sender, instance: Report, **kwargs) -> None:
    """A deleted report takes its CSV file with it, once the delete committed: a delete rolled
    back keeps its file (a row is never left without one; reports.retention sweeps the files whose
    deletion did not happen after a commit)."""
    if instance.file:
        file = instance.file
        transaction.on_commit(lambda: file.delete(save=False), using=kwargs.get("using"))


def cron_validate(value: str) -> None:
    """A model validator (the admin's form, `full_clean`): the cron line as `cron.cron_parse` reads it."""
    try:
        cron.cron_parse(value)
    except cron.CronError as exc:
        raise ValidationError(str(exc)) from None


def timezone_validate(value: str) -> None:
    """A model validator: an IANA timezone name."""
    try:
        cron.timezone_check(value)
    except cron.CronError as exc:
        raise ValidationError(str(exc)) from None


class ReportSchedule(models.Model):
    """A brand's report on a schedule: "0 6 * * *" in Asia/Kolkata runs the brand's report daily at 06:00 there.

    Beat runs it through `periodic_task` (django-celery-beat, with its own CrontabSchedule in
    `timezone`), which `services.schedule_save` keeps in step with this row: edit a schedule here,
    through the API or in its admin, never through beat's own admin (the link is protected, so a
    schedule's PeriodicTask cannot be deleted there). Each run triggers the brand's report
    (`services.schedule_run`) and records it in `last_report`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    brand = models.ForeignKey("brands.Brand", on_delete=models.CASCADE, related_name="report_schedules")
    name = models.CharField(max_length=200)
    cron = models.CharField(
        max_length=100,
        validators=[cron_validate],
        help_text="minute hour day-of-month month day-of-week in `timezone` ('0 6 * * *': 06:00 daily)",
    )
    timezone = models.CharField(
        max_length=64, validators=[timezone_validate], help_text="IANA name the cron line's times are in."
    )
    enabled = models.BooleanField(default=True)
    periodic_task = models.OneToOneField(
        PeriodicTask,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="report_schedule",
    )
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The task message of the last run: a message delivered again (a worker died before
    # acknowledging it) is recognised and starts no second report.
    last_run_id = models.CharField(max_length=64, blank=True, default="", editable=False)
    last_report = models.ForeignKey(
        Report, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_by = models.CharField(
        max_length=200, blank=True, default="", editable=False, help_text="Who made it: a person or a key."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand", "name", "created_at"]

    def __str__(self) -> str:
        return f"{self.brand.slug}: {self.name} ({self.cron} {self.timezone})"

    @property
    def beat_name(self) -> str:
        """The name of its PeriodicTask (unique among beat's entries)."""
        return f"report schedule {self.id}"


@receiver(post_delete, sender=ReportSchedule)
def _schedule_beat_entry_delete(sender, instance: ReportSchedule, **kwargs) -> None:
    """A deleted schedule takes its beat entry (PeriodicTask and CrontabSchedule) along, however
    it went: `services.schedule_delete`, the admin, or a cascade from its brand (which no
    service of this app sees)."""
    if instance.periodic_task_id is None:
        return
    task = PeriodicTask.objects.filter(pk=instance.periodic_task_id).first()
    if task is not None:
        crontab_id = task.crontab_id
        task.delete()
        CrontabSchedule.objects.filter(pk=crontab_id, periodictask=None).delete()


class WorkerHeartbeat(models.Model):
    """A Celery worker's latest sign of life: written every WORKER_HEARTBEAT_SECONDS by each
    worker (reports.heartbeat), read by /healthz. In the database, not the cache, because the
    embedded default's cache is each process's own memory, while the database is what the web
    and the workers share on every setup (SQLite file or PostgreSQL)."""

    hostname = models.CharField(max_length=255, unique=True, help_text="the worker's node name (celery@host)")
    seen_at = models.DateTimeField(help_text="the database's clock when the worker last reported")

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
