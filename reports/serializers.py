"""Shapes of the reports API. Serializers shape data; they never query."""

from django.urls import reverse
from rest_framework import serializers

from reports.models import Report


class TriggerSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(
        required=False, allow_null=True, help_text="ISO 8601 instant (UTC if no offset is given); default: the latest poll"
    )
    store_ids = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=False), required=False, allow_null=True, allow_empty=False,
        max_length=100_000,
    )



class ReportSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True)
    progress = serializers.FloatField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id", "status", "as_of", "store_ids", "created_at", "started_at", "finished_at",
            "duration_seconds", "progress", "row_count", "polls_read", "error", "download_url",
        ]

    def get_download_url(self, report: Report) -> str | None:
        if report.status != Report.Status.COMPLETE:
            return None
        url = reverse("get-report-path", args=[report.id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
