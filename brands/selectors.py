"""Reading brands, their keys, members and audit log, always through what the caller may see, and
the caller's role in each."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from brands.access import Caller, scoped
from brands.models import ApiKey, AuditEvent, Brand, Membership, Role


def _storable(text: str) -> bool:
    """Whether `text` could be stored at all: PostgreSQL refuses a NUL character (and raises if asked)."""
    return "\x00" not in text


def brands_visible(caller: Caller, *, role: Role = Role.VIEWER) -> QuerySet[Brand]:
    """The brands where `caller` holds `role` or a higher one (every brand for platform staff),
    by slug. Another brand is as absent here as one that does not exist."""
    return scoped(Brand.objects.order_by("slug"), caller, field="pk", role=role)


def brand_visible(caller: Caller, slug: str, *, role: Role = Role.VIEWER) -> Brand | None:
    """The brand named `slug` when the caller holds `role` or more there (staff: any brand), else None:
    a brand of others and no brand at all look the same."""
    if not _storable(slug):
        return None
    return brands_visible(caller, role=role).filter(slug=slug).first()


def brand_visible_by_slug(caller: Caller, *, slug: str, role: Role = Role.VIEWER) -> Brand:
    """`brand_visible`, raising Brand.DoesNotExist instead of None (whether the brand does not exist
    or is another's: the two are told apart by nobody)."""
    brand = brand_visible(caller, slug, role=role)
    if brand is None:
        raise Brand.DoesNotExist(slug)
    return brand


def brands_administered(caller: Caller) -> QuerySet[Brand]:
    """The brands whose keys and members the caller manages: where it is admin (staff: every brand)."""
    return scoped(Brand.objects.all(), caller, field="pk", role=Role.ADMIN)


def brand_keys(brand: Brand) -> QuerySet[ApiKey]:
    """The brand's keys, revoked ones too, newest first."""
    return ApiKey.objects.filter(brand=brand).order_by("-created", "prefix")


def brand_key(brand: Brand, prefix: str) -> ApiKey | None:
    """The brand's key with `prefix`, None when the brand has none (another brand's key included)."""
    if not _storable(prefix):
        return None
    return brand_keys(brand).filter(prefix=prefix).first()


def brand_members(brand: Brand) -> QuerySet[Membership]:
    """The brand's memberships with their people, by username."""
    username = f"user__{get_user_model().USERNAME_FIELD}"
    return Membership.objects.filter(brand=brand).select_related("user").order_by(username)


def brand_member(brand: Brand, username: str) -> Membership | None:
    """The membership of the person `username` in the brand, None when they are not a member."""
    if not _storable(username):
        return None
    return brand_members(brand).filter(**{f"user__{get_user_model().USERNAME_FIELD}": username}).first()


def brand_audit_events(
    brand: Brand, *, action: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[AuditEvent]:
    """The brand's audit log, newest first; `since` and `until` bound `at` inclusively."""
    events = AuditEvent.objects.filter(brand=brand)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lte=until)
    return events.order_by("-at", "-id")
