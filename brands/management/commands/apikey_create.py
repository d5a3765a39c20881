"""manage.py apikey_create --brand SLUG --role viewer|operator|admin --name NAME [--expires ISO]
manage.py apikey_create --staff --name NAME [--expires ISO]

Prints what the key is, then the key itself alone on the last line (shown this once:
only its prefix and hash are stored). `--brand` creates the brand when it is new. The key is on
record in the audit log, created by "manage.py apikey_create (<OS user>)".
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.core.validators import validate_slug

from brands.audit import Action, audit_record, command_actor, key_event
from brands.management.base import BAD_INPUT, ProjectCommand
from brands.models import Role
from brands.services import ApiKeyRequestError, apikey_create, brand_get_or_create


def _expiry(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--expires {value!r}: not an ISO 8601 instant", returncode=BAD_INPUT) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _slug_check(slug: str) -> None:
    """A brand's slug is letters, digits, - and _ (SlugField), at most 64 of them: else bad input."""
    try:
        validate_slug(slug)
    except ValidationError:
        raise CommandError(
            f"--brand {slug!r}: a brand's slug is letters, digits, - and _", returncode=BAD_INPUT
        ) from None
    if len(slug) > 64:
        raise CommandError(f"--brand {slug[:40]!r}...: a brand's slug has at most 64 characters", returncode=BAD_INPUT)


class Command(ProjectCommand):
    help = "Create an API key for a brand (or a platform staff key) and print it, last, once."

    def add_arguments(self, parser: CommandParser) -> None:
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--brand", help="the brand's slug (created when new)")
        owner.add_argument("--staff", action="store_true", help="a platform staff key: sees and does everything")
        parser.add_argument("--role", choices=[r.value for r in Role], default=None)
        parser.add_argument("--name", required=True, help="what the key is for (at most 50 characters)")
        parser.add_argument("--expires", help="ISO 8601 instant after which the key stops working (UTC if no offset)")

    def handle(self, *args: object, **opts: object) -> None:
        brand_slug, staff, role = opts["brand"], opts["staff"], opts["role"]
        if staff and role is not None:
            raise CommandError("--role applies to brand keys; a --staff key can do everything", returncode=BAD_INPUT)
        if not staff and role is None:
            raise CommandError("--role is required with --brand", returncode=BAD_INPUT)
        expires_at = _expiry(str(opts["expires"])) if opts["expires"] else None
        if not staff:
            _slug_check(str(brand_slug))
        brand = None if staff else brand_get_or_create(slug=str(brand_slug))
        try:
            api_key, key = apikey_create(
                brand=brand, role=Role(str(role or Role.ADMIN)), name=str(opts["name"]), expires_at=expires_at
            )
        except ApiKeyRequestError as exc:
            raise CommandError(str(exc), returncode=BAD_INPUT) from None
        audit_record(action=Action.KEY_CREATED, actor=command_actor("apikey_create"), **key_event(api_key))
        owner = "platform staff" if brand is None else f"brand {brand.slug}, role {api_key.role}"
        expiry = f", expires {api_key.expiry_date.isoformat()}" if api_key.expiry_date else ""
        self.stdout.write(f"API key {api_key.prefix} ({api_key.name}): {owner}{expiry}. Shown once, store it now:")
        self.stdout.write(key)
