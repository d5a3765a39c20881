"""The brand administration's request bodies name every bad field at once, unknown keys with the
field they most likely meant, and an expiry that is no date in words (issue 16, "No dead ends")."""

import pytest
from django.contrib.auth import get_user_model

from brands.models import ApiKey, Membership, Role
from brands.services import brand_get_or_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(brand_api):
    brand_get_or_create(slug="acme")
    return brand_api("acme", "admin")


def test_a_new_key_with_a_misspelt_field_is_400_listing_it_with_the_missing_one(admin):
    before = ApiKey.objects.count()

    response = admin.post("/api/brands/acme/keys/", {"nmae": "till", "role": "viewer"}, format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["nmae"] == ["unknown field 'nmae' (did you mean 'name'?)"]
    assert answer["name"] == ["This field is required."]
    assert answer["detail"].startswith("nmae: unknown field 'nmae' (did you mean 'name'?); name: ")
    assert ApiKey.objects.count() == before


def test_an_expiry_that_is_no_date_says_so_in_words(admin):
    body = {"name": "till", "role": "viewer", "expires_at": "2030-02-30T00:00:00Z"}

    response = admin.post("/api/brands/acme/keys/", body, format="json")

    assert response.status_code == 400
    assert response.json()["expires_at"] == ["2030-02-30 is not a date"]


def test_a_new_member_with_an_unknown_key_is_refused(admin):
    response = admin.post(
        "/api/brands/acme/members/", {"username": "maria", "role": "viewer", "mail": "m@example.com"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["mail"] == ["unknown field 'mail' (did you mean 'email'?)"]
    assert not get_user_model().objects.filter(username="maria").exists()


def test_a_role_change_with_a_misspelt_key_changes_nothing(admin):
    person = get_user_model().objects.create_user("bob")
    Membership.objects.create(user=person, brand=brand_get_or_create(slug="acme"), role=Role.VIEWER)

    response = admin.patch("/api/brands/acme/members/bob", {"rol": "admin"}, format="json")

    assert response.status_code == 400
    assert response.json()["rol"] == ["unknown field 'rol' (did you mean 'role'?)"]
    assert Membership.objects.get(user=person).role == Role.VIEWER
