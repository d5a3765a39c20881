"""Shapes of the reports API, the per-store uptime included. Serializers shape data; they never query."""

import datetime as dt

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loopmonitor.api import AsOfField
from reports import fleet, services, timeline
from reports.models import Report
from stores.csv_rows import NotAnInstant, instant_parse


def _instant_read(text: str) -> dt.datetime | None:
    """An as_of text read by the input files' parser (stores.csv_rows.instant_parse, ISO forms), so an
    instant reads the same everywhere; None when it is no instant at all (DRF's own message then)."""
    try:
        return instant_parse(text, iso_only=True)
    except NotAnInstant:
        return None


class TriggerSerializer(serializers.Serializer):
    as_of = AsOfField(
        problem=services.as_of_problem,
        parse=_instant_read,
        required=False,
        allow_null=True,
        help_text="ISO 8601 instant (UTC if no offset is given); default: the latest poll",
    )
    received_before = AsOfField(
        problem=services.received_before_problem,
        required=False,
        allow_null=True,
        help_text="ISO 8601 instant: read only the polls received at or before it (a past report's "
        "data_cutoff gives its CSV again); default: every poll stored when the report is planned",
    )
    store_ids = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=False),
        required=False,
        allow_null=True,
        allow_empty=False,
        max_length=100_000,
    )


class ReportSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    scope = serializers.CharField(read_only=True)
    progress = serializers.FloatField(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
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
            "duration_seconds",
            "progress",
            "row_count",
            "polls_read",
            "tzdata_version",
            "code_version",
            "error",
            "download_url",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, report: Report) -> str | None:
        if report.status != Report.Status.COMPLETE:
            return None
        url = reverse("get-report-path", args=[report.id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class TriggerResponseSerializer(serializers.Serializer):
    report_id = serializers.UUIDField()


class ReportStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["Running", "Failed"])
    report_id = serializers.UUIDField()
    as_of = serializers.DateTimeField(required=False)
    progress = serializers.FloatField(required=False, help_text="0..1, shards finished; absent before planning")
    error = serializers.CharField(required=False, help_text="why a Failed report failed")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = serializers.CharField()
    broker = serializers.CharField()


# --- One store's uptime and week (issue 7) ------------------------------------------------


class RoundedFloatField(serializers.FloatField):
    """A report value as the CSV writes it: Python's round(x, 2) (SEMANTICS.md rule 8)."""

    def to_representation(self, value):
        return round(float(value), 2)


class SegmentSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="UTC, inclusive")
    end = serializers.DateTimeField(help_text="UTC, exclusive (the last segment ends at as_of)")
    state = serializers.ChoiceField(choices=list(timeline.STATES))


class PollPointSerializer(serializers.Serializer):
    observed_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["active", "inactive"])


class DayScheduleSerializer(serializers.Serializer):
    """Which rows made the periods starting on one local date of the week (SEMANTICS.md rules 10, 11)."""

    date = serializers.DateField(help_text="a local calendar date of the store the week touches")
    source = serializers.ChoiceField(
        choices=list(fleet.DAY_SOURCES),
        help_text="`weekly`: a version of the weekly hours; `special`: the date's special rows (rule 11); "
        "`24x7`: no weekly rows in any version, open the whole local day (rule 10)",
    )
    effective_from = serializers.DateField(
        allow_null=True, help_text="the weekly version's effective_from; null for the undated version or not weekly"
    )
    closed = serializers.BooleanField(
        help_text="the rows give the date no open period of its own (a closed special day, or a weekday "
        "without a row in the version); a period of the day before may still run into it"
    )


class StoreUptimeSerializer(serializers.Serializer):
    """One store's six report values as of T (rounded like the CSV) and the week that explains them."""

    store_id = serializers.CharField()
    as_of = serializers.DateTimeField()
    timezone = serializers.CharField(help_text="the zone used (SEMANTICS.md rule 4)")
    uptime_last_hour_minutes = RoundedFloatField(source="values.uptime_last_hour")
    uptime_last_day_hours = RoundedFloatField(source="values.uptime_last_day")
    uptime_last_week_hours = RoundedFloatField(source="values.uptime_last_week")
    downtime_last_hour_minutes = RoundedFloatField(source="values.downtime_last_hour")
    downtime_last_day_hours = RoundedFloatField(source="values.downtime_last_day")
    downtime_last_week_hours = RoundedFloatField(source="values.downtime_last_week")
    timeline = SegmentSerializer(many=True, source="segments")
    observations = PollPointSerializer(many=True)
    ignored_polls = PollPointSerializer(many=True)
    days = DayScheduleSerializer(many=True)


class AsOfQuerySerializer(serializers.Serializer):
    as_of = AsOfField(
        problem=services.as_of_problem,
        parse=_instant_read,
        required=False,
        help_text="ISO 8601 instant (UTC if no offset is given); default: the latest poll (rule 2)",
    )
