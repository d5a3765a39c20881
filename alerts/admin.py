"""The incidents in the admin, for platform staff: read only (they are derived from the polls)."""

from django.contrib import admin

from alerts.models import Incident, IncidentRefresh


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("store", "state", "started_at", "ended_at", "open_minutes", "first_observed_at")
    list_filter = (("ended_at", admin.EmptyFieldListFilter),)
    search_fields = ("store__store_id",)
    list_select_related = ("store",)
    readonly_fields = [f.name for f in Incident._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IncidentRefresh)
class IncidentRefreshAdmin(admin.ModelAdmin):
    list_display = ("store", "refreshed_at", "as_of", "since", "polls_received_until")
    search_fields = ("store__store_id",)
    list_select_related = ("store",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
