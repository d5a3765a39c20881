"""The store page, /stores/<store_id>?as_of=… (issue 16): one store's six numbers, its week drawn
(reports/svg.py), the hours each date followed and the week's observations, on one server-rendered
page that needs no script.

It reads what GET /api/stores/{id}/uptime and GET /api/stores/{id} read, with the same default T
(`store_views.default_as_of_for`), so its numbers are the API's. The URL carries the state: `as_of`
is a query parameter, so a view of the page survives a reload and can be shared. A store the
caller may not see is the page's 404, the same page as for a store that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views import View

from brands.access import Caller, caller_of
from reports import selectors, svg, timeline
from reports.fleet import ALWAYS_OPEN, SPECIAL, from_us, to_us
from reports.serializers import AsOfQuerySerializer
from reports.store_views import default_as_of_for, week_incidents_for
from stores import selectors as store_selectors
from stores.models import Store
from stores.schedule import resolve_timezone
from stores.serializers import StoreDetailSerializer

# The special days listed around the week, as the fleet page's look-up lists them.
RECENT_SPECIAL_DAYS = 28
UPCOMING_SPECIAL_DAYS = 90
# The page lists at most this many observations, the latest (the uptime API has them all).
OBSERVATIONS_LISTED = 500
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The six numbers by window: (label, StoreValues' name of the window, unit, the uptime API's unit suffix).
NUMBERS = (
    ("Last hour", "hour", "min", "minutes"),
    ("Last day", "day", "h", "hours"),
    ("Last week", "week", "h", "hours"),
)


@dataclass(frozen=True)
class NumberRow:
    """One window's uptime and downtime as the API rounds them (rule 8), its open time and share up."""

    window: str
    unit: str
    uptime_field: str
    uptime: float
    downtime_field: str
    downtime: float

    @property
    def open(self) -> float:
        return round(self.uptime + self.downtime, 2)

    @property
    def uptime_percent(self) -> str:
        """The share of open time up, one decimal; "closed" for a window without open time."""
        total = self.uptime + self.downtime
        return f"{100 * self.uptime / total:.1f}\u00a0%" if total else "closed"


@dataclass(frozen=True)
class CalendarDay:
    """A local date of the week: the rows its periods came from (rules 10, 11) and, within the
    week, its open, up and down hours, as the picture prints them at the row's end."""

    date: dt.date
    source: str
    followed: str
    new_version: bool
    closed: bool
    open_hours: str
    up_hours: str
    down_hours: str
    dst_note: str | None


@dataclass(frozen=True)
class ObservationRow:
    local: str
    utc: str
    status: str
    before_week: bool


class StorePageView(LoginRequiredMixin, View):
    """GET /stores/<store_id>?as_of=: the store's numbers as of T, its week drawn, its calendar and polls."""

    def get(self, request, store_id: str):
        caller = caller_of(request)
        try:
            store = store_selectors.store_get(caller=caller, store_id=store_id)
        except Store.DoesNotExist:
            return _not_found(request, store_id)
        asked = (request.GET.get("as_of") or "").strip()
        params = AsOfQuerySerializer(data={"as_of": asked} if asked else {})
        if not params.is_valid():
            errors = " ".join(str(e) for e in params.errors["as_of"])
            return _page(request, store, status=400, as_of_text=asked, as_of_error=f"as_of: {errors}")
        as_of = params.validated_data.get("as_of") or default_as_of_for(caller, store)
        try:
            fleet = selectors.store_fleet_input(store, as_of=as_of)
        except selectors.StoreNotInReport as exc:
            return _page(request, store, status=404, as_of_text=asked or _iso(as_of), problem=str(exc))
        line = timeline.store_timeline(fleet, as_of_us=to_us(as_of))
        return _page(request, store, as_of_text=asked, context=_week_context(caller, store, line, defaulted=not asked))


def _not_found(request, store_id: str):
    """The page's 404, word for word the same whether the store does not exist or is another brand's."""
    message = f"No store with store_id {store_id!r}."
    return render(request, "reports/store.html", {"not_found": message, "store_id": store_id}, status=404)


