from django import forms
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from stores import calendar_rows, selectors
from stores.models import BusinessHours, Poll, SpecialHours, Store


class StoreForm(forms.ModelForm):
    """A store id is refused where the API and the files refuse it (docs/numbers.md "Inputs"): empty
    or beginning like a spreadsheet formula. An unchanged id of an existing store is left alone."""

    class Meta:
        model = Store
        fields = ["store_id", "name", "brand", "timezone_str"]

    def clean_store_id(self) -> str:
        # The raw value: Django's form field has trimmed it, which would hide a leading tab.
        raw = self.data.get(self.add_prefix("store_id"), self.cleaned_data["store_id"])
        if self.instance.pk is not None and raw.strip() == self.instance.store_id:
            return self.instance.store_id
        try:
            return calendar_rows.store_id_parse(raw)
        except calendar_rows.FieldError as exc:
            raise forms.ValidationError(f"Store id {exc.reason}.") from None


class BusinessHoursForm(forms.ModelForm):
    """A weekly row; `effective_from` names its version (empty: the undated one, rule 10)."""

    class Meta:
        model = BusinessHours
        fields = ["effective_from", "day_of_week", "start_time_local", "end_time_local"]

    def clean_effective_from(self):
        return _date_checked(self.cleaned_data.get("effective_from"), "effective_from")


class SpecialHoursForm(forms.ModelForm):
    """A special-hours row (rule 11): both times empty = closed that date; exactly one is an error on the empty one."""

    class Meta:
        model = SpecialHours
        fields = ["date", "start_time_local", "end_time_local"]
        help_texts = {
            "start_time_local": "local HH:MM:SS; leave both times empty for a day closed all day",
        }

    def clean_date(self):
        return _date_checked(self.cleaned_data.get("date"), "date")

    def clean(self):
        cleaned = super().clean()
        if "start_time_local" in self.errors or "end_time_local" in self.errors:
            return cleaned  # a time that did not parse has its own error already
        # ModelForm.clean returns self.cleaned_data (typed Optional for overrides that return nothing).
        start, end = self.cleaned_data.get("start_time_local"), self.cleaned_data.get("end_time_local")
        if (start is None) != (end is None):
            empty, given = ("start", "end") if start is None else ("end", "start")
            self.add_error(
                f"{empty}_time_local",
                f"Empty while the {given} time is given: give both times, or neither for a day closed all day.",
            )
        return cleaned


def _date_checked(value, field: str):
    if value is None:
        return value
    try:
        return calendar_rows.date_check(value, field=field)
    except calendar_rows.FieldError as exc:
        raise forms.ValidationError(f"{exc.reason}.") from None


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    form = BusinessHoursForm
    extra = 0
    fields = ["effective_from", "day_of_week", "start_time_local", "end_time_local"]
    verbose_name_plural = "business hours (one version per effective from; empty: the undated version)"


class SpecialHoursInline(admin.TabularInline):
    model = SpecialHours
    form = SpecialHoursForm
    extra = 1
    fields = ["date", "start_time_local", "end_time_local"]
    verbose_name_plural = "special days (replace the weekly hours starting that date; both times empty: closed)"


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["store_id", "name", "brand", "timezone_str", "last_poll_status", "last_poll_at", "created_at"]
    search_fields = ["store_id", "name"]
    list_filter = ["brand", "timezone_str"]
    list_select_related = ["brand"]
    form = StoreForm
    inlines = [BusinessHoursInline, SpecialHoursInline]
    readonly_fields = ["created_at", "schedule_versions", "week_timeline", "latest_polls"]
    fields = [
        "store_id",
        "name",
        "brand",
        "timezone_str",
        "created_at",
        "schedule_versions",
        "week_timeline",
        "latest_polls",
    ]

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

    @admin.display(description="schedule versions")
    def schedule_versions(self, store):
        """Which local dates take their weekly periods from which version (docs/numbers.md rule 10)."""
        if store.pk is None:
            return "-"
        counts: dict = {}
        for effective_from in store.business_hours.values_list("effective_from", flat=True):
            counts[effective_from] = counts.get(effective_from, 0) + 1
        if not counts:
            return "no weekly rows: open 24x7 on every date without special hours"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    span.effective_from or "undated",
                    _dates_label(span),
                    counts[span.effective_from],
                )
                for span in calendar_rows.version_spans(list(counts))
            ),
        )
        return format_html(
            "<table><tr><th>version</th><th>supplies the periods starting on</th><th>rows</th></tr>{}</table>", rows
        )

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


def _dates_label(span: calendar_rows.VersionSpan) -> str:
    if span.applies_from is None and span.applies_until is None:
        return "every date"
    if span.applies_from is None:
        return f"every date before {span.applies_until}"
    if span.applies_until is None:
        return f"{span.applies_from} and after"
    return f"{span.applies_from} to the day before {span.applies_until}"


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    form = BusinessHoursForm
    fields = ["store", *BusinessHoursForm.Meta.fields]
    list_display = ["store", "effective_from", "day_of_week", "start_time_local", "end_time_local"]
    list_filter = ["day_of_week", "effective_from"]
    search_fields = ["store__store_id"]
    list_select_related = ["store"]
    raw_id_fields = ["store"]


@admin.register(SpecialHours)
class SpecialHoursAdmin(admin.ModelAdmin):
    form = SpecialHoursForm
    fields = ["store", *SpecialHoursForm.Meta.fields]
    list_display = ["store", "date", "start_time_local", "end_time_local", "closed"]
    list_filter = [("date", admin.DateFieldListFilter)]
    date_hierarchy = "date"
    search_fields = ["store__store_id"]
    list_select_related = ["store"]
    raw_id_fields = ["store"]

    @admin.display(boolean=True, description="closed")
    def closed(self, row: SpecialHours) -> bool:
        return row.closed
