"""Database reads for the incidents API. Every incident is reached through its store, and every
store through `stores.selectors.stores_visible`: another brand's incidents do not exist for a caller."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from alerts.models import Incident
from brands.access import Caller
from stores.models import Store
from stores.selectors import stores_by_id, stores_visible


def store_visible(caller: Caller, *, store_id: str) -> Store | None:
    """The store with external id `store_id` if the caller may see it, else None (unknown or not theirs)."""
    return stores_visible(caller).filter(pk__in=stores_by_id(store_id).values("pk")).first()


def incident_list(
    *,
    caller: Caller,
    store: Store | None = None,
    state: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    order: str = "newest",
) -> QuerySet[Incident]:
    """The caller's incidents, newest first (by first inactive observation), or with `order`
    "worst" the most open minutes first (the page's Now panel), with their stores.

    `store`: that store's only; `state`: open or resolved; `since`: those not ended before it
    (open ones always reach it); `until`: those begun at or before it (by start, or by first
    observation when the start is unknown).
    """
    incidents = Incident.objects.filter(store__in=stores_visible(caller)).select_related("store")
    if store is not None:
        incidents = incidents.filter(store=store)
    if state is not None:
        incidents = incidents.filter(ended_at__isnull=state == Incident.State.OPEN)
    if since is not None:
        incidents = incidents.filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
    if until is not None:
        incidents = incidents.filter(
            Q(started_at__lte=until) | Q(started_at__isnull=True, first_observed_at__lte=until)
        )
    if order == "worst":
        return incidents.order_by("-open_minutes", "-first_observed_at", "-id")
    return incidents.order_by("-first_observed_at", "-id")


def incidents_overlapping(
    *, caller: Caller, store: Store, start: dt.datetime, end: dt.datetime, limit: int
) -> tuple[list[Incident], int]:
    """The store's incidents overlapping (start, end] as `incident_list(since=start, until=end)` finds
    them, newest first: the first `limit`, and how many there are."""
    incidents = incident_list(caller=caller, store=store, since=start, until=end)
    return list(incidents[:limit]), incidents.count()
