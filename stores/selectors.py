"""Database reads for the stores API and admin (issue 7). Never computes uptime (that is the reports app).

A page of stores costs three queries whatever the fleet's size: the count,
the page's primary keys (an index scan on store_id with LIMIT/OFFSET), and
the page's summaries, where each poll figure is a correlated subquery over
the (store, observed_at_utc) index evaluated for those 50 stores only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from brands.access import Caller, scoped
from brands.models import Role
from stores.models import BusinessHours, Poll, SpecialHours, Store
from stores.schedule import DEFAULT_TIMEZONE


def stores_by_id(store_id: str) -> QuerySet[Store]:
    """The store with external id `store_id` (none or one). An id holding a NUL matches none without
    asking the database: no store can have one (PostgreSQL text cannot hold it, and would raise)."""
    if "\x00" in store_id:
        return Store.objects.none()
    return Store.objects.filter(store_id=store_id)


def stores_visible(caller: Caller, *, role: Role = Role.VIEWER) -> QuerySet[Store]:
    """The stores `caller` holds `role` on: its brands' stores (every store, brandless ones
    included, for platform staff). Every read and write of a store goes through it, so that
    another brand's store is exactly as absent as one that does not exist."""
    return scoped(Store.objects.all(), caller, role=role)


def store_visible_by_id(caller: Caller, store_id: str) -> QuerySet[Store]:
    """The store with external id `store_id` if `caller` may see it (none or one): another brand's
    store is found exactly as often as one that does not exist."""
    return stores_by_id(store_id) & stores_visible(caller)


def store_list(*, caller: Caller, search: str | None = None) -> QuerySet[Store]:
    """The stores `caller` may see, ordered by store_id (as a string); with `search`, those whose
    store_id, name or timezone contains it (case-insensitive). The timezone is the one given, or for
    a store given none (missing or empty) America/Chicago, the one its hours are read in (rule 4).
    Plain rows: summarise a page with `store_summaries`."""
    stores = stores_visible(caller).order_by("store_id")
    if search and (text := search.strip()):
        found = Q(store_id__icontains=text) | Q(name__icontains=text) | Q(timezone_str__icontains=text)
        if text.casefold() in DEFAULT_TIMEZONE.casefold():
            found |= Q(timezone_str__isnull=True) | Q(timezone_str="")
        stores = stores.filter(found)
    return stores


def with_last_poll(stores: QuerySet[Store]) -> QuerySet[Store]:
    """`stores` annotated with `last_poll_at` and `last_poll_active` (NULL without polls).

    Each is one backward probe of the poll_store_time_uniq index per store.
    """
    latest = Poll.objects.filter(store=OuterRef("pk")).order_by("-observed_at_utc")
    return stores.annotate(
        last_poll_at=Subquery(latest.values("observed_at_utc")[:1]),
        last_poll_active=Subquery(latest.values("active")[:1]),
    )


def with_summary(stores: QuerySet[Store]) -> QuerySet[Store]:
    """`with_last_poll` plus `has_business_hours` and `poll_count`; meant for one page of stores."""
    counts = (
        Poll.objects.filter(store=OuterRef("pk")).order_by().values("store").annotate(n=Count("pk")).values("n")[:1]
    )
    return with_last_poll(stores).annotate(
        has_business_hours=Exists(BusinessHours.objects.filter(store=OuterRef("pk"))),
        poll_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)),
    )


def store_summaries(page: Iterable[Store]) -> list[Store]:
    """The stores of one page, in the page's order, annotated by `with_summary`."""
    pks = [store.pk for store in page]
    found = {store.pk: store for store in with_summary(Store.objects.filter(pk__in=pks).select_related("brand"))}
    return [found[pk] for pk in pks if pk in found]


def store_detail(
    *, caller: Caller, store_id: str, special_from: dt.date | None = None, special_until: dt.date | None = None
) -> Store:
    """One store by its external id, if `caller` may see it, annotated by `with_summary`, with prefetched

    - `business_hours`: every weekly row, by version (undated first, then by `effective_from`),
      day, start, end (rules 5, 10);
    - `special_hours`: its special-hours rows on local dates from `special_from` to
      `special_until` (both included, each optional), by date, closed rows first, then start (rule 11).

    Raises Store.DoesNotExist.
    """
    hours = BusinessHours.objects.order_by(
        F("effective_from").asc(nulls_first=True), "day_of_week", "start_time_local", "end_time_local"
    )
    special = special_hours_ordered(SpecialHours.objects.all())
    if special_from is not None:
        special = special.filter(date__gte=special_from)
    if special_until is not None:
        special = special.filter(date__lte=special_until)
    return (
        with_summary(store_visible_by_id(caller, store_id).select_related("brand"))
        .prefetch_related(Prefetch("business_hours", queryset=hours), Prefetch("special_hours", queryset=special))
        .get()
    )


def special_hours_ordered(rows: QuerySet[SpecialHours]) -> QuerySet[SpecialHours]:
    """`rows` by date, the closed rows (no times) first, then by start and end: the same order on
    PostgreSQL and SQLite, which put NULLs at opposite ends by default."""
    return rows.order_by("date", F("start_time_local").asc(nulls_first=True), F("end_time_local").asc(nulls_first=True))


def special_day(*, caller: Caller, store_id: str, date: dt.date) -> tuple[Store, list[SpecialHours]]:
    """A store `caller` may see, by its external id, and its special-hours rows on local date `date`,
    ordered as `special_hours_ordered` ([] when it has none: the weekly schedule applies). Raises
    Store.DoesNotExist, also for another brand's store."""
    store = (stores_by_id(store_id) & stores_visible(caller)).get()
    return store, list(special_hours_ordered(SpecialHours.objects.filter(store=store, date=date)))


def store_get(*, caller: Caller, store_id: str) -> Store:
    """One store by its external id, if `caller` may see it. Raises Store.DoesNotExist otherwise."""
    return store_visible_by_id(caller, store_id).get()


def stores_held() -> int:
    """How many stores the database holds, of every brand: 0 means it is empty (nothing was ever
    loaded or pushed, since every poll, row of hours and timezone belongs to a store)."""
    return Store.objects.count()
