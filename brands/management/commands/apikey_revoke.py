"""manage.py apikey_revoke PREFIX: the key with that prefix stops working, for good."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from brands.services import ApiKeyRequestError, apikey_revoke


class Command(BaseCommand):
    help = "Revoke the API key with the given prefix (its first 8 characters)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: object, prefix: str, **opts: object) -> None:
        try:
            api_key = apikey_revoke(prefix=prefix)
        except ApiKeyRequestError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"API key {api_key.prefix} ({api_key.name}) is revoked.")
