"""Writing brands, keys and memberships: one function per act, each in its own transaction."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from brands.models import KEY_NAME_MAX_LENGTH, ApiKey, Brand, Membership, Role


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


class MembershipRequestError(ValueError):
    """A membership that cannot be added, changed or removed as asked; the message says why."""


LAST_ADMIN_REASON = (
    "{username} is the brand's last admin: make another member admin first "
    "(a brand keeps at least one admin who can manage its members and keys)"
)


def member_add(*, brand: Brand, username: str, role: Role, email: str = "") -> tuple[Membership, bool]:
    """`username`'s new membership of `brand` with `role`, and whether the person was created.

    An existing person joins as they are (`email` is only used for a new one: a brand admin
    never changes a person other brands may share). A new person has an unusable password
    until they choose one (the page's password-set link). MembershipRequestError if they are
    a member already, or were made a member by a concurrent request.
    """
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
            created = user is None
            if user is None:
                user = User.objects.create_user(username=username, email=email, password=None)
            elif Membership.objects.filter(user=user, brand=brand).exists():
                raise MembershipRequestError(f"{username} is already a member of {brand.slug}: change their role")
            membership = Membership.objects.create(user=user, brand=brand, role=role)
    except IntegrityError:
        raise MembershipRequestError(f"{username} was added at the same time by another request") from None
    return membership, created


@transaction.atomic
def member_set_role(*, membership: Membership, role: Role) -> Membership:
    """`membership` with `role`; MembershipRequestError when that would leave its brand without an admin."""
    if role != Role.ADMIN:
        _refuse_losing_the_last_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    """Ends `membership` (the person stays, with their other brands); MembershipRequestError when it
    is its brand's last admin."""
    _refuse_losing_the_last_admin(membership)
    membership.delete()


def _refuse_losing_the_last_admin(membership: Membership) -> None:
    """Raises when `membership` is its brand's only admin. The brand's row is locked first, so that
    two admins demoting each other at once cannot both pass the count."""
    if membership.role != Role.ADMIN:
        return
    Brand.objects.select_for_update().filter(pk=membership.brand_id).first()
    others = Membership.objects.filter(brand_id=membership.brand_id, role=Role.ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise MembershipRequestError(LAST_ADMIN_REASON.format(username=membership.user.get_username()))
