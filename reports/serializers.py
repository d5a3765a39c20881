"""Shapes of the reports API, the per-store uptime included. Serializers shape data; they never query."""

import datetime as dt
import re

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from brands.models import Brand
from loopmonitor.api import AsOfField, KnownFieldsOnly
from reports import fleet, services, timeline
from reports.models import Report
from reports.store_incidents import WEEK_INCIDENTS_MAX, WeekIncidents
from reports.timeline import StoreTimeline
from stores.csv_rows import NotAnInstant, instant_parse

INSTANT_EXAMPLE = "2023-01-25T18:00:00Z"


def _instant_read(text: str) -> dt.datetime:
    """An instant of a request (as_of, received_before) read by the input files' parser
    (stores.csv_rows.instant_parse, ISO forms), so an instant reads the same everywhere.
    Raises ValueError saying what is wrong in words ("2023-02-30 is not a date")."""
    try:
        return instant_parse(text, iso_only=True)
    except NotAnInstant:
        shown = text.strip()[:40]
        raise ValueError(
            f"{shown!r} is not an ISO 8601 instant (e.g. {INSTANT_EXAMPLE}; UTC when it has no offset)"
        ) from None


# Store ids in a JSON list, or in one string as a person pastes them (a column of a spreadsheet,
# a line of a log): separated by commas, spaces or new lines.
STORE_IDS_SEPARATORS = re.compile(r"[,\s]+")


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "string", "maxLength": 64}, "minItems": 1, "maxItems": 100_000},
            {"type": "string", "description": "the ids separated by commas, spaces or new lines"},
        ],
        "nullable": True,
    }
)
class StoreIdsField(serializers.ListField):
    """Store ids: a JSON list of strings, or one string of ids separated by commas, spaces or new lines."""

    default_error_messages = {"empty": "no store ids: give a list, or ids separated by commas, spaces or new lines"}

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [part for part in STORE_IDS_SEPARATORS.split(data) if part]
        return super().to_internal_value(data)


class TriggerSerializer(KnownFieldsOnly, serializers.Serializer):
    as_of = AsOfField(
        problem=services.as_of_problem,
        parse=_instant_read,
        required=False,
        allow_null=True,
        help_text="ISO 8601 instant (UTC if no offset is given); default: the latest poll",
    )
    received_before = AsOfField(
        problem=services.received_before_problem,
        parse=_instant_read,
        required=False,
        allow_null=True,
        help_text="ISO 8601 instant: read only the polls received at or before it (a past report's "
        "data_cutoff gives its CSV again); default: every poll stored when the report is planned",
    )
    store_ids = StoreIdsField(
        child=serializers.CharField(max_length=64, allow_blank=False),
        required=False,
        allow_null=True,
        allow_empty=False,
        max_length=100_000,
        help_text="only these of the report's stores (another brand's store is unknown, as one that does not "
        "exist): a list, or one string of ids separated by commas, spaces or new lines",
    )
    brand = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        help_text="the slug of the brand to report on: required of a caller that is operator of several brands; "
        "platform staff may omit it (the whole fleet)",
    )


class ReportSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    brand: "serializers.SlugRelatedField[Brand]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="the brand's slug; null: the whole fleet's"
    )
    scope = serializers.CharField(read_only=True, help_text='"all stores" or "N store(s)", after "<brand>: "')
    progress = serializers.FloatField(read_only=True, allow_null=True)
    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="what to know before trusting a complete report: it read no polls, and why (empty: nothing)",
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "status",
            "as_of",
            "brand",
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
            "read_from",
            "warnings",
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


class WebHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = serializers.CharField()
    broker = serializers.CharField()
    cache = serializers.CharField(help_text="the throttle counters' cache (CACHE_REDIS_URL)")


class HealthSerializer(WebHealthSerializer):
    worker = serializers.CharField(
        help_text='"ok" when a worker reported within WORKER_HEARTBEAT_STALE_SECONDS, else why reports would wait'
    )


# --- One store's uptime and week (issue 7) ------------------------------------------------


