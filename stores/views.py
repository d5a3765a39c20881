"""HTTP adapters of the stores services and selectors: polls in, per-store drill-down out."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import engine, svg, timeline
from reports.serializers import ErrorSerializer
from stores import selectors
from stores.csv_rows import BadFile
from stores.models import Store
from stores.serializers import (
    AsOfQuerySerializer,
    PollPushErrorSerializer,
    PollPushItemSerializer,
    PollPushResultSerializer,
    RowErrorSerializer,
    StoreDetailSerializer,
    StoreListQuerySerializer,
    StoreSerializer,
    StoreUptimeSerializer,
)
from stores.services import RowsRejected, polls_push

# A pushed batch is parsed in memory; bigger sets go through `manage.py load_data`.


class CsvTextParser(BaseParser):
    """`text/csv` bodies, handed on as text (UTF-8, a BOM allowed)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError("The CSV body is not UTF-8 text.") from None


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with a deeply nested body a 400 rather than a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class PollPushView(APIView):
    """POST /api/polls: a batch of polls as a JSON list of
    `{"store_id", "timestamp_utc", "status"}` or as a CSV body; stored all or
    nothing, idempotently (loading the same batch twice changes nothing)."""

    parser_classes = [SafeJSONParser, CsvTextParser]

    @extend_schema(
        summary="Push a batch of polls",
        description=(
            'A JSON list of `{"store_id", "timestamp_utc", "status"}` objects, or a `text/csv` body with the '
            "header `store_id,timestamp_utc,status` (columns in any order, as store_status.csv). Stored all or "
            "nothing and idempotently: pushing the same batch twice changes nothing, and two polls of one store at "
            "one instant with different statuses are kept as one inactive poll (SEMANTICS.md rule 7). "
            f"400 lists the bad rows; 413 above {settings.POLLS_PUSH_MAX_BYTES} bytes (use `manage.py load_data`); "
            "415 for another content type."
        ),
        request={
            "application/json": PollPushItemSerializer(many=True),
            "text/csv": OpenApiTypes.STR,
        },
        responses={
            200: PollPushResultSerializer,
            400: PollPushErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "JSON batch",
                # One item: drf-spectacular shows it inside the list the body is.
                value={
                    "store_id": "1481966498820158979",
                    "timestamp_utc": "2023-01-22 12:09:39.388884 UTC",
                    "status": "active",
                },
                request_only=True,
                media_type="application/json",
            ),
            OpenApiExample(
                "CSV batch",
                value="store_id,timestamp_utc,status\n1481966498820158979,2023-01-22 12:09:39 UTC,active\n",
                request_only=True,
                media_type="text/csv",
            ),
            OpenApiExample(
                "Stored",
                value={"received": 1, "inserted": 1, "updated": 0, "duplicates": 0, "stores_touched": 1},
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Rejected",
                value={
                    "detail": "1 bad row(s); nothing was stored.",
                    "errors": [{"index": 0, "field": "status", "reason": "not 'active' or 'inactive': 'up'"}],
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.POLLS_PUSH_MAX_BYTES:
            return Response(
                {
                    "detail": f"Batch larger than {settings.POLLS_PUSH_MAX_BYTES} bytes; split it or use manage.py load_data."
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        body = request.data
        try:
            if isinstance(body, str):
                result = polls_push(csv_text=body)
            elif isinstance(body, list):
                result = polls_push(items=body)
            else:
                return Response(
                    {"detail": 'Expected a JSON list of {"store_id", "timestamp_utc", "status"} objects.'},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        except RowsRejected as exc:
            return Response(
                {
                    "detail": f"{exc.rejected} bad row(s); nothing was stored.",
                    "errors": RowErrorSerializer(exc.errors, many=True).data,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except BadFile as exc:
            return Response({"detail": exc.reason}, status=status.HTTP_400_BAD_REQUEST)
        return Response(PollPushResultSerializer(result).data, status=status.HTTP_200_OK)


# --- Per-store drill-down (issue 7) ------------------------------------------------------

_STORE_ID = OpenApiParameter(
    "store_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="the store's external id (19 digits or a UUID)"
)
_AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    OpenApiParameter.QUERY,
    required=False,
    description="the instant T, ISO 8601 (UTC if no offset is given); default: the latest poll, as for a report "
    "(SEMANTICS.md rule 2)",
)
_EXAMPLE_STORE = {
    "store_id": "1481966498820158979",
    "timezone_str": "America/New_York",
    "timezone": "America/New_York",
    "timezone_defaulted": False,
    "has_business_hours": True,
    "poll_count": 3,
    "last_poll_at": "2023-01-23T16:15:00Z",
    "last_poll_status": "inactive",
}
_HOURS_MERGED_DOC = (
    "`hours` are the weekly rows exactly as given (local times, 0 = Monday). `hours_merged` says, for every "
    "weekday 0..6, the local wall-clock intervals [start, end) during which the store is open on that local day: "
    "a row with start < end gives [start, end) on its day; a row with start > end runs past midnight and gives "
    "[start, 24:00:00) on its day and [00:00:00, end) on the next day (Sunday's goes to Monday); a row with "
    "start = end is the whole day [00:00:00, 24:00:00); overlapping or touching intervals are merged; a day "
    "with no interval is closed; a store with no rows at all is open [00:00:00, 24:00:00) every day "
    "(SEMANTICS.md rule 5). These are wall times: on a DST date the open time in UTC is longer or shorter."
)


def _store_or_404(store_id: str) -> Store:
    try:
        return selectors.store_get(store_id=store_id)
    except Store.DoesNotExist:
        raise NotFound(f"No store with store_id {store_id!r}.") from None


def _store_timeline(request, store_id: str) -> timeline.StoreTimeline:
    """The store's week as of the request's `as_of` (or the default): 404 unknown store, 400 bad as_of."""
    store = _store_or_404(store_id)
    params = AsOfQuerySerializer(data=request.query_params)
    if not params.is_valid():
        raise ParseError(f"as_of: {' '.join(str(e) for e in params.errors['as_of'])}")
    as_of = params.validated_data.get("as_of") or selectors.default_as_of()
    try:
        fleet = selectors.store_fleet_input(store, as_of=as_of)
    except selectors.StoreNotInReport as exc:
        raise NotFound(str(exc)) from None
    return timeline.store_timeline(fleet, as_of_us=engine.to_us(as_of))


class StoreListView(generics.ListAPIView):
    """GET /api/stores/?search=: stores by store_id, 50 a page, each with a summary of its polls."""

    serializer_class = StoreSerializer

    @extend_schema(
        summary="List stores",
        description=(
            "Stores ordered by store_id (as text), 50 a page (`page=2`, ...). `search` keeps the stores whose "
            "store_id contains it (case-insensitive). Each store has its timezone as stored and as used (missing, "
            "empty or invalid means America/Chicago, SEMANTICS.md rule 4), whether it has business hours (none "
            "means open 24x7), its number of polls and its latest poll."
        ),
        parameters=[
            OpenApiParameter(
                "search",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                description="a substring of the store_id (at most 64 characters)",
            )
        ],
        responses={200: StoreSerializer(many=True), 400: ErrorSerializer, 404: ErrorSerializer},
        # One store: drf-spectacular shows it inside a page.
        examples=[OpenApiExample("A page", value=_EXAMPLE_STORE, response_only=True, status_codes=["200"])],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = StoreListQuerySerializer(data=self.request.query_params)
        if not params.is_valid():
            raise ParseError(f"search: {' '.join(str(e) for e in params.errors['search'])}")
        return selectors.store_list(search=params.validated_data.get("search"))

    def paginate_queryset(self, queryset):
        # Page first, then summarise only the page's stores (stores/selectors.py).
        return selectors.store_summaries(super().paginate_queryset(queryset))


class StoreDetailView(APIView):
    """GET /api/stores/{store_id}: the store's summary, its hours as given and merged per local day."""

    @extend_schema(
        summary="One store, with its business hours",
        description="The fields of the list, plus the store's business hours. " + _HOURS_MERGED_DOC,
        parameters=[_STORE_ID],
        responses={200: StoreDetailSerializer, 404: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Open Mondays 09:00-12:00 and Fridays 18:00-02:00",
                value={
                    **_EXAMPLE_STORE,
                    "hours": [
                        {"day_of_week": 0, "start_time_local": "09:00:00", "end_time_local": "12:00:00"},
                        {"day_of_week": 4, "start_time_local": "18:00:00", "end_time_local": "02:00:00"},
                    ],
                    "hours_merged": [
                        {"day_of_week": 0, "intervals": [{"start": "09:00:00", "end": "12:00:00"}]},
                        {"day_of_week": 1, "intervals": []},
                        {"day_of_week": 2, "intervals": []},
                        {"day_of_week": 3, "intervals": []},
                        {"day_of_week": 4, "intervals": [{"start": "18:00:00", "end": "24:00:00"}]},
                        {"day_of_week": 5, "intervals": [{"start": "00:00:00", "end": "02:00:00"}]},
                        {"day_of_week": 6, "intervals": []},
                    ],
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Unknown store",
                value={"detail": "No store with store_id '42'."},
                response_only=True,
                status_codes=["404"],
            ),
        ],
    )
    def get(self, request, store_id: str):
        try:
            store = selectors.store_detail(store_id=store_id)
        except Store.DoesNotExist:
            raise NotFound(f"No store with store_id {store_id!r}.") from None
        return Response(StoreDetailSerializer(store).data)


class StoreUptimeView(APIView):
    """GET /api/stores/{store_id}/uptime?as_of=: the store's six values and the week behind them."""

    @extend_schema(
        summary="One store's uptime and downtime, with the week that explains them",
        description=(
            "The store's six report values as of T (`as_of`), rounded as in the CSV; they equal the store's row "
            "of a report as of the same T (same reader, same engine). `timeline` covers exactly the last week "
            "(T - 7 days, T] in UTC with consecutive segments, each `closed` (outside business hours), `active` or "
            "`inactive` (open, status of the nearest observation, switching at midpoints: SEMANTICS.md rules 5-7). "
            "The active (inactive) segments clipped to a window add up to its uptime (downtime) before rounding. "
            "`observations` are the polls taken while open that the status comes from, the first possibly "
            "older than the week when it decides the status at the week's start; `ignored_polls` are the week's "
            "polls taken while closed (rule 6). Unknown store or a store with no row as of T (rule 1): 404; an "
            "as_of that is not an ISO 8601 instant: 400."
        ),
        parameters=[_STORE_ID, _AS_OF],
        responses={200: StoreUptimeSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        examples=[
            OpenApiExample(
                "SEMANTICS.md example A",
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
        return Response(StoreUptimeSerializer(_store_timeline(request, store_id)).data)


class StoreTimelineSvgView(APIView):
    """GET /api/stores/{store_id}/timeline.svg?as_of=: the week as a picture."""

    @extend_schema(
        operation_id="api_stores_timeline_svg_retrieve",
        summary="One store's week as an SVG picture",
        description=(
            "The week (T - 7 days, T] drawn in the store's local time (`image/svg+xml`). Each row is one local "
            "calendar date the week touches, oldest first: 8 rows, the first and last partial (grey outside the "
            "week); 7 when T is exactly local midnight. The x axis is local wall time 00:00-24:00 on every row. "
            "Closed time is white, active green, inactive vermillion with a hatch pattern (a legend explains every "
            "mark, so colour is never the only cue). Each poll is a tick at its local time: filled for an "
            "observation, hollow for a poll ignored because the store was closed; pointing up when active, down "
            "when inactive. A DST date keeps its 24-hour axis and segments sit at their local wall time: a "
            "skipped hour (spring forward) is cross-hatched as 'no such local time'; a repeated hour (fall back) "
            "is drawn twice, its second pass over the lower half of the row. The title names the store, its "
            "timezone and as_of. Same 404 and 400 as the uptime endpoint (as JSON)."
        ),
        parameters=[_STORE_ID, _AS_OF],
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
        return HttpResponse(svg.week_svg(_store_timeline(request, store_id)), content_type="image/svg+xml")
