"""`manage.py report` on PostgreSQL with schedule versions and special days (docs/numbers.md rules 1, 10, 11).

Rows are loaded through the ORM (the CSV loading of special_hours and
effective_from is tested with the loader); the values are the worked examples'
and hand-worked cases checked against the brute force in
reports/tests/test_engine_calendar.py.
"""

from __future__ import annotations

import datetime as dt
from typing import overload
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import call_command

from reports import selectors
from reports.fleet import CSV_HEADER, DAY_US, local_day, to_us
from stores.models import BusinessHours, Poll, SpecialHours, Store

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")


def ny(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=NEW_YORK).astimezone(UTC)


@overload
def t(value: str) -> dt.time: ...
@overload
def t(value: None) -> None: ...
def t(value: str | None) -> dt.time | None:
    return None if value is None else dt.time.fromisoformat(value)


def calendar_store(
    store_id: str,
    *,
    timezone_str: str | None = "America/New_York",
    hours: tuple[tuple[int, str, str, dt.date | None], ...] = (),
    specials: tuple[tuple[dt.date, str | None, str | None], ...] = (),
    polls: tuple[tuple[dt.datetime, bool], ...] = (),
) -> Store:
    """A store with weekly rows (day, "HH:MM", "HH:MM", effective_from), special rows and polls."""
    store = Store.objects.create(store_id=store_id, timezone_str=timezone_str)
    BusinessHours.objects.bulk_create(
        BusinessHours(store=store, day_of_week=d, start_time_local=t(s), end_time_local=t(e), effective_from=since)
        for d, s, e, since in hours
    )
    SpecialHours.objects.bulk_create(
        SpecialHours(store=store, date=date, start_time_local=t(s), end_time_local=t(e)) for date, s, e in specials
    )
    Poll.objects.bulk_create(Poll(store=store, observed_at_utc=at, active=a) for at, a in polls)
    return store


def report_rows(as_of: dt.datetime, capsys: pytest.CaptureFixture[str]) -> list[str]:
    call_command("report", "--as-of", as_of.isoformat().replace("+00:00", "Z"))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == CSV_HEADER
    return lines[1:]


EXAMPLE_A_HOURS = ((0, "09:00", "12:00", None),)
EXAMPLE_A_POLLS = ((ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 11, 15), False))
EXAMPLE_C_HOURS = ((4, "18:00", "02:00", None),)

WORKED_EXAMPLES = {
    "F": (
        dict(hours=EXAMPLE_A_HOURS, specials=((dt.date(2023, 1, 23), None, None),), polls=EXAMPLE_A_POLLS),
        ny(2023, 1, 23, 12, 0),
        "0.0,0.0,0.0,0.0,0.0,0.0",
    ),
    "G": (
        dict(hours=EXAMPLE_A_HOURS, specials=((dt.date(2023, 1, 23), "10:00", "11:00"),), polls=EXAMPLE_A_POLLS),
        ny(2023, 1, 23, 12, 0),
        "0.0,1.0,1.0,0.0,0.0,0.0",
    ),
    "H": (
        dict(
            hours=EXAMPLE_C_HOURS,
            specials=((dt.date(2023, 1, 21), None, None),),
            polls=((ny(2023, 1, 20, 23, 0), True),),
        ),
        ny(2023, 1, 21, 2, 0),
        "60.0,8.0,8.0,0.0,0.0,0.0",
    ),
    "I": (
        dict(
            hours=((0, "09:00", "12:00", None), (0, "13:00", "15:00", dt.date(2023, 1, 23))),
            polls=((ny(2023, 1, 23, 9, 30), True), (ny(2023, 1, 23, 14, 0), False)),
        ),
        ny(2023, 1, 23, 15, 0),
        "0.0,0.0,0.0,60.0,2.0,2.0",
    ),
}


@pytest.mark.parametrize("name", WORKED_EXAMPLES)
def test_report_gives_the_worked_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows, as_of, expected = WORKED_EXAMPLES[name]
    calendar_store("1481966498820158979", **rows)  # type: ignore[arg-type]

    assert report_rows(as_of, capsys) == [f"1481966498820158979,{expected}"]


def test_a_store_known_only_from_special_days_has_a_row(capsys: pytest.CaptureFixture[str]) -> None:
    # given: no timezone (America/Chicago), no weekly rows, no polls; Monday 2023-01-23 special 10:00-11:00
    calendar_store("only-special", timezone_str=None, specials=((dt.date(2023, 1, 23), "10:00", "11:00"),))

    # when: as of Monday 11:00 Chicago
    rows = report_rows(dt.datetime(2023, 1, 23, 17, 0, tzinfo=UTC), capsys)

    # then: open 24x7 on other dates (rule 10), all downtime: the last hour is 10:00-11:00; the day Sunday
    # 11:00-24:00 + 1 h; the week Monday 01-16 11:00-24:00 + 6 x 24 h + 1 h
    assert rows == ["only-special,0.0,0.0,0.0,60.0,14.0,158.0"]


