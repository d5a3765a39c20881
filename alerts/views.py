"""HTTP adapters of the incidents selectors: GET /api/incidents/ and GET /api/stores/{store_id}/incidents/.

Both are brand-scoped (BrandRole: a viewer role somewhere); the incidents a caller sees are
those of the stores it sees (`stores.selectors.stores_visible`), so another brand's store
answers exactly as one that does not exist.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ParseError

from alerts import selectors
from alerts.serializers import IncidentListQuerySerializer, IncidentQuerySerializer, IncidentSerializer
from brands.access import caller_of
from brands.permissions import BrandRole
from loopmonitor.api import ErrorSerializer, refuse_nul
from stores.models import Store

_EXAMPLE = {
    "id": 7,
    "store_id": "1481966498820158979",
    "state": "resolved",
    "start_known": True,
    "started_at": "2023-01-23T15:44:30Z",
    "ended_at": "2023-01-27T03:22:30Z",
    "timezone": "America/New_York",
    "started_at_local": "2023-01-23T10:44:30-05:00",
    "ended_at_local": "2023-01-26T22:22:30-05:00",
    "first_observed_at": "2023-01-23T16:15:00Z",
    "last_observed_at": "2023-01-23T16:15:00Z",
    "open_minutes": 75.5,
    "open_minutes_until": "2023-01-27T03:22:30Z",
}
_DESCRIPTION = (
    "Incidents (docs/numbers.md rule 12): each a maximal run of inactive observations (polls inside business "
    "hours). It starts at the midpoint between the active observation before the run and the run's first one "
    "(`started_at`; null with `start_known` false when no observation precedes the run) and ends at the midpoint "
    "between the run's last observation and the next active one (`ended_at`; null while `state` is `open`). "
    "Closed time inside does not split an incident; `open_minutes` are the business hours inside it (rounded to 2 "
    "decimals), counted from the first observation when the start is unknown and, while open, up to the store's "
    "latest poll (`open_minutes_until`). Times in UTC, and in the store's `timezone` as `*_local` (rule 4). "
    "Incidents are kept up to date from the stored polls and hours a few seconds after each push or load. "
    "Newest first (by first inactive observation), 50 a page (`page=2`, ...). Filters: `state` (`open` or "
    "`resolved`); `since`: incidents still going on at or after that instant (open, or ended then or later); "
    "`until`: incidents begun at or before it (by `started_at`, else by the first observation). A bad filter "
    "value: 400 naming it."
)
_STATE = OpenApiParameter(
    "state",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    enum=["open", "resolved"],
    description="open or resolved",
)
_SINCE = OpenApiParameter(
    "since",
    OpenApiTypes.DATETIME,
    OpenApiParameter.QUERY,
    required=False,
    description="only incidents not ended before this ISO 8601 instant (UTC if no offset is given)",
)
_UNTIL = OpenApiParameter(
    "until",
    OpenApiTypes.DATETIME,
    OpenApiParameter.QUERY,
    required=False,
    description="only incidents begun at or before this ISO 8601 instant (UTC if no offset is given)",
)
_EXAMPLES = [
    OpenApiExample("docs/numbers.md example J, resolved", value=_EXAMPLE, response_only=True, status_codes=["200"]),
    OpenApiExample(
        "Bad filter",
        value={"detail": 'state: "closed" is not a valid choice.'},
        response_only=True,
        status_codes=["400"],
    ),
]


def _params(serializer_class: type[IncidentQuerySerializer], request) -> dict:
    params = serializer_class(data=request.query_params)
    if not params.is_valid():
        raise ParseError(
            "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in params.errors.items())
        )
    return dict(params.validated_data)


def _store_or_404(request, store_id: str) -> Store:
    refuse_nul(store_id, name="store_id")
    store = selectors.store_visible(caller_of(request), store_id=store_id)
    if store is None:
        raise NotFound(f"No store with store_id {store_id!r}.")
    return store


class IncidentListView(generics.ListAPIView):
    """GET /api/incidents/?store=&state=&since=&until=: the caller's incidents, newest first."""

    permission_classes = [BrandRole]
    serializer_class = IncidentSerializer

    @extend_schema(
        summary="List incidents",
        description=_DESCRIPTION
        + " `store`: one store's (by store_id); a store the caller cannot see, or that does not exist, is a bad "
        "value (400).",
        parameters=[
            OpenApiParameter(
                "store", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, description="a store_id"
            ),
            _STATE,
            _SINCE,
            _UNTIL,
        ],
        responses={
            200: IncidentSerializer(many=True),
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
        examples=_EXAMPLES,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = _params(IncidentListQuerySerializer, self.request)
        caller = caller_of(self.request)
        store = None
        if "store" in params:
            store_id = refuse_nul(params.pop("store"), name="store")
            store = selectors.store_visible(caller, store_id=store_id)
            if store is None:
                raise ParseError(f"store: No store with store_id {store_id!r}.")
        return selectors.incident_list(caller=caller, store=store, **params)


class StoreIncidentListView(generics.ListAPIView):
    """GET /api/stores/{store_id}/incidents/?state=&since=&until=: one store's incidents, newest first."""

    permission_classes = [BrandRole]
    serializer_class = IncidentSerializer

    @extend_schema(
        summary="One store's incidents",
        description=_DESCRIPTION + " Unknown store, or another brand's: 404.",
        parameters=[
            OpenApiParameter(
                "store_id",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="the store's external id (19 digits or a UUID)",
            ),
            _STATE,
            _SINCE,
            _UNTIL,
        ],
        responses={
            200: IncidentSerializer(many=True),
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
        examples=[
            *_EXAMPLES,
            OpenApiExample(
                "Unknown store",
                value={"detail": "No store with store_id '42'."},
                response_only=True,
                status_codes=["404"],
            ),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        store = _store_or_404(self.request, self.kwargs["store_id"])
        params = _params(IncidentQuerySerializer, self.request)
        return selectors.incident_list(caller=caller_of(self.request), store=store, **params)
