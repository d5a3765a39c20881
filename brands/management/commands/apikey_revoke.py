"""manage.py apikey_revoke PREFIX: the key with that prefix stops working, for good (on record in the
audit log, by "manage.py apikey_revoke (<OS user>)")."""

from django.core.management.base import CommandError, CommandParser

from brands.audit import Action, audit_record, command_actor, key_event
from brands.management.base import BAD_INPUT, ProjectCommand
from brands.models import ApiKey
from brands.services import ApiKeyRequestError, apikey_revoke


class Command(ProjectCommand):
    help = "Revoke the API key with the given prefix (its first 8 characters)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: object, prefix: str, **opts: object) -> None:
        try:
            was_revoked = ApiKey.objects.filter(prefix=prefix, revoked=True).exists()
            api_key = apikey_revoke(prefix=prefix)
        except ApiKeyRequestError as exc:
            raise CommandError(str(exc), returncode=BAD_INPUT) from None
        if not was_revoked:
            audit_record(action=Action.KEY_REVOKED, actor=command_actor("apikey_revoke"), **key_event(api_key))
        self.stdout.write(f"API key {api_key.prefix} ({api_key.name}) is revoked.")
