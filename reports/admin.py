import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from brands.audit import Action, audit_request
from reports import cron, schedule_services, services
from reports.models import Report, ReportSchedule


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
        "wal_lsn",
        "read_from",
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


class ReportScheduleForm(forms.ModelForm):
    """The model's own checks of the cron line and timezone, and the brand's limit for a new schedule."""

    class Meta:
        model = ReportSchedule
        fields = ["brand", "name", "cron", "timezone", "enabled"]

    def clean(self):
        data = super().clean() or {}
        brand = data.get("brand")
        if self.instance._state.adding and brand is not None:
            if problem := schedule_services.schedule_limit_problem(brand.pk):
                raise forms.ValidationError(problem)
        return data


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    """Report schedules, editable by staff. Saved and deleted through the schedule services, so the
    beat entry follows and the change is on record in the audit log, as through /api/schedules/.
    (django-celery-beat's own admin lists the entries too; a schedule's entry cannot be deleted there.)"""

    form = ReportScheduleForm
    list_display = ["name", "brand", "cron", "timezone", "enabled", "next_run", "last_run_at", "last_report"]
    list_filter = ["enabled", "brand"]
    list_select_related = ["brand", "last_report"]
    search_fields = ["name", "brand__slug"]
    readonly_fields = [
        "next_run",
        "last_run_at",
        "last_report",
        "periodic_task",
        "created_by",
        "created_at",
        "updated_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        # A schedule's brand is fixed, as through the API: delete it and create one in the other brand.
        return [*self.readonly_fields, "brand"] if obj is not None else list(self.readonly_fields)

    @admin.display(description="next run")
    def next_run(self, schedule: ReportSchedule) -> str:
        if schedule.pk is None or not schedule.enabled:
            return "-"
        at = cron.next_run(cron.cron_parse(schedule.cron), schedule.timezone, after=timezone.now())
        return f"{at:%Y-%m-%d %H:%M %Z} ({at.astimezone(dt.UTC):%H:%M} UTC)"

    def save_model(self, request: HttpRequest, obj: ReportSchedule, form: Any, change: bool) -> None:
        before = ReportSchedule.objects.filter(pk=obj.pk).first() if change else None
        if before is None:
            obj.created_by = request.user.get_username()
        schedule_services.schedule_save(schedule=obj)
        fields = schedule_services.EDITABLE
        after = {name: getattr(obj, name) for name in fields}
        target = f"schedule {obj.id} ({obj.name})"
        if before is None:
            audit_request(
                request, action=Action.SCHEDULE_CREATED, brand_ids=[obj.brand_id], target=target, detail=after
            )
            return
        was = {name: getattr(before, name) for name in fields}
        changed = [name for name in fields if was[name] != after[name]]
        if changed:
            detail = {"before": {n: was[n] for n in changed}, "after": {n: after[n] for n in changed}}
            audit_request(
                request, action=Action.SCHEDULE_UPDATED, brand_ids=[obj.brand_id], target=target, detail=detail
            )

    def delete_model(self, request: HttpRequest, obj: ReportSchedule) -> None:
        self._delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReportSchedule]) -> None:
        for schedule in queryset:
            self._delete(request, schedule)

    def _delete(self, request: HttpRequest, schedule: ReportSchedule) -> None:
        detail = {name: getattr(schedule, name) for name in schedule_services.EDITABLE}
        target = f"schedule {schedule.id} ({schedule.name})"
        schedule_services.schedule_delete(schedule=schedule)
        audit_request(
            request, action=Action.SCHEDULE_DELETED, brand_ids=[schedule.brand_id], target=target, detail=detail
        )
