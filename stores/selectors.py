"""Database reads for the stores API and admin (issue 7). Never computes uptime (that is the reports app).

A page of stores costs three queries whatever the fleet's size: the count,
the page's primary keys (an index scan on store_id with LIMIT/OFFSET), and
the page's summaries, where each poll figure is a correlated subquery over
the (store, observed_at_utc) index evaluated for those 50 stores only.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from stores.models import BusinessHours, Poll, Store


def store_list(*, search: str | None = None) -> QuerySet[Store]:
    """Stores ordered by store_id (as a string), those whose store_id contains `search` if given
    (case-insensitive substring). Plain rows: summarise a page with `store_summaries`."""
    stores = Store.objects.order_by("store_id")
    if search:
        stores = stores.filter(store_id__icontains=search.strip())
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
    found = {store.pk: store for store in with_summary(Store.objects.filter(pk__in=pks))}
    return [found[pk] for pk in pks if pk in found]


def store_detail(*, store_id: str) -> Store:
    """One store by its external id, annotated by `with_summary`, its hours rows prefetched
    (ordered by day, start, end). Raises Store.DoesNotExist."""
    hours = BusinessHours.objects.order_by("day_of_week", "start_time_local", "end_time_local")
    return (
        with_summary(Store.objects.filter(store_id=store_id))
        .prefetch_related(Prefetch("business_hours", queryset=hours))
        .get()
    )


def store_get(*, store_id: str) -> Store:
    """One store by its external id. Raises Store.DoesNotExist."""
    return Store.objects.get(store_id=store_id)
