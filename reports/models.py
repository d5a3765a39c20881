"""Reports: one computation of the six numbers per store, as of an instant."""

import datetime as dt
import hashlib
import json
import uuid

from django.db import models
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete
from django.dispatch import receiver


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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["report", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_shard_number_uniq")]

    def __str__(self) -> str:
        return f"Report {self.report_id} shard {self.number}"


@receiver(post_delete, sender=Report)
def _report_file_delete(sender, instance: Report, **kwargs) -> None:
    """A deleted report takes its CSV file with it (reports are kept until deleted)."""
    if instance.file:
        instance.file.delete(save=False)
