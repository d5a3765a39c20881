"""HTTP adapters of the stores services and selectors: polls in, stores and their hours out.

The per-store uptime, timeline and SVG are a reports feature (reports/store_views.py)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from loopmonitor.api import ERRORS_LISTED, CsvTextParser, ErrorSerializer, SafeJSONParser, refuse_nul
from stores import selectors
from stores.csv_rows import BadFile
from stores.models import Store
from stores.serializers import (
    PollPushErrorSerializer,
    PollPushItemSerializer,
    PollPushResultSerializer,
    RowErrorSerializer,
    StoreDetailSerializer,
    StoreListQuerySerializer,
    StoreSerializer,
)
from stores.services import RowsRejected, polls_push

# A pushed batch is parsed in memory; bigger sets go through `manage.py load_data`.


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
            f"400 lists the bad rows (the first {ERRORS_LISTED}, and counts them all); "
            f"413 above {settings.POLLS_PUSH_MAX_BYTES} bytes (use `manage.py load_data`); "
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
                    "detail": f"Batch larger than {settings.POLLS_PUSH_MAX_BYTES} bytes; "
                    "split it or use manage.py load_data."
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
            # Bounded: a 10 MB batch of bad rows answers with the first ERRORS_LISTED and the count.
            listed = f" The first {ERRORS_LISTED} are listed." if len(exc.errors) > ERRORS_LISTED else ""
            return Response(
                {
                    "detail": f"{exc.rejected} bad row(s); nothing was stored.{listed}",
                    "errors": RowErrorSerializer(exc.errors[:ERRORS_LISTED], many=True).data,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except BadFile as exc:
            return Response({"detail": exc.reason}, status=status.HTTP_400_BAD_REQUEST)
        return Response(PollPushResultSerializer(result).data, status=status.HTTP_200_OK)


# --- Per-store drill-down (issue 7) ------------------------------------------------------

STORE_ID_PARAMETER = OpenApiParameter(
    "store_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="the store's external id (19 digits or a UUID)"
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
        parameters=[STORE_ID_PARAMETER],
        responses={200: StoreDetailSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
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
        refuse_nul(store_id, name="store_id")
        try:
            store = selectors.store_detail(store_id=store_id)
        except Store.DoesNotExist:
            raise NotFound(f"No store with store_id {store_id!r}.") from None
        return Response(StoreDetailSerializer(store).data)
