"""Keep the incidents (docs/numbers.md rule 12) of stores equal to what their polls and hours say.

`incidents_refresh(store_pks)` recomputes the incidents of those stores with the report's
own reader and engine (`reports.selectors.fleet_input`, alerts/incidents.py) and makes
the stored rows match: new incidents inserted, changed ones updated, vanished ones
deleted. The result depends only on the stored polls and hours, so a refresh is safe to
run twice, late, or out of order with others. Each batch of stores runs in one
transaction holding its stores' rows (FOR NO KEY UPDATE, in primary-key order), so two
refreshes of one store take turns, and polls can still be written meanwhile.

What a refresh recomputes, per store (alerts/incidents.py, step 3): T is the store's
latest poll not later than `now` (give or take the clock skew a report's as_of is allowed,
`reports.services.AS_OF_CLOCK_SKEW`); every incident after the store's latest active
observation before T - INCIDENTS_LOOKBACK_DAYS is rewritten, and the rows before it
are left as they were (their data is older than the horizon).

Identity: the row of an incident is kept (id, created_at and the notification stamps)
as long as the recomputed run overlaps the row's run (its first to last observation),
the row with the same first observation first, so a late poll that extends, shortens or
splits a run changes the row rather than replacing it; only a run that overlaps no row
is new. `incidents_repair` finds the stores whose polls arrived, or became current,
after their last refresh (`IncidentRefresh`): beat runs it to catch any refresh lost
on the way (a broker down at commit time, a worker killed mid-task).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from alerts.incidents import Incident as Computed
from alerts.incidents import StoreIncidents, fleet_incidents
from alerts.models import Incident, IncidentRefresh
from reports.fleet import DAY_US, NO_POLL, from_us, to_us
from reports.selectors import DbHistory, fleet_input
from reports.services import AS_OF_CLOCK_SKEW
from stores.models import Poll, Store
from stores.staging import polls_received_cutoff

log = logging.getLogger(__name__)

# The fields a refresh writes (the rest are the row's identity and history).
_COMPUTED_FIELDS = (
    "first_observed_at",
    "last_observed_at",
    "started_at",
    "ended_at",
    "open_minutes",
    "open_minutes_until",
)


@dataclass
class RefreshCounts:
    """What a refresh did: stores refreshed, incident rows inserted, updated, deleted, left as they were."""

    stores: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def add(self, other: RefreshCounts) -> None:
        self.stores += other.stores
        self.inserted += other.inserted
        self.updated += other.updated
        self.deleted += other.deleted
        self.unchanged += other.unchanged


def incidents_refresh(store_pks: Iterable[int], *, now: dt.datetime | None = None) -> RefreshCounts:
    """Recompute the incidents of the stores with these primary keys and store them (module doc).

    Unknown keys are skipped. `now` (default: the current time) only decides which polls
    are current: a poll dated later than now + AS_OF_CLOCK_SKEW (a device's clock may be
    ahead of ours) is not yet part of its store's incidents.
    """
    now = now or timezone.now()
    counts = RefreshCounts()
    for group in store_batches(sorted(set(store_pks)), settings.INCIDENTS_BATCH_STORES):
        counts.add(_group_refresh(group, now=now))
    return counts


def incidents_refresh_enqueue(*, store_pks: list[int] | None) -> int:
    """Queue refresh tasks for these stores (None: every store), INCIDENTS_BATCH_STORES a task.

    Returns the number of tasks queued. A broker that cannot take them is logged, not raised:
    the data is stored already, and `incidents_repair` (beat) refreshes those stores later.
    """
    from alerts.tasks import incidents_refresh_task

    pks = list(Store.objects.order_by("pk").values_list("pk", flat=True)) if store_pks is None else sorted(store_pks)
    queued = 0
    try:
        for batch in store_batches(pks, settings.INCIDENTS_BATCH_STORES):
            incidents_refresh_task.apply_async(args=(batch,), retry=False)
            queued += 1
    except Exception as exc:  # kombu raises many kinds: all mean "not queued"
        log.warning("incident refresh of %d stores not queued (%s); the repair task will do it", len(pks), exc)
    return queued


def incidents_repair(*, now: dt.datetime | None = None, window_seconds: float | None = None) -> list[int]:
    """Queue a refresh of the stores whose incidents may be stale, and return their primary keys.

    Those are the stores with a poll received in the last `window_seconds` (default
    INCIDENTS_REPAIR_WINDOW_SECONDS) after their last refresh read the polls, or with a poll
    dated in that window after the T their last refresh used (it was in the future then),
    and the stores with such polls that were never refreshed.
    """
    now = now or timezone.now()
    window = dt.timedelta(
        seconds=settings.INCIDENTS_REPAIR_WINDOW_SECONDS if window_seconds is None else window_seconds
    )
    since = now - window
    unseen = Poll.objects.filter(received_at__gte=since).filter(
        ~Exists(
            IncidentRefresh.objects.filter(store=OuterRef("store"), polls_received_until__gte=OuterRef("received_at"))
        )
    )
    current = Poll.objects.filter(observed_at_utc__gt=since, observed_at_utc__lte=now + AS_OF_CLOCK_SKEW).filter(
        ~Exists(IncidentRefresh.objects.filter(store=OuterRef("store"), as_of__gte=OuterRef("observed_at_utc")))
    )
    pks = sorted(
        set(unseen.order_by().values_list("store_id", flat=True).distinct())
        | set(current.order_by().values_list("store_id", flat=True).distinct())
    )
    if pks:
        incidents_refresh_enqueue(store_pks=pks)
    return pks


# --- One batch ----------------------------------------------------------------------------


def store_batches(pks: list[int], size: int) -> Iterator[list[int]]:
    """Sorted store keys in batches of at most `size`, each spanning fewer than 2 * size keys: a
    batch is read as a key range (the report's reader), so scattered stores must not make it read
    the whole fleet."""
    group: list[int] = []
    for pk in pks:
        if group and (len(group) >= size or pk - group[0] >= 2 * size):
            yield group
            group = []
        group.append(pk)
    if group:
        yield group


def _group_refresh(pks: list[int], *, now: dt.datetime) -> RefreshCounts:
    # Read before the transaction: it waits for a load in flight, which may itself wait
    # for the store rows we are about to lock.
    received_until = polls_received_cutoff()
    with transaction.atomic():
        stores = list(
            Store.objects.select_for_update(no_key=True).filter(pk__in=pks).order_by("pk").values_list("pk", "store_id")
        )
        if not stores:
            return RefreshCounts()
        listed = _compute(stores, now=now)
        counts = RefreshCounts(stores=len(stores))
        existing = _rows_in_region(listed)
        refreshed = timezone.now()
        writes = _Writes()
        for pk, store_incidents in listed.items():
            writes.plan(pk, store_incidents, existing.get(pk, []), refreshed=refreshed)
        counts.add(writes.run())
        IncidentRefresh.objects.bulk_create(
            [
                IncidentRefresh(
                    store_id=pk,
                    polls_received_until=received_until,
                    as_of=None if s.as_of_us is None else from_us(s.as_of_us),
                    since=None if s.since_us is None else from_us(s.since_us),
                    refreshed_at=refreshed,
                )
                for pk, s in listed.items()
            ],
            update_conflicts=True,
            unique_fields=["store"],
            update_fields=["polls_received_until", "as_of", "since", "refreshed_at"],
        )
    return counts


def _compute(stores: list[tuple[int, str]], *, now: dt.datetime) -> dict[int, StoreIncidents]:
    """Each store's incidents (alerts/incidents.py), keyed by primary key; T is its latest poll until `now`."""
    pks = np.array([pk for pk, _ in stores], np.int64)
    until = to_us(now + AS_OF_CLOCK_SKEW) + 1
    latest = DbHistory(pks).latest_before(np.arange(len(pks)), np.full(len(pks), until))
    as_of = {pk: (None if t == NO_POLL else int(t)) for pk, t in zip(pks.tolist(), latest.tolist(), strict=True)}
    listed = {pk: StoreIncidents(0, None, None, ()) for pk in as_of}
    polled = [(pk, store_id) for pk, store_id in stores if as_of[pk] is not None]
    if not polled:
        return listed
    top = max(t for t in as_of.values() if t is not None)
    # Every polled store has a poll at or before `top`, so the report's reader lists it (rule 1).
    fleet = fleet_input(
        as_of=from_us(top), pk_first=polled[0][0], pk_last=polled[-1][0], store_ids=[s for _, s in polled]
    )
    pk_of = {store_id: pk for pk, store_id in polled}
    fleet_pks = [pk_of[store_id] for store_id in fleet.store_ids]
    lookback_us = round(settings.INCIDENTS_LOOKBACK_DAYS * DAY_US)
    for pk, found in zip(
        fleet_pks,
        fleet_incidents(fleet, as_of_us=[as_of[pk] for pk in fleet_pks], lookback_us=lookback_us),
        strict=True,
    ):
        listed[pk] = found
    return listed


def _rows_in_region(listed: dict[int, StoreIncidents]) -> dict[int, list[Incident]]:
    """The stored incidents each refresh rewrites: those whose run ends at or after the listing's
    start (all of the store's when the listing is its whole history), by store, oldest first."""
    whole = [pk for pk, s in listed.items() if s.since_us is None]
    starts = [s.since_us for s in listed.values() if s.since_us is not None]
    # One index range per store from the earliest start; each store's own start is applied below.
    near = Q(store_id__in=list(listed), last_observed_at__gte=from_us(min(starts))) if starts else Q(pk__in=[])
    found = Incident.objects.filter(near | Q(store_id__in=whole)).order_by("store_id", "first_observed_at", "id")
    rows: dict[int, list[Incident]] = {}
    for row in found:
        since = listed[row.store_id].since_us
        if since is None or to_us(row.last_observed_at) >= since:
            rows.setdefault(row.store_id, []).append(row)
    return rows


class _Writes:
    """The row changes that make a batch's stores' rows those computed (module doc: identity),
    planned store by store and written in three statements: deletes first, so that no row
    still holds a first observation that an update or insert gives another."""

    def __init__(self) -> None:
        self.gone: list[Incident] = []
        self.changed: list[Incident] = []
        self.new: list[Incident] = []
        self.unchanged = 0

    def plan(self, pk: int, listed: StoreIncidents, rows: list[Incident], *, refreshed: dt.datetime) -> None:
        pairs, gone = incidents_match(rows, list(listed.incidents))
        self.gone += gone
        for computed, row in pairs:
            values = _values(computed)
            if row is None:
                self.new.append(Incident(store_id=pk, **values))
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                row.updated_at = refreshed
                self.changed.append(row)
            else:
                self.unchanged += 1

    def run(self) -> RefreshCounts:
        if self.gone:
            Incident.objects.filter(pk__in=[row.pk for row in self.gone]).delete()
        if self.changed:
            Incident.objects.bulk_update(self.changed, [*_COMPUTED_FIELDS, "updated_at"], batch_size=500)
        if self.new:
            Incident.objects.bulk_create(self.new, batch_size=500)
        return RefreshCounts(
            inserted=len(self.new), updated=len(self.changed), deleted=len(self.gone), unchanged=self.unchanged
        )


def incidents_match(
    rows: list[Incident], computed: list[Computed]
) -> tuple[list[tuple[Computed, Incident | None]], list[Incident]]:
    """Pair each computed incident (oldest first) with the stored row that stands for it, or None
    for a new one; and the rows that stand for none (to delete).

    A row stands for the first computed incident whose run overlaps its own (first to last
    observation), the row with the same first observation preferred: computed runs are
    disjoint and sorted, so one pass over the rows (sorted by first observation) does it.
    """
    pairs: list[tuple[Computed, Incident | None]] = []
    taken: set[int] = set()
    gone: list[Incident] = []
    j = 0
    for incident in computed:
        first, last = from_us(incident.first_observed_us), from_us(incident.last_observed_us)
        # Rows wholly before this run overlap no later run either.
        while j < len(rows) and rows[j].last_observed_at < first:
            if rows[j].pk not in taken:
                gone.append(rows[j])
            j += 1
        candidates = []
        k = j
        while k < len(rows) and rows[k].first_observed_at <= last:
            if rows[k].pk not in taken and rows[k].last_observed_at >= first:
                candidates.append(rows[k])
            k += 1
        exact = [row for row in candidates if row.first_observed_at == first]
        chosen = next(iter(exact or candidates), None)
        if chosen is not None:
            taken.add(chosen.pk)
        pairs.append((incident, chosen))
    gone += [row for row in rows[j:] if row.pk not in taken]
    return pairs, gone


def _values(incident: Computed) -> dict[str, Any]:
    return {
        "first_observed_at": from_us(incident.first_observed_us),
        "last_observed_at": from_us(incident.last_observed_us),
        "started_at": None if incident.started_at_us is None else from_us(incident.started_at_us),
        "ended_at": None if incident.ended_at_us is None else from_us(incident.ended_at_us),
        "open_minutes": incident.open_minutes,
        "open_minutes_until": from_us(incident.open_until_us),
    }
