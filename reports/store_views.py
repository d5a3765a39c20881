"""The per-store uptime, timeline and SVG (issue 7): a reports feature on the stores' URLs.

GET /api/stores/{store_id}/uptime and /timeline.svg compute one store's week with the
reader and engine a report uses, so the six values equal the store's report row. A store
the caller may not see (`stores_visible`) is a 404, word for word that of a store that does
not exist.
"""

import datetime as dt

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from brands.access import Caller, caller_of
from brands.permissions import BrandRole
from loopmonitor.api import ErrorSerializer, refuse_nul
from reports import selectors, store_incidents, svg, timeline
from reports.fleet import from_us, to_us
from reports.serializers import (
    TIMELINE_MAX_SEGMENTS,
    UPTIME_LIMIT_DEFAULT,
    UPTIME_LIMIT_MAX,
    AsOfQuerySerializer,
    StoreUptimeSerializer,
    UptimeLimitQuerySerializer,
    uptime_max_bytes,
)
from stores import selectors as store_selectors
from stores.models import Store
from stores.views import STORE_ID_PARAMETER

_AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    OpenApiParameter.QUERY,
    required=False,
    description="the instant T, ISO 8601 (UTC if no offset is given); default: the latest poll, as for a report "
    "(docs/numbers.md rule 2): the latest of the store's brand for a brand's caller, of the fleet for platform staff",
)
_LIMIT = OpenApiParameter(
    "limit",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    required=False,
    description=f"at most this many observations and ignored polls, the latest (1..{UPTIME_LIMIT_MAX}, "
    f"default {UPTIME_LIMIT_DEFAULT})",
)


def _store_or_404(caller: Caller, store_id: str) -> Store:
    refuse_nul(store_id, name="store_id")
    try:
        return store_selectors.store_get(caller=caller, store_id=store_id)
    except Store.DoesNotExist:
        raise NotFound(f"No store with store_id {store_id!r}.") from None


def default_as_of_for(caller: Caller, store: Store) -> dt.datetime:
    """T when none is asked for (rule 2), that of the report the caller would trigger over the
    store: its brand's latest poll for a brand's caller (another brand's polls, never seen, never
    move it), the fleet's for platform staff. The store page (reports/store_pages.py) uses it too."""
    return selectors.default_as_of(brand_id=None if caller.is_staff else store.brand_id)


def week_incidents_for(caller: Caller, store: Store, line: timeline.StoreTimeline) -> store_incidents.WeekIncidents:
    """The store's incidents overlapping the week (T - 7 days, T] of `line` (rule 12), as the
    incidents API lists them with since=<T - 7 days>&until=<T>. The store page uses it too."""
    return store_incidents.week_incidents(
        caller=caller, store=store, start=from_us(line.week_start_us), end=from_us(line.as_of_us)
    )


def _store_timeline(request, store_id: str) -> tuple[Store, timeline.StoreTimeline]:
    """The store and its week as of the request's `as_of` (or the default): 404 unknown store, 400 bad as_of."""
    caller = caller_of(request)
    store = _store_or_404(caller, store_id)
    params = AsOfQuerySerializer(data=request.query_params)
    if not params.is_valid():
        raise ParseError(f"as_of: {' '.join(str(e) for e in params.errors['as_of'])}")
    as_of = params.validated_data.get("as_of") or default_as_of_for(caller, store)
    try:
        fleet = selectors.store_fleet_input(store, as_of=as_of)
    except selectors.StoreNotInReport as exc:
        raise NotFound(str(exc)) from None
    return store, timeline.store_timeline(fleet, as_of_us=to_us(as_of))


