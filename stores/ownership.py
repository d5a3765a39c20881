"""Which stores a write may touch, and which brand the stores it creates join (issue 14).

A caller changes the stores of the brands where it is an operator or an admin; platform
staff change every store. For a brand caller, another brand's store, or a store of no
brand, is exactly as absent as one that does not exist:

- one store (`store_for_write`): `Store.DoesNotExist`, the 404 of an unknown store. A store
  the caller does see (a viewer of its brand) but may not change is `StoreReadOnly` (403:
  it learns nothing it could not read).
- a batch (`PushScope`, `stores_claim`): ids of no store yet become stores of the push's
  brand, as pushes have always created stores; an id already used by a store outside the
  push's brands is a bad row, whose reason (`PushScope.refusal`) reads the same whoever
  holds the id, another brand or none.

Store ids are global, like user names: `store_id` is unique, so brand A's push of an id
that brand B holds can neither create a second store nor write into B's. A batch can
therefore tell that an id is taken; it never learns by whom, nor anything stored under
it (polls, hours, name, brand). Refusing every new id instead would hide even that, but
then no brand could add a store by pushing to it, which the issue asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from brands.access import Caller
from brands.models import Brand, Role
from stores import selectors
from stores.calendar_rows import FieldError, brand_slug_parse
from stores.models import Store

_BATCH = 5_000  # store ids per query


class StoreReadOnly(Exception):
    """The caller sees the store (it holds a role in its brand) but may not change it."""

    def __init__(self, store: Store) -> None:
        super().__init__(f"store {store.store_id!r} is read-only for this caller")
        self.store = store


class StoresRefused(Exception):
    """Store ids of the batch that are stores outside the push's brands: nothing was stored."""

    def __init__(self, store_ids: set[str]) -> None:
        super().__init__(f"{len(store_ids)} store id(s) outside the push's brands")
        self.store_ids = store_ids


class BrandNeeded(Exception):
    """The batch would create stores, but the caller is an operator of several brands and
    did not say (`?brand=`) which one they join."""

    def __init__(self, slugs: list[str]) -> None:
        super().__init__(
            f"brand: the batch has new stores and you are an operator of several brands "
            f"({', '.join(slugs)}): name the one they join with ?brand=<slug>"
        )


class BrandRefused(Exception):
    """`?brand=` names no brand the caller may push to. `forbidden`: the caller sees that
    brand (it is a viewer there) but may not write it (403); else 400, the same words for a
    brand that does not exist and for one of somebody else's."""

    def __init__(self, message: str, *, forbidden: bool = False) -> None:
        super().__init__(message)
        self.forbidden = forbidden


@dataclass(frozen=True)
class PushScope:
    """The stores one batch may write, and the brand of the stores it creates.

    `brand_ids` None: every store, of any brand or none (platform staff without `?brand=`);
    else only the stores of those brands. New stores join `new_brand_id` (None: no brand,
    staff's as before brands); `creates` False: the caller has several brands and named
    none, so a batch that would create a store is refused (`BrandNeeded`). `slugs` name the
    push's brands in the reason of a refused row.
    """

    brand_ids: frozenset[int] | None = None
    new_brand_id: int | None = None
    creates: bool = True
    slugs: tuple[str, ...] = ()

    @property
    def limited(self) -> bool:
        return self.brand_ids is not None

    def allows(self, brand_id: int | None) -> bool:
        return self.brand_ids is None or brand_id in self.brand_ids

    @property
    def refusal(self) -> str:
        """The reason of a row whose store is not the push's: the same for any owner, or none."""
        names = ", ".join(f"'{slug}'" for slug in self.slugs)
        return f"not a store of brand {names}" if len(self.slugs) == 1 else f"not a store of brands {names}"


# Platform staff, and the services' callers inside the project (tests, commands): every
# store; new stores have no brand.
EVERY_STORE = PushScope()


