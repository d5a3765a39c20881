"""Logins lock out after LOGIN_FAILURE_LIMIT failures in a row, and the page says so (django-axes, real requests)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-1"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("boss", password=PASSWORD)


def login(client, password: str, username: str = "boss"):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


def test_the_admin_login_locks_the_account_after_the_failure_limit_and_says_for_how_long(client, staff, settings):
    assert settings.AXES_FAILURE_LIMIT == 5

    failures = [login(client, f"wrong-{i}") for i in range(5)]
    locked = login(client, PASSWORD)  # the right password no longer helps

    assert [f.status_code for f in failures[:4]] == [200] * 4  # the form again, with its error
    assert "Please enter the correct username and password" in failures[0].content.decode()
    assert failures[4].status_code == 429  # the fifth failure locks at once
    page = locked.content.decode()
    assert locked.status_code == 429
    assert "this account is locked for 15 minutes" in page and "boss" in page and "(5)" in page
    assert "_auth_user_id" not in client.session
    # the page sends a person who is not logged in to its login
    assert client.get("/").status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, staff):
    for i in range(4):
        login(client, f"wrong-{i}")
    assert login(client, PASSWORD).status_code == 302  # logged in
    client.logout()

    answers = [login(client, f"wrong-again-{i}").status_code for i in range(4)]

    assert answers == [200] * 4  # four more failures: not locked yet
    assert login(client, PASSWORD).status_code == 302


def test_another_account_is_not_locked_by_someone_elses_failures(client, staff, django_user_model):
    django_user_model.objects.create_superuser("other", password=PASSWORD)
    for i in range(5):
        login(client, f"wrong-{i}")

    assert login(client, PASSWORD, username="other").status_code == 302
