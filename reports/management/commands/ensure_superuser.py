"""manage.py ensure_superuser [--username admin]: a local admin account, a staff API key, and for each
of the sample's two brands (`demo`, `other`) an owner to log in as and an operator key.

Creates the user with a random password the first time and keeps that
password in var/admin-password.txt (git-ignored) so `make run` can print it
every time, with a platform staff API key and a ready-to-paste curl line. The
database holds only the key's hash, so the key itself is kept beside the
password, in var/admin-api-key.txt (mode 0600), and a new one is made when that
file is missing or its key no longer works (revoked, expired, deleted). Never
resets the password of an existing user. The brands' owners (`demo-owner`,
`other-owner`, admins of their brand) and keys are kept the same way
(var/<slug>-owner-password.txt, var/<slug>-api-key.txt), so that two brands
sharing one service can be tried at once: neither sees the other's stores.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import URLValidator

from brands.models import ApiKey, Membership, Role
from brands.services import apikey_create, brand_get_or_create
from loopmonitor.commands import BAD_INPUT, ProjectCommand

DEMO_BRAND = "demo"
# The sample's brands (data/stores.csv): each gets an owner and an operator key.
SAMPLE_BRANDS = {"demo": "Demo brand", "other": "Other brand"}


def _private_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    path.chmod(0o600)


def _working_key(path: Path) -> str | None:
    """The key kept in `path` if it still authenticates, else None."""
    key = path.read_text().strip() if path.exists() else ""
    try:
        api_key = ApiKey.objects.get_from_key(key)
    except ApiKey.DoesNotExist:
        return None
    return None if api_key.has_expired else key


def _username_check(username: str) -> None:
    """A username the user model takes (its validators and length), else bad input."""
    field = get_user_model()._meta.get_field("username")
    try:
        field.clean(username, None)
    except ValidationError as exc:
        raise CommandError(f"--username {username!r}: {' '.join(exc.messages)}", returncode=BAD_INPUT) from None


def _base_url_check(url: str) -> None:
    """The service's address, printed in the curl lines: an http(s) URL, else bad input."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise CommandError(
            f"--base-url {url!r}: not an http(s) URL, e.g. http://127.0.0.1:8000", returncode=BAD_INPUT
        ) from None


class Command(ProjectCommand):
    help = "Create a local superuser (once), the demo brand and a staff API key, and print the credentials."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, username, **options):
        _username_check(username)
        _base_url_check(options["base_url"])
        password_file = settings.VAR_DIR / "admin-password.txt"
        key_file = settings.VAR_DIR / "admin-api-key.txt"
        User = get_user_model()
        if not User.objects.filter(username=username).exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(username=username, email="", password=password)
            _private_write(password_file, password)
        password = password_file.read_text().strip() if password_file.exists() else "(set before; see README to reset)"
        key = _working_key(key_file)
        if key is None:
            _, key = apikey_create(brand=None, role=Role.ADMIN, name=f"make run ({username})")
            _private_write(key_file, key)
        self.stdout.write(f"  admin    user {username}, password {password}")
        self.stdout.write(f"  API key  {key}")  # a platform staff key: sees and does everything
        for slug, name in SAMPLE_BRANDS.items():
            owner, owner_password, brand_key = self._brand_owner_and_key(slug, name)
            self.stdout.write(f"  brand    {slug}: owner {owner}, password {owner_password}; operator key {brand_key}")
        self.stdout.write(
            f"  try it   curl -X POST -H 'Authorization: Token {key}' {options['base_url']}/trigger_report"
        )

    def _brand_owner_and_key(self, slug: str, name: str) -> tuple[str, str, str]:
        """The brand (made when new), its owner (an admin member, made once with a random password)
        and a working operator key, each kept in var/ as the admin's are."""
        brand = brand_get_or_create(slug=slug, name=name)
        User = get_user_model()
        owner = f"{slug}-owner"
        password_file = settings.VAR_DIR / f"{owner}-password.txt"
        if not User.objects.filter(username=owner).exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_user(username=owner, email="", password=password)
            _private_write(password_file, password)
        Membership.objects.get_or_create(
            user=User.objects.get(username=owner), brand=brand, defaults={"role": Role.ADMIN}
        )
        password = password_file.read_text().strip() if password_file.exists() else "(set before)"
        key_file = settings.VAR_DIR / f"{slug}-api-key.txt"
        key = _working_key(key_file)
        if key is None:
            _, key = apikey_create(brand=brand, role=Role.OPERATOR, name=f"make run ({slug})")
            _private_write(key_file, key)
        return owner, password, key
