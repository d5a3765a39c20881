"""DRF permissions of the brands app (settings REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from brands.access import caller_of

if TYPE_CHECKING:  # DRF's views import the authentication classes, which import brands.access
    from rest_framework.request import Request
    from rest_framework.views import APIView


class PlatformStaffOnly(BasePermission):
    """Until every endpoint is scoped to the caller's brands (issue "Brands and people", its
    next step), only platform staff may use the API: a brand's key or member is refused (403)
    rather than shown the whole fleet, so no caller ever sees another brand's data."""

    message = (
        "This key or account belongs to a brand; brand-scoped access to the API is not enabled yet. "
        "Use a platform staff key (manage.py apikey_create --staff)."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        caller = caller_of(request)
        return bool(caller.is_authenticated and caller.is_staff)
