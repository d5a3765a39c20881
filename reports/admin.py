from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "as_of", "created_at", "duration", "progress_percent", "row_count", "download"]
    list_filter = ["status"]
    date_hierarchy = "created_at"
    search_fields = ["id"]
    readonly_fields = [
        "id", "status", "as_of", "store_ids", "created_at", "started_at", "finished_at", "duration",
        "shards_total", "shards_done", "row_count", "polls_read", "error", "file", "download",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # reports are made by POST /trigger_report or `manage.py report`

    @admin.display(description="duration")
    def duration(self, report):
        seconds = report.duration_seconds
        return "-" if seconds is None else f"{seconds:.2f} s"

    @admin.display(description="progress")
    def progress_percent(self, report):
        return "-" if report.progress is None else f"{report.progress:.0%}"

    @admin.display(description="CSV")
    def download(self, report):
        if report.status != Report.Status.COMPLETE:
            return "-"
        return format_html('<a href="{}">download</a>', reverse("get-report-path", args=[report.id]))
