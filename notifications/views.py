"""The notifications API: a brand's admins (and platform staff) manage its webhook subscriptions and
email recipients, ping a subscription and read its delivery log.

Everything here is the brand admins': a caller without an admin role anywhere gets 403 (BrandRole);
a subscription or recipient of a brand the caller does not administer answers 404 exactly like one
that does not exist. Each write is on record (brands.audit) once it succeeded.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from brands import selectors as brand_selectors
from brands.access import Caller, caller_of
from brands.audit import Action, audit_request
from brands.models import Brand, Role
from brands.permissions import BrandRole
from notifications import selectors, services
from notifications.models import EmailRecipient, WebhookSubscription
from notifications.serializers import (
    DeliverySerializer,
    RecipientCreateSerializer,
    RecipientSerializer,
    WebhookCreatedSerializer,
    WebhookCreateSerializer,
    WebhookSerializer,
    WebhookUpdateSerializer,
)

ERROR: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
ACCESS_DOC = (
    " Only the brand's admins and platform staff: 403 for a caller who is admin of no brand; 404 for another "
    "brand's object, exactly as for one that does not exist (and for a page past the last)."
)
ID_PARAMETER = OpenApiParameter("webhook_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="the subscription")
RECIPIENT_PARAMETER = OpenApiParameter(
    "recipient_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="the recipient"
)
_EXAMPLE_WEBHOOK = {
    "id": 7,
    "brand": "acme",
    "url": "https://hooks.example.com/loopmonitor",
    "events": ["incident.opened", "incident.resolved"],
    "active": True,
    "failing_since": None,
    "disabled_at": None,
    "disabled_reason": "",
    "created_at": "2023-01-25T09:00:00Z",
    "updated_at": "2023-01-25T09:00:00Z",
}
_EXAMPLE_DELIVERY = {
    "id": 31,
    "webhook_id": 7,
    "event_type": "incident.opened",
    "event_id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
    "payload": {
        "type": "incident.opened",
        "timestamp": "2023-01-25T09:14:02.120000Z",
        "data": {"store_id": "1481966498820158979", "started_at": "2023-01-25T09:00:00Z"},
    },
    "status": "failed",
    "attempts": 2,
    "max_attempts": 8,
    "last_response_code": 500,
    "last_duration_ms": 84,
    "last_error": "HTTP 500: upstream down",
    "last_attempt_at": "2023-01-25T09:14:07Z",
    "next_attempt_at": "2023-01-25T09:19:07Z",
    "created_at": "2023-01-25T09:14:02Z",
    "updated_at": "2023-01-25T09:14:07Z",
}


def brand_to_manage(caller: Caller, slug: str | None) -> Brand:
    """The brand a new subscription or recipient joins: `slug`'s, or the caller's one admin brand.

    400 naming `brand` when it is needed and missing, or names no brand the caller has a role in (the
    same words for one that does not exist); 403 for a brand the caller sees but does not administer.
    """
    if slug:
        brand = brand_selectors.brand_visible(caller, slug)
        if brand is None:
            raise ValidationError({"brand": [f"No brand with slug {slug!r}."]})
        if not caller.can(brand.pk, Role.ADMIN):
            raise PermissionDenied(f"Only the admins of {slug!r} manage its webhooks and email recipients.")
        return brand
    only = caller.only_brand(Role.ADMIN)
    if only is None:
        raise ValidationError({"brand": ["Name the brand (its slug): you administer several, or are platform staff."]})
    return Brand.objects.get(pk=only)


def refused(exc: services.SubscriptionRefused) -> ValidationError:
    return ValidationError({exc.field: [str(exc)]})


class ManagedView(generics.GenericAPIView):
    permission_classes = [BrandRole]
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def subscription(self) -> WebhookSubscription:
        webhook_id = self.kwargs["webhook_id"]
        found = selectors.subscription_managed(caller_of(self.request), webhook_id)
        if found is None:
            raise NotFound(f"No webhook with id {webhook_id!r}.")
        return found

    def page_of(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def _webhook_event(subscription: WebhookSubscription, **detail: Any) -> dict[str, Any]:
    return {
        "brand_ids": [subscription.brand_id],
        "target": f"webhook {subscription.pk} ({subscription.url})",
        "detail": detail,
    }


class WebhookListView(ManagedView):
    """GET and POST /api/webhooks/: the subscriptions of the brands the caller administers, and a new one."""

    serializer_class = WebhookSerializer

    @extend_schema(
        summary="List webhook subscriptions",
        description="The subscriptions of every brand the caller administers, oldest first, 50 a page; never their "
        "secrets." + ACCESS_DOC,
        responses={200: WebhookSerializer(many=True), 403: ERROR, 404: ERROR},
        examples=[OpenApiExample("A page", value=_EXAMPLE_WEBHOOK, response_only=True, status_codes=["200"])],
    )
    def get(self, request: Request) -> Response:
        return self.page_of(selectors.subscriptions_managed(caller_of(request)), WebhookSerializer)

    @extend_schema(
        summary="Subscribe a URL to a brand's events",
        description=(
            "A new subscription: `events` are sent to `url` as Standard Webhooks (signed with the answer's `secret`, "
            "shown this once: keep it). The URL must be http(s) and its host must resolve to public addresses only "
            "(400 naming `url` otherwise; WEBHOOK_ALLOW_PRIVATE=1 allows private ones). `brand` as for every write: "
            "needed from staff and from admins of several brands." + ACCESS_DOC
        ),
        request=WebhookCreateSerializer,
        responses={201: WebhookCreatedSerializer, 400: ERROR, 403: ERROR},
        examples=[
            OpenApiExample(
                "Incidents",
                value={
                    "url": "https://hooks.example.com/loopmonitor",
                    "events": ["incident.opened", "incident.resolved"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Created",
                value={**_EXAMPLE_WEBHOOK, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "A private address",
                value={
                    "detail": "url: the host 'localhost' resolves to 127.0.0.1, a loopback address: webhooks go to "
                    "public addresses only (WEBHOOK_ALLOW_PRIVATE=1 allows private ones)",
                    "url": ["the host 'localhost' resolves to 127.0.0.1, a loopback address: ..."],
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        asked = WebhookCreateSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        brand = brand_to_manage(caller_of(request), asked.validated_data.get("brand"))
        try:
            subscription = services.subscription_create(
                brand=brand, url=asked.validated_data["url"], events=asked.validated_data["events"]
            )
        except services.SubscriptionRefused as exc:
            raise refused(exc) from None
        audit_request(
            request,
            action=Action.WEBHOOK_CREATED,
            **_webhook_event(subscription, url=subscription.url, events=subscription.events),
        )
        return Response(WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(ManagedView):
    """GET, PATCH and DELETE /api/webhooks/{id}."""

    serializer_class = WebhookSerializer

    @extend_schema(
        summary="Read a webhook subscription",
        description="The subscription, never its secret." + ACCESS_DOC,
        parameters=[ID_PARAMETER],
        responses={200: WebhookSerializer, 403: ERROR, 404: ERROR},
        examples=[
            OpenApiExample(
                "Unknown", value={"detail": "No webhook with id '7'."}, response_only=True, status_codes=["404"]
            )
        ],
    )
    def get(self, request: Request, webhook_id: str) -> Response:
        return Response(WebhookSerializer(self.subscription()).data)

    @extend_schema(
        summary="Change a webhook subscription",
        description=(
            "Any of `url` (checked as at creation), `events`, `active`. `active: true` turns a subscription that was "
            "disabled for failing back on, with no failing streak; deliveries given up meanwhile stay given up."
            + ACCESS_DOC
        ),
        parameters=[ID_PARAMETER],
        request=WebhookUpdateSerializer,
        responses={200: WebhookSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        examples=[OpenApiExample("Back on", value={"active": True}, request_only=True)],
    )
    def patch(self, request: Request, webhook_id: str) -> Response:
        subscription = self.subscription()
        asked = WebhookUpdateSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        try:
            changed = services.subscription_update(subscription=subscription, **asked.validated_data)
        except services.SubscriptionRefused as exc:
            raise refused(exc) from None
        if changed:
            audit_request(request, action=Action.WEBHOOK_UPDATED, **_webhook_event(subscription, **changed))
        return Response(WebhookSerializer(subscription).data)

    @extend_schema(
        summary="Delete a webhook subscription",
        description="Nothing more is sent to it; its delivery log goes with it." + ACCESS_DOC,
        parameters=[ID_PARAMETER],
        responses={204: None, 403: ERROR, 404: ERROR},
    )
    def delete(self, request: Request, webhook_id: str) -> Response:
        subscription = self.subscription()
        event = _webhook_event(subscription, url=subscription.url, events=subscription.events)
        subscription.delete()
        audit_request(request, action=Action.WEBHOOK_DELETED, **event)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookPingView(ManagedView):
    """POST /api/webhooks/{id}/ping: a test event, sent now."""

    serializer_class = DeliverySerializer

    @extend_schema(
        summary="Send a test event to a webhook subscription",
        description=(
            "Sends a signed `webhook.ping` event to the subscription's URL now (even when it is disabled) and answers "
            "its delivery: `status` succeeded for a 2xx answer, else gave_up with `last_error`. One attempt, no "
            "retries, and it never counts towards disabling the subscription." + ACCESS_DOC
        ),
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: DeliverySerializer, 403: ERROR, 404: ERROR},
    )
    def post(self, request: Request, webhook_id: str) -> Response:
        return Response(DeliverySerializer(services.webhook_ping(subscription=self.subscription())).data)


class WebhookDeliveriesView(ManagedView):
    """GET /api/webhooks/{id}/deliveries/: the delivery log."""

    serializer_class = DeliverySerializer

    @extend_schema(
        summary="Read a webhook subscription's delivery log",
        description=(
            "Every event sent to the subscription, newest first, 50 a page: its status (pending, failed and waiting "
            "for `next_attempt_at`, succeeded, gave_up), attempts, and the last attempt's response code, duration "
            "and error." + ACCESS_DOC
        ),
        parameters=[ID_PARAMETER],
        responses={200: DeliverySerializer(many=True), 403: ERROR, 404: ERROR},
        examples=[OpenApiExample("A page", value=_EXAMPLE_DELIVERY, response_only=True, status_codes=["200"])],
    )
    def get(self, request: Request, webhook_id: str) -> Response:
        return self.page_of(selectors.deliveries_of(self.subscription()), DeliverySerializer)


class RecipientListView(ManagedView):
    """GET and POST /api/email-recipients/."""

    serializer_class = RecipientSerializer

    @extend_schema(
        summary="List email recipients",
        description="The email recipients of every brand the caller administers, 50 a page." + ACCESS_DOC,
        responses={200: RecipientSerializer(many=True), 403: ERROR, 404: ERROR},
    )
    def get(self, request: Request) -> Response:
        return self.page_of(selectors.recipients_managed(caller_of(request)), RecipientSerializer)

    @extend_schema(
        summary="Add an email recipient",
        description=(
            "`email` receives the brand's `events` by email (plain text and HTML). 400 naming `email` when the "
            "brand has it already. `brand` as for webhooks." + ACCESS_DOC
        ),
        request=RecipientCreateSerializer,
        responses={201: RecipientSerializer, 400: ERROR, 403: ERROR},
        examples=[
            OpenApiExample(
                "The area manager",
                value={"email": "maria@example.com", "events": ["incident.opened", "report.completed"]},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        asked = RecipientCreateSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        brand = brand_to_manage(caller_of(request), asked.validated_data.get("brand"))
        try:
            recipient = services.recipient_add(
                brand=brand, email=asked.validated_data["email"], events=asked.validated_data["events"]
            )
        except services.SubscriptionRefused as exc:
            raise refused(exc) from None
        audit_request(
            request,
            action=Action.EMAIL_RECIPIENT_ADDED,
            brand_ids=[brand.pk],
            target=f"email recipient {recipient.email}",
            detail={"email": recipient.email, "events": recipient.events},
        )
        return Response(RecipientSerializer(recipient).data, status=status.HTTP_201_CREATED)


class RecipientDetailView(ManagedView):
    """DELETE /api/email-recipients/{id}."""

    serializer_class = RecipientSerializer

    @extend_schema(
        summary="Remove an email recipient",
        description="Nothing more is emailed to the address for this brand." + ACCESS_DOC,
        parameters=[RECIPIENT_PARAMETER],
        responses={204: None, 403: ERROR, 404: ERROR},
    )
    def delete(self, request: Request, recipient_id: str) -> Response:
        recipient: EmailRecipient | None = selectors.recipient_managed(caller_of(request), recipient_id)
        if recipient is None:
            raise NotFound(f"No email recipient with id {recipient_id!r}.")
        brand_id, email = recipient.brand_id, recipient.email
        recipient.delete()
        audit_request(
            request,
            action=Action.EMAIL_RECIPIENT_REMOVED,
            brand_ids=[brand_id],
            target=f"email recipient {email}",
            detail={"email": email},
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
