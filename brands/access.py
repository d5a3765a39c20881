"""The caller of a request: platform staff, or a set of brands each with a role.

Every API request resolves to one `Caller` (`caller_of`), from an API key or from a
logged-in session, so that scoping asks one question: `caller.can(brand_id, Role.X)`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from brands.models import ApiKey, Membership, Role

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Caller:
    """Who is asking. `roles` maps brand id to the caller's role there; staff have every role everywhere.

    For an API key this is also `request.user`, so it carries what DRF asks of a user:
    `is_authenticated`, and a `pk` unique per key ("key:<prefix>") that throttles per key.
    """

    is_staff: bool
    roles: Mapping[int, Role] = field(default_factory=dict)
    key_prefix: str | None = None
    user_id: int | None = None
    key_id: str | None = None  # ApiKey's primary key (the library's: text)
    # Who, in words, for the audit log: the person's username, or the key's name and prefix.
    name: str = ""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    @property
    def pk(self) -> str:
        return f"key:{self.key_prefix}" if self.key_prefix is not None else f"user:{self.user_id}"

    def role_in(self, brand_id: int) -> Role | None:
        """The caller's role in the brand (ADMIN for staff), None when it has none there."""
        return Role.ADMIN if self.is_staff else self.roles.get(brand_id)

    def can(self, brand_id: int | None, role: Role) -> bool:
        """Whether the caller holds `role` (or a higher one) in the brand; brand None (a store
        without a brand) is platform staff's only."""
        if self.is_staff:
            return True
        held = self.roles.get(brand_id) if brand_id is not None else None
        return held is not None and held.rank >= role.rank

    def brand_ids(self, role: Role = Role.VIEWER) -> set[int] | None:
        """The brands where the caller holds `role` or a higher one; None for staff (every brand,
        and the stores of none)."""
        if self.is_staff:
            return None
        return {brand_id for brand_id, held in self.roles.items() if held.rank >= role.rank}

    def only_brand(self, role: Role = Role.VIEWER) -> int | None:
        """The caller's one brand where it holds `role`, None when it has none or several (or is staff)."""
        ids = self.brand_ids(role)
        return next(iter(ids)) if ids is not None and len(ids) == 1 else None

    def __str__(self) -> str:
        return self.pk

    def __hash__(self) -> int:  # `roles` is a dict: hash by identity of the caller, not its roles
        return hash(self.pk)


ANONYMOUS = Caller(is_staff=False)


def caller_for_key(api_key: ApiKey) -> Caller:
    """The caller an API key speaks for: staff when it has no brand, else its role in its brand."""
    name = f"key {api_key.name} ({api_key.prefix})"
    if api_key.brand_id is None:
        return Caller(is_staff=True, key_prefix=api_key.prefix, key_id=api_key.pk, name=name)
    return Caller(
        is_staff=False,
        roles={api_key.brand_id: Role(api_key.role)},
        key_prefix=api_key.prefix,
        key_id=api_key.pk,
        name=name,
    )


def caller_for_user(user: AbstractBaseUser | AnonymousUser) -> Caller:
    """The caller a logged-in person is: staff (`is_staff`) or their memberships' roles."""
    if not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    name = user.get_username()
    if getattr(user, "is_staff", False):
        return Caller(is_staff=True, user_id=user.pk, name=name)
    roles = {m.brand_id: Role(m.role) for m in Membership.objects.filter(user_id=user.pk).only("brand_id", "role")}
    return Caller(is_staff=False, roles=roles, user_id=user.pk, name=name)


def scoped(queryset: QuerySet[M], caller: Caller, *, field: str = "brand", role: Role = Role.VIEWER) -> QuerySet[M]:
    """`queryset` limited to the rows whose `field` (a brand foreign key, or a path to one such as
    "store__brand") is a brand where the caller holds `role`: all rows for staff, none for a caller
    without such a brand. Rows of no brand are staff's only."""
    ids = caller.brand_ids(role)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from: REMOTE_ADDR, or behind our proxy (settings
    BEHIND_PROXY, as docker-compose runs it) the X-Forwarded-For it sets, which nginx
    replaces rather than extends (deploy/nginx), so a client cannot choose it."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or None


def caller_of(request: HttpRequest) -> Caller:
    """The caller of a DRF request (`request.user` is already a Caller for an API key) or of a session."""
    user = getattr(request, "user", None)
    if isinstance(user, Caller):
        return user
    if user is None:
        return ANONYMOUS
    return caller_for_user(user)
