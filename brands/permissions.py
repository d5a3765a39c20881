"""DRF permissions of the brands app (settings REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES).

`PlatformStaffOnly` is the default: an endpoint that does not say who may use it is platform
staff's only, so a new endpoint never opens to brands by accident. A brand-scoped endpoint
declares `permission_classes = [BrandRole]` and limits its objects to the caller's brands
(`brands.access.scoped`); the access-matrix test checks both for every URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission

from brands.access import caller_of
from brands.models import Role

if TYPE_CHECKING:  # DRF's views import the authentication classes, which import brands.access
    from rest_framework.request import Request
    from rest_framework.views import APIView


class PlatformStaffOnly(BasePermission):
    """Only platform staff (a staff key, or a logged-in `is_staff` person)."""

    message = "Only platform staff may use this endpoint."

    def has_permission(self, request: Request, view: APIView) -> bool:
        caller = caller_of(request)
        return bool(caller.is_authenticated and caller.is_staff)


class BrandRole(BasePermission):
    """A caller with a role in at least one brand, or staff: reads need `view.read_role`
    (default viewer), writes `view.write_role` (default operator) in some brand.

    Which objects the caller reaches is the view's business (scoped querysets; another
    brand's object is a 404, exactly like one that does not exist). A caller that holds the
    role nowhere is refused here with 403: it learns nothing about any object.
    """

    message = "Your key or account has no brand role that allows this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        caller = caller_of(request)
        if not caller.is_authenticated:
            return False
        if caller.is_staff:
            return True
        if request.method in SAFE_METHODS:
            role = getattr(view, "read_role", Role.VIEWER)
        else:
            role = getattr(view, "write_role", Role.OPERATOR)
        return bool(caller.brand_ids(role))
