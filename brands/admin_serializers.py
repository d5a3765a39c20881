"""The shapes of the brand administration API (brands/admin_views.py): keys, members, the audit log.

Serializers only shape and validate data; the writes are brands.services'.
"""

import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from brands.known_fields import KnownFieldsOnly
from brands.models import KEY_NAME_MAX_LENGTH, ApiKey, AuditEvent, Membership, Role

ROLE_HELP = "viewer (read), operator (+ trigger reports, push polls, edit hours), admin (+ members and keys)"


class KeySerializer(serializers.ModelSerializer):
    """A brand's key as listed: its prefix and what it is, never the key."""

    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True, read_only=True)

    class Meta:
        model = ApiKey
        fields = ["prefix", "name", "role", "created", "expires_at", "last_used_at", "revoked"]
        read_only_fields = fields


_DATE_AND_TIME = re.compile(r"\s*(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?", re.ASCII)


class InstantField(serializers.DateTimeField):
    """DRF's ISO 8601 instant, with a date or time that does not exist named as such
    ("2023-02-30 is not a date") rather than as a wrong format."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError:
            reason = _impossible(value) if isinstance(value, str) else None
            if reason is None:
                raise
            raise serializers.ValidationError(reason) from None


def _impossible(text: str) -> str | None:
    """Why `text`, shaped like a date (and time), names none; None if it is not so shaped or exists."""
    match = _DATE_AND_TIME.match(text)
    if match is None:
        return None
    day, clock = match.groups()
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return f"{day} is not a date"
    if clock is not None:
        try:
            dt.time.fromisoformat(clock)
        except ValueError:
            return f"{clock} is not a time of day (00:00:00 to 23:59:59)"
    return None


class KeyCreateSerializer(KnownFieldsOnly, serializers.Serializer):
    name = serializers.CharField(max_length=KEY_NAME_MAX_LENGTH, help_text="What the key is for.")
    role = serializers.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)
    expires_at = InstantField(
        required=False, allow_null=True, help_text="ISO 8601 instant after which the key stops working."
    )

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("A key needs a name.")
        return value

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry is in the past.")
        return value


class KeyCreatedSerializer(KeySerializer):
    """The new key's row, and the key itself: shown this once, stored nowhere."""

    key = serializers.CharField(read_only=True, help_text="The key. Shown once: only its prefix and hash are kept.")

    class Meta(KeySerializer.Meta):
        fields = ["key", *KeySerializer.Meta.fields]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    """A person's membership of the brand."""

    username = serializers.CharField(source="user.username", read_only=True)
    # Text, not an email format: a person may have none ("").
    email = serializers.CharField(source="user.email", read_only=True, help_text='The email address, "" for none.')
    since = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "email", "role", "since"]
        read_only_fields = fields


def _username_field() -> serializers.CharField:
    """The user model's own rules for a username (its length and characters)."""
    field = get_user_model()._meta.get_field("username")
    assert field.max_length is not None
    return serializers.CharField(max_length=field.max_length, validators=list(field.validators))


class MemberAddSerializer(KnownFieldsOnly, serializers.Serializer):
    username = _username_field()
    role = serializers.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)
    email = serializers.EmailField(
        required=False, allow_blank=True, default="", help_text="Only used when the person is new."
    )


class MemberAddedSerializer(MemberSerializer):
    user_created = serializers.BooleanField(read_only=True, help_text="Whether the person was new.")
    password_set_url = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text="For a new person: the one-time link where they choose their password (null otherwise).",
    )

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "user_created", "password_set_url"]
        read_only_fields = fields


class MemberRoleSerializer(KnownFieldsOnly, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["at", "actor", "action", "target", "detail", "ip"]
        read_only_fields = fields


class AuditQuerySerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=AuditEvent.Action.choices, required=False)
    since = InstantField(required=False, help_text="ISO 8601: events at or after it.")
    until = InstantField(required=False, help_text="ISO 8601: events at or before it.")
