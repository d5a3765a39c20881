"""manage.py incidents_refresh [STORE_ID ...] [--all]: recompute stores' incidents now, in this process.

For a deployment whose polls predate the incidents (the refresh after each load covers
only the stores it touched), or to check a store by hand. Idempotent, like every refresh.
"""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from alerts.services import incidents_refresh
from loopmonitor.commands import BAD_INPUT, ProjectCommand
from stores.models import Store


class Command(ProjectCommand):
    help = "Recompute the incidents (docs/numbers.md rule 12) of the given stores, or of every store."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("store_ids", nargs="*", metavar="STORE_ID", help="stores by their store_id")
        parser.add_argument("--all", action="store_true", help="every store")

    def handle(self, *args: Any, **opts: Any) -> None:
        if bool(opts["store_ids"]) == opts["all"]:
            raise CommandError("give store ids or --all (not both)", returncode=BAD_INPUT)
        stores = Store.objects.all() if opts["all"] else Store.objects.filter(store_id__in=opts["store_ids"])
        pks = list(stores.values_list("pk", flat=True))
        if not opts["all"] and len(pks) != len(set(opts["store_ids"])):
            found = set(stores.values_list("store_id", flat=True))
            raise CommandError(
                f"unknown store_id(s): {', '.join(sorted(set(opts['store_ids']) - found))}", returncode=BAD_INPUT
            )
        counts = incidents_refresh(pks)
        self.stdout.write(
            f"{counts.stores} stores: {counts.inserted} incidents inserted, {counts.updated} updated, "
            f"{counts.deleted} deleted, {counts.unchanged} unchanged"
        )
