"""GET /api/brands/: the caller's brands and its role in each, nobody else's (PostgreSQL)."""

import pytest
from rest_framework.test import APIClient

from brands.models import Membership, Role
from brands.services import brand_get_or_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def brands(db) -> None:
    for slug, name in [("acme", "ACME Burgers"), ("globex", "Globex Pizza"), ("initech", "Initech Tacos")]:
        brand_get_or_create(slug=slug, name=name)


@pytest.fixture
def person(django_user_model, brands) -> APIClient:
    """A session of a person who operates acme, administers globex and views nothing else."""
    user = django_user_model.objects.create_user("both", password="pw-123456")
    Membership.objects.create(user=user, brand=brand_get_or_create(slug="acme"), role=Role.OPERATOR)
    Membership.objects.create(user=user, brand=brand_get_or_create(slug="globex"), role=Role.ADMIN)
    client = APIClient()
    client.force_login(user)
    return client


def slugs_and_roles(client: APIClient, **params) -> list[tuple[str, str]]:
    answer = client.get("/api/brands/", params)
    assert answer.status_code == 200, answer.content
    return [(b["slug"], b["role"]) for b in answer.json()["results"]]


def test_a_member_lists_their_brands_with_their_role(person):
    answer = person.get("/api/brands/").json()

    assert answer["count"] == 2
    assert answer["results"] == [
        {"slug": "acme", "name": "ACME Burgers", "role": "operator"},
        {"slug": "globex", "name": "Globex Pizza", "role": "admin"},
    ]
    assert slugs_and_roles(person, role="operator") == [("acme", "operator"), ("globex", "admin")]
    assert slugs_and_roles(person, role="admin") == [("globex", "admin")]


def test_a_brands_key_lists_its_one_brand(brands, brand_api):
    viewer = brand_api("initech", "viewer")

    assert slugs_and_roles(viewer) == [("initech", "viewer")]
    assert slugs_and_roles(viewer, role="operator") == []


def test_staff_list_every_brand_as_admin(brands, api):
    assert slugs_and_roles(api) == [("acme", "admin"), ("globex", "admin"), ("initech", "admin")]


def test_a_caller_without_a_brand_role_is_refused_and_a_bad_role_is_400(brands, person, django_user_model):
    nobody = APIClient()
    nobody.force_login(django_user_model.objects.create_user("nobody", password="pw-123456"))

    assert nobody.get("/api/brands/").status_code == 403
    assert APIClient().get("/api/brands/").status_code == 401
    bad = person.get("/api/brands/", {"role": "owner"})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("role: ")
