"""manage.py reports_retention [--dry-run] [--days N]: delete the reports past their retention now.

What beat's `reports-retention` entry runs every REPORTS_RETENTION_EVERY_SECONDS
(reports.retention): every report finished more than REPORTS_RETENTION_DAYS days ago, its
shards and its CSV file, and the orphaned report files older than the same cutoff. One line on
stdout says what was (with --dry-run: would be) deleted.
"""

from django.conf import settings
from django.core.management.base import CommandError

from loopmonitor.commands import ProjectCommand, whole_days
from reports import retention


class Command(ProjectCommand):
    help = "Delete the reports (rows, shards and CSV files) finished more than REPORTS_RETENTION_DAYS days ago."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted; delete nothing")
        parser.add_argument(
            "--days",
            default=None,
            help=f"keep this many days instead of REPORTS_RETENTION_DAYS ({settings.REPORTS_RETENTION_DAYS})",
        )

    def handle(self, *args, dry_run: bool, days: str | None, **options):
        keep = settings.REPORTS_RETENTION_DAYS if days is None else whole_days("--days", days, minimum=1)
        result = retention.reports_retention(days=keep, dry_run=dry_run)
        self.stdout.write(result.summary())
        if result.errors:
            raise CommandError(f"{len(result.errors)} file(s) could not be deleted: {'; '.join(result.errors[:3])}")
