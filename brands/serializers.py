"""Shapes of the brands API's answers (data only)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from brands.access import Caller
from brands.models import Brand, Role

ROLE_CHOICES = Role.choices  # the same choice set as the admin serializers: one RoleEnum in the schema


class BrandRoleSerializer(serializers.Serializer):
    """One of the caller's brands and the caller's role in it (admin for platform staff);
    the serializer's context holds the `caller`."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    role = serializers.SerializerMethodField(help_text="the caller's role in the brand")

    @extend_schema_field(serializers.ChoiceField(choices=ROLE_CHOICES))
    def get_role(self, brand: Brand) -> str | None:
        caller: Caller = self.context["caller"]
        role = caller.role_in(brand.pk)
        return None if role is None else role.value


class BrandListQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=ROLE_CHOICES,
        default=Role.VIEWER.value,
        help_text="only the brands where the caller holds this role or a higher one (default viewer: all of them)",
    )
