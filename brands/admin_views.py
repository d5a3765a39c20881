"""The brand administration API: a brand's admins (and platform staff) manage its keys and members
and read its audit log, under /api/brands/{slug}/.

Every view finds the brand among those the caller has a role in: another brand's slug answers
404 exactly like a slug that does not exist; a viewer or operator of the brand gets 403 (they
know the brand, so nothing leaks). Each write is on record (brands.audit) once it succeeded.
"""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from brands import selectors
from brands.access import caller_of
from brands.admin_serializers import (
    AuditEventSerializer,
    AuditQuerySerializer,
    KeyCreatedSerializer,
    KeyCreateSerializer,
    KeySerializer,
    MemberAddedSerializer,
    MemberAddSerializer,
    MemberRoleSerializer,
    MemberSerializer,
)
from brands.audit import Action, audit_request, key_event, member_event
from brands.models import Brand, Membership, Role
from brands.permissions import BrandRole
from brands.services import (
    ApiKeyRequestError,
    MembershipRequestError,
    apikey_create,
    apikey_revoke,
    member_add,
    member_remove,
    member_set_role,
)

# The project's Error component (loopmonitor.api.ErrorSerializer), by reference: brands imports no
# other first-party package.
ERROR: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
NOT_ADMIN = "Only the brand's admins manage its keys and members and read its audit log."

SLUG_PARAMETER = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="the brand's slug")
PREFIX_PARAMETER = OpenApiParameter(
    "prefix", OpenApiTypes.STR, OpenApiParameter.PATH, description="the key's prefix (its first 8 characters)"
)
USERNAME_PARAMETER = OpenApiParameter("username", OpenApiTypes.STR, OpenApiParameter.PATH, description="the person")
ACCESS_RESPONSES: dict[int, Any] = {403: ERROR, 404: ERROR}
UNKNOWN_BRAND = OpenApiExample(
    "Unknown brand", value={"detail": "No brand with slug 'acme'."}, response_only=True, status_codes=["404"]
)
ACCESS_DOC = (
    " Only the brand's admins and platform staff: 404 for a brand the caller has no role in, exactly as for "
    "one that does not exist; 403 for the brand's viewers and operators."
)
_EXAMPLE_KEY = {
    "prefix": "Xb3kQ9aZ",
    "name": "till at the front",
    "role": "operator",
    "created": "2023-01-25T09:00:00Z",
    "expires_at": None,
    "last_used_at": "2023-01-25T09:01:00Z",
    "revoked": False,
}
_EXAMPLE_MEMBER = {
    "username": "maria",
    "email": "maria@example.com",
    "role": "operator",
    "since": "2023-01-25T09:00:00Z",
}


class Refused(APIException):
    """400: a well-formed request the brand's rules refuse (a member already, the last admin); `detail` says why."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "refused"


def password_set_url(request: Request, user: AbstractBaseUser) -> str:
    """The page's one-time link where a new person chooses their password (brands/page_urls.py):
    Django's password-reset token, which stops working once a password is set or the person logs
    in, or after PASSWORD_RESET_TIMEOUT seconds (3 days)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("password-set", kwargs={"uidb64": uidb64, "token": default_token_generator.make_token(user)})
    return request.build_absolute_uri(path)


