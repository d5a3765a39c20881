"""Brands, memberships, API keys and the audit log in the (staff-only) admin.

A key made here is shown once, in the page's message after saving (the library's
APIKeyModelAdmin); the list shows prefixes, never keys. What staff change here is on record
in the audit log like the same change through the API (keys created and revoked, members
added, removed or given another role); the log itself is read-only.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import AbstractAPIKey, APIKey

from brands.audit import Action, audit_request, key_event, member_event
from brands.models import ApiKey, AuditEvent, Brand, Membership

# The library's own concrete model is installed (its app must be, for AbstractAPIKey) but unused.
admin.site.unregister(APIKey)


def _audit_membership_saved(request: HttpRequest, membership: Membership, before: Membership | None) -> None:
    """The events of a membership saved in the admin: added, or its role changed (a membership moved
    to another person or brand is the old one removed and a new one added)."""
    if before is not None and (before.user_id, before.brand_id) != (membership.user_id, membership.brand_id):
        audit_request(request, action=Action.MEMBER_REMOVED, **member_event(before))
        before = None
    if before is None:
        audit_request(request, action=Action.MEMBER_ADDED, **member_event(membership))
    elif before.role != membership.role:
        audit_request(request, action=Action.MEMBER_ROLE_CHANGED, **member_event(membership, was=before.role))


def _stored(membership: Membership) -> Membership | None:
    """The membership as the database holds it before the admin saves its form (None when new)."""
    if membership.pk is None:
        return None
    return Membership.objects.select_related("user").filter(pk=membership.pk).first()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        # As stored before the save: a form's instance already holds its new values, and a deleted
        # one loses its primary key.
        before = {f.instance.pk: _stored(f.instance) for f in formset.initial_forms}
        deleted = [before[f.instance.pk] for f in formset.deleted_forms if f.instance.pk in before]
        super().save_formset(request, form, formset, change)
        for membership in deleted:
            if membership is not None:
                audit_request(request, action=Action.MEMBER_REMOVED, **member_event(membership))
        for membership in formset.new_objects:
            _audit_membership_saved(request, membership, None)
        for membership, _ in formset.changed_objects:
            _audit_membership_saved(request, membership, before.get(membership.pk))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "brand", "role", "created_at"]
    list_filter = ["role", "brand"]
    search_fields = ["user__username", "brand__slug"]
    list_select_related = ["user", "brand"]
    raw_id_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool) -> None:
        before = _stored(obj)
        super().save_model(request, obj, form, change)
        _audit_membership_saved(request, obj, before)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        super().delete_model(request, obj)
        audit_request(request, action=Action.MEMBER_REMOVED, **member_event(obj))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        gone = list(queryset.select_related("user"))
        super().delete_queryset(request, queryset)
        for membership in gone:
            audit_request(request, action=Action.MEMBER_REMOVED, **member_event(membership))


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = ("prefix", "name", "brand", "role", "created", "expiry_date", "last_used_at", "revoked")  # type: ignore[assignment]
    list_filter = ("revoked", "role", "brand", "created")  # type: ignore[assignment]
    list_select_related = ["brand"]
    search_fields = ("name", "prefix", "brand__slug")  # type: ignore[assignment]
    fields = ["prefix", "name", "brand", "role", "expiry_date", "last_used_at", "revoked"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        fields = (*super().get_readonly_fields(request, obj), "last_used_at")  # type: ignore[arg-type]
        # A key's owner and role are what it was handed out as: re-issue rather than repurpose.
        return (*fields, "brand", "role") if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: AbstractAPIKey, form: Any = None, change: bool = False) -> None:
        assert isinstance(obj, ApiKey)
        created = not obj.pk  # the key's primary key is text, empty until the library assigns the key
        was_revoked = not created and ApiKey.objects.filter(pk=obj.pk, revoked=True).exists()
        super().save_model(request, obj, form, change)
        if created:
            audit_request(request, action=Action.KEY_CREATED, **key_event(obj))
        if obj.revoked and not was_revoked:
            audit_request(request, action=Action.KEY_REVOKED, **key_event(obj))

    def delete_model(self, request: HttpRequest, obj: ApiKey) -> None:
        # A deleted key stops working as a revoked one does; the event says it is gone.
        super().delete_model(request, obj)
        audit_request(request, action=Action.KEY_REVOKED, **_deleted(key_event(obj)))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        gone = list(queryset)
        super().delete_queryset(request, queryset)
        for api_key in gone:
            audit_request(request, action=Action.KEY_REVOKED, **_deleted(key_event(api_key)))


def _deleted(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "detail": {**event["detail"], "deleted": True}}


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: rows are only ever added by the writes they record."""

    list_display = ["at", "brand_slug", "actor", "action", "target", "ip"]
    list_filter = ("brand", "action", ("at", admin.DateFieldListFilter))
    search_fields = ["actor", "target"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    fields = readonly_fields = (
        "at",
        "brand",
        "brand_slug",
        "action",
        "actor",
        "user",
        "api_key",
        "target",
        "detail",
        "ip",
    )
    list_select_related = ["brand"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
