from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from reports import services
from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "as_of",
        "scope",
        "data_cutoff",
        "created_at",
        "duration",
        "progress_percent",
        "row_count",
        "download",
    ]
    list_filter = ["status", "brand"]
    list_select_related = ["brand"]
    actions = ["run_again", "run_again_same_data"]
    date_hierarchy = "created_at"
    search_fields = ["id"]
    readonly_fields = [
        "id",
        "status",
        "as_of",
        "scope",
        "store_ids",
        "received_before",
        "data_cutoff",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "progress_percent",
        "shards_total",
        "shards_done",
        "row_count",
        "polls_read",
        "tzdata_version",
        "code_version",
        "warnings",
        "error",
        "file_link",
        "download",
    ]
    fields = tuple(readonly_fields)

    @admin.action(description="Run again for the same as_of and scope")
    def run_again(self, request, queryset):
        made = []
        for report in queryset:
            try:
                made.append(
                    services.report_create(as_of=report.as_of, store_ids=report.store_ids, brand_id=report.brand_id)
                )
            except (services.BrokerUnavailable, services.UnknownStores) as exc:
                self.message_user(request, f"Report {report.id}: {exc}", messages.ERROR)
        if made:
            self.message_user(request, f"Queued {len(made)} report(s): " + ", ".join(str(r.id) for r in made))

    @admin.action(description="Run again for the same as_of, scope and data cutoff (the same CSV)")
    def run_again_same_data(self, request, queryset):
        made = []
        for report in queryset:
            if report.data_cutoff is None:
                self.message_user(request, f"Report {report.id} has no data cutoff (not planned yet)", messages.ERROR)
                continue
            try:
                made.append(
                    services.report_create(
                        as_of=report.as_of,
                        store_ids=report.store_ids,
                        received_before=report.data_cutoff,
                        brand_id=report.brand_id,
                    )
                )
            except (services.BrokerUnavailable, services.UnknownStores) as exc:
                self.message_user(request, f"Report {report.id}: {exc}", messages.ERROR)
        if made:
            self.message_user(request, f"Queued {len(made)} report(s): " + ", ".join(str(r.id) for r in made))

    def has_add_permission(self, request):
        return False  # reports are made by POST /trigger_report or `manage.py report`

    def has_change_permission(self, request, obj=None):
        # Every field is the computation's record: the change form is a view, with no Save button.
        # The actions above (run again, delete) stay: they make new reports or remove one.
        return False

    @admin.display(description="duration")
    def duration(self, report):
        seconds = report.duration_seconds
        return "-" if seconds is None else f"{seconds:.2f} s"

    @admin.display(description="progress")
    def progress_percent(self, report):
        return "-" if report.progress is None else f"{report.progress:.0%}"

    @admin.display(description="file")
    def file_link(self, report):
        """The stored file's name, linked to GET /get_report/<id>: MEDIA_ROOT is served by no URL
        (a report's CSV is read only by who may read the report), so the file's own URL would 404."""
        if not report.file:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("get-report-path", args=[report.id]), report.file.name)

    @admin.display(description="CSV")
    def download(self, report):
        if report.status != Report.Status.COMPLETE:
            return "-"
        return format_html('<a href="{}">download</a>', reverse("get-report-path", args=[report.id]))
