"""Shapes of the incidents API. Serializers shape data; they never query."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.models import Incident
from loopmonitor.api import AsOfField
from stores.csv_rows import NotAnInstant, instant_parse
from stores.schedule import resolve_timezone


def _instant_read(text: str) -> dt.datetime | None:
    """A query instant read as the input files' ISO instants are (stores.csv_rows.instant_parse);
    None when it is no instant at all (DRF's own message then)."""
    try:
        return instant_parse(text, iso_only=True)
    except NotAnInstant:
        return None


def _any_instant(instant: dt.datetime) -> str | None:
    return None


class IncidentQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Incident.State.choices, required=False)
    order = serializers.ChoiceField(
        choices=["newest", "worst"],
        default="newest",
        help_text="newest first (by first inactive observation), or worst first (most open minutes)",
    )
    since = AsOfField(
        problem=_any_instant, parse=_instant_read, required=False, help_text="ISO 8601 instant (UTC without offset)"
    )
    until = AsOfField(
        problem=_any_instant, parse=_instant_read, required=False, help_text="ISO 8601 instant (UTC without offset)"
    )

    def validate(self, attrs: dict) -> dict:
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and until < since:
            raise serializers.ValidationError({"until": "must not be before since"})
        return attrs


class IncidentListQuerySerializer(IncidentQuerySerializer):
    store = serializers.CharField(max_length=64, required=False, help_text="a store_id")


def _local(instant: dt.datetime | None, zone: str) -> str | None:
    return None if instant is None else instant.astimezone(ZoneInfo(zone)).isoformat()


class IncidentSerializer(serializers.ModelSerializer):
    """One incident (docs/numbers.md rule 12): its start and end in UTC and in the store's local time."""

    store_id = serializers.CharField(source="store.store_id", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True, help_text="the store's name ('' if none)")
    state = serializers.ChoiceField(choices=Incident.State.choices, read_only=True)
    start_known = serializers.BooleanField(read_only=True)
    timezone = serializers.SerializerMethodField()
    started_at_local = serializers.SerializerMethodField(help_text="started_at in the store's timezone, ISO 8601")
    ended_at_local = serializers.SerializerMethodField(help_text="ended_at in the store's timezone, ISO 8601")
    open_minutes = serializers.SerializerMethodField(
        help_text="business hours inside the incident, minutes, rounded to 2 decimals (docs/numbers.md rule 12)"
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "store_id",
            "store_name",
            "state",
            "start_known",
            "started_at",
            "ended_at",
            "timezone",
            "started_at_local",
            "ended_at_local",
            "first_observed_at",
            "last_observed_at",
            "open_minutes",
            "open_minutes_until",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "started_at": {"help_text": "UTC; null when no observation precedes the run (start unknown)"},
            "ended_at": {"help_text": "UTC; null while the incident is open"},
            "first_observed_at": {"help_text": "the run's first inactive observation (UTC)"},
            "last_observed_at": {"help_text": "the run's last inactive observation (UTC)"},
            "open_minutes_until": {
                "help_text": "the instant open_minutes are counted to: ended_at, or the store's latest poll while open"
            },
        }

    def get_timezone(self, incident: Incident) -> str:
        """The zone the local times are in (docs/numbers.md rule 4)."""
        return resolve_timezone(incident.store.timezone_str)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_started_at_local(self, incident: Incident) -> str | None:
        return _local(incident.started_at, self.get_timezone(incident))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_ended_at_local(self, incident: Incident) -> str | None:
        return _local(incident.ended_at, self.get_timezone(incident))

    def get_open_minutes(self, incident: Incident) -> float:
        """Rounded to 2 decimals, as a report's values are (rule 8)."""
        return round(incident.open_minutes, 2)
