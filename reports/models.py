"""Reports: one computation of the six numbers per store, as of an instant."""

import uuid

from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver


def report_upload_to(report: "Report", filename: str) -> str:
    return f"reports/{report.created_at:%Y/%m/%d}/{report.id}.csv"


class Report(models.Model):
    class Status(models.TextChoices):
        PENDING = "Pending"
        RUNNING = "Running"
        COMPLETE = "Complete"
        FAILED = "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    as_of = models.DateTimeField(help_text="The report's instant T (SEMANTICS.md rule 2).")
    # Scope: None for the whole fleet, else the external ids of the stores asked for.
    store_ids = models.JSONField(null=True, blank=True)

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

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Report {self.id} ({self.status})"

    @property
    def scope(self) -> str:
        return "all stores" if self.store_ids is None else f"{len(self.store_ids)} store(s)"

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
    row_count = models.PositiveIntegerField(default=0)
    polls_read = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["report", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_shard_number_uniq")]


@receiver(post_delete, sender=Report)
def _report_file_delete(sender, instance: Report, **kwargs) -> None:
    """A deleted report takes its CSV file with it (reports are kept until deleted)."""
    if instance.file:
        instance.file.delete(save=False)
