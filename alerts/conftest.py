"""Fixtures of the alerts tests: example J's store, and the real worker of the reports tests."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from notifications.tests.conftest import acme, private_allowed, receiver, smtp_server  # noqa: F401  (fixtures)
from reports.conftest import start_worker  # noqa: F401  (a fixture: the queue test starts a real worker)
from stores.conftest import make_store
from stores.models import Poll, Store

NY = ZoneInfo("America/New_York")
EXAMPLE_J_STORE = "1481966498820158979"


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """A New York wall time (fold=0) as a UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=NY).astimezone(dt.UTC)


def polls_add(store: Store, *polls: tuple[dt.datetime, bool]) -> None:
    """Store polls as a load would (one inactive poll for a conflict at one instant: rule 7)."""
    for instant, active in polls:
        poll, created = Poll.objects.get_or_create(store=store, observed_at_utc=instant, defaults={"active": active})
        if not created and poll.active and not active:
            poll.active = False
            poll.save()


@pytest.fixture
def example_j(db) -> Store:
    """docs/numbers.md example A's store (Mondays 09:00-12:00 New York), 10:14 active and 11:15 inactive."""
    return make_store(
        EXAMPLE_J_STORE,
        timezone_str="America/New_York",
        hours=[(0, "09:00", "12:00")],
        polls=[(ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 11, 15), False)],
    )
