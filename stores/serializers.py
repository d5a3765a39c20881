"""Shapes of the stores API's answers (data only; the work is in stores/services.py)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stores import schedule


class PollPushResultSerializer(serializers.Serializer):
    """What a pushed batch of polls did: `received` rows, `inserted` new polls,
    `updated` polls turned inactive (SEMANTICS.md rule 7), `duplicates` rows that
    changed nothing, `stores_touched` distinct stores in the batch."""

    received = serializers.IntegerField(source="rows_read")
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    stores_touched = serializers.IntegerField()


class RowErrorSerializer(serializers.Serializer):
    """One bad row: `index` is the 0-based item of a JSON batch, or the line of a CSV body."""

    index = serializers.IntegerField(source="line")
    field = serializers.CharField()
    reason = serializers.CharField()


class PollPushItemSerializer(serializers.Serializer):
    """One poll of a pushed JSON batch (documentation of the request; stores/csv_rows.py validates it)."""

    store_id = serializers.CharField(max_length=64, help_text="opaque id: a 19-digit integer or a UUID, as text")
    timestamp_utc = serializers.CharField(
        help_text="UTC instant: `2023-01-22 12:09:39.388884 UTC` (0-6 fraction digits) or ISO 8601 (`...Z`, `+00:00`)"
    )
    status = serializers.CharField(help_text="`active` or `inactive`, in any case, surrounding spaces allowed")


class PollPushErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = RowErrorSerializer(many=True, required=False)


# --- Stores (issue 7) -----------------------------------------------------------------


class StoreSerializer(serializers.Serializer):
    """A store as listed: its timezone as stored and as used (rule 4), and a summary of its polls."""

    store_id = serializers.CharField()
    timezone_str = serializers.CharField(allow_null=True, help_text="as given in timezones.csv; null if never given")
    timezone = serializers.SerializerMethodField(help_text="the zone its hours are read in (SEMANTICS.md rule 4)")
    timezone_defaulted = serializers.SerializerMethodField(
        help_text="true when timezone_str is missing, empty or not a valid IANA name, so America/Chicago is used"
    )
    has_business_hours = serializers.BooleanField(help_text="false: no rows at all, so open 24x7 (rule 5)")
    poll_count = serializers.IntegerField()
    last_poll_at = serializers.DateTimeField(allow_null=True)
    last_poll_status = serializers.SerializerMethodField()

    def get_timezone(self, store) -> str:
        return schedule.resolve_timezone(store.timezone_str)

    def get_timezone_defaulted(self, store) -> bool:
        return (store.timezone_str or "").strip() != schedule.resolve_timezone(store.timezone_str)

    # Labelled choices: a choice set of its own in the schema, apart from an observation's status.
    @extend_schema_field(
        serializers.ChoiceField(
            choices=[("active", "latest poll active"), ("inactive", "latest poll inactive")], allow_null=True
        )
    )
    def get_last_poll_status(self, store) -> str | None:
        if store.last_poll_active is None:
            return None
        return "active" if store.last_poll_active else "inactive"


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$", "example": "09:00:00"})
class LocalTimeField(serializers.TimeField):
    """A time of day in local wall time, HH:MM:SS."""


class BusinessHoursRowSerializer(serializers.Serializer):
    """A row of the weekly schedule as given (local time; 0 = Monday)."""

    day_of_week = serializers.IntegerField(min_value=0, max_value=6)
    # Local wall times without an offset: JSON Schema's `format: time` would demand one.
    start_time_local = LocalTimeField(help_text="local wall time HH:MM:SS")
    end_time_local = LocalTimeField(help_text="local wall time HH:MM:SS")


class LocalIntervalSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="local wall time HH:MM:SS")
    end = serializers.CharField(help_text="local wall time HH:MM:SS, up to 24:00:00 (exclusive)")


class OpenDaySerializer(serializers.Serializer):
    day_of_week = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday")
    intervals = LocalIntervalSerializer(many=True)


class StoreDetailSerializer(StoreSerializer):
    """A store with its weekly schedule as given (`hours`) and as the store is open each local day (`hours_merged`)."""

    hours = BusinessHoursRowSerializer(many=True, source="business_hours.all")
    hours_merged = serializers.SerializerMethodField()

    @extend_schema_field(OpenDaySerializer(many=True))
    def get_hours_merged(self, store) -> list[dict]:
        rows = [
            (h.day_of_week, _seconds(h.start_time_local), _seconds(h.end_time_local))
            for h in store.business_hours.all()
        ]
        merged = schedule.weekly_open_intervals(rows)
        return [
            {"day_of_week": day, "intervals": [{"start": _clock(a), "end": _clock(b)} for a, b in merged[day]]}
            for day in range(7)
        ]


class StoreListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=64)


def _seconds(t) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
