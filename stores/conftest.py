"""Fixtures for the stores tests: input files as they come in the wild, `manage.py load_data` run in
the test, a full dump of the tables, and stores built row by row (`make_store`, also used by the
reports tests: reports may import stores)."""

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stores.models import BusinessHours, Poll, Store

POLLS_HEADER = "store_id,status,timestamp_utc"
HOURS_HEADER = "store_id,day,start_time_local,end_time_local"
TIMEZONES_HEADER = "store_id,timezone_str"


@pytest.fixture
def write_csv(tmp_path) -> Callable[..., Path]:
    """write_csv(name, *lines, bom=False, crlf=False) -> the path of a file holding those lines."""

    def write(name: str, *lines: str, bom: bool = False, crlf: bool = False) -> Path:
        path = tmp_path / name
        ending = "\r\n" if crlf else "\n"
        text = "".join(line + ending for line in lines)
        path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
        return path

    return write


@pytest.fixture
def input_dir(write_csv, tmp_path) -> Path:
    """A small set of the three files in their 2023 shapes: two stores (a 19-digit id and a UUID)."""
    write_csv(
        "store_status.csv",
        POLLS_HEADER,
        "1481966498820158979,active,2023-01-22 12:09:39.388884 UTC",
        "1481966498820158979,inactive,2023-01-22 13:09:39.3 UTC",
        "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11,active,2023-01-22 12:00:00 UTC",
    )
    write_csv(
        "menu_hours.csv",
        HOURS_HEADER,
        "1481966498820158979,0,09:00:00,17:00:00",
        "1481966498820158979,1,09:00:00,17:00:00",
        "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11,4,18:00:00,02:00:00",
    )
    write_csv(
        "timezones.csv",
        TIMEZONES_HEADER,
        "1481966498820158979,America/New_York",
        "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11,America/Chicago",
    )
    return tmp_path


@pytest.fixture
def load_data() -> Callable[..., tuple[int, str, str]]:
    """load_data(*args, stderr=None) -> (exit status, stdout, stderr) of `manage.py load_data ...`.

    The status is what manage.py exits with: 0, or the CommandError's returncode
    (run_from_argv itself is not used: it closes the test's database connection).
    """

    def run(*args, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), stderr or io.StringIO()
        try:
            call_command("load_data", *map(str, args), stdout=out, stderr=err)
            status = 0
        except CommandError as exc:
            status = exc.returncode
            err.write(f"CommandError: {exc}\n")
        return status, out.getvalue(), err.getvalue()

    return run


def tables_dump() -> tuple[list, list, list]:
    """Every row and column of the three tables, ids included, in id order."""
    return (
        list(Store.objects.order_by("id").values_list("id", "store_id", "timezone_str", "created_at")),
        list(
            BusinessHours.objects.order_by("id").values_list(
                "id", "store_id", "day_of_week", "start_time_local", "end_time_local"
            )
        ),
        list(Poll.objects.order_by("id").values_list("id", "store_id", "observed_at_utc", "active")),
    )


def polls_of(store_id: str) -> list[tuple[str, bool]]:
    """(observed_at_utc as ISO text, active) of one store's polls, in time order."""
    return [
        (p.observed_at_utc.isoformat(), p.active)
        for p in Poll.objects.filter(store__store_id=store_id).order_by("observed_at_utc")
    ]


def hours_of(store_id: str) -> list[tuple[int, str, str]]:
    return [
        (h.day_of_week, h.start_time_local.isoformat(), h.end_time_local.isoformat())
        for h in BusinessHours.objects.filter(store__store_id=store_id).order_by(
            "day_of_week", "start_time_local", "end_time_local"
        )
    ]


def timezone_of(store_id: str) -> str | None:
    return Store.objects.get(store_id=store_id).timezone_str


def make_store(store_id: str, *, timezone_str=None, hours=(), polls=()) -> Store:
    """A store with hours rows (day, "HH:MM", "HH:MM") and polls (aware datetime, active)."""
    store = Store.objects.create(store_id=store_id, timezone_str=timezone_str)
    BusinessHours.objects.bulk_create(
        BusinessHours(
            store=store,
            day_of_week=d,
            start_time_local=dt.time.fromisoformat(s),
            end_time_local=dt.time.fromisoformat(e),
        )
        for d, s, e in hours
    )
    Poll.objects.bulk_create(Poll(store=store, observed_at_utc=t, active=a) for t, a in polls)
    return store


def make_example_b_store() -> Store:
    """docs/numbers.md example B: example A plus a poll at 08:30 local, before opening."""
    return make_store(
        "1481966498820158979",
        timezone_str="America/New_York",
        hours=[(0, "09:00", "12:00")],
        polls=[
            (dt.datetime(2023, 1, 23, 15, 14, tzinfo=dt.UTC), True),
            (dt.datetime(2023, 1, 23, 16, 15, tzinfo=dt.UTC), False),
            (dt.datetime(2023, 1, 23, 13, 30, tzinfo=dt.UTC), False),
        ],
    )


@pytest.fixture
def example_a(db) -> Store:
    """The store of docs/numbers.md example B (`make_example_b_store`)."""
    return make_example_b_store()
