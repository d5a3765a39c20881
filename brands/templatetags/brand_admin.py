"""`{% brands_administered_by request.user as administered %}`: the page's brand section
(reports/_brand_admin.html) appears for the brands a person administers, and only then."""

from django import template
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from brands.access import caller_for_user
from brands.selectors import brands_administered

register = template.Library()


@register.simple_tag
def brands_administered_by(user: AbstractBaseUser | AnonymousUser) -> list[dict[str, str]]:
    """Slug and name of each brand where `user` is admin (every brand for staff), by slug."""
    return [{"slug": b.slug, "name": b.name} for b in brands_administered(caller_for_user(user))]
