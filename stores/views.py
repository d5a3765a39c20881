"""HTTP adapters of the stores services and selectors: polls in, stores and their hours out.

The per-store uptime, timeline and SVG are a reports feature (reports/store_views.py)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from brands.access import caller_of
from brands.audit import Action, audit_request
from brands.permissions import BrandRole
from loopmonitor.api import ERRORS_LISTED, CsvTextParser, ErrorSerializer, SafeJSONParser, refuse_nul
from stores import calendar_services, ownership, selectors
from stores.calendar_rows import FieldError, date_parse
from stores.csv_rows import BadFile
from stores.models import Store
from stores.serializers import (
    CalendarErrorSerializer,
    PollPushErrorSerializer,
    PollPushItemSerializer,
    PollPushResultSerializer,
    RowErrorSerializer,
    SpecialPushItemSerializer,
    SpecialPushResultSerializer,
    StoreDetailQuerySerializer,
    StoreDetailSerializer,
    StoreListQuerySerializer,
    StoreSerializer,
    StoreSpecialDaySerializer,
    WeeklyVersionRequestSerializer,
    WeeklyVersionResultSerializer,
)
from stores.services import RowsRejected, polls_push

# A pushed batch is parsed in memory; bigger sets go through `manage.py load_data`.

# --- Who may write: brands (issue 14) -----------------------------------------------------

_BRAND_PARAMETER = OpenApiParameter(
    "brand",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="a brand's slug: the batch writes only that brand's stores, and its new stores join it. "
    "Needed when the batch has new stores and the caller is an operator of several brands.",
)
_PUSH_SCOPE_DOC = (
    " A brand's key or member (operator or admin) writes only its brands' stores: a row of another brand's "
    "store, or of a store of no brand, is a bad row (`store_id: not a store of brand '<slug>'`, the same "
    "words whoever holds the id), and store ids never seen become stores of the caller's brand. Store ids "
    "are global, like user names: a push can tell that an id is taken, never by whom nor anything about "
    "that store. `?brand=<slug>` limits the batch to that brand (400 for a brand that is not the caller's, "
    "403 where the caller is a viewer); a caller with several operator brands needs it to create stores "
    "(400 without it). Platform staff write every store; their new stores have no brand unless `?brand=` "
    "names one. A viewer gets 403."
)
_FORBIDDEN = OpenApiExample(
    "A viewer",
    value={"detail": "Your key or account has no brand role that allows this."},
    response_only=True,
    status_codes=["403"],
)
_READ_ONLY = "Your role in this store's brand is viewer: changing its hours or special days needs operator or admin."


def _push_scope(request) -> ownership.PushScope:
    """The stores the request's batch may write (`ownership.push_scope`), from its caller and `?brand=`."""
    slug = request.query_params.get("brand")
    try:
        return ownership.push_scope(caller_of(request), slug)
    except ownership.BrandRefused as exc:
        if exc.forbidden:
            raise PermissionDenied(str(exc)) from None
        raise ParseError(str(exc)) from None


def _audit_batch(
    request,
    *,
    action: str,
    what: str,
    stores_by_brand: dict[int | None, int],
    rows_by_brand: dict[int | None, int],
    totals: dict[str, int],
) -> None:
    """One event per brand the batch touched (None: stores of no brand, staff's log). Each counts
    its own stores and rows; the batch's other counts (`totals`) only where the batch touched
    that brand alone, so that no brand's log shows what a batch did to another brand's stores."""
    alone = len(stores_by_brand) == 1
    for brand_id, stores in stores_by_brand.items():
        rows = rows_by_brand.get(brand_id, 0)
        detail = {"received": rows, "stores_touched": stores, **(totals if alone else {})}
        audit_request(
            request, action=action, brand_ids=[brand_id], target=f"{rows} {what} of {stores} store(s)", detail=detail
        )


