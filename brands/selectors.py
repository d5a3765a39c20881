"""Database reads of the brands app: the brands a caller may see, and its role in each."""

from django.db.models import QuerySet

from brands.access import Caller, scoped
from brands.models import Brand, Role


def brands_visible(caller: Caller, *, role: Role = Role.VIEWER) -> QuerySet[Brand]:
    """The brands where `caller` holds `role` or a higher one (every brand for platform staff),
    by slug. Another brand is as absent here as one that does not exist."""
    return scoped(Brand.objects.order_by("slug"), caller, field="pk", role=role)


def brand_visible_by_slug(caller: Caller, *, slug: str, role: Role = Role.VIEWER) -> Brand:
    """The brand `slug` if `caller` holds `role` there. Raises Brand.DoesNotExist otherwise,
    whether the brand does not exist or is another's: the two are told apart by nobody."""
    return brands_visible(caller, role=role).get(slug=slug)