def _page(
    request,
    store: Store,
    *,
    status: int = 200,
    as_of_text: str = "",
    as_of_error: str = "",
    problem: str = "",
    context: dict | None = None,
):
    """The page of a store the caller may see: its header and as_of form, and `context` (the week)."""
    zone = resolve_timezone(store.timezone_str)
    page = {
        "store": store,
        "store_id": store.store_id,
        "zone": svg.zone_label(store.timezone_str, zone),
        "zone_defaulted": svg.zone_defaulted(store.timezone_str),
        "as_of_text": as_of_text,
        "as_of_error": as_of_error,
        "problem": problem,
        **(context or {}),
    }
    return render(request, "reports/store.html", page, status=status)


def _week_context(caller: Caller, store: Store, line: timeline.StoreTimeline, *, defaulted: bool) -> dict:
    """Everything the page shows of the week (T - 7 days, T]."""
    rows = svg.day_rows(line)
    first, last = rows[0].date, rows[-1].date
    detail = store_selectors.store_detail(
        caller=caller,
        store_id=store.store_id,
        special_from=first - dt.timedelta(days=RECENT_SPECIAL_DAYS),
        special_until=last + dt.timedelta(days=UPCOMING_SPECIAL_DAYS),
    )
    calendar = StoreDetailSerializer(detail).data
    zone = svg.zone_label(store.timezone_str, line.timezone)
    special_days = [_special_day(day) for day in calendar["special_days"]]
    as_of = _iso(line.as_of)
    incidents = week_incidents_for(caller, store, line)
    marks = incidents.marks()
    return {
        "as_of": as_of,
        "as_of_default": defaulted,
        "as_of_local": svg.local_instant(line.as_of_us, ZoneInfo(line.timezone)),
        "numbers": _numbers(line),
        "never_polled": line.never_observed,
        "polled_while_closed": line.never_observed and bool(line.ignored_polls),
        "now": _state_at_t(line),
        "picture_wide": _inline(
            svg.week_svg(line, zone=zone, layout=svg.WIDE, incidents=marks, incidents_count=incidents.count)
        ),
        "picture_narrow": _inline(
            svg.week_svg(line, zone=zone, layout=svg.NARROW, incidents=marks, incidents_count=incidents.count)
        ),
        "days": [_calendar_day(row) for row in rows],
        "versions": [_version(v, first, last) for v in calendar["versions"]],
        "special_recent": [d for d in special_days if d["date"] <= last.isoformat()],
        "special_upcoming": [d for d in special_days if d["date"] > last.isoformat()],
        "special_from": (first - dt.timedelta(days=RECENT_SPECIAL_DAYS)).isoformat(),
        "special_until": (last + dt.timedelta(days=UPCOMING_SPECIAL_DAYS)).isoformat(),
        "observations": _observations(line),
        "observations_count": len(line.observations),
        "observations_listed": min(len(line.observations), OBSERVATIONS_LISTED),
        "ignored_count": len(line.ignored_polls),
    }


def _numbers(line: timeline.StoreTimeline) -> list[NumberRow]:
    """The six values rounded as the CSV and the uptime API round them (rule 8), named as the API names them."""
    values = line.values.rounded()
    return [
        NumberRow(
            window=label,
            unit=unit,
            uptime_field=f"uptime_last_{window}_{suffix}",
            uptime=getattr(values, f"uptime_last_{window}"),
            downtime_field=f"downtime_last_{window}_{suffix}",
            downtime=getattr(values, f"downtime_last_{window}"),
        )
        for label, window, unit, suffix in NUMBERS
    ]


def _state_at_t(line: timeline.StoreTimeline) -> dict:
    """The store's state at T (the last segment's) and since when, in its local time."""
    last = line.segments[-1]
    state = svg.UNOBSERVED if last.state == timeline.INACTIVE and line.never_observed else last.state
    since = "before the week" if last.start_us == line.week_start_us else None
    return {
        "state": last.state,
        "words": svg.STATE_WORDS[state],
        "since": since or svg.local_instant(last.start_us, ZoneInfo(line.timezone)),
    }


