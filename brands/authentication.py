"""`Authorization: Token <key>`: the API's keys, hashed (djangorestframework-api-key).

The header keeps DRF's `Token` scheme, so clients written against the DRF tokens this
replaces (and the tokens migration 0002 carried over) go on working unchanged.
"""

from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from brands.access import Caller, caller_for_key
from brands.models import LAST_USED_RESOLUTION, ApiKey


class ApiKeyAuthentication(TokenAuthentication):
    """Authenticates a hashed API key: `request.user` becomes its `Caller`, `request.auth` the ApiKey.

    A wrong, revoked or expired key, or its prefix alone, is a 401 with `WWW-Authenticate: Token`
    (DRF's header parsing: a missing or split key is a 401 too). No key at all: not this class's
    request, the next one (the session) is asked.
    """

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Caller, ApiKey]:
        try:
            api_key = ApiKey.objects.get_from_key(key)
        except ApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired key.") from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired key.")
        _mark_used(api_key)
        return caller_for_key(api_key), api_key


def _mark_used(api_key: ApiKey) -> None:
    """Sets last_used_at to now when it is older than LAST_USED_RESOLUTION: one conditional
    UPDATE a minute per key, and none between (concurrent requests update it once)."""
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION), pk=api_key.pk
    ).update(last_used_at=now)
    api_key.last_used_at = now
