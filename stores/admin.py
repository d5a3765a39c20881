from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from stores import selectors
from stores.models import BusinessHours, Poll, Store


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["store_id", "timezone_str", "last_poll_status", "last_poll_at", "created_at"]
    search_fields = ["store_id"]
    list_filter = ["timezone_str"]
    inlines = [BusinessHoursInline]
    readonly_fields = ["created_at", "week_timeline", "latest_polls"]
    fields = ["store_id", "timezone_str", "created_at", "week_timeline", "latest_polls"]

    def get_queryset(self, request):
        # Two index probes per listed store (stores/selectors.py), not a query per row.
        return selectors.with_last_poll(super().get_queryset(request))

    @admin.display(description="last status", ordering="last_poll_active")
    def last_poll_status(self, store):
        if store.last_poll_active is None:
            return "no polls"
        return "active" if store.last_poll_active else "inactive"

    @admin.display(description="last poll (UTC)", ordering="last_poll_at")
    def last_poll_at(self, store):
        return store.last_poll_at

    @admin.display(description="last week")
    def week_timeline(self, store):
        if store.pk is None:
            return "-"
        try:
            svg_url = reverse("store-timeline-svg", args=[store.store_id])
            uptime_url = reverse("store-uptime", args=[store.store_id])
        except NoReverseMatch:  # an id with a "/" has no URL of its own
            return "-"
        return format_html(
            '<img src="{}" alt="The last week of store {}: closed, active and inactive time per local day" '
            'style="max-width:100%;height:auto"><br><a href="{}">uptime and timeline as JSON</a>',
            svg_url,
            store.store_id,
            uptime_url,
        )

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
