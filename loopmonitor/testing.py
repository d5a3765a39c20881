"""The fixtures every app's tests share, registered by the root conftest.py (`pytest_plugins`).

App-specific fixtures stay in each app's conftest.py; what both apps need is here, once:
an API key, the API client that sends it, and two autouse fixtures that keep tests apart
(an empty cache, and every written file in a temporary folder of the test's own). Login
failures counted by django-axes live in the database, so each test's rollback (or flush)
resets them: one test's failed logins never lock another's account.
"""

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest
from django.core.cache import cache
from django.test import override_settings
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from brands.models import Role
from brands.services import apikey_create, brand_get_or_create


class ClientResponse(Protocol):
    """What a test reads from an answer of the test client (`APIClient`, Django's `Client`): the
    return type of a helper that hands an answer on, since the stubs' class for it is private."""

    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...

    def json(self) -> Any: ...

    def __getitem__(self, header: str) -> str: ...


@pytest.fixture
def api_key(db: None) -> str:
    """A platform staff API key (sees and does everything, as every key did before brands), as
    `manage.py apikey_create --staff` makes it: only its hash is in the database."""
    return apikey_create(brand=None, role=Role.ADMIN, name="api-client")[1]


@pytest.fixture
def api(api_key: str) -> APIClient:
    """An API client that sends a valid key (`Authorization: Token <key>`)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key}")
    return client


BrandClient = Callable[..., APIClient]


@pytest.fixture
def brand_api(db: None) -> BrandClient:
    """A factory of API clients: `brand_api("acme", "operator")` sends a new key of brand "acme"
    (created when new) with that role; `brand_api(None)` a new platform staff key. The client's
    `key` attribute is the plain key."""

    def make(slug: str | None, role: str = Role.VIEWER) -> APIClient:
        brand = brand_get_or_create(slug=slug) if slug is not None else None
        key = apikey_create(brand=brand, role=Role(role), name=f"{slug or 'staff'}-{role}")[1]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.key = key  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: throttle counters are keyed by user id, and on SQLite a
    rolled-back test's user id comes back in the next test."""
    cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _static_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """An existing STATIC_ROOT for the whole session, the live server's included, standing in for
    `collectstatic` (WhiteNoise warns about a missing one; the tests' static files come from the apps)."""
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static")):
        yield


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every file a test writes (report CSVs, the admin password, ...) goes to a temporary folder of
    its own, never into var/ (and not into tmp_path, which some tests list).

    VAR_DIR and MEDIA_ROOT move there, as LOOPMONITOR_VAR_DIR would move them in a process started
    with it: a subprocess given LOOPMONITOR_VAR_DIR=settings.VAR_DIR sees the same MEDIA_ROOT. The
    folder is created, nothing in it: the code that writes a file makes its folder. The database and
    the broker are the session's, set up from the environment before any test runs.
    """
    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    settings.MEDIA_ROOT = settings.VAR_DIR / "media"
