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


def test_behind_the_proxy_the_lockout_is_per_client_address_not_per_proxy(client, staff, settings):
    """Behind nginx every request comes from the proxy's address: with BEHIND_PROXY the lockout
    counts per X-Forwarded-For (which nginx sets), so one client's failures lock only that client."""
    settings.BEHIND_PROXY = True

    def login_from(address: str, password: str):
        return client.post(
            reverse("admin:login"),
            {"username": "boss", "password": password, "next": "/admin/"},
            REMOTE_ADDR="172.18.0.5",  # the proxy
            HTTP_X_FORWARDED_FOR=address,
        )

    assert [login_from("203.0.113.7", f"wrong-{i}").status_code for i in range(5)][-1] == 429
    assert login_from("203.0.113.7", PASSWORD).status_code == 429
    assert login_from("198.51.100.4", PASSWORD).status_code == 302  # another client, through the same proxy


def test_without_the_proxy_setting_a_forwarded_for_header_changes_nothing(client, staff, settings):
    """A client talking to the web server directly cannot pick its address: X-Forwarded-For is
    ignored, so changing it does not escape the lockout."""
    settings.BEHIND_PROXY = False
    for i in range(5):
        client.post(
            reverse("admin:login"),
            {"username": "boss", "password": f"wrong-{i}", "next": "/admin/"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    escaped = client.post(
        reverse("admin:login"),
        {"username": "boss", "password": PASSWORD, "next": "/admin/"},
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert escaped.status_code == 429
