"""Who may see and do what: brands, their members and their API keys.

A brand owns stores (`stores.Store.brand`); a person belongs to brands with a role
(`Membership`); an API key belongs to one brand with a role, or to no brand: a platform
staff key. This app knows nothing of stores or reports: they point at it, never back.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class Role(models.TextChoices):
    """What a member or a key of a brand may do; each role includes the ones before it."""

    VIEWER = "viewer", "viewer (read everything of the brand)"
    OPERATOR = "operator", "operator (+ trigger reports, push polls, edit hours and special days)"
    ADMIN = "admin", "admin (+ manage the brand's members and keys)"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Brand(models.Model):
    """A restaurant brand: the unit that owns stores, members and keys. `slug` names it in URLs and files."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    """A person's role in one brand: at most one per (user, brand)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "brand"], name="membership_user_brand_uniq")]

    def __str__(self) -> str:
        return f"{self.user} in {self.brand} ({self.role})"


# A new key is "<8-character prefix>.<32-character secret>", both alphanumeric
# (djangorestframework-api-key's KeyGenerator); a DRF token migrated by migration 0002
# is its 40 hex digits, unchanged, so that existing clients keep working.
KEY_PATTERN = re.compile(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{1,141}|[0-9a-f]{40}")
PREFIX_LENGTH = 8
KEY_NAME_MAX_LENGTH = 50  # AbstractAPIKey.name's


def key_prefix(key: str) -> str:
    """The visible prefix of `key` (stored in clear, shown in lists): its first 8 characters."""
    return key[:PREFIX_LENGTH]


class ApiKeyManager(BaseAPIKeyManager):
    def get_from_key(self, key: str) -> "ApiKey":
        """The usable (not revoked) key whose hash matches `key`, else ApiKey.DoesNotExist.

        The library looks a key up by the part before its ".": a migrated DRF token has none,
        so the prefix is the first 8 characters for both shapes. A string of any other shape
        never reaches the database (a NUL character would make PostgreSQL raise).
        """
        if not KEY_PATTERN.fullmatch(key):
            raise ApiKey.DoesNotExist("Not a key.")
        api_key = self.get_usable_keys().select_related("brand").get(prefix=key_prefix(key))
        if not api_key.is_valid(key):
            raise ApiKey.DoesNotExist("Key is not valid.")
        return api_key


class ApiKey(AbstractAPIKey):
    """An API key: only its prefix and its SHA-512 hash are stored, the key is shown once.

    `brand` NULL is a platform staff key (sees and does everything); otherwise the key acts
    in its brand with `role`. Deleting a brand deletes its keys: they must stop working.
    """

    objects = ApiKeyManager()  # type: ignore[misc,assignment]  # the library's manager, with get_from_key for both shapes

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    # Written at most once per LAST_USED_RESOLUTION (brands.authentication), so that an
    # API request costs no write in the common case.
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    @property
    def is_staff_key(self) -> bool:
        return self.brand_id is None


LAST_USED_RESOLUTION = timedelta(minutes=1)


class AuditEvent(models.Model):
    """One write, on record: who (a person or a key), in which brand, what, when, from where.

    Rows are only ever added (`brands.audit.audit_record`); the admin shows them read-only.
    A deleted brand, person or key leaves its events, with `brand_slug` and `actor` naming it.
    """

    class Action(models.TextChoices):
        REPORT_TRIGGERED = "report.triggered", "report triggered"
        DATA_LOADED = "data.loaded", "data loaded (load_data)"
        POLLS_PUSHED = "polls.pushed", "polls pushed"
        HOURS_CHANGED = "hours.changed", "business hours changed"
        SPECIAL_DAYS_CHANGED = "special_days.changed", "special days changed"
        KEY_CREATED = "key.created", "API key created"
        KEY_REVOKED = "key.revoked", "API key revoked"
        MEMBER_ADDED = "member.added", "member added"
        MEMBER_REMOVED = "member.removed", "member removed"
        MEMBER_ROLE_CHANGED = "member.role_changed", "member's role changed"
        WEBHOOK_CREATED = "webhook.created", "webhook subscription created"
        WEBHOOK_UPDATED = "webhook.updated", "webhook subscription changed"
        WEBHOOK_DELETED = "webhook.deleted", "webhook subscription deleted"
        EMAIL_RECIPIENT_ADDED = "email_recipient.added", "email recipient added"
        EMAIL_RECIPIENT_REMOVED = "email_recipient.removed", "email recipient removed"
        SCHEDULE_CREATED = "schedule.created", "report schedule created"
        SCHEDULE_UPDATED = "schedule.updated", "report schedule changed"
        SCHEDULE_DELETED = "schedule.deleted", "report schedule deleted"

    at = models.DateTimeField(db_index=True)
    brand = models.ForeignKey(Brand, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events")
    brand_slug = models.CharField(max_length=64, blank=True, default="")
    action = models.CharField(max_length=32, choices=Action.choices)
    actor = models.CharField(max_length=200, help_text="The person's username, or the key's name and prefix.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    target = models.CharField(max_length=300, blank=True, default="", help_text="What was written, in words.")
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True, help_text="The address the request came from.")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["brand", "-at"], name="audit_brand_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"
