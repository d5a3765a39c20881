from django.contrib import admin
from django.utils.html import format_html, format_html_join

from stores.models import BusinessHours, Poll, Store


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["store_id", "timezone_str", "created_at"]
    search_fields = ["store_id"]
    list_filter = ["timezone_str"]
    inlines = [BusinessHoursInline]
    readonly_fields = ["created_at", "latest_polls"]
    fields = ["store_id", "timezone_str", "created_at", "latest_polls"]

    @admin.display(description="latest polls (UTC)")
    def latest_polls(self, store):
        polls = store.polls.order_by("-observed_at_utc")[:24]
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", ((p.observed_at_utc, p.status) for p in polls))
        return rows and format_html("<table>{}</table>", rows) or "none"


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ["store", "observed_at_utc", "active"]
    list_filter = ["active"]
    search_fields = ["store__store_id"]
    date_hierarchy = "observed_at_utc"
    list_select_related = ["store"]
    raw_id_fields = ["store"]
    show_full_result_count = False  # counting millions of polls on every page is slow


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ["store", "day_of_week", "start_time_local", "end_time_local"]
    list_filter = ["day_of_week"]
    search_fields = ["store__store_id"]
    list_select_related = ["store"]
    raw_id_fields = ["store"]
