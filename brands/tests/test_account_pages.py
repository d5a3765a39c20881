"""Every page behind the login shows who is logged in and a way out (POST /logout/ with the CSRF
token), and every page speaks of loopmonitor, never of "Django administration" (issue 16)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from brands.models import Membership, Role
from brands.services import brand_get_or_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    person = get_user_model().objects.create_user("maria", password="pw-maria-1")
    Membership.objects.create(user=person, brand=brand_get_or_create(slug="acme"), role=Role.OPERATOR)
    return person


def test_the_page_shows_the_member_and_a_logout_button_posting_with_the_csrf_token(member):
    client = Client()
    client.force_login(member)

    html = client.get("/").content.decode()

    assert 'id="account-username">maria</strong>' in html
    form = re.search(r'<form method="post" action="/logout/"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in form.group(1) and ">Log out</button>" in form.group(1)
    assert "platform staff" not in html  # a member is no staff


def test_staff_are_shown_as_such(admin_client):
    html = admin_client.get("/").content.decode()

    assert 'id="account-username">admin</strong> <span class="account-bar__role">platform staff</span>' in html


def test_logging_out_with_the_pages_form_ends_the_session_on_the_login_page(member):
    # given a browser-like client that enforces CSRF, logged in on the page's own login
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "maria", "password": "pw-maria-1"}).status_code == 403  # no token
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    logged_in = client.post("/login/", {"username": "maria", "password": "pw-maria-1", "csrfmiddlewaretoken": token})
    assert logged_in.status_code == 302 and client.get("/").status_code == 200

    # when the page's logout form is sent, with the token the page carries
    page = client.get("/").content.decode()
    carried = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert carried is not None
    answer = client.post("/logout/", {"csrfmiddlewaretoken": carried.group(1)})

    # then the session is over, on the login page
    assert (answer.status_code, answer["Location"]) == (302, "/login/")
    assert client.get("/")["Location"] == "/login/?next=/"


@pytest.mark.parametrize("url", ["/login/", "/", "/admin/login/", "/admin/", "/admin/reports/report/"])
def test_no_page_says_django_administration(admin_client, url):
    client = admin_client if url != "/login/" else Client()

    html = client.get(url, follow=True).content.decode()

    assert "loopmonitor" in html
    assert "Django administration" not in html and "Django site admin" not in html
