"""Issue 8: only those with a key get in; /healthz and the docs are open; triggering is throttled per key."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from brands.models import ApiKey, Role
from brands.services import apikey_create

pytestmark = pytest.mark.django_db

PROTECTED = [
    ("post", "/trigger_report"),
    ("get", "/get_report?report_id=6f1c0c6e-3f7d-4d1e-9a0b-2b7c1a1d2e3f"),
    ("get", "/get_report/6f1c0c6e-3f7d-4d1e-9a0b-2b7c1a1d2e3f"),
    ("get", "/api/reports/"),
    ("post", "/api/polls"),
    ("get", "/api/stores/"),
    ("get", "/api/stores/1"),
    ("get", "/api/stores/1/uptime"),
    ("get", "/api/stores/1/timeline.svg"),
]


@pytest.mark.parametrize("method, url", PROTECTED)
@pytest.mark.parametrize("authorization", [None, "Token not-a-real-key", "Bearer abc", "Token "])
def test_without_a_valid_key_every_endpoint_is_401_json(method, url, authorization):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)

    response = getattr(client, method)(url)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("url", ["/healthz", "/healthz/web", "/api/schema/", "/api/docs/"])
def test_health_and_docs_are_open(url, worker_alive):
    assert APIClient().get(url).status_code == 200


def test_a_revoked_key_stops_working(api, api_key):
    assert api.get("/api/reports/").status_code == 200

    ApiKey.objects.filter(prefix=api_key[:8]).update(revoked=True)

    assert api.get("/api/reports/").status_code == 401


def test_apikey_create_makes_a_key_that_works(capsys):
    call_command("apikey_create", "--staff", "--name", "owner")
    key = capsys.readouterr().out.splitlines()[-1]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/reports/").status_code == 200


@contextmanager
def trigger_rate(rate: str) -> Iterator[None]:
    """REPORT_TRIGGER_RATE=`rate` inside the block, and exactly what was there before after it.

    DRF's throttle classes copy the rates when they are imported, so the class attribute is
    patched beside the setting: changing the setting alone would not throttle, and putting back
    only the setting would leave every later test throttled at `rate`.
    """
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "trigger": rate}
    with (
        override_settings(REST_FRAMEWORK={**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
        yield


@pytest.fixture
def trigger_rate_3_per_minute() -> Iterator[None]:
    with trigger_rate("3/minute"):
        yield


def _trigger_rates() -> list[object]:
    """The trigger rate as DRF's throttle class, DRF's settings and Django's settings have it."""
    tables: list[Mapping[str, object]] = [
        ScopedRateThrottle.THROTTLE_RATES,
        api_settings.DEFAULT_THROTTLE_RATES,
        django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    ]
    return [table["trigger"] for table in tables]


def test_the_trigger_rate_override_is_undone_after_the_block():
    configured = _trigger_rates()
    assert len(set(configured)) == 1 and configured[0] != "3/minute"

    with trigger_rate("3/minute"):
        assert _trigger_rates() == ["3/minute"] * 3

    assert _trigger_rates() == configured


def test_triggering_is_throttled_per_key_with_429_json(api, example_fleet, eager_tasks, trigger_rate_3_per_minute):
    answers = [api.post("/trigger_report", {"as_of": f"2023-01-23T1{h}:00:00Z"}, format="json") for h in range(5)]
    other = APIClient()
    other_key = apikey_create(brand=None, role=Role.ADMIN, name="another-owner")[1]
    other.credentials(HTTP_AUTHORIZATION=f"Token {other_key}")

    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    assert answers[3]["Content-Type"] == "application/json"
    assert "throttled" in answers[3].json()["detail"].lower()
    # another key has its own allowance
    assert other.post("/trigger_report", {"as_of": "2023-01-23T10:00:00Z"}, format="json").status_code == 202
