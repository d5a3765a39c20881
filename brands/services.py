"""Writing brands and keys: one function per act, each in its own transaction."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from brands.models import KEY_NAME_MAX_LENGTH, ApiKey, Brand, Role


class ApiKeyRequestError(ValueError):
    """A key that cannot be made or revoked as asked; the message says why."""


def brand_get_or_create(*, slug: str, name: str = "") -> Brand:
    """The brand with `slug`, created (named `name`, else its slug) when it is new."""
    brand, _ = Brand.objects.get_or_create(slug=slug, defaults={"name": name or slug})
    return brand


@transaction.atomic
def apikey_create(
    *, brand: Brand | None, role: Role, name: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key and its plain text, which is returned here once and stored nowhere (only its
    prefix and hash are). `brand` None makes a platform staff key; its role is ADMIN."""
    if not name.strip():
        raise ApiKeyRequestError("a key needs a name")
    if len(name) > KEY_NAME_MAX_LENGTH:
        raise ApiKeyRequestError(f"a key's name has at most {KEY_NAME_MAX_LENGTH} characters")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyRequestError("the expiry is in the past")
    api_key, key = ApiKey.objects.create_key(
        brand=brand, role=Role.ADMIN if brand is None else role, name=name, expiry_date=expires_at
    )
    assert isinstance(api_key, ApiKey)
    return api_key, key


def apikey_revoke(*, prefix: str) -> ApiKey:
    """Revokes the key with `prefix` for good (the library refuses to undo it); ApiKeyRequestError if none."""
    api_key = ApiKey.objects.filter(prefix=prefix).first()
    if api_key is None:
        raise ApiKeyRequestError(f"no key with prefix {prefix!r}")
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
    return api_key