class StoreUptimeView(APIView):
    """GET /api/stores/{store_id}/uptime?as_of=: the store's six values and the week behind them."""

    permission_classes = [BrandRole]

    @extend_schema(
        summary="One store's uptime and downtime, with the week that explains them",
        description=(
            "The store's six report values as of T (`as_of`), rounded as in the CSV; they equal the store's row "
            "of a report as of the same T (same reader, same engine). `timeline` covers exactly the last week "
            "(T - 7 days, T] in UTC with consecutive segments, each `closed` (outside business hours), `active` or "
            "`inactive` (open, status of the nearest observation, switching at midpoints: docs/numbers.md rules 5-7). "
            "The active (inactive) segments clipped to a window add up to its uptime (downtime) before rounding. "
            "`observations` are the polls taken while open that the status comes from, the first possibly "
            "older than the week when it decides the status at the week's start; `ignored_polls` are the week's "
            "polls taken while closed (rule 6). `days` names, for each local date the week touches (oldest "
            "first), the rows its own periods came from: `weekly` with the version's `effective_from` (null: the "
            "undated version), `special` (the date's special rows) or `24x7`, and whether they leave it `closed` "
            "(rules 10, 11). `incidents` are the store's incidents (rule 12) that overlap the week, newest first, "
            "exactly as GET /api/stores/{store_id}/incidents/?since=<T - 7 days>&until=<T> lists them (start and "
            "end in UTC and in the store's local time, open minutes, state), the latest "
            f"{store_incidents.WEEK_INCIDENTS_MAX}, with `incidents_count` and `incidents_truncated`. "
            "Unknown store, another brand's store (the same answer) or a store with no row as of T (rule 1): 404; an "
            "as_of that is not an ISO 8601 instant, a bad `limit` or a NUL in the store id: 400. "
            f"Bounded: `observations` and `ignored_polls` list the latest `limit` (default {UPTIME_LIMIT_DEFAULT}, "
            f"at most {UPTIME_LIMIT_MAX}), `timeline` the latest {TIMELINE_MAX_SEGMENTS} segments (more means a "
            "state change every minute of the week; the listed ones then add up only over the windows they "
            "cover); each list has its `*_count` and `*_truncated`. The answer is at most "
            f"{uptime_max_bytes(UPTIME_LIMIT_DEFAULT):,} bytes by default and "
            f"{uptime_max_bytes(UPTIME_LIMIT_MAX):,} bytes with limit={UPTIME_LIMIT_MAX}."
        ),
        parameters=[STORE_ID_PARAMETER, _AS_OF, _LIMIT],
        responses={200: StoreUptimeSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        examples=[
            OpenApiExample(
                "docs/numbers.md example A",
                value={
                    "store_id": "1481966498820158979",
                    "as_of": "2023-01-23T17:00:00Z",
                    "timezone": "America/New_York",
                    "uptime_last_hour_minutes": 0.0,
                    "uptime_last_day_hours": 1.74,
                    "uptime_last_week_hours": 1.74,
                    "downtime_last_hour_minutes": 60.0,
                    "downtime_last_day_hours": 1.26,
                    "downtime_last_week_hours": 1.26,
                    "timeline": [
                        {"start": "2023-01-16T17:00:00Z", "end": "2023-01-23T14:00:00Z", "state": "closed"},
                        {"start": "2023-01-23T14:00:00Z", "end": "2023-01-23T15:44:30Z", "state": "active"},
                        {"start": "2023-01-23T15:44:30Z", "end": "2023-01-23T17:00:00Z", "state": "inactive"},
                    ],
                    "observations": [
                        {"observed_at": "2023-01-23T15:14:00Z", "status": "active"},
                        {"observed_at": "2023-01-23T16:15:00Z", "status": "inactive"},
                    ],
                    "ignored_polls": [{"observed_at": "2023-01-23T13:30:00Z", "status": "inactive"}],
                    "days": [
                        {"date": "2023-01-16", "source": "weekly", "effective_from": None, "closed": False},
                        {"date": "2023-01-17", "source": "weekly", "effective_from": None, "closed": True},
                        {"date": "2023-01-18", "source": "weekly", "effective_from": None, "closed": True},
                        {"date": "2023-01-19", "source": "weekly", "effective_from": None, "closed": True},
                        {"date": "2023-01-20", "source": "weekly", "effective_from": None, "closed": True},
                        {"date": "2023-01-21", "source": "weekly", "effective_from": None, "closed": True},
                        {"date": "2023-01-22", "source": "weekly", "effective_from": None, "closed": True},
                        {"date": "2023-01-23", "source": "weekly", "effective_from": None, "closed": False},
                    ],
                    "timeline_count": 3,
                    "timeline_truncated": False,
                    "observations_count": 2,
                    "observations_truncated": False,
                    "ignored_polls_count": 1,
                    "ignored_polls_truncated": False,
                    "incidents": [
                        {
                            "id": 42,
                            "store_id": "1481966498820158979",
                            "store_name": "",
                            "state": "open",
                            "start_known": True,
                            "started_at": "2023-01-23T15:44:30Z",
                            "ended_at": None,
                            "timezone": "America/New_York",
                            "started_at_local": "2023-01-23T10:44:30-05:00",
                            "ended_at_local": None,
                            "first_observed_at": "2023-01-23T16:15:00Z",
                            "last_observed_at": "2023-01-23T16:15:00Z",
                            "open_minutes": 75.5,
                            "open_minutes_until": "2023-01-23T17:00:00Z",
                        }
                    ],
                    "incidents_count": 1,
                    "incidents_truncated": False,
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Bad as_of",
                value={
                    "detail": "as_of: Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def get(self, request, store_id: str):
        params = UptimeLimitQuerySerializer(data=request.query_params)
        if not params.is_valid():
            raise ParseError(f"limit: {' '.join(str(e) for e in params.errors['limit'])}")
        store, line = _store_timeline(request, store_id)
        incidents = week_incidents_for(caller_of(request), store, line)
        context = {"limit": params.validated_data["limit"], "incidents": incidents}
        return Response(StoreUptimeSerializer(line, context=context).data)


class StoreTimelineSvgView(APIView):
    """GET /api/stores/{store_id}/timeline.svg?as_of=: the week as a picture."""

    permission_classes = [BrandRole]

    @extend_schema(
        operation_id="api_stores_timeline_svg_retrieve",
        summary="One store's week as an SVG picture",
        description=(
            "The week (T - 7 days, T] drawn in the store's local time (`image/svg+xml`). Each row is one local "
            "calendar date the week touches, oldest first: 8 rows, the first and last partial (grey outside the "
            "week); 7 when T is exactly local midnight. The x axis is local wall time 00:00-24:00 on every row. "
            "Closed time is blank, active green, inactive vermillion with a hatch pattern (a legend explains every "
            "mark, so colour is never the only cue). A store with no observation at all at or before T is "
            "inactive all its open time (docs/numbers.md rule 7); that time is drawn pale and dotted, 'no "
            "observation: never polled, counted as down', never like an outage a poll reported. Each segment has "
            "a tooltip (`<title>`) with its state, local start and end and its duration. The report's last day "
            "and last hour are bars under the rows they cover, and each row ends with that date's open, up and "
            "down hours within the week (two decimals; `data-open-us`, `data-up-us`, `data-down-us` on the row in "
            "microseconds). The picture follows the reader's dark mode (an embedded style sheet with a "
            "`prefers-color-scheme` rule). Each poll is a tick at its local time: filled for an "
            "observation, hollow for a poll ignored because the store was closed; pointing up when active, down "
            "when inactive. A DST date keeps its 24-hour axis and segments sit at their local wall time: a "
            "skipped hour (spring forward) is cross-hatched as 'no such local time'; a repeated hour (fall back) "
            "is drawn twice, its second pass over the lower half of the row. The title names the store, its "
            "timezone and as_of; a defaulted timezone says so (\"America/Chicago, the default: 'Eastern Standard "
            "Time' is not a zone name\", rule 4). The store's incidents (rule 12) overlapping the week (those of "
            "the uptime answer's `incidents`) are outlined over the rows they cover, each with a tooltip "
            '"incident: open since <local start>" or "incident <local start> – <local end>, N min" (`<g '
            'class="incidents" data-incidents="N">`, one `rect.incident` per row covered; none without '
            "incidents). Same 404 and 400 as the uptime endpoint (as JSON). "
            "Bounded: polls that fall in one pixel column of a row are one tick (the worst state drawn, "
            "`data-polls` their number) and "
            "segments narrower than a pixel are merged into one column drawn in the worst state, so the picture "
            f"is at most {svg.SVG_MAX_BYTES:,} bytes however many polls the week has."
        ),
        parameters=[STORE_ID_PARAMETER, _AS_OF],
        responses={
            (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, description="the SVG document"),
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "Unknown store",
                value={"detail": "No store with store_id '42'."},
                response_only=True,
                status_codes=["404"],
            ),
        ],
    )
    def get(self, request, store_id: str):
        store, line = _store_timeline(request, store_id)
        incidents = week_incidents_for(caller_of(request), store, line)
        picture = svg.week_svg(
            line,
            zone=svg.zone_label(store.timezone_str, line.timezone),
            incidents=incidents.marks(),
            incidents_count=incidents.count,
        )
        return HttpResponse(picture, content_type="image/svg+xml")
