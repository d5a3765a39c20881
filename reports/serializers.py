"""Shapes of the reports API. Serializers shape data; they never query."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.utils import humanize_datetime

from reports import services
from reports.models import Report
from stores.csv_rows import NotAnInstant, instant_parse


class AsOfField(serializers.DateTimeField):
    """An ISO 8601 instant (UTC when it has no offset; stores.csv_rows.instant_parse) that can be a
    report's T: after 1971, not in the future."""

    def to_internal_value(self, value):
        # The parser of the input files, so an instant reads the same everywhere (DRF's
        # own takes other scripts' digits and any year); DRF's message for a non-instant.
        try:
            if not isinstance(value, str):
                raise NotAnInstant()
            instant = self.enforce_timezone(instant_parse(value, iso_only=True))
        except NotAnInstant:
            self.fail("invalid", format=humanize_datetime.datetime_formats([ISO_8601]))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        if problem := services.as_of_problem(instant):
            raise serializers.ValidationError(problem)
        return instant


class TriggerSerializer(serializers.Serializer):
    as_of = AsOfField(
        required=False,
        allow_null=True,
        help_text="ISO 8601 instant (UTC if no offset is given); default: the latest poll",
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


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = serializers.CharField()
    broker = serializers.CharField()
