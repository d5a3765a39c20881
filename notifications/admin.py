"""Webhook subscriptions, email recipients and both delivery logs in the (staff-only) admin.

Subscriptions are made through the API, which shows the secret once; here staff turn them on or
off, change their URL (checked as through the API) or events, or delete them, each change on the
brand's audit log. The delivery logs are read-only: they are what happened.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from brands.audit import Action, audit_request
from notifications import services
from notifications.models import EVENTS, EmailDelivery, EmailRecipient, WebhookDelivery, WebhookSubscription


class ReadOnlyAdmin(admin.ModelAdmin):
    """What is only ever written by the service: shown, never changed here."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=[(e, e) for e in EVENTS], widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ["url", "events", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            services.url_check(url)
        except services.SubscriptionRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["id", "brand", "url", "active", "failing_since", "disabled_at", "created_at"]
    list_filter = ["active", "brand"]
    search_fields = ["url", "brand__slug"]
    readonly_fields = ["brand", "failing_since", "disabled_at", "disabled_reason", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the API, which shows the new secret once

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: forms.ModelForm, change: bool) -> None:
        before = WebhookSubscription.objects.get(pk=obj.pk)
        changes = {f: getattr(obj, f) for f in form.changed_data}
        obj.refresh_from_db()
        changed = services.subscription_update(subscription=obj, **changes)
        if changed:
            audit_request(request, action=Action.WEBHOOK_UPDATED, **_event(before, **changed))

    def delete_model(self, request: HttpRequest, obj: WebhookSubscription) -> None:
        event = _event(obj, url=obj.url, events=obj.events)
        super().delete_model(request, obj)
        audit_request(request, action=Action.WEBHOOK_DELETED, **event)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for subscription in queryset:
            self.delete_model(request, subscription)


def _event(subscription: WebhookSubscription, **detail: Any) -> dict[str, Any]:
    return {
        "brand_ids": [subscription.brand_id],
        "target": f"webhook {subscription.pk} ({subscription.url})",
        "detail": detail,
    }


DELIVERY_FIELDS = (
    "event_type",
    "message_id",
    "status",
    "attempts",
    "max_attempts",
    "last_error",
    "last_attempt_at",
    "next_attempt_at",
    "created_at",
    "updated_at",
)
WEBHOOK_DELIVERY_FIELDS = ("subscription", *DELIVERY_FIELDS, "last_response_code", "last_duration_ms", "payload")
EMAIL_DELIVERY_FIELDS = ("to", "recipient", "subject", *DELIVERY_FIELDS)


class DeliveryAdmin(ReadOnlyAdmin):
    @admin.display(description="event type", ordering="event__type")
    def event_type(self, obj: WebhookDelivery | EmailDelivery) -> str:
        return obj.event.type

    @admin.display(description="webhook-id")
    def message_id(self, obj: WebhookDelivery | EmailDelivery) -> str:
        return obj.event.event_id


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(DeliveryAdmin):
    list_display = ["id", "subscription", "event_type", "status", "attempts", "last_response_code", "next_attempt_at"]
    list_filter = ["status", "event__type", "subscription__brand"]
    list_select_related = ["subscription__brand", "event"]
    search_fields = ["event__event_id", "subscription__url"]
    date_hierarchy = "created_at"
    fields = WEBHOOK_DELIVERY_FIELDS
    readonly_fields = WEBHOOK_DELIVERY_FIELDS

    @admin.display(description="payload")
    def payload(self, obj: WebhookDelivery) -> Any:
        return obj.event.payload


@admin.register(EmailRecipient)
class EmailRecipientAdmin(ReadOnlyAdmin):
    list_display = ["email", "brand", "events", "created_at"]
    list_filter = ["brand"]
    search_fields = ["email"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(DeliveryAdmin):
    list_display = ["id", "to", "event_type", "status", "attempts", "subject", "next_attempt_at"]
    list_filter = ["status", "event__type", "event__brand"]
    list_select_related = ["event"]
    search_fields = ["to", "event__event_id", "subject"]
    date_hierarchy = "created_at"
    fields = EMAIL_DELIVERY_FIELDS
    readonly_fields = EMAIL_DELIVERY_FIELDS
