"""Incidents told to their brand: `incident.opened` and `incident.resolved`, through notifications.

Sent once each per incident (`Incident.notified_*`, and the event's idempotency key), after a
refresh and by beat's repair, for what the stored incidents say at that moment:

- opened: an open incident whose last observation is at most INCIDENT_NOTIFY_MAX_AGE_MINUTES
  old (loading last year's polls tells nobody about last year's outages);
- resolved: an incident that was told opened and has ended since.

No storm from a flapping store: an `incident.opened` is sent only when the store had none in
the last INCIDENT_NOTIFY_MIN_MINUTES. A later incident within that gap waits; if it ends
within the gap it is never told (a flap), and if it is still open when the gap has passed it
is told then (the repair runs every few minutes). So each store gets at most one
opened/resolved pair per INCIDENT_NOTIFY_MIN_MINUTES, and a real outage is told at most that
late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.models import Incident
from alerts.serializers import IncidentSerializer
from notifications.models import INCIDENT_OPENED, INCIDENT_RESOLVED
from notifications.services import notify


@dataclass
class NotifyCounts:
    opened: int = 0
    resolved: int = 0
    deferred: int = 0


def incident_notifications_send(
    *, store_pks: Iterable[int] | None = None, now: dt.datetime | None = None
) -> NotifyCounts:
    """Tell the brands of these stores' (None: every store's) incidents what is new (module doc)."""
    now = now or timezone.now()
    counts = NotifyCounts()
    incidents = Incident.objects.select_related("store")
    if store_pks is not None:
        incidents = incidents.filter(store_id__in=list(store_pks))
    gap = dt.timedelta(minutes=settings.INCIDENT_NOTIFY_MIN_MINUTES)
    with transaction.atomic():
        # Rows another task is telling right now are skipped: it tells them.
        opening = incidents.filter(
            notified_opened_at__isnull=True,
            ended_at__isnull=True,
            last_observed_at__gte=now - dt.timedelta(minutes=settings.INCIDENT_NOTIFY_MAX_AGE_MINUTES),
        ).select_for_update(skip_locked=True, of=("self",))
        for incident in opening.order_by("store_id", "first_observed_at"):
            told_lately = Incident.objects.filter(store_id=incident.store_id, notified_opened_at__gt=now - gap)
            if told_lately.exists():
                counts.deferred += 1
                continue
            _tell(incident, INCIDENT_OPENED)
            incident.notified_opened_at = now
            incident.save(update_fields=["notified_opened_at"])
            counts.opened += 1
        resolving = incidents.filter(
            notified_opened_at__isnull=False, notified_resolved_at__isnull=True, ended_at__isnull=False
        ).select_for_update(skip_locked=True, of=("self",))
        for incident in resolving.order_by("store_id", "first_observed_at"):
            _tell(incident, INCIDENT_RESOLVED)
            incident.notified_resolved_at = now
            incident.save(update_fields=["notified_resolved_at"])
            counts.resolved += 1
    return counts


def _tell(incident: Incident, event: str) -> None:
    """The event with the incident as the API shows it (GET /api/incidents/)."""
    notify(
        brand_id=incident.store.brand_id,
        event=event,
        data=dict(IncidentSerializer(incident).data),
        idempotency_key=f"incident:{incident.pk}:{event.split('.')[1]}",
    )
