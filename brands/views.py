"""The brands API: what a caller may see of the brands themselves. Each view adapts HTTP to one selector."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ParseError

from brands import selectors
from brands.access import caller_of
from brands.models import Role
from brands.permissions import BrandRole
from brands.serializers import ROLE_CHOICES, BrandListQuerySerializer, BrandRoleSerializer

# The API's Error component (loopmonitor/api.py's ErrorSerializer, which this app may not import).
_ERROR = {"$ref": "#/components/schemas/Error"}


class BrandListView(generics.ListAPIView):
    """GET /api/brands/?role=: the caller's brands, each with the caller's role there (the page's
    brand selector: the brands it may trigger a report on are those with role=operator)."""

    permission_classes = [BrandRole]
    serializer_class = BrandRoleSerializer

    @extend_schema(
        summary="The caller's brands and its role in each",
        description=(
            "The brands where the caller (a brand's key: its one brand; a person: their memberships) holds a "
            "role, by slug, 50 a page, each with that role; `role=operator` keeps those where it may trigger "
            "reports and push data. Platform staff see every brand, as admin. A caller without any brand role: 403."
        ),
        parameters=[
            OpenApiParameter(
                "role",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                enum=ROLE_CHOICES,
                description="only the brands where the caller holds this role or a higher one (default: viewer)",
            )
        ],
        responses={
            200: BrandRoleSerializer(many=True),
            400: OpenApiResponse(_ERROR, description="a `role` that is none of viewer, operator, admin"),
            404: OpenApiResponse(_ERROR, description="a page that does not exist"),
        },
        examples=[
            OpenApiExample(
                "An operator of one brand",
                value={"slug": "acme", "name": "ACME Burgers", "role": "operator"},
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = BrandListQuerySerializer(data=self.request.query_params)
        if not params.is_valid():
            raise ParseError(f"role: {' '.join(str(e) for e in params.errors['role'])}")
        return selectors.brands_visible(caller_of(self.request), role=Role(params.validated_data["role"]))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "caller": caller_of(self.request)}
