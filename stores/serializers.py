"""Shapes of the stores API's answers (data only; the work is in stores/services.py)."""

import datetime as dt
from itertools import groupby
from operator import attrgetter
from typing import cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stores import calendar_rows, schedule


class PollPushResultSerializer(serializers.Serializer):
    """What a pushed batch of polls did: `received` rows, `inserted` new polls,
    `updated` polls turned inactive (docs/numbers.md rule 7), `duplicates` rows that
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
    # The response key `errors`: DRF's metaclass moves declared fields off the class, the stubs cannot say so.
    errors = RowErrorSerializer(many=True, required=False)  # type: ignore[assignment]


# --- Stores (issue 7) -----------------------------------------------------------------


class StoreSerializer(serializers.Serializer):
    """A store as listed: its brand and name, its timezone as stored and as used (rule 4), and a
    summary of its polls. Meant for stores fetched with their brand (`select_related("brand")`)."""

    store_id = serializers.CharField()
    brand = serializers.CharField(
        source="brand.slug", read_only=True, allow_null=True, help_text="the owning brand's slug; null: no brand"
    )
    name = serializers.CharField(help_text='the display name (stores.csv); "" when none was given')
    timezone_str = serializers.CharField(allow_null=True, help_text="as given in timezones.csv; null if never given")
    timezone = serializers.SerializerMethodField(help_text="the zone its hours are read in (docs/numbers.md rule 4)")
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


class WeeklyVersionSerializer(serializers.Serializer):
    """One version of the weekly schedule (rule 10): its rows as given and merged per weekday, and
    the local dates whose periods it supplies, [applies_from, applies_until)."""

    effective_from = serializers.DateField(allow_null=True, help_text="null: the version effective since always")
    applies_from = serializers.DateField(
        allow_null=True,
        help_text="first local date whose periods come from this version; null: every date before applies_until "
        "(the undated version, or the earliest one of a store without an undated version)",
    )
    applies_until = serializers.DateField(
        allow_null=True, help_text="the next version's effective_from (excluded); null: every later date"
    )
    hours = BusinessHoursRowSerializer(many=True)
    hours_merged = OpenDaySerializer(many=True)


class SpecialHoursRowSerializer(serializers.Serializer):
    """One special-hours row as given (rule 11): both times null = a closed row."""

    start_time_local = LocalTimeField(allow_null=True, help_text="local wall time HH:MM:SS; null with end: closed")
    end_time_local = LocalTimeField(allow_null=True, help_text="local wall time HH:MM:SS; null with start: closed")


class SpecialDaySerializer(serializers.Serializer):
    """The special-hours rows of one local date (rule 11): they replace every weekly period starting that date."""

    date = serializers.DateField(help_text="the store's local date")
    closed = serializers.BooleanField(help_text="true when no row has times: no period starts on the date")
    rows = SpecialHoursRowSerializer(many=True)


class StoreSpecialDaySerializer(SpecialDaySerializer):
    """A special date of a store (GET and PUT /api/stores/{store_id}/special-days/{date})."""

    store_id = serializers.CharField()


class StoreDetailSerializer(StoreSerializer):
    """A store with its weekly schedule as given (`hours`), its versions (`versions`), the latest
    version merged per weekday (`hours_merged`) and its special days (`special_days`)."""

    # Every version's rows, as before versions existed; `versions` says which is which.
    hours = BusinessHoursRowSerializer(many=True, source="business_hours.all")
    hours_merged = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()
    special_days = serializers.SerializerMethodField()

    @extend_schema_field(OpenDaySerializer(many=True))
    def get_hours_merged(self, store) -> list[dict]:
        versions = _versions(store)
        return _merged(versions[-1]["hours"] if versions else [])

    @extend_schema_field(WeeklyVersionSerializer(many=True))
    def get_versions(self, store) -> list[dict]:
        # many=True makes a ListSerializer (its .data a list); the stubs keep the child's type.
        return cast("list[dict]", WeeklyVersionSerializer(_versions(store), many=True).data)

    @extend_schema_field(SpecialDaySerializer(many=True))
    def get_special_days(self, store) -> list[dict]:
        days = []
        # Prefetched by date (stores/selectors.py): each date's rows are consecutive.
        for date, group in groupby(store.special_hours.all(), attrgetter("date")):
            rows = list(group)
            days.append({"date": date, "closed": all(r.start_time_local is None for r in rows), "rows": rows})
        return cast("list[dict]", SpecialDaySerializer(days, many=True).data)  # a ListSerializer's list, as above


def _versions(store) -> list[dict]:
    """The store's versions in rule 10's order (undated first), each with its rows and its dates."""
    by_version: dict[dt.date | None, list] = {}
    for row in store.business_hours.all():
        by_version.setdefault(row.effective_from, []).append(row)
    return [
        {
            "effective_from": span.effective_from,
            "applies_from": span.applies_from,
            "applies_until": span.applies_until,
            "hours": by_version[span.effective_from],
            "hours_merged": _merged(by_version[span.effective_from]),
        }
        for span in calendar_rows.version_spans(list(by_version))
    ]


def _merged(rows) -> list[dict]:
    """Per weekday 0..6 the merged local intervals of `rows` (stores/schedule.py; no rows: 24x7)."""
    merged = schedule.weekly_open_intervals(
        [(h.day_of_week, _seconds(h.start_time_local), _seconds(h.end_time_local)) for h in rows]
    )
    return [
        {"day_of_week": day, "intervals": [{"start": _clock(a), "end": _clock(b)} for a, b in merged[day]]}
        for day in range(7)
    ]


# --- Calendar requests and answers ------------------------------------------------------------


@extend_schema_field(OpenApiTypes.DATE)
class CalendarDateField(serializers.Field):
    """A local date `YYYY-MM-DD` read by stores.calendar_rows.date_parse (1971-01-01 to 9998-12-31)."""

    def to_internal_value(self, data) -> dt.date:
        if not isinstance(data, str):
            raise serializers.ValidationError("not a date (expected YYYY-MM-DD)")
        try:
            return calendar_rows.date_parse(data, field=self.field_name or "")
        except calendar_rows.FieldError as exc:
            raise serializers.ValidationError(exc.reason) from None

    def to_representation(self, value: dt.date) -> str:
        return value.isoformat()


class StoreDetailQuerySerializer(serializers.Serializer):
    special_from = CalendarDateField(required=False)
    special_until = CalendarDateField(required=False)

    def validate(self, attrs):
        start, end = attrs.get("special_from"), attrs.get("special_until")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError({"special_until": f"{end} is before special_from {start}"})
        return attrs


class WeeklyVersionRequestSerializer(serializers.Serializer):
    """PUT /api/stores/{store_id}/hours (documentation of the request; stores/calendar_services.py validates it)."""

    effective_from = serializers.DateField(
        allow_null=True, help_text="the version to replace: its local date YYYY-MM-DD, or null for the undated version"
    )
    rows = BusinessHoursRowSerializer(many=True, help_text="the version's rows from now on; [] removes the version")


class WeeklyVersionResultSerializer(serializers.Serializer):
    """One version after PUT /api/stores/{store_id}/hours: rows it had (`deleted`) and has now."""

    store_id = serializers.CharField()
    effective_from = serializers.DateField(allow_null=True)
    deleted = serializers.IntegerField()
    inserted = serializers.IntegerField()
    hours = BusinessHoursRowSerializer(many=True, source="rows")


class SpecialPushItemSerializer(serializers.Serializer):
    """One row of a POST /api/special-days JSON batch (documentation; stores/calendar_rows.py validates it)."""

    store_id = serializers.CharField(max_length=64, help_text="opaque id: a 19-digit integer or a UUID, as text")
    date = serializers.DateField(help_text="the store's local date YYYY-MM-DD")
    start_time_local = LocalTimeField(
        required=False, allow_null=True, help_text="HH:MM:SS; empty, null or missing with end: closed"
    )
    end_time_local = LocalTimeField(
        required=False, allow_null=True, help_text="HH:MM:SS; empty, null or missing with start: closed"
    )


class SpecialPushResultSerializer(serializers.Serializer):
    """What a batch did: `received` rows, `dates_replaced` distinct (store, date) pairs whose rows
    were replaced, `deleted` rows they had, `inserted` rows stored, `stores_touched`, `stores_created`."""

    received = serializers.IntegerField()
    dates_replaced = serializers.IntegerField()
    deleted = serializers.IntegerField()
    inserted = serializers.IntegerField()
    stores_touched = serializers.IntegerField()
    stores_created = serializers.IntegerField()


class CalendarErrorSerializer(serializers.Serializer):
    """A refused calendar request: `detail` names the field (or the rows); `errors` lists every bad row."""

    detail = serializers.CharField()
    # The response key `errors`: DRF's metaclass moves declared fields off the class, the stubs cannot say so.
    errors = RowErrorSerializer(many=True, required=False)  # type: ignore[assignment]


class StoreListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=64)


def _seconds(t) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
