"""Report retention: a finished report, its shards and its CSV file go away together once it is
older than REPORTS_RETENTION_DAYS (README "Operating it", "Retention").

"Older" is by the report's finish (`finished_at`: when it became Complete or Failed; its creation
for a finished report that never recorded one), against the wall clock: reports are created and
finished now, by this service's own clock, so `now - days` is the cutoff and nothing else is
needed. A report in flight (Pending, Running) is never deleted, however old: the stalled-report
sweeper ends a stuck one as Failed first, and it is kept `days` from then.

Nothing is left orphaned either way:
- a row is never left without its file: a batch of rows is deleted in one transaction and their
  files only once it committed (models._report_file_delete, on commit);
- a file is never left without its row for long: a file deletion that failed (the process died
  between the commit and the unlink, a read-only moment of the volume) leaves a file no row
  names, and so does a finalisation killed mid-write (its `.<random>.csv.tmp`). Each run also
  deletes the files under `reports/` that no report names and that were last written before the
  cutoff: a file still being written, or attached a moment from now, is younger than that.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from loopmonitor.observability import metrics
from reports.models import Report, ReportShard

log = logging.getLogger(__name__)

# Reports per transaction: short row locks, and a report's shards cascade in the same delete.
BATCH = 500
# The folder of report files inside the media storage (models.report_upload_to).
FOLDER = "reports"


@dataclass
class RetentionResult:
    """What one run deleted (with `dry_run`: would delete)."""

    cutoff: dt.datetime
    dry_run: bool = False
    reports: int = 0
    shards: int = 0
    files: int = 0
    orphan_files: int = 0
    bytes: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (
            f"{verb} {self.reports} report(s) finished before {self.cutoff.isoformat()} "
            f"({self.shards} shard(s), {self.files} file(s)) and {self.orphan_files} orphaned file(s), "
            f"{self.bytes} bytes"
        )


def reports_expired(*, cutoff: dt.datetime):
    """The finished reports that finished (or, without a finish, were created) before `cutoff`."""
    return (
        Report.objects.filter(status__in=[Report.Status.COMPLETE, Report.Status.FAILED])
        .alias(ended_at=Coalesce("finished_at", "created_at"))
        .filter(ended_at__lt=cutoff)
    )


def reports_retention(*, days: int, now: dt.datetime | None = None, dry_run: bool = False) -> RetentionResult:
    """Delete every report finished more than `days` days before `now` (the wall clock by
    default), with its shards and file, then the orphaned files older than the same cutoff.
    With `dry_run`, count the same without deleting anything. Safe to run twice, or two at once
    (a row another run holds is skipped, SKIP LOCKED, and taken by the next run)."""
    if days < 1:
        raise ValueError(f"days must be 1 or more, not {days}")
    now = now or timezone.now()
    result = RetentionResult(cutoff=now - dt.timedelta(days=days), dry_run=dry_run)
    # The files' folder on disk: report files are in the media folder (FileSystemStorage, shared
    # by the web server and the workers), and reports.services writes them there by path too.
    root = Path(settings.MEDIA_ROOT)
    if dry_run:
        expired = reports_expired(cutoff=result.cutoff)
        result.reports = expired.count()
        result.shards = ReportShard.objects.filter(report__in=expired).count()
        for name in expired.exclude(file="").values_list("file", flat=True).iterator():
            size = _size(root / name)
            if size is not None:
                result.files += 1
                result.bytes += size
    else:
        while _delete_batch(result, root):
            pass
    _orphans_delete(result, root)
    if not dry_run:
        metrics.reports_deleted(reports=result.reports, orphan_files=result.orphan_files)
    log.info(
        "reports retention: %s",
        result.summary(),
        extra={"reports": result.reports, "files": result.files, "orphan_files": result.orphan_files},
    )
    return result


def _delete_batch(result: RetentionResult, root: Path) -> bool:
    """Delete up to BATCH expired reports in one transaction; False when none was left."""
    with transaction.atomic():
        batch = list(
            reports_expired(cutoff=result.cutoff)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", "file")[:BATCH]
        )
        if not batch:
            return False
        sizes = [_size(root / name) if name else None for _, name in batch]
        # Model deletes (not a raw one): each report's post_delete takes its file, once this commits.
        _, deleted = Report.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
    result.reports += deleted.get(Report._meta.label, 0)
    result.shards += deleted.get("reports.ReportShard", 0)
    present = [s for s in sizes if s is not None]
    result.files += len(present)
    result.bytes += sum(present)
    return len(batch) == BATCH


def _orphans_delete(result: RetentionResult, root: Path) -> None:
    """The files under reports/ last written before the cutoff that no report names (none in
    flight can be writing them: they are older than the cutoff), then the day folders left empty."""
    folder = root / FOLDER
    if not folder.is_dir():
        return
    cutoff = result.cutoff.timestamp()
    old: dict[str, tuple[Path, int]] = {}
    for path in folder.rglob("*"):
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue  # deleted meanwhile
        if path.is_file() and info.st_mtime < cutoff:
            old[path.relative_to(root).as_posix()] = (path, info.st_size)
    named: set[str] = set()
    names = list(old)
    for start in range(0, len(names), BATCH):
        named.update(Report.objects.filter(file__in=names[start : start + BATCH]).values_list("file", flat=True))
    for name, (path, size) in sorted(old.items()):
        if name in named:
            continue
        if not result.dry_run:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                result.errors.append(f"{name}: {exc.strerror}")
                log.warning("reports retention: could not delete %s: %s", name, exc)
                continue
        result.orphan_files += 1
        result.bytes += size
    if not result.dry_run:
        _empty_folders_remove(folder, before=_oldest_day_in_use(result.cutoff))


def _oldest_day_in_use(cutoff: dt.datetime) -> dt.date:
    """Day folders before this date may be removed when empty: the cutoff's day, or the creation day
    of the oldest report in flight if earlier (models.report_upload_to names a report's folder by
    its creation day, and report_finalize makes it when the report completes)."""
    oldest = (
        Report.objects.filter(status__in=Report.IN_FLIGHT)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    day = cutoff.astimezone(dt.UTC).date()
    if oldest is not None:
        day = min(day, oldest.astimezone(dt.UTC).date())
    return day


def _empty_folders_remove(folder: Path, *, before: dt.date) -> None:
    """Remove reports/YYYY/MM/DD folders (then their empty month and year) older than `before`."""
    for day in sorted(folder.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]")):
        try:
            date = dt.date(int(day.parent.parent.name), int(day.parent.name), int(day.name))
        except ValueError:
            continue
        if date >= before:
            continue
        for empty in (day, day.parent, day.parent.parent):
            try:
                empty.rmdir()
            except OSError:
                break  # not empty (or gone): its parents are not either


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None
