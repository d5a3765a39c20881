"""The shapes of the brand administration API (brands/admin_views.py): keys, members, the audit log.

Serializers only shape and validate data; the writes are brands.services'.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from brands.models import KEY_NAME_MAX_LENGTH, ApiKey, AuditEvent, Membership, Role

ROLE_HELP = "viewer (read), operator (+ trigger reports, push polls, edit hours), admin (+ members and keys)"


class KeySerializer(serializers.ModelSerializer):
    """A brand's key as listed: its prefix and what it is, never the key."""

    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True, read_only=True)

    class Meta:
        model = ApiKey
        fields = ["prefix", "name", "role", "created", "expires_at", "last_used_at", "revoked"]
        read_only_fields = fields


class KeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=KEY_NAME_MAX_LENGTH, help_text="What the key is for.")
    role = serializers.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)
    expires_at = serializers.DateTimeField(
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


class MemberAddSerializer(serializers.Serializer):
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


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["at", "actor", "action", "target", "detail", "ip"]
        read_only_fields = fields


class AuditQuerySerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=AuditEvent.Action.choices, required=False)
    since = serializers.DateTimeField(required=False, help_text="ISO 8601: events at or after it.")
    until = serializers.DateTimeField(required=False, help_text="ISO 8601: events at or before it.")