def test_the_history_search_reads_special_days_older_than_the_bulk_read(capsys: pytest.CaptureFixture[str]) -> None:
    # given: a 24x7 store whose last polls are two months before T: Monday 2022-11-28 inactive, Tuesday
    # 11-29 active, and Tuesday 11-29 closed by a special row (far older than the rows read with the schedule)
    store = calendar_store(
        "old-holiday",
        specials=((dt.date(2022, 11, 29), None, None),),
        polls=((ny(2022, 11, 28, 12, 0), False), (ny(2022, 11, 29, 12, 0), True)),
    )
    as_of = ny(2023, 1, 23, 12, 0)
    fleet = selectors.fleet_input(as_of=as_of, pk_first=store.pk, pk_last=store.pk)
    assert fleet.schedules[0].special == ()  # read later, by the history search
    assert fleet.older_specials is not None and fleet.older_specials.from_day > local_day(dt.date(2022, 11, 29))

    # when / then: the active poll was taken while closed, so the inactive one holds the whole week
    assert report_rows(as_of, capsys) == ["old-holiday,0.0,0.0,0.0,60.0,24.0,168.0"]

    # when / then: without the special day the active poll is the latest observation
    SpecialHours.objects.filter(store=store).delete()
    assert report_rows(as_of, capsys) == ["old-holiday,60.0,24.0,168.0,0.0,0.0,0.0"]


def test_fleet_input_reads_versions_and_the_special_days_that_can_touch_the_report() -> None:
    # given
    as_of = ny(2023, 1, 23, 12, 0)
    store = calendar_store(
        "s",
        hours=((0, "09:00", "12:00", None), (0, "13:00", "15:00", dt.date(2023, 1, 23)), (1, "22:00", "02:00", None)),
        specials=(
            (dt.date(2023, 1, 22), None, None),
            (dt.date(2023, 1, 20), "10:00", "11:30"),
            (dt.date(2023, 1, 24), "10:00", "11:00"),  # T's UTC date + 1: still read
            (dt.date(2023, 1, 25), "10:00", "11:00"),  # later: can touch no report as of T
            (dt.date(2022, 10, 3), None, None),  # older than the margin: read on demand
        ),
    )

    # when
    fleet = selectors.fleet_input(as_of=as_of, pk_first=store.pk, pk_last=store.pk)

    # then: undated rows as 3-tuples, dated ones with their day number; special rows by day number
    schedule = fleet.schedules[0]
    assert sorted(schedule.hours, key=str) == sorted(
        [(0, 9 * 3600, 12 * 3600), (0, 13 * 3600, 15 * 3600, local_day(dt.date(2023, 1, 23))), (1, 79200, 7200)],
        key=str,
    )
    assert sorted(schedule.special, key=str) == sorted(
        [
            (local_day(dt.date(2023, 1, 22)), None, None),
            (local_day(dt.date(2023, 1, 20)), 36000, 41400),
            (local_day(dt.date(2023, 1, 24)), 36000, 39600),
        ],
        key=str,
    )
    older = fleet.older_specials
    assert older is not None
    assert older.from_day == (to_us(as_of) - 8 * DAY_US) // DAY_US - selectors.SPECIALS_MARGIN_DAYS
    assert older.special_rows(np.array([0]), local_day(dt.date(2022, 1, 1)), older.from_day - 1) == [
        (0, (local_day(dt.date(2022, 10, 3)), None, None))
    ]


def test_uptime_names_each_dates_rows_and_the_svg_labels_them(api, capsys: pytest.CaptureFixture[str]) -> None:
    # given: example I's store, with Wednesday 2023-01-18 closed and Friday 01-20 open 10:00-11:00
    calendar_store(
        "1481966498820158979",
        hours=((0, "09:00", "12:00", None), (0, "13:00", "15:00", dt.date(2023, 1, 23))),
        specials=((dt.date(2023, 1, 18), None, None), (dt.date(2023, 1, 20), "10:00", "11:00")),
        polls=((ny(2023, 1, 23, 9, 30), True), (ny(2023, 1, 23, 14, 0), False)),
    )
    as_of = "2023-01-23T20:00:00Z"

    # when
    body = api.get("/api/stores/1481966498820158979/uptime", {"as_of": as_of}).json()
    svg = api.get("/api/stores/1481966498820158979/timeline.svg", {"as_of": as_of}).content.decode()

    # then: the report's row (example I plus Friday's hour, all downtime), and the rows behind each date
    row = report_rows(ny(2023, 1, 23, 15, 0), capsys)[0].split(",")
    assert row == ["1481966498820158979", "0.0", "0.0", "0.0", "60.0", "2.0", "3.0"]
    values = [body[f] for f in ("uptime_last_hour_minutes", "uptime_last_day_hours", "uptime_last_week_hours")]
    values += [body[f] for f in ("downtime_last_hour_minutes", "downtime_last_day_hours", "downtime_last_week_hours")]
    assert values == [float(v) for v in row[1:]]
    weekly = {"source": "weekly", "effective_from": None}
    assert body["days"] == [
        {"date": "2023-01-16", **weekly, "closed": False},
        {"date": "2023-01-17", **weekly, "closed": True},
        {"date": "2023-01-18", "source": "special", "effective_from": None, "closed": True},
        {"date": "2023-01-19", **weekly, "closed": True},
        {"date": "2023-01-20", "source": "special", "effective_from": None, "closed": False},
        {"date": "2023-01-21", **weekly, "closed": True},
        {"date": "2023-01-22", **weekly, "closed": True},
        {"date": "2023-01-23", "source": "weekly", "effective_from": "2023-01-23", "closed": False},
    ]
    for label in ("holiday: closed", "special hours", "new hours from 2023-01-23"):
        assert label in svg