class BrandAdminView(generics.GenericAPIView):
    """What every view here shares: who may call it, and the brand of the URL."""

    permission_classes = [BrandRole]
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def administered_brand(self) -> Brand:
        """The URL's brand: 404 when the caller has no role there (or it does not exist), 403 when
        the caller's role there is below admin."""
        slug = self.kwargs["slug"]
        caller = caller_of(self.request)
        brand = selectors.brand_visible(caller, slug)
        if brand is None:
            raise NotFound(f"No brand with slug {slug!r}.")
        if not caller.can(brand.pk, Role.ADMIN):
            raise PermissionDenied(NOT_ADMIN)
        return brand

    def page_of(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


class KeyListView(BrandAdminView):
    """GET and POST /api/brands/{slug}/keys/: the brand's API keys, and a new one."""

    serializer_class = KeySerializer

    @extend_schema(
        summary="List a brand's API keys",
        description="The brand's keys, revoked ones too, newest first, 50 a page: each one's prefix, never the key."
        + ACCESS_DOC,
        parameters=[SLUG_PARAMETER],
        responses={200: KeySerializer(many=True), **ACCESS_RESPONSES},
        examples=[
            OpenApiExample("A page", value=_EXAMPLE_KEY, response_only=True, status_codes=["200"]),
            UNKNOWN_BRAND,
        ],
    )
    def get(self, request: Request, slug: str) -> Response:
        return self.page_of(selectors.brand_keys(self.administered_brand()), KeySerializer)

    @extend_schema(
        summary="Create an API key for a brand",
        description=(
            "A new key of the brand with role viewer, operator or admin (never a platform staff key), optionally "
            "expiring. The answer holds the key itself, `key`, this once: only its prefix and a hash are stored."
            + ACCESS_DOC
        ),
        parameters=[SLUG_PARAMETER],
        request=KeyCreateSerializer,
        responses={201: KeyCreatedSerializer, 400: ERROR, **ACCESS_RESPONSES},
        examples=[
            OpenApiExample("A till's key", value={"name": "till at the front", "role": "operator"}, request_only=True),
            OpenApiExample(
                "Created",
                value={"key": "Xb3kQ9aZ.2pKs8nQwE4rT6yU1iO3pA5sD7fG9hJ0k", **_EXAMPLE_KEY, "last_used_at": None},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request, slug: str) -> Response:
        brand = self.administered_brand()
        asked = KeyCreateSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        try:
            api_key, key = apikey_create(brand=brand, **asked.validated_data)
        except ApiKeyRequestError as exc:
            raise Refused(str(exc)) from None
        audit_request(request, action=Action.KEY_CREATED, **key_event(api_key))
        return Response({"key": key, **KeySerializer(api_key).data}, status=status.HTTP_201_CREATED)


class KeyDetailView(BrandAdminView):
    """DELETE /api/brands/{slug}/keys/{prefix}: the key stops working, for good."""

    serializer_class = KeySerializer

    @extend_schema(
        summary="Revoke a brand's API key",
        description=(
            "The key with this prefix stops working at once (401), for good; it stays listed as revoked. "
            "Revoking a revoked key changes nothing. 404 for a prefix that is not one of the brand's keys." + ACCESS_DOC
        ),
        parameters=[SLUG_PARAMETER, PREFIX_PARAMETER],
        responses={204: None, **ACCESS_RESPONSES},
    )
    def delete(self, request: Request, slug: str, prefix: str) -> Response:
        brand = self.administered_brand()
        api_key = selectors.brand_key(brand, prefix)
        if api_key is None:
            raise NotFound(f"No key with prefix {prefix!r} in brand {brand.slug!r}.")
        if not api_key.revoked:
            apikey_revoke(prefix=api_key.prefix)
            audit_request(request, action=Action.KEY_REVOKED, **key_event(api_key))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListView(BrandAdminView):
    """GET and POST /api/brands/{slug}/members/: the brand's people, and a new member."""

    serializer_class = MemberSerializer

    @extend_schema(
        summary="List a brand's members",
        description="The people of the brand with their roles, by username, 50 a page." + ACCESS_DOC,
        parameters=[SLUG_PARAMETER],
        responses={200: MemberSerializer(many=True), **ACCESS_RESPONSES},
        examples=[
            OpenApiExample("A page", value=_EXAMPLE_MEMBER, response_only=True, status_codes=["200"]),
            UNKNOWN_BRAND,
        ],
    )
    def get(self, request: Request, slug: str) -> Response:
        return self.page_of(selectors.brand_members(self.administered_brand()), MemberSerializer)

    @extend_schema(
        summary="Add a member to a brand",
        description=(
            "Adds the person `username` with `role`. An existing person joins as they are (`email` is then "
            "ignored). A new person is created without a password: the answer's `password_set_url` is a one-time "
            "link (valid 3 days, until used or until they log in) for them to choose one and then log in on the "
            "page. 400 when they are a member already (change their role with PATCH)." + ACCESS_DOC
        ),
        parameters=[SLUG_PARAMETER],
        request=MemberAddSerializer,
        responses={201: MemberAddedSerializer, 400: ERROR, **ACCESS_RESPONSES},
        examples=[
            OpenApiExample(
                "A new operator",
                value={"username": "maria", "role": "operator", "email": "maria@example.com"},
                request_only=True,
            ),
            OpenApiExample(
                "Added, new",
                value={
                    **_EXAMPLE_MEMBER,
                    "user_created": True,
                    "password_set_url": "https://loopmonitor.example.com/password/set/Mg/c4x1p2-0123456789abcdef/",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request, slug: str) -> Response:
        brand = self.administered_brand()
        asked = MemberAddSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        try:
            membership, created = member_add(brand=brand, **asked.validated_data)
        except MembershipRequestError as exc:
            raise Refused(str(exc)) from None
        audit_request(request, action=Action.MEMBER_ADDED, **member_event(membership, user_created=created))
        row = MemberSerializer(membership).data
        link = password_set_url(request, membership.user) if created else None
        return Response({**row, "user_created": created, "password_set_url": link}, status=status.HTTP_201_CREATED)


class MemberDetailView(BrandAdminView):
    """PATCH and DELETE /api/brands/{slug}/members/{username}: a member's role, or their leaving."""

    serializer_class = MemberSerializer

    def member(self, brand: Brand) -> Membership:
        username = self.kwargs["username"]
        membership = selectors.brand_member(brand, username)
        if membership is None:
            raise NotFound(f"No member {username!r} in brand {brand.slug!r}.")
        return membership

    @extend_schema(
        summary="Change a member's role",
        description=(
            "Sets the member's role. 400 when it would demote the brand's last admin (make another member admin "
            "first)." + ACCESS_DOC
        ),
        parameters=[SLUG_PARAMETER, USERNAME_PARAMETER],
        request=MemberRoleSerializer,
        responses={200: MemberSerializer, 400: ERROR, **ACCESS_RESPONSES},
        examples=[OpenApiExample("Make admin", value={"role": "admin"}, request_only=True)],
    )
    def patch(self, request: Request, slug: str, username: str) -> Response:
        brand = self.administered_brand()
        membership = self.member(brand)
        asked = MemberRoleSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        before, after = membership.role, asked.validated_data["role"]
        if after != before:
            try:
                membership = member_set_role(membership=membership, role=Role(after))
            except MembershipRequestError as exc:
                raise Refused(str(exc)) from None
            audit_request(request, action=Action.MEMBER_ROLE_CHANGED, **member_event(membership, was=before))
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        summary="Remove a member from a brand",
        description=(
            "Ends the person's membership of the brand (the person and their other brands stay). 400 for the "
            "brand's last admin." + ACCESS_DOC
        ),
        parameters=[SLUG_PARAMETER, USERNAME_PARAMETER],
        responses={204: None, 400: ERROR, **ACCESS_RESPONSES},
    )
    def delete(self, request: Request, slug: str, username: str) -> Response:
        brand = self.administered_brand()
        membership = self.member(brand)
        try:
            member_remove(membership=membership)
        except MembershipRequestError as exc:
            raise Refused(str(exc)) from None
        audit_request(request, action=Action.MEMBER_REMOVED, **member_event(membership))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditListView(BrandAdminView):
    """GET /api/brands/{slug}/audit/: the brand's audit log, newest first."""

    serializer_class = AuditEventSerializer

    @extend_schema(
        summary="Read a brand's audit log",
        description=(
            "Every write in the brand (reports triggered, data loaded or pushed, hours and special days changed, "
            "keys created or revoked, members added, removed or given another role): when, by whom (a person's "
            "username or a key's name and prefix, or the command), what, and from which address. Newest first, "
            "50 a page; `action`, `since` and `until` (ISO 8601, inclusive) narrow it." + ACCESS_DOC
        ),
        parameters=[SLUG_PARAMETER, AuditQuerySerializer],
        responses={200: AuditEventSerializer(many=True), 400: ERROR, **ACCESS_RESPONSES},
        examples=[
            OpenApiExample(
                "A page",
                value={
                    "at": "2023-01-25T09:00:00.123456Z",
                    "actor": "maria",
                    "action": "key.created",
                    "target": "key Xb3kQ9aZ (till at the front)",
                    "detail": {
                        "prefix": "Xb3kQ9aZ",
                        "name": "till at the front",
                        "role": "operator",
                        "expires_at": None,
                    },
                    "ip": "203.0.113.7",
                },
                response_only=True,
                status_codes=["200"],
            ),
            UNKNOWN_BRAND,
        ],
    )
    def get(self, request: Request, slug: str) -> Response:
        brand = self.administered_brand()
        asked = AuditQuerySerializer(data=request.query_params)
        asked.is_valid(raise_exception=True)
        return self.page_of(selectors.brand_audit_events(brand, **asked.validated_data), AuditEventSerializer)
