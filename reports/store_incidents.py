"""A store's incidents over the week its uptime answer, timeline picture and page show.

Incidents (docs/numbers.md rule 12) are kept by the `alerts` app, which builds on reports; reports
never imports it (loopmonitor/tests/test_boundaries.py). So alerts registers its reader here from
its AppConfig.ready() (`register`), and the store views ask `week_incidents`; with no reader
registered, no store has incidents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from brands.access import Caller
from reports.fleet import to_us
from reports.svg import IncidentMark
from stores.models import Store

# The uptime answer and the picture list at most this many of a week's incidents, the latest (a
# store flapping every minute has thousands; GET /api/stores/{id}/incidents/ pages through them all).
WEEK_INCIDENTS_MAX = 100


@dataclass(frozen=True)
class WeekIncidents:
    """The incidents of a store over (start, end]: `items` as GET /api/stores/{id}/incidents/ shows
    them, newest first, at most WEEK_INCIDENTS_MAX (the latest); `count` how many there are."""

    items: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    @property
    def truncated(self) -> bool:
        return self.count > len(self.items)

    def marks(self) -> list[IncidentMark]:
        """The items as the picture outlines them."""
        return [_mark(item) for item in self.items]


# (caller, store, start, end) -> WeekIncidents
Reader = Callable[[Caller, Store, dt.datetime, dt.datetime], WeekIncidents]
_readers: list[Reader] = []


def register(reader: Reader) -> None:
    """Make `reader` the source of stores' incidents (alerts' AppConfig.ready(); once)."""
    _readers[:] = [reader]


def week_incidents(*, caller: Caller, store: Store, start: dt.datetime, end: dt.datetime) -> WeekIncidents:
    """The store's incidents the caller may see that overlap (start, end]: those not ended before
    `start` and begun at or before `end` (GET /api/stores/{id}/incidents/?since=start&until=end)."""
    if not _readers:
        return WeekIncidents()
    return _readers[0](caller, store, start, end)


def _instant_us(text: str | None) -> int | None:
    return None if text is None else to_us(dt.datetime.fromisoformat(text))


def _mark(item: dict[str, Any]) -> IncidentMark:
    first = _instant_us(item["first_observed_at"])
    start = _instant_us(item["started_at"])
    return IncidentMark(
        incident_id=int(item["id"]),
        start_us=start if start is not None else first or 0,
        start_known=bool(item["start_known"]),
        end_us=_instant_us(item["ended_at"]),
        open_minutes=float(item["open_minutes"]),
    )
