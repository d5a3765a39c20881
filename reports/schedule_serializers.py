"""Shapes of /api/schedules/: what a caller sends to create or change a report schedule, and
what it reads back. Serializers shape and check data; they never query (the brand is the view's)."""

import datetime as dt
from typing import Any

from django.urls import reverse
from django_celery_beat.models import CrontabSchedule
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loopmonitor.api import KnownFieldsOnly
from reports import cron
from reports.models import ReportSchedule

EVERY_HELP = f"with `at`, instead of `cron`: one of {', '.join(cron.EVERY)}"


class _ScheduleInput(KnownFieldsOnly, serializers.Serializer):
    """The fields a caller may set: `name`, the times (`cron`, or `every` and `at`), `timezone`, `enabled`."""

    name = serializers.CharField(max_length=200, help_text="What the schedule is for, in words.")
    cron = serializers.CharField(
        max_length=cron.CRON_MAX_LENGTH,
        required=False,
        help_text="minute hour day-of-month month day-of-week, in `timezone` (e.g. '0 6 * * *': daily at 06:00); "
        "the minute is one number (at most one run an hour)",
    )
    every = serializers.CharField(max_length=16, required=False, help_text=EVERY_HELP)
    at = serializers.CharField(max_length=5, required=False, help_text="with `every`: a local time HH:MM (24-hour)")
    timezone = serializers.CharField(max_length=64, help_text="IANA name the times are in, e.g. 'Asia/Kolkata'")
    enabled = serializers.BooleanField(required=False, help_text="false: beat skips it (default true)")

    def validate_name(self, value: str) -> str:
        name = value.strip()
        if not name or not name.isprintable():
            raise serializers.ValidationError("A schedule needs a name of printable characters.")
        return name

    def validate_timezone(self, value: str) -> str:
        try:
            return cron.timezone_check(value.strip())
        except cron.CronError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """`cron`, or `every` with `at`, become one normalised cron line in `cron`."""
        line, every, at = attrs.pop("cron", None), attrs.pop("every", None), attrs.pop("at", None)
        if line is not None and (every is not None or at is not None):
            raise serializers.ValidationError({"cron": ["give either `cron` or `every` and `at`, not both"]})
        if (every is None) != (at is None):
            missing = "at" if at is None else "every"
            raise serializers.ValidationError({missing: [f"required with `{'every' if at is None else 'at'}`"]})
        try:
            if line is not None:
                attrs["cron"] = str(cron.cron_parse(line))
            elif every is not None and at is not None:
                attrs["cron"] = str(cron.cron_of_every(every, at))
        except cron.CronError as exc:
            raise serializers.ValidationError({exc.field: [str(exc)]}) from None
        return attrs


class ScheduleCreateSerializer(_ScheduleInput):
    brand = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        help_text="the slug of the schedule's brand: required of platform staff and of an admin of several brands",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "cron" not in attrs:
            raise serializers.ValidationError({"cron": ["required: a cron line, or `every` and `at`"]})
        return attrs


class ScheduleUpdateSerializer(_ScheduleInput):
    """Every field optional (PATCH); the brand never changes."""

    brand = serializers.CharField(required=False, allow_null=True, help_text="refused: a schedule's brand is fixed")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)

    def validate_brand(self, value):
        raise serializers.ValidationError("a schedule's brand cannot change: delete it and create one in the other")


class _LastReportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="GET it for the status, or the CSV once complete")

    def get_url(self, report) -> str:
        return reverse("get-report-path", args=[report.id])


class ScheduleSerializer(serializers.ModelSerializer):
    """A schedule as the API shows it; the context's `now` is the instant its next run follows."""

    brand: "serializers.SlugRelatedField" = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    description = serializers.SerializerMethodField(help_text="the cron line in words, with its timezone")
    next_run_at_utc = serializers.SerializerMethodField(
        help_text="the next run by the cron line, in UTC; null while disabled"
    )
    next_run_at_local = serializers.SerializerMethodField(
        help_text="the same instant in the schedule's timezone, with its UTC offset; null while disabled"
    )
    last_report = _LastReportSerializer(read_only=True, allow_null=True, help_text="the report of the last run")

    class Meta:
        model = ReportSchedule
        fields = [
            "id",
            "brand",
            "name",
            "cron",
            "description",
            "timezone",
            "enabled",
            "next_run_at_utc",
            "next_run_at_local",
            "last_run_at",
            "last_report",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_description(self, schedule: ReportSchedule) -> str:
        # An unsaved row: beat's own words for the line (cron-descriptor), no query.
        return CrontabSchedule(timezone=schedule.timezone, **cron.cron_parse(schedule.cron).fields()).human_readable

    def _next_run(self, schedule: ReportSchedule) -> dt.datetime | None:
        if not schedule.enabled:
            return None
        now = self.context.get("now") or dt.datetime.now(dt.UTC)
        return cron.next_run(cron.cron_parse(schedule.cron), schedule.timezone, after=now)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_run_at_utc(self, schedule: ReportSchedule) -> str | None:
        at = self._next_run(schedule)
        return None if at is None else at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_run_at_local(self, schedule: ReportSchedule) -> str | None:
        at = self._next_run(schedule)
        return None if at is None else at.isoformat()
