"""Project-wide pytest setup: say which database and broker the suite runs on.

Without DATABASE_URL / CELERY_BROKER_URL the suite runs on the embedded
default (SQLite + filesystem broker) and says so in the header. With
LOOPMONITOR_REQUIRE_SERVICES=1 (set by .ci/run) it refuses to run on anything
but PostgreSQL and Redis, so CI can never pass on the fallback by accident.

The fixtures both apps share live in loopmonitor/testing.py, registered below.
"""

import os

import pytest

pytest_plugins = ["loopmonitor.testing"]


def _backends() -> tuple[str, str]:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1], settings.CELERY_BROKER_URL.split("://")[0]


def pytest_report_header(config: pytest.Config) -> list[str]:
    db, broker = _backends()
    embedded = (
        " (embedded default: set DATABASE_URL and CELERY_BROKER_URL for PostgreSQL + Redis)" if db == "sqlite3" else ""
    )
    return [f"loopmonitor: database={db} broker={broker}{embedded}"]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("LOOPMONITOR_REQUIRE_SERVICES") == "1":
        db, broker = _backends()
        if db != "postgresql" or broker != "redis":
            raise pytest.UsageError(
                f"LOOPMONITOR_REQUIRE_SERVICES=1 but database={db} broker={broker}: "
                "set DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://..."
            )
