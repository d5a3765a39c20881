"""The shapes of the notifications API (notifications/views.py). Serializers only shape and validate;
the writes are notifications.services'."""

from rest_framework import serializers

from loopmonitor.api import KnownFieldsOnly
from notifications.addresses import AddressRefused, split_url
from notifications.models import EVENTS, EmailRecipient, WebhookDelivery, WebhookSubscription

EVENTS_HELP = "Which events to send: " + ", ".join(EVENTS) + ' (README "Notifications").'
BRAND_HELP = (
    "The brand's slug. Needed from platform staff and from admins of several brands; an admin of one "
    "brand may leave it out."
)


class EventsField(serializers.ListField):
    child = serializers.ChoiceField(choices=EVENTS)

    def __init__(self, **kwargs):
        super().__init__(allow_empty=False, max_length=len(EVENTS) * 2, help_text=EVENTS_HELP, **kwargs)


class WebhookUrlField(serializers.CharField):
    """An http(s) URL with a host; whether its addresses are public is the service's check (it resolves the host)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=2000, help_text="http:// or https:// URL of the receiver.", **kwargs)

    def to_internal_value(self, data):
        url = super().to_internal_value(data)
        try:
            split_url(url)
        except AddressRefused as exc:
            raise serializers.ValidationError(str(exc)) from None
        return url


class WebhookSerializer(serializers.ModelSerializer):
    """A subscription as listed: never its secret."""

    brand = serializers.CharField(source="brand.slug", read_only=True, help_text="The brand's slug.")

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "brand",
            "url",
            "events",
            "active",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to a new subscription: its signing secret, this once."""

    secret = serializers.CharField(read_only=True, help_text="The whsec_ signing secret: shown this once.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookCreateSerializer(KnownFieldsOnly, serializers.Serializer):
    url = WebhookUrlField()
    events = EventsField()
    brand = serializers.SlugField(max_length=64, required=False, help_text=BRAND_HELP)


class WebhookUpdateSerializer(KnownFieldsOnly, serializers.Serializer):
    url = WebhookUrlField(required=False)
    events = EventsField(required=False)
    active = serializers.BooleanField(
        required=False,
        help_text="false turns the subscription off; true turns it (back) on with no failing streak.",
    )


class DeliverySerializer(serializers.ModelSerializer):
    """One event sent to one subscription, with how its attempts went."""

    webhook_id = serializers.IntegerField(source="subscription_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    event_id = serializers.CharField(source="event.event_id", read_only=True, help_text="Its webhook-id header.")
    payload = serializers.JSONField(source="event.payload", read_only=True, help_text="The body that was signed.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "event_id",
            "payload",
            "status",
            "attempts",
            "max_attempts",
            "last_response_code",
            "last_duration_ms",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RecipientSerializer(serializers.ModelSerializer):
    brand = serializers.CharField(source="brand.slug", read_only=True, help_text="The brand's slug.")

    class Meta:
        model = EmailRecipient
        fields = ["id", "brand", "email", "events", "created_at"]
        read_only_fields = fields


class RecipientCreateSerializer(KnownFieldsOnly, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    events = EventsField()
    brand = serializers.SlugField(max_length=64, required=False, help_text=BRAND_HELP)
