"""alerts listens to the stores app's writes (stores never imports alerts): `stores.signals.polls_stored`
and `hours_changed` (new hours decide anew which polls are observations, so which are incidents). And it
is the reader of a store's incidents for the reports app's uptime answer, picture and store page
(`reports.store_incidents`: reports never imports alerts)."""

import datetime as dt
from typing import Any

from alerts import selectors, services
from alerts.serializers import IncidentSerializer
from brands.access import Caller
from reports import store_incidents
from stores.models import Store
from stores.signals import hours_changed, polls_stored


def on_polls_stored(sender: Any, *, store_pks: list[int] | None, **kwargs: Any) -> None:
    """A load or pushed batch committed: queue the refresh of the incidents of the stores it changed."""
    services.incidents_refresh_enqueue(store_pks=store_pks)


def week_incidents(caller: Caller, store: Store, start: dt.datetime, end: dt.datetime) -> store_incidents.WeekIncidents:
    """The store's incidents overlapping (start, end], as GET /api/stores/{id}/incidents/ shows them."""
    incidents, count = selectors.incidents_overlapping(
        caller=caller, store=store, start=start, end=end, limit=store_incidents.WEEK_INCIDENTS_MAX
    )
    return store_incidents.WeekIncidents(items=list(IncidentSerializer(incidents, many=True).data), count=count)


def connect() -> None:
    store_incidents.register(week_incidents)
    polls_stored.connect(on_polls_stored, dispatch_uid="alerts.incidents_refresh")
    hours_changed.connect(on_polls_stored, dispatch_uid="alerts.incidents_refresh.hours")