def push_scope(caller: Caller, brand_slug: str | None = None) -> PushScope:
    """The scope of a batch pushed by `caller`, `brand_slug` being the request's `?brand=`.

    Without it: staff write every store and create brandless ones; a brand caller writes the
    stores of its operator brands and creates stores in its one operator brand (with several,
    creating needs `?brand=`). With it, the push writes that brand's stores only, and new
    stores join it. Raises BrandRefused.
    """
    if brand_slug is None:
        if caller.is_staff:
            return EVERY_STORE
        ids = caller.brand_ids(Role.OPERATOR) or set()
        slugs = tuple(sorted(Brand.objects.filter(pk__in=ids).values_list("slug", flat=True)))
        only = caller.only_brand(Role.OPERATOR)
        return PushScope(brand_ids=frozenset(ids), new_brand_id=only, creates=only is not None, slugs=slugs)
    brand = _brand_named(brand_slug)
    if brand is None or not caller.can(brand.pk, Role.VIEWER):
        which = "no brand" if caller.is_staff else "not one of your brands"
        raise BrandRefused(f"brand: {which}: {brand_slug[:64]!r}")
    if not caller.can(brand.pk, Role.OPERATOR):
        raise BrandRefused(
            f"brand: your role in {brand.slug!r} is viewer: pushing needs operator or admin", forbidden=True
        )
    return PushScope(brand_ids=frozenset({brand.pk}), new_brand_id=brand.pk, slugs=(brand.slug,))


def _brand_named(slug: str) -> Brand | None:
    try:
        # No brand has a slug that is not one; a NUL, which PostgreSQL cannot compare, never reaches it.
        valid = brand_slug_parse(slug)
    except FieldError:
        return None
    return Brand.objects.filter(slug=valid).first()


def store_for_write(caller: Caller, store_id: str) -> Store:
    """The store `store_id`, locked (`SELECT ... FOR UPDATE`: call inside a transaction), if
    `caller` may change it. Raises Store.DoesNotExist when the caller cannot see it (another
    brand's store reads as unknown), StoreReadOnly when it sees it without the operator role."""
    visible: QuerySet[Store] = selectors.stores_by_id(store_id) & selectors.stores_visible(caller)
    store = visible.select_for_update().get()
    if not caller.can(store.brand_id, Role.OPERATOR):
        raise StoreReadOnly(store)
    return store


@dataclass
class Claimed:
    """The stores of a batch, each the push may write: `pks` and `brands` by store id, and
    how many of them the claim created."""

    pks: dict[str, int] = field(default_factory=dict)
    brands: dict[str, int | None] = field(default_factory=dict)
    created: int = 0


def stores_claim(store_ids: Iterable[str], scope: PushScope) -> Claimed:
    """Make every id of a batch a store `scope` may write, creating the missing ones in its
    brand; run inside the write's transaction, holding the loads' turn, so that no other
    load creates or moves a store meanwhile.

    Raises StoresRefused (the ids of stores outside the scope: nothing is created) or
    BrandNeeded (a store would be created but the scope names no brand for it).
    """
    wanted = list(dict.fromkeys(store_ids))
    claimed = _stores_found(wanted)
    refused = {store_id for store_id, brand_id in claimed.brands.items() if not scope.allows(brand_id)}
    if refused:
        raise StoresRefused(refused)
    missing = [store_id for store_id in wanted if store_id not in claimed.pks]
    if not missing:
        return claimed
    if not scope.creates:
        raise BrandNeeded(list(scope.slugs))
    # ignore_conflicts: a store made meanwhile outside the loads' turn (the admin) is no
    # error here, and is checked below like every other store.
    Store.objects.bulk_create(
        [Store(store_id=store_id, brand_id=scope.new_brand_id) for store_id in missing],
        batch_size=_BATCH,
        ignore_conflicts=True,
    )
    made = _stores_found(missing)
    refused = {store_id for store_id, brand_id in made.brands.items() if not scope.allows(brand_id)}
    if refused:
        raise StoresRefused(refused)
    claimed.pks.update(made.pks)
    claimed.brands.update(made.brands)
    claimed.created = len(made.pks)
    return claimed


def _stores_found(store_ids: list[str]) -> Claimed:
    found = Claimed()
    for first in range(0, len(store_ids), _BATCH):
        part = store_ids[first : first + _BATCH]
        for store_id, pk, brand_id in Store.objects.filter(store_id__in=part).values_list("store_id", "pk", "brand_id"):
            found.pks[store_id] = pk
            found.brands[store_id] = brand_id
    return found