class PollPushView(APIView):
    """POST /api/polls: a batch of polls as a JSON list of
    `{"store_id", "timestamp_utc", "status"}` or as a CSV body; stored all or
    nothing, idempotently (loading the same batch twice changes nothing), into the
    caller's brands' stores (`stores.ownership`)."""

    permission_classes = [BrandRole]
    parser_classes = [SafeJSONParser, CsvTextParser]

    @extend_schema(
        summary="Push a batch of polls",
        description=(
            'A JSON list of `{"store_id", "timestamp_utc", "status"}` objects, or a `text/csv` body with the '
            "header `store_id,timestamp_utc,status` (columns in any order, as store_status.csv). Stored all or "
            "nothing and idempotently: pushing the same batch twice changes nothing, and two polls of one store at "
            "one instant with different statuses are kept as one inactive poll (docs/numbers.md rule 7). "
            f"400 lists the bad rows (the first {ERRORS_LISTED}, and counts them all); "
            f"413 above {settings.POLLS_PUSH_MAX_BYTES} bytes (use `manage.py load_data`); "
            "415 for another content type." + _PUSH_SCOPE_DOC + " Recorded in the audit log (`polls.pushed`), "
            "one event per brand touched."
        ),
        parameters=[_BRAND_PARAMETER],
        request={
            "application/json": PollPushItemSerializer(many=True),
            "text/csv": OpenApiTypes.STR,
        },
        responses={
            200: PollPushResultSerializer,
            400: PollPushErrorSerializer,
            403: ErrorSerializer,
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
            OpenApiExample(
                "Another brand's store (or a store of no brand)",
                value={
                    "detail": "1 bad row(s); nothing was stored.",
                    "errors": [{"index": 0, "field": "store_id", "reason": "not a store of brand 'demo'"}],
                },
                response_only=True,
                status_codes=["400"],
            ),
            _FORBIDDEN,
        ],
    )
    def post(self, request):
        if _content_length(request) > settings.POLLS_PUSH_MAX_BYTES:
            return Response(
                {
                    "detail": f"Batch larger than {settings.POLLS_PUSH_MAX_BYTES} bytes; "
                    "split it or use manage.py load_data."
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        scope = _push_scope(request)
        body = request.data
        try:
            if isinstance(body, str):
                result = polls_push(csv_text=body, scope=scope)
            elif isinstance(body, list):
                result = polls_push(items=body, scope=scope)
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
        except ownership.BrandNeeded as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        answer = PollPushResultSerializer(result).data
        _audit_batch(
            request,
            action=Action.POLLS_PUSHED,
            what="poll(s)",
            stores_by_brand=result.stores_by_brand,
            rows_by_brand=result.rows_by_brand,
            totals={**answer, "stores_created": result.stores_created},
        )
        return Response(answer, status=status.HTTP_200_OK)


# --- Per-store drill-down (issue 7) ------------------------------------------------------

STORE_ID_PARAMETER = OpenApiParameter(
    "store_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="the store's external id (19 digits or a UUID)"
)
_EXAMPLE_STORE = {
    "store_id": "1481966498820158979",
    "brand": "acme",
    "name": "ACME Burgers, 5th Avenue",
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
    "(docs/numbers.md rule 5). These are wall times: on a DST date the open time in UTC is longer or shorter."
)


class StoreListView(generics.ListAPIView):
    """GET /api/stores/?search=: the caller's brands' stores by store_id, 50 a page (found by id, name or
    timezone), each with a summary of its polls."""

    permission_classes = [BrandRole]
    serializer_class = StoreSerializer

    @extend_schema(
        summary="List stores",
        description=(
            "The stores of the caller's brands (platform staff: every store, those of no brand included), "
            "ordered by store_id (as text), 50 a page (`page=2`, ...), each with its `brand` (slug) and `name`. "
            "`search` keeps the stores whose "
            "store_id, name or timezone contains it (case-insensitive; the timezone as given, or America/Chicago for "
            "a store given none), a count and one page of queries whatever the fleet. Each store has its timezone as "
            "stored and as used (missing, "
            "empty or invalid means America/Chicago, docs/numbers.md rule 4), whether it has business hours (none "
            "means open 24x7), its number of polls and its latest poll."
        ),
        parameters=[
            OpenApiParameter(
                "search",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                description="a substring of the store_id, the name or the timezone (at most 64 characters)",
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
        return selectors.store_list(caller=caller_of(self.request), search=params.validated_data.get("search"))

    def paginate_queryset(self, queryset):
        # Page first, then summarise only the page's stores (stores/selectors.py).
        page = super().paginate_queryset(queryset)
        if page is None:  # DRF's "no paginator": DEFAULT_PAGINATION_CLASS always sets one
            return None
        return selectors.store_summaries(page)


_DETAIL_EXAMPLE = {
    **_EXAMPLE_STORE,
    "hours": [
        {"day_of_week": 0, "start_time_local": "09:00:00", "end_time_local": "12:00:00", "effective_from": None},
        {
            "day_of_week": 0,
            "start_time_local": "13:00:00",
            "end_time_local": "15:00:00",
            "effective_from": "2023-01-23",
        },
    ],
    "hours_merged": [
        {"day_of_week": day, "intervals": [{"start": "13:00:00", "end": "15:00:00"}] if day == 0 else []}
        for day in range(7)
    ],
    "versions": [
        {
            "effective_from": None,
            "applies_from": None,
            "applies_until": "2023-01-23",
            "hours": [{"day_of_week": 0, "start_time_local": "09:00:00", "end_time_local": "12:00:00"}],
            "hours_merged": [
                {"day_of_week": day, "intervals": [{"start": "09:00:00", "end": "12:00:00"}] if day == 0 else []}
                for day in range(7)
            ],
        },
        {
            "effective_from": "2023-01-23",
            "applies_from": "2023-01-23",
            "applies_until": None,
            "hours": [{"day_of_week": 0, "start_time_local": "13:00:00", "end_time_local": "15:00:00"}],
            "hours_merged": [
                {"day_of_week": day, "intervals": [{"start": "13:00:00", "end": "15:00:00"}] if day == 0 else []}
                for day in range(7)
            ],
        },
    ],
    "special_days": [
        {"date": "2023-01-30", "closed": True, "rows": [{"start_time_local": None, "end_time_local": None}]},
        {
            "date": "2023-02-06",
            "closed": False,
            "rows": [{"start_time_local": "10:00:00", "end_time_local": "11:00:00"}],
        },
    ],
}
_UNKNOWN_STORE_EXAMPLE = OpenApiExample(
    "Unknown store", value={"detail": "No store with store_id '42'."}, response_only=True, status_codes=["404"]
)


class StoreDetailView(APIView):
    """GET /api/stores/{store_id}: the store's summary, its weekly versions and its special days."""

    permission_classes = [BrandRole]

    @extend_schema(
        summary="One store, with its business hours, schedule versions and special days",
        description=(
            "The fields of the list, plus the store's business hours. `hours` are all its weekly rows, of every "
            "version. `versions` lists the versions (docs/numbers.md rule 10), undated first (`effective_from` null) "
            "then by `effective_from`, each with its rows, merged per weekday, and the local "
            "dates whose periods it supplies, [applies_from, applies_until) (null: unbounded). `hours_merged` is "
            "the latest version's (the only one for most stores). `special_days` are the local dates with special "
            "hours (rule 11), optionally only those from `special_from` to `special_until` (both included): their "
            "rows replace every weekly period starting that date; `closed` when none has times. "
            + _HOURS_MERGED_DOC
            + " Unknown store, or another brand's (the same answer): 404; a bad date: 400 naming the parameter."
        ),
        parameters=[
            STORE_ID_PARAMETER,
            OpenApiParameter(
                "special_from",
                OpenApiTypes.DATE,
                OpenApiParameter.QUERY,
                required=False,
                description="only special days on or after this local date (YYYY-MM-DD)",
            ),
            OpenApiParameter(
                "special_until",
                OpenApiTypes.DATE,
                OpenApiParameter.QUERY,
                required=False,
                description="only special days on or before this local date (YYYY-MM-DD)",
            ),
        ],
        responses={200: StoreDetailSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Mondays 09:00-12:00, from 2023-01-23 13:00-15:00; closed 2023-01-30",
                value=_DETAIL_EXAMPLE,
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Bad date",
                value={"detail": "special_from: 2023-02-30 is not a date"},
                response_only=True,
                status_codes=["400"],
            ),
            _UNKNOWN_STORE_EXAMPLE,
        ],
    )
    def get(self, request, store_id: str):
        refuse_nul(store_id, name="store_id")
        params = StoreDetailQuerySerializer(data=request.query_params)
        if not params.is_valid():
            raise ParseError(
                "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in params.errors.items())
            )
        try:
            store = selectors.store_detail(
                caller=caller_of(request),
                store_id=store_id,
                special_from=params.validated_data.get("special_from"),
                special_until=params.validated_data.get("special_until"),
            )
        except Store.DoesNotExist:
            raise NotFound(f"No store with store_id {store_id!r}.") from None
        return Response(StoreDetailSerializer(store).data)


# --- Calendars: weekly versions and special days (rules 10, 11) ---------------------------

DATE_PARAMETER = OpenApiParameter(
    "date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="the store's local date, YYYY-MM-DD"
)
_ROWS_SHOWN = 5  # bad rows named in `detail`; `errors` has them all


def _rows_refused(errors: list, unit: str = "item") -> dict:
    """`detail` naming the first bad rows and `errors` listing them (bounded like every error answer:
    the first ERRORS_LISTED rows; `detail` counts them all)."""
    named = "; ".join(f"{unit} {e.line}: {e.field}: {e.reason}" for e in errors[:_ROWS_SHOWN])
    more = f" (and {len(errors) - _ROWS_SHOWN} more)" if len(errors) > _ROWS_SHOWN else ""
    return {
        "detail": f"{len(errors)} bad row(s); nothing was stored: {named}{more}",
        "errors": RowErrorSerializer(errors[:ERRORS_LISTED], many=True).data,
    }


def _refused(exc: Exception) -> Response:
    """The 400 answer for bad calendar input: `detail` names the field, or the bad rows; a body with
    several bad fields names them all, each also under its own key (as every validation error)."""
    if isinstance(exc, calendar_services.FieldsInvalid):
        body: dict = {"detail": str(exc), **{key: [reason] for key, reason in exc.fields.items()}}
        if exc.rows:
            rows = _rows_refused(exc.rows)
            body["detail"] += f"; {rows['detail']}"
            body["errors"] = rows["errors"]
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, calendar_services.RowsInvalid):
        return Response(_rows_refused(exc.errors, exc.unit), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, BadFile):
        return Response({"detail": exc.reason}, status=status.HTTP_400_BAD_REQUEST)
    return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


def _no_store(store_id: str) -> NotFound:
    # The same words for a store of another brand: it is as absent as one that does not exist.
    return NotFound(f"No store with store_id {store_id!r}.")


_CALENDAR_REFUSALS = (FieldError, calendar_services.FieldsInvalid, calendar_services.RowsInvalid, BadFile)
_STORE_SCOPE_DOC = (
    " A brand's key or member changes its brands' stores as an operator or admin; another brand's store, "
    "or one of no brand, is 404 exactly like an unknown store, and a viewer of the store's brand gets 403. "
    "Platform staff change every store."
)


class StoreHoursView(APIView):
    """PUT /api/stores/{store_id}/hours: replace one weekly version's rows."""

    permission_classes = [BrandRole]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        summary="Replace one version of a store's weekly schedule",
        description=(
            "The rows of the version `effective_from` (a local date; null: the undated version, docs/numbers.md "
            "rule 10) become exactly `rows`, in one transaction; the store's other versions stay. An empty "
            "`rows` removes the version. Each row is `{day_of_week (0 = Monday), start_time_local, "
            "end_time_local}`, times HH:MM:SS local wall time, read as in menu_hours.csv (rule 5: start > end "
            "runs past midnight, start = end is the whole day). Bad input: 400 naming the field, or every bad "
            "row (`errors`: index, field, reason), and nothing is stored. Unknown store: 404."
            + _STORE_SCOPE_DOC
            + " Recorded in the audit log (`hours.changed`)."
        ),
        parameters=[STORE_ID_PARAMETER],
        request=WeeklyVersionRequestSerializer,
        responses={
            200: WeeklyVersionResultSerializer,
            400: CalendarErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            415: ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "From 2023-01-23: Mondays 13:00-15:00",
                value={
                    "effective_from": "2023-01-23",
                    "rows": [{"day_of_week": 0, "start_time_local": "13:00:00", "end_time_local": "15:00:00"}],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Replaced",
                value={
                    "store_id": "1481966498820158979",
                    "effective_from": "2023-01-23",
                    "deleted": 0,
                    "inserted": 1,
                    "hours": [{"day_of_week": 0, "start_time_local": "13:00:00", "end_time_local": "15:00:00"}],
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Rejected",
                value={
                    "detail": "1 bad row(s); nothing was stored: item 0: start_time_local: 25:00:00 is not a time "
                    "of day 00:00:00-23:59:59",
                    "errors": [
                        {
                            "index": 0,
                            "field": "start_time_local",
                            "reason": "25:00:00 is not a time of day 00:00:00-23:59:59",
                        }
                    ],
                },
                response_only=True,
                status_codes=["400"],
            ),
            _UNKNOWN_STORE_EXAMPLE,
            OpenApiExample(
                "A viewer of the store's brand", value={"detail": _READ_ONLY}, response_only=True, status_codes=["403"]
            ),
        ],
    )
    def put(self, request, store_id: str):
        refuse_nul(store_id, name="store_id")
        try:
            result = calendar_services.business_hours_version_replace(
                caller=caller_of(request), store_id=store_id, body=request.data
            )
        except _CALENDAR_REFUSALS as exc:
            return _refused(exc)
        except Store.DoesNotExist:
            raise _no_store(store_id) from None
        except ownership.StoreReadOnly:
            raise PermissionDenied(_READ_ONLY) from None
        effective_from = result.effective_from.isoformat() if result.effective_from else None
        audit_request(
            request,
            action=Action.HOURS_CHANGED,
            brand_ids=[result.brand_id],
            target=f"store {result.store_id}, version {effective_from or 'undated'}",
            detail={
                "store_id": result.store_id,
                "effective_from": effective_from,
                "deleted": result.deleted,
                "inserted": result.inserted,
            },
        )
        return Response(WeeklyVersionResultSerializer(result).data)


_SPECIAL_DAY_BODY = {
    "oneOf": [
        {
            "type": "array",
            "minItems": 1,
            "description": "the date's rows: both times null (or empty) is a closed row",
            "items": {
                "type": "object",
                "properties": {
                    "start_time_local": {"type": "string", "nullable": True, "example": "10:00:00"},
                    "end_time_local": {"type": "string", "nullable": True, "example": "11:00:00"},
                },
                "additionalProperties": False,
            },
        },
        {
            "type": "object",
            "description": "closed all that date",
            "properties": {"closed": {"type": "boolean", "enum": [True]}},
            "required": ["closed"],
            "additionalProperties": False,
        },
    ]
}
_SPECIAL_DAY_ANSWER = {
    "store_id": "1481966498820158979",
    "date": "2023-01-30",
    "closed": False,
    "rows": [{"start_time_local": "10:00:00", "end_time_local": "11:00:00"}],
}


class StoreSpecialDayView(APIView):
    """GET/PUT/DELETE /api/stores/{store_id}/special-days/{date}: one local date's special hours."""

    permission_classes = [BrandRole]
    parser_classes = [SafeJSONParser]

    def _date(self, date: str):
        try:
            return date_parse(date)
        except FieldError as exc:
            raise ParseError(str(exc)) from None

    @extend_schema(
        summary="One store's special hours on one local date",
        description=(
            "The special-hours rows of the date (docs/numbers.md rule 11): they replace every weekly period that "
            "starts on it; `closed` when no row has times. 404 when the store is unknown or has no special hours "
            "that date (its weekly schedule applies); a bad date: 400. A brand's caller (any role) reads its "
            "brands' stores; another brand's store is 404 like an unknown one."
        ),
        parameters=[STORE_ID_PARAMETER, DATE_PARAMETER],
        responses={200: StoreSpecialDaySerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Open 10:00-11:00 only", value=_SPECIAL_DAY_ANSWER, response_only=True, status_codes=["200"]
            ),
            OpenApiExample(
                "Not a date",
                value={"detail": "date: 2023-02-30 is not a date"},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def get(self, request, store_id: str, date: str):
        refuse_nul(store_id, name="store_id")
        day = self._date(date)
        try:
            store, rows = selectors.special_day(caller=caller_of(request), store_id=store_id, date=day)
        except Store.DoesNotExist:
            raise _no_store(store_id) from None
        if not rows:
            raise NotFound(f"Store {store_id!r} has no special hours on {day} (its weekly schedule applies).")
        special = calendar_services.SpecialDay(store.store_id, day, rows)
        return Response(_special_day_data(special))

    @extend_schema(
        summary="Set one store's special hours on one local date",
        description=(
            "The date's special-hours rows become exactly those given, in one transaction (docs/numbers.md rule 11): "
            'a list of `{start_time_local, end_time_local}` (HH:MM:SS local; both null = a closed row), or `{"closed": '
            "true}` for a date closed all day. A row with exactly one time empty is invalid. Bad input: 400 naming "
            "the field or every bad row (`errors`), nothing stored. Unknown store: 404."
            + _STORE_SCOPE_DOC
            + " Recorded in the audit log (`special_days.changed`)."
        ),
        parameters=[STORE_ID_PARAMETER, DATE_PARAMETER],
        request={"application/json": _SPECIAL_DAY_BODY},
        responses={
            200: StoreSpecialDaySerializer,
            400: CalendarErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            415: ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "Open 10:00-11:00 only",
                value=[{"start_time_local": "10:00:00", "end_time_local": "11:00:00"}],
                request_only=True,
            ),
            OpenApiExample("Closed all day", value={"closed": True}, request_only=True),
            OpenApiExample("Stored", value=_SPECIAL_DAY_ANSWER, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Rejected",
                value={
                    "detail": "1 bad row(s); nothing was stored: item 0: start_time_local: empty while "
                    "end_time_local is given: give both times, or neither for a closed day",
                    "errors": [
                        {
                            "index": 0,
                            "field": "start_time_local",
                            "reason": "empty while end_time_local is given: give both times, "
                            "or neither for a closed day",
                        }
                    ],
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def put(self, request, store_id: str, date: str):
        refuse_nul(store_id, name="store_id")
        try:
            special = calendar_services.special_days_replace(
                caller=caller_of(request), store_id=store_id, date=date, body=request.data
            )
        except _CALENDAR_REFUSALS as exc:
            return _refused(exc)
        except Store.DoesNotExist:
            raise _no_store(store_id) from None
        except ownership.StoreReadOnly:
            raise PermissionDenied(_READ_ONLY) from None
        answer = _special_day_data(special)
        audit_request(
            request,
            action=Action.SPECIAL_DAYS_CHANGED,
            brand_ids=[special.brand_id],
            target=f"store {special.store_id} on {special.date}: {'closed' if special.closed else 'special hours'}",
            detail={"store_id": special.store_id, "date": special.date.isoformat(), "rows": answer["rows"]},
        )
        return Response(answer)

    @extend_schema(
        summary="Remove one store's special hours on one local date",
        description=(
            "Every special-hours row of the date is removed, so the weekly schedule applies to it again "
            "(docs/numbers.md rules 10, 11): 204. 404 when the store is unknown or had none that date; a bad date: 400."
            + _STORE_SCOPE_DOC
            + " Recorded in the audit log (`special_days.changed`)."
        ),
        parameters=[STORE_ID_PARAMETER, DATE_PARAMETER],
        responses={204: None, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def delete(self, request, store_id: str, date: str):
        refuse_nul(store_id, name="store_id")
        day = self._date(date)
        try:
            removed = calendar_services.special_day_delete(
                caller=caller_of(request), store_id=store_id, date=day.isoformat()
            )
        except Store.DoesNotExist:
            raise _no_store(store_id) from None
        except ownership.StoreReadOnly:
            raise PermissionDenied(_READ_ONLY) from None
        if not removed.deleted:
            raise NotFound(f"Store {store_id!r} has no special hours on {day}.")
        audit_request(
            request,
            action=Action.SPECIAL_DAYS_CHANGED,
            brand_ids=[removed.brand_id],
            target=f"store {removed.store_id} on {removed.date}: special hours removed",
            detail={"store_id": removed.store_id, "date": removed.date.isoformat(), "deleted": removed.deleted},
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads it, so the body is then read as empty


def _special_day_data(special: calendar_services.SpecialDay) -> dict:
    return StoreSpecialDaySerializer(
        {"store_id": special.store_id, "date": special.date, "closed": special.closed, "rows": special.rows}
    ).data


class SpecialDaysPushView(APIView):
    """POST /api/special-days: a batch of special-hours rows (JSON list or CSV), stored all or nothing,
    into the caller's brands' stores (`stores.ownership`)."""

    permission_classes = [BrandRole]
    parser_classes = [SafeJSONParser, CsvTextParser]

    @extend_schema(
        summary="Push a batch of special days",
        description=(
            'A JSON list of `{"store_id", "date", "start_time_local", "end_time_local"}` objects, or a `text/csv` '
            "body with the special_hours.csv header `store_id,date,start_time_local,end_time_local` (columns by "
            "name, in any order), validated as that file is (docs/numbers.md rule 11): dates YYYY-MM-DD, times "
            "HH:MM:SS, both times empty (null or missing in JSON) = closed, exactly one empty = a bad row; store ids "
            "as everywhere (never empty or beginning like a spreadsheet formula). For every (store, date) the batch "
            "mentions, that date's stored rows are replaced by the batch's rows for it; other dates stay. Unknown "
            "stores are created. Stored all or nothing: 400 lists every bad row (`errors`: 0-based item index, or "
            f"CSV line, and field); 413 above {settings.POLLS_PUSH_MAX_BYTES} bytes; 415 for another content type."
            + _PUSH_SCOPE_DOC
            + " Recorded in the audit log (`special_days.changed`), one event per brand touched."
        ),
        parameters=[_BRAND_PARAMETER],
        request={"application/json": SpecialPushItemSerializer(many=True), "text/csv": OpenApiTypes.STR},
        responses={
            200: SpecialPushResultSerializer,
            400: CalendarErrorSerializer,
            403: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "JSON batch",
                # One item: drf-spectacular shows it inside the list the body is.
                value={
                    "store_id": "1481966498820158979",
                    "date": "2023-12-25",
                    "start_time_local": None,
                    "end_time_local": None,
                },
                request_only=True,
                media_type="application/json",
            ),
            OpenApiExample(
                "CSV batch",
                value="store_id,date,start_time_local,end_time_local\n1481966498820158979,2023-12-25,,\n"
                "1481966498820158979,2023-12-24,10:00:00,14:00:00\n",
                request_only=True,
                media_type="text/csv",
            ),
            OpenApiExample(
                "Stored",
                value={
                    "received": 2,
                    "dates_replaced": 2,
                    "deleted": 0,
                    "inserted": 2,
                    "stores_touched": 1,
                    "stores_created": 0,
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Rejected",
                value={
                    "detail": "1 bad row(s); nothing was stored: line 3: date: 2023-02-30 is not a date",
                    "errors": [{"index": 3, "field": "date", "reason": "2023-02-30 is not a date"}],
                },
                response_only=True,
                status_codes=["400"],
            ),
            _FORBIDDEN,
        ],
    )
    def post(self, request):
        if _content_length(request) > settings.POLLS_PUSH_MAX_BYTES:
            return Response(
                {"detail": f"Batch larger than {settings.POLLS_PUSH_MAX_BYTES} bytes; split it."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        scope = _push_scope(request)
        body = request.data
        if not isinstance(body, str) and request.content_type.split(";")[0].strip() == CsvTextParser.media_type:
            body = ""  # an empty body never reaches the parser
        try:
            if isinstance(body, str):
                result = calendar_services.special_days_push(csv_text=body, scope=scope)
            elif isinstance(body, list):
                result = calendar_services.special_days_push(items=body, scope=scope)
            else:
                return Response(
                    {"detail": 'Expected a JSON list of {"store_id", "date", "start_time_local", "end_time_local"}.'},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        except _CALENDAR_REFUSALS as exc:
            return _refused(exc)
        except ownership.BrandNeeded as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        answer = SpecialPushResultSerializer(result).data
        _audit_batch(
            request,
            action=Action.SPECIAL_DAYS_CHANGED,
            what="special-hours row(s)",
            stores_by_brand=result.stores_by_brand,
            rows_by_brand=result.rows_by_brand,
            totals=dict(answer),
        )
        return Response(answer)