def _calendar_day(row: svg.DayRow) -> CalendarDay:
    schedule = row.schedule
    if schedule is None or schedule.source == ALWAYS_OPEN:
        followed = "open 24×7 (no weekly hours)"
    elif schedule.source == SPECIAL:
        followed = "special day: closed" if schedule.closed else "special hours"
    elif schedule.effective_from is None:
        followed = "weekly hours (undated version)"
    else:
        followed = f"weekly hours from {schedule.effective_from.isoformat()}"
    if schedule is not None and schedule.source != SPECIAL and schedule.closed:
        followed += ", closed this weekday"
    dst_note = None
    if row.skipped or row.repeated:
        hours = 24 - sum(b - a for a, b in row.skipped) / 3600e6 + sum(b - a for a, b in row.repeated) / 3600e6
        dst_note = f"DST: a {hours:g}-hour day"
    return CalendarDay(
        date=row.date,
        source=schedule.source if schedule is not None else ALWAYS_OPEN,
        followed=followed,
        new_version=row.calendar_label is not None and row.calendar_label.startswith("new hours"),
        closed=schedule is not None and schedule.closed,
        open_hours=svg.hours_text(row.open_us),
        up_hours=svg.hours_text(row.state_us(timeline.ACTIVE)),
        down_hours=svg.hours_text(row.state_us(timeline.INACTIVE)),
        dst_note=dst_note,
    )


def _version(version: dict, first: dt.date, last: dt.date) -> dict:
    """A weekly version (rule 10) in words: when it applies, whether the week uses it, its hours per weekday."""
    start, until = version["applies_from"], version["applies_until"]
    if start and until:
        applies = f"{start} to the day before {until}"
    elif start:
        applies = f"{start} and after"
    elif until:
        applies = f"every date before {until}"
    else:
        applies = "every date"
    in_week = (start is None or start <= last.isoformat()) and (until is None or until > first.isoformat())
    hours = [
        (WEEKDAYS[day["day_of_week"]][:3], ", ".join(f"{i['start'][:5]}–{i['end'][:5]}" for i in day["intervals"]))
        for day in version["hours_merged"]
    ]
    return {
        "effective_from": version["effective_from"] or "undated",
        "applies": applies,
        "in_week": in_week,
        "rows": len(version["hours"]),
        "hours": [(day, text or "closed") for day, text in hours],
    }


def _special_day(day: dict) -> dict:
    rows = [r for r in day["rows"] if r["start_time_local"] is not None]
    if day["closed"]:
        hours = "closed all day"
    else:
        hours = ", ".join(_special_hours(r["start_time_local"], r["end_time_local"]) for r in rows)
    return {
        "date": day["date"],
        "weekday": WEEKDAYS[dt.date.fromisoformat(day["date"]).weekday()],
        "hours": hours,
        "closed": day["closed"],
    }


def _special_hours(start: str, end: str) -> str:
    if start == end:
        return f"whole day (given as {start[:5]}–{end[:5]})"
    return f"{start[:5]}–{end[:5]}" + (" (past midnight)" if start > end else "")


def _observations(line: timeline.StoreTimeline) -> list[ObservationRow]:
    """The latest OBSERVATIONS_LISTED observations, newest first; the first may be older than the week."""
    zone = ZoneInfo(line.timezone)
    return [
        ObservationRow(
            local=svg.local_instant(p.at_us, zone),
            utc=_iso(from_us(p.at_us)),
            status=p.status,
            before_week=p.at_us <= line.week_start_us,
        )
        for p in reversed(line.observations[-OBSERVATIONS_LISTED:])
    ]


def _inline(document: str) -> str:
    """An SVG document as markup to put inside the page: without its XML declaration. Every text in
    it is escaped by reports/svg.py."""
    return mark_safe(document.split("\n", 1)[1])  # noqa: S308 - built by reports/svg.py, every text escaped


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
