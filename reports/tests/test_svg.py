"""The week as SVG (reports/svg.py): valid XML, one row per local date, DST dates on a 24-hour axis.

No database: the renderer is pure.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from reports.fleet import HOUR_US, US, WEEK_US, FleetInput, Polls, Schedule, WeeklyRow, local_day, to_us
from reports.svg import day_rows, week_svg
from reports.timeline import StoreTimeline, store_timeline

UTC = dt.UTC
SVG = "{http://www.w3.org/2000/svg}"
H = 3600
# Open 09:00-17:00 Monday to Thursday, 18:00-02:00 on Friday, all day Saturday, 01:00-04:00 on Sunday.
HOURS = tuple((d, 9 * H, 17 * H) for d in range(4)) + ((4, 18 * H, 2 * H), (5, 0, 0), (6, 1 * H, 4 * H))


def week_of(
    as_of: dt.datetime, *, timezone_str="America/New_York", hours=HOURS, store_id="1481966498820158979"
) -> StoreTimeline:
    """A store polled every 61 minutes for 9 days, the last poll at T (every fifth poll inactive)."""
    as_of_us = to_us(as_of)
    ts = as_of_us - np.arange(0, 9 * 24 * HOUR_US, 61 * 60 * US)
    fleet = FleetInput(
        [store_id], [Schedule(timezone_str, hours)], Polls(np.zeros(len(ts)), ts, np.arange(len(ts)) % 5 != 0)
    )
    return store_timeline(fleet, as_of_us=as_of_us)


def parse(svg_text: str) -> ET.Element:
    return ET.fromstring(svg_text.encode("utf-8"))


def found(parent: ET.Element, path: str) -> ET.Element:
    """`parent.find(path)`, which the test needs to exist."""
    element = parent.find(path)
    assert element is not None, path
    return element


def day_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "day"]


def test_a_normal_week_is_valid_xml_with_8_rows_a_title_and_a_legend():
    # given
    line = week_of(dt.datetime(2023, 1, 23, 17, tzinfo=UTC))

    # when
    root = parse(week_svg(line))

    # then
    rows = day_groups(root)
    assert [g.get("data-date") for g in rows] == [f"2023-01-{d}" for d in range(16, 24)]
    title = found(root, f"{SVG}title").text
    assert title is not None
    assert "1481966498820158979" in title and "America/New_York" in title and "2023-01-23T17:00:00Z" in title
    legend = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"]
    assert len(legend) == 1
    legend_text = " ".join(t.text or "" for t in legend[0].iter(f"{SVG}text"))
    for words in ["active", "inactive", "closed", "outside the week", "observation", "ignored poll"]:
        assert words in legend_text


def test_states_are_drawn_with_colour_and_inactive_with_a_hatch_pattern():
    # given
    root = parse(week_svg(week_of(dt.datetime(2023, 1, 23, 17, tzinfo=UTC))))

    # when
    rects = [r for g in day_groups(root) for r in g.iter(f"{SVG}rect")]
    patterns = {p.get("id"): p for p in root.iter(f"{SVG}pattern")}

    # then: inactive time is filled with a pattern (not a colour alone), active is green, closed blank
    fills = {r.get("class"): r.get("fill") for r in rects if r.get("class") in ("active", "inactive", "closed")}
    assert fills == {"active": "#009E73", "inactive": "url(#inactive-hatch)", "closed": "#ffffff"}
    assert "inactive-hatch" in patterns and len(list(patterns["inactive-hatch"])) >= 2  # a fill plus stripes


def test_each_poll_of_the_week_is_a_tick_filled_for_observations_and_hollow_when_ignored():
    # given
    line = week_of(dt.datetime(2023, 1, 23, 17, tzinfo=UTC))

    # when
    root = parse(week_svg(line))
    ticks = [g for g in root.iter(f"{SVG}g") if "poll" in (g.get("class") or "").split()]

    # then
    observed = [t for t in ticks if "observation" in t.attrib["class"]]
    ignored = [t for t in ticks if "ignored" in t.attrib["class"]]
    in_week = [p for p in line.observations if p.at_us > line.week_start_us]
    assert len(observed) == len(in_week) and len(ignored) == len(line.ignored_polls) > 0
    assert {found(t, f"{SVG}path").get("fill") for t in observed} == {"#000000"}
    assert {found(t, f"{SVG}path").get("fill") for t in ignored} == {"#ffffff"}


def test_rows_cover_exactly_the_week_in_local_wall_time():
    line = week_of(dt.datetime(2023, 1, 23, 17, tzinfo=UTC))

    rows = day_rows(line)

    assert sum(row.covered_us for row in rows) == WEEK_US
    # T = 12:00 local: the first row from 12:00, the last until 12:00
    assert (rows[0].pieces[0].x0_us, rows[-1].pieces[-1].x1_us) == (12 * HOUR_US, 12 * HOUR_US)


def test_spring_forward_week_has_8_rows_and_the_skipped_hour_is_marked():
    # given: New York, T = Wednesday 2024-03-13 12:00 EDT, three days after the 2024-03-10 change
    line = week_of(dt.datetime(2024, 3, 13, 16, tzinfo=UTC))

    # when
    rows = day_rows(line)
    root = parse(week_svg(line))

    # then: still one row per local date; 2024-03-10 is drawn on the same 24-hour axis, with
    # 02:00-03:00 (which never happened) cross-hatched rather than left blank like closed time
    assert [r.date.isoformat() for r in rows] == [f"2024-03-{d:02d}" for d in range(6, 14)]
    dst = rows[4]
    assert dst.date == dt.date(2024, 3, 10)
    assert dst.skipped == [(2 * HOUR_US, 3 * HOUR_US)] and dst.repeated == []
    assert dst.covered_us == 23 * HOUR_US
    assert not any(p.x0_us < 3 * HOUR_US and p.x1_us > 2 * HOUR_US for p in dst.pieces)
    assert sum(row.covered_us for row in rows) == WEEK_US
    svg_rows = day_groups(root)
    assert len(svg_rows) == 8
    skipped = [r for r in svg_rows[4].iter(f"{SVG}rect") if r.get("class") == "skipped"]
    assert len(skipped) == 1 and skipped[0].get("fill") == "url(#no-such-time)"
    # Sunday 01:00-04:00 local is open for only 2 real hours that day: 01:00-02:00 EST, 03:00-04:00 EDT.
    assert sum(p.x1_us - p.x0_us for p in dst.pieces if p.state != "closed") == 2 * HOUR_US


def test_fall_back_week_draws_the_repeated_hour_twice():
    # given: New York, T three days after 2024-11-03, when 01:00-02:00 happened twice
    line = week_of(dt.datetime(2024, 11, 6, 17, tzinfo=UTC))

    # when
    rows = day_rows(line)
    root = parse(week_svg(line))

    # then: 8 rows; on 2024-11-03 the second pass of 01:00-02:00 is a second layer of pieces
    assert len(rows) == 8 and len(day_groups(root)) == 8
    dst = next(r for r in rows if r.date == dt.date(2024, 11, 3))
    assert dst.repeated == [(1 * HOUR_US, 2 * HOUR_US)] and dst.skipped == []
    second = [p for p in dst.pieces if p.second_pass]
    assert (second[0].x0_us, second[-1].x1_us) == (1 * HOUR_US, 2 * HOUR_US)
    assert dst.covered_us == 25 * HOUR_US
    assert sum(row.covered_us for row in rows) == WEEK_US


def test_as_of_exactly_at_local_midnight_gives_7_whole_rows():
    # given: T = 2023-01-23 00:00 New York
    line = week_of(dt.datetime(2023, 1, 23, 5, tzinfo=UTC))

    rows = day_rows(line)

    assert [r.date.isoformat() for r in rows] == [f"2023-01-{d}" for d in range(16, 23)]
    assert all(r.covered_us == 24 * HOUR_US for r in rows)
    # the poll at T (local midnight) is drawn at 24:00 of the last row
    assert rows[-1].ticks[-1].x_us == 24 * HOUR_US


@pytest.mark.parametrize("timezone_str", ["Asia/Kolkata", "Australia/Lord_Howe", "Not/AZone", None])
def test_other_zones_render_8_rows_covering_the_week(timezone_str):
    line = week_of(dt.datetime(2024, 4, 8, 10, 7, tzinfo=UTC), timezone_str=timezone_str)  # Lord Howe: -30 min on 04-07

    rows = day_rows(line)

    assert len(rows) == 8 and len(day_groups(parse(week_svg(line)))) == 8
    assert sum(row.covered_us for row in rows) == WEEK_US


def test_store_id_and_timezone_are_escaped():
    line = week_of(dt.datetime(2023, 1, 23, 17, tzinfo=UTC), store_id='<a href="x">&</a>')

    root = parse(week_svg(line))

    title = found(root, f"{SVG}title").text
    assert title is not None
    assert '<a href="x">&</a>' in title


# --- Special days and schedule versions (rules 10, 11) ----------------------------------------


def calendar_week() -> StoreTimeline:
    """Open 09:00-17:00 daily, 10:00-14:00 daily from Friday 2023-01-20; Wednesday 01-18 closed, Sunday
    01-22 special hours 11:00-13:00; as of Monday 2023-01-23 12:00 New York."""
    day = lambda *args: local_day(dt.date(*args))  # noqa: E731
    hours = tuple((d, 9 * H, 17 * H) for d in range(7)) + tuple((d, 10 * H, 14 * H, day(2023, 1, 20)) for d in range(7))
    special = ((day(2023, 1, 18), None, None), (day(2023, 1, 22), 11 * H, 13 * H))
    as_of_us = to_us(dt.datetime(2023, 1, 23, 17, tzinfo=UTC))
    fleet = FleetInput(["s"], [Schedule("America/New_York", hours, special)], Polls.empty())
    return store_timeline(fleet, as_of_us=as_of_us)


def test_special_days_and_a_new_version_are_labelled_on_their_rows():
    # given
    line = calendar_week()

    # when
    rows = day_rows(line)
    root = parse(week_svg(line))

    # then: the labels, and each row's source as an attribute
    labels = {r.date.isoformat(): r.calendar_label for r in rows}
    assert labels == {
        "2023-01-16": None,
        "2023-01-17": None,
        "2023-01-18": "holiday: closed",
        "2023-01-19": None,
        "2023-01-20": "new hours from 2023-01-20",
        "2023-01-21": None,
        "2023-01-22": "special hours",
        "2023-01-23": None,  # the same version as Saturday's, the special Sunday between
    }
    groups = day_groups(root)
    assert [g.get("data-source") for g in groups] == ["weekly"] * 2 + ["special"] + ["weekly"] * 3 + ["special"] + [
        "weekly"
    ]
    texts = {g.get("data-date"): [t.text for t in g.iter(f"{SVG}text") if t.get("class") == "calendar"] for g in groups}
    assert texts["2023-01-18"] == ["holiday: closed"] and texts["2023-01-22"] == ["special hours"]
    assert texts["2023-01-20"] == ["new hours from 2023-01-20"] and texts["2023-01-21"] == []
    # the closed holiday has no open piece; the special Sunday is open 11:00-13:00 only
    assert {p.state for p in rows[2].pieces} == {"closed"}
    assert [(p.x0_us, p.x1_us) for p in rows[6].pieces if p.state != "closed"] == [(11 * HOUR_US, 13 * HOUR_US)]


def test_a_version_change_on_a_date_after_the_effective_from_is_labelled_where_it_shows():
    # given: a new version dated Thursday 2023-01-05, before the week of Tuesday 01-17 12:00 (01-10 .. 01-17):
    # every date of the week has it, so no label. Then a version whose first date is a special day: the
    # label moves to the first weekly date under it.
    day = lambda *args: local_day(dt.date(*args))  # noqa: E731
    hours: tuple[WeeklyRow, ...] = ((0, 9 * H, 17 * H), (1, 9 * H, 17 * H), (0, 10 * H, 12 * H, day(2023, 1, 5)))
    as_of_us = to_us(dt.datetime(2023, 1, 17, 17, tzinfo=UTC))
    before = store_timeline(FleetInput(["s"], [Schedule(None, hours)], Polls.empty()), as_of_us=as_of_us)
    assert all(r.calendar_label is None for r in day_rows(before))

    hours = tuple((d, 9 * H, 17 * H) for d in range(7)) + tuple((d, 10 * H, 14 * H, day(2023, 1, 20)) for d in range(7))
    special = ((day(2023, 1, 20), None, None),)
    as_of_us = to_us(dt.datetime(2023, 1, 23, 17, tzinfo=UTC))
    line = store_timeline(FleetInput(["s"], [Schedule(None, hours, special)], Polls.empty()), as_of_us=as_of_us)
    labels = {r.date.isoformat(): r.calendar_label for r in day_rows(line) if r.calendar_label}
    assert labels == {"2023-01-20": "holiday: closed", "2023-01-21": "new hours from 2023-01-20"}
