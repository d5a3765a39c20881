"""Brands, memberships and API keys in the (staff-only) admin.

A key made here is shown once, in the page's message after saving (the library's
APIKeyModelAdmin); the list shows prefixes, never keys.
"""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from brands.models import ApiKey, Brand, Membership

# The library's own concrete model is installed (its app must be, for AbstractAPIKey) but unused.
admin.site.unregister(APIKey)


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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "brand", "role", "created_at"]
    list_filter = ["role", "brand"]
    search_fields = ["user__username", "brand__slug"]
    list_select_related = ["user", "brand"]
    raw_id_fields = ["user"]


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