class RoundedFloatField(serializers.FloatField):
    """A report value as the CSV writes it: Python's round(x, 2) (docs/numbers.md rule 8)."""

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
    """Which rows made the periods starting on one local date of the week (docs/numbers.md rules 10, 11)."""

    date = serializers.DateField(help_text="a local calendar date of the store the week touches")
    # The response key `source`: DRF's metaclass moves declared fields off the class, the stubs cannot say so.
    source = serializers.ChoiceField(  # type: ignore[assignment]
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


class UptimeIncidentSerializer(serializers.Serializer):
    """An incident (docs/numbers.md rule 12) exactly as GET /api/stores/{id}/incidents/ shows it (the
    alerts app's serializer makes it; this one documents it, alerts/tests/test_store_incidents.py
    holds the two to the same fields)."""

    id = serializers.IntegerField()
    store_id = serializers.CharField()
    store_name = serializers.CharField(help_text="the store's name ('' if none)")
    state = serializers.ChoiceField(choices=["open", "resolved"])
    start_known = serializers.BooleanField()
    started_at = serializers.DateTimeField(
        allow_null=True, help_text="UTC; null when no observation precedes the run (start unknown)"
    )
    ended_at = serializers.DateTimeField(allow_null=True, help_text="UTC; null while the incident is open")
    timezone = serializers.CharField(help_text="the zone the local times are in (rule 4)")
    started_at_local = serializers.CharField(allow_null=True, help_text="started_at in the store's timezone")
    ended_at_local = serializers.CharField(allow_null=True, help_text="ended_at in the store's timezone")
    first_observed_at = serializers.DateTimeField(help_text="the run's first inactive observation (UTC)")
    last_observed_at = serializers.DateTimeField(help_text="the run's last inactive observation (UTC)")
    open_minutes = serializers.FloatField(help_text="business hours inside the incident, minutes, 2 decimals")
    open_minutes_until = serializers.DateTimeField(
        help_text="the instant open_minutes are counted to: ended_at, or the store's latest poll while open"
    )


# Bounds of the uptime answer (README "Faults"). `limit` caps `observations` and `ignored_polls`
# (the latest kept); the timeline has a fixed cap so that it adds up to the values for any store
# with fewer state changes in a week than that (one a minute), since it is what ties picture to
# numbers. Each item's largest JSON (microseconds, "inactive") gives the largest answer.
UPTIME_LIMIT_DEFAULT = 1_000
UPTIME_LIMIT_MAX = 10_000
TIMELINE_MAX_SEGMENTS = 10_000
_SEGMENT_MAX_BYTES = len(
    '{"start":"2023-01-16T17:00:00.123456Z","end":"2023-01-23T14:00:00.123456Z","state":"inactive"},'
)
_POLL_MAX_BYTES = len('{"observed_at":"2023-01-23T15:14:00.123456Z","status":"inactive"},')
# Names, values, flags and counts; a store id and a zone name of 64 characters each escaped as \uXXXX.
_UPTIME_FIXED_BYTES = 1_200 + 2 * 64 * 6
# An incident at its longest: microsecond instants, 64-character id and zone, a 200-character name
# escaped as \uXXXX, 20-digit numbers (reports/store_incidents.WEEK_INCIDENTS_MAX of them at most).
_INCIDENT_MAX_BYTES = 600 + 200 * 6 + 2 * 64 * 6


def uptime_max_bytes(limit: int) -> int:
    """The largest uptime answer, in bytes, for `limit` observations and ignored polls."""
    return (
        _UPTIME_FIXED_BYTES
        + TIMELINE_MAX_SEGMENTS * _SEGMENT_MAX_BYTES
        + 2 * limit * _POLL_MAX_BYTES
        + WEEK_INCIDENTS_MAX * _INCIDENT_MAX_BYTES
    )


class LatestListField(serializers.ListField):
    """The latest items of a list (it is sorted oldest first): `cap` of them, or the context's `limit`."""

    def __init__(self, *, cap: int | None = None, **kwargs):
        self.cap = cap
        super().__init__(**kwargs)

    def to_representation(self, data):
        cap = self.cap or self.context.get("limit", UPTIME_LIMIT_DEFAULT)
        return super().to_representation(data[-cap:] if len(data) > cap else data)


class StoreUptimeSerializer(serializers.Serializer):
    """One store's six report values as of T (rounded like the CSV) and the week that explains them.

    Lists are capped (README "Faults"): `timeline` to the latest TIMELINE_MAX_SEGMENTS segments,
    `observations` and `ignored_polls` to the latest `context["limit"]`; each says how many there
    are (`*_count`) and whether some were left out (`*_truncated`).
    """

    store_id = serializers.CharField()
    as_of = serializers.DateTimeField()
    timezone = serializers.CharField(help_text="the zone used (docs/numbers.md rule 4)")
    uptime_last_hour_minutes = RoundedFloatField(source="values.uptime_last_hour")
    uptime_last_day_hours = RoundedFloatField(source="values.uptime_last_day")
    uptime_last_week_hours = RoundedFloatField(source="values.uptime_last_week")
    downtime_last_hour_minutes = RoundedFloatField(source="values.downtime_last_hour")
    downtime_last_day_hours = RoundedFloatField(source="values.downtime_last_day")
    downtime_last_week_hours = RoundedFloatField(source="values.downtime_last_week")
    timeline = LatestListField(child=SegmentSerializer(), source="segments", cap=TIMELINE_MAX_SEGMENTS)
    timeline_count = serializers.SerializerMethodField(help_text="segments in the week")
    timeline_truncated = serializers.SerializerMethodField(
        help_text=f"true when only the latest {TIMELINE_MAX_SEGMENTS} segments are listed"
    )
    observations = LatestListField(child=PollPointSerializer())
    observations_count = serializers.SerializerMethodField()
    observations_truncated = serializers.SerializerMethodField(help_text="true when only the latest `limit` are listed")
    ignored_polls = LatestListField(child=PollPointSerializer())
    ignored_polls_count = serializers.SerializerMethodField()
    ignored_polls_truncated = serializers.SerializerMethodField(
        help_text="true when only the latest `limit` are listed"
    )

    def _limit(self) -> int:
        return self.context.get("limit", UPTIME_LIMIT_DEFAULT)

    def get_timeline_count(self, line: StoreTimeline) -> int:
        return len(line.segments)

    def get_timeline_truncated(self, line: StoreTimeline) -> bool:
        return len(line.segments) > TIMELINE_MAX_SEGMENTS

    def get_observations_count(self, line: StoreTimeline) -> int:
        return len(line.observations)

    def get_observations_truncated(self, line: StoreTimeline) -> bool:
        return len(line.observations) > self._limit()

    def get_ignored_polls_count(self, line: StoreTimeline) -> int:
        return len(line.ignored_polls)

    def get_ignored_polls_truncated(self, line: StoreTimeline) -> bool:
        return len(line.ignored_polls) > self._limit()

    days = DayScheduleSerializer(many=True)
    incidents = serializers.SerializerMethodField(
        help_text="the store's incidents overlapping the week (rule 12), newest first, as GET "
        "/api/stores/{id}/incidents/?since=<T - 7 days>&until=<T> lists them: those not ended before the week's "
        f"start and begun at or before T; the latest {WEEK_INCIDENTS_MAX}"
    )
    incidents_count = serializers.SerializerMethodField(help_text="incidents overlapping the week")
    incidents_truncated = serializers.SerializerMethodField(
        help_text=f"true when only the latest {WEEK_INCIDENTS_MAX} incidents are listed"
    )

    def _incidents(self) -> WeekIncidents:
        return self.context.get("incidents") or WeekIncidents()

    @extend_schema_field(UptimeIncidentSerializer(many=True))
    def get_incidents(self, line: StoreTimeline) -> list[dict]:
        return self._incidents().items

    def get_incidents_count(self, line: StoreTimeline) -> int:
        return self._incidents().count

    def get_incidents_truncated(self, line: StoreTimeline) -> bool:
        return self._incidents().truncated


class AsOfQuerySerializer(serializers.Serializer):
    as_of = AsOfField(
        problem=services.as_of_problem,
        parse=_instant_read,
        required=False,
        help_text="ISO 8601 instant (UTC if no offset is given); default: the latest poll (rule 2)",
    )


class UptimeLimitQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1,
        max_value=UPTIME_LIMIT_MAX,
        default=UPTIME_LIMIT_DEFAULT,
        help_text="at most this many observations and ignored polls, the latest",
    )
