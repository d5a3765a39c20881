"""manage.py polls_retention [--dry-run] [--days N]: apply the polls' retention now.

What beat's `polls-retention` entry runs every POLLS_RETENTION_EVERY_SECONDS
(stores.partitions): the polls observed more than POLLS_RETENTION_DAYS days before the latest
poll (or now, if earlier) go away, whole months at a time on PostgreSQL, and the coming months
get their partitions. One line on stdout says what was (with --dry-run: would be) done.
"""

from django.conf import settings

from loopmonitor.commands import ProjectCommand, whole_days
from stores import partitions


class Command(ProjectCommand):
    help = "Delete the polls past POLLS_RETENTION_DAYS (whole months on PostgreSQL) and create the coming months."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count what would be done; change nothing")
        parser.add_argument(
            "--days",
            default=None,
            help=f"keep this many days instead of POLLS_RETENTION_DAYS ({settings.POLLS_RETENTION_DAYS})",
        )

    def handle(self, *args, dry_run: bool, days: str | None, **options):
        keep = settings.POLLS_RETENTION_DAYS if days is None else whole_days("--days", days, minimum=8)
        result = partitions.polls_retention(days=keep, dry_run=dry_run)
        self.stdout.write(result.summary())
