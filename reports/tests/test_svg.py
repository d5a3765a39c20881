"""The week as SVG (reports/svg.py): valid XML, one row per local date, DST dates on a 24-hour axis;
the picture ties to the numbers (per-date totals, the report's windows, tooltips) and never draws
"no observation" like an observed outage.

No database: the renderer is pure.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from reports.fleet import HOUR_US, US, WEEK_US, FleetInput, Polls, Schedule, WeeklyRow, from_us, local_day, to_us
from reports.svg import (
    FIXED_BYTES,
    NARROW,
    ROW_FIXED_BYTES,
    SVG_MAX_BYTES,
    WIDE,
    Layout,
    day_rows,
    duration_text,
    week_svg,
    zone_defaulted,
    zone_label,
)
from reports.tests import bruteforce
from reports.tests.bruteforce import CalendarStore, calendar_stores
from reports.tests.test_engine import ny
from reports.tests.test_engine_calendar import engine_schedule
from reports.timeline import ACTIVE, CLOSED, INACTIVE, StoreTimeline, store_timeline
from stores.schedule import resolve_timezone

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


# --- Pictures that tie to the numbers (issue 16) ------------------------------------------------

H_US = HOUR_US
DAY_US_ = 24 * HOUR_US
LAYOUTS = (WIDE, NARROW)
PROPERTY = settings(
    max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def example_a(polls=True) -> StoreTimeline:
    """docs/numbers.md example B (example A plus a poll at 08:30 local while closed), as of Monday 12:00 New York."""
    rows = [(ny(2023, 1, 23, 10, 14), True), (ny(2023, 1, 23, 11, 15), False), (ny(2023, 1, 23, 8, 30), False)]
    rows = rows if polls else []
    fleet = FleetInput(
        ["1481966498820158979"],
        [Schedule("America/New_York", ((0, 9 * H, 12 * H),))],
        Polls(np.zeros(len(rows)), [to_us(t) for t, _ in rows], [a for _, a in rows]),
    )
    return store_timeline(fleet, as_of_us=to_us(ny(2023, 1, 23, 12, 0)))


def calendar_timeline(store: CalendarStore) -> StoreTimeline:
    """The engine's timeline of a generated store (reports/tests/bruteforce.py) as of its T."""
    schedule = engine_schedule(store.timezone_str, store.hours, store.specials)
    polls = list(store.polls)
    fleet = FleetInput(
        ["s"], [schedule], Polls(np.zeros(len(polls)), [to_us(t) for t, _ in polls], [a for _, a in polls])
    )
    return store_timeline(fleet, as_of_us=to_us(store.as_of))


def local_midnight_us(zone: ZoneInfo, date: dt.date) -> int:
    """The instant a local date begins, read with zoneinfo (fold=0: a skipped midnight is the jump itself)."""
    return to_us(dt.datetime.combine(date, dt.time(0), tzinfo=zone).astimezone(UTC))


def per_local_date(line: StoreTimeline) -> dict[dt.date, dict[str, int]]:
    """Microseconds of each state per local date, cutting the segments at local midnights found with
    zoneinfo (not the picture's own clock)."""
    zone = ZoneInfo(line.timezone)
    totals: dict[dt.date, dict[str, int]] = {}
    for segment in line.segments:
        t = segment.start_us
        while t < segment.end_us:
            date = from_us(t).astimezone(zone).date()
            end = min(segment.end_us, local_midnight_us(zone, date + dt.timedelta(days=1)))
            day = totals.setdefault(date, {CLOSED: 0, ACTIVE: 0, INACTIVE: 0})
            day[segment.state] += end - t
            t = end
    return totals


def piece_rects(group: ET.Element) -> list[ET.Element]:
    """The rects a row draws its segments with (not its frame, the outside of the week or DST marks)."""
    return [
        r
        for r in group.iter(f"{SVG}rect")
        if (r.get("class") or "").split()[0] in ("active", "inactive", "closed", "unobserved")
    ]


def printed_totals(group: ET.Element) -> dict[str, str]:
    """The three numbers printed at a row's end (or under it), by column: open, up, down."""
    found = {}
    for text in group.iter(f"{SVG}text"):
        css = (text.get("class") or "").split()
        if "total" in css:
            label = css[1].removeprefix("total-")
            number = re.search(r"\d+\.\d\d", text.text or "")
            assert number is not None, text.text
            found[label] = number.group()
    return found


def hours(us: int) -> str:
    return f"{round(us / HOUR_US, 2):.2f}"


def assert_day_totals_are_the_segments(line: StoreTimeline, layout: Layout) -> None:
    expected = per_local_date(line)
    groups = day_groups(parse(week_svg(line, layout=layout)))
    assert [g.get("data-date") for g in groups] == [d.isoformat() for d in sorted(expected)]
    for g in groups:
        day = expected[dt.date.fromisoformat(g.attrib["data-date"])]
        up, down = day[ACTIVE], day[INACTIVE]
        assert (int(g.attrib["data-open-us"]), int(g.attrib["data-up-us"]), int(g.attrib["data-down-us"])) == (
            up + down,
            up,
            down,
        ), g.get("data-date")
        assert printed_totals(g) == {"open": hours(up + down), "up": hours(up), "down": hours(down)}


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
@pytest.mark.parametrize(
    "as_of",
    [
        dt.datetime(2023, 1, 23, 17, tzinfo=UTC),
        dt.datetime(2024, 3, 13, 16, tzinfo=UTC),  # the week holds spring forward
        dt.datetime(2024, 11, 6, 17, tzinfo=UTC),  # the week holds fall back: a 25-hour date
        dt.datetime(2023, 1, 23, 5, tzinfo=UTC),  # exactly local midnight: 7 rows
    ],
)
def test_each_rows_printed_totals_are_its_local_dates_segments(as_of, layout):
    assert_day_totals_are_the_segments(week_of(as_of), layout)


@PROPERTY
@given(store=calendar_stores())
def test_printed_totals_are_the_segments_per_local_date_for_generated_stores(store: CalendarStore):
    line = calendar_timeline(store)
    for layout in LAYOUTS:
        assert_day_totals_are_the_segments(line, layout)


def test_the_totals_of_example_a_are_its_mondays_hours():
    groups = {g.get("data-date"): g for g in day_groups(parse(week_svg(example_a())))}

    # Monday 2023-01-23 09:00-12:00: active until the midpoint 10:44:30, then inactive (example A)
    assert printed_totals(groups["2023-01-23"]) == {"open": "3.00", "up": "1.74", "down": "1.26"}
    assert printed_totals(groups["2023-01-17"]) == {"open": "0.00", "up": "0.00", "down": "0.00"}
    # the previous Monday's hours end where the week starts (12:00): nothing of them is in the week
    assert printed_totals(groups["2023-01-16"]) == {"open": "0.00", "up": "0.00", "down": "0.00"}


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
@pytest.mark.parametrize(
    "as_of",
    [
        dt.datetime(2023, 1, 23, 17, tzinfo=UTC),
        dt.datetime(2024, 3, 10, 16, 30, tzinfo=UTC),  # the last day starts before the jump, in EST
        dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC),  # T in the repeated hour's second pass (01:30 EST)
        dt.datetime(2023, 1, 23, 5, 0, tzinfo=UTC),  # T exactly local midnight
        dt.datetime(2023, 1, 23, 5, 30, tzinfo=UTC),  # the last hour crosses local midnight
    ],
)
def test_the_last_day_and_the_last_hour_are_marked_from_their_start_to_t(as_of, layout):
    # given
    line = week_of(as_of)
    zone = ZoneInfo("America/New_York")
    root = parse(week_svg(line, layout=layout))
    row_top = {g.attrib["data-date"]: float(g.attrib["transform"].split(",")[1].rstrip(")")) for g in day_groups(root)}

    for name, length_us in (("day", DAY_US_), ("hour", H_US)):
        # when
        bars = [r for r in root.iter(f"{SVG}rect") if r.get("data-window") == name]
        starts = [ln for ln in root.iter(f"{SVG}line") if ln.get("data-window") == name]

        # then: the first bar and the dashed line begin at the window's start, in local wall time
        start = from_us(line.as_of_us - length_us).astimezone(zone)
        wall_s = start.hour * 3600 + start.minute * 60 + start.second
        x = layout.left + layout.plot_w * wall_s / 86400
        assert bars[0].get("data-date") == start.date().isoformat()
        assert float(bars[0].attrib["x"]) == pytest.approx(x, abs=1e-3)
        assert len(starts) == 1 and float(starts[0].attrib["x1"]) == pytest.approx(x, abs=1e-3)
        # the bars cover exactly the window's length, and end at T
        assert sum(int(b.attrib["data-x1-us"]) - int(b.attrib["data-x0-us"]) for b in bars) == length_us
        end = from_us(line.as_of_us).astimezone(zone)
        end_wall_us = ((end.hour * 60 + end.minute) * 60 + end.second) * US
        last = bars[-1]
        if end_wall_us == 0:  # T at local midnight: the window ends at 24:00 of the date before
            assert int(last.attrib["data-x1-us"]) == 24 * H_US
            assert last.get("data-date") == (end.date() - dt.timedelta(days=1)).isoformat()
        else:
            assert int(last.attrib["data-x1-us"]) == end_wall_us
            assert last.get("data-date") == end.date().isoformat()
        # each bar sits under its row, in the room below the row's bar
        for bar in bars:
            top = row_top[bar.attrib["data-date"]]
            assert top + layout.row_h < float(bar.attrib["y"]) < top + layout.row_h + layout.below


def titles(root: ET.Element, css: str) -> list[str]:
    return [
        found(r, f"{SVG}title").text or ""
        for g in day_groups(root)
        for r in piece_rects(g)
        if (r.get("class") or "").split() == css.split()
    ]


def test_each_segment_has_a_tooltip_with_its_local_start_end_state_and_duration():
    # given: example B as of Monday 12:00 New York
    root = parse(week_svg(example_a()))

    # then: the segment closed since the week's start has the same tooltip on each of its 8 dates
    closed = titles(root, "closed")
    assert (
        closed[:7]
        == ["closed (outside business hours): Mon 2023-01-16 12:00:00 EST to Mon 2023-01-23 09:00:00 EST, 6 d 21 h"] * 7
    )
    assert titles(root, "active") == [
        "active (open, online): Mon 2023-01-23 09:00:00 EST to Mon 2023-01-23 10:44:30 EST, 1 h 44 min 30 s"
    ]
    assert titles(root, "inactive") == [
        "inactive (open, offline): Mon 2023-01-23 10:44:30 EST to Mon 2023-01-23 12:00:00 EST, 1 h 15 min 30 s"
    ]


def test_a_tooltip_in_the_repeated_hour_of_a_fall_back_names_which_pass():
    # given: open 24x7 in New York, one active observation; T = 2024-11-03 01:30 EST, the second pass
    poll = to_us(dt.datetime(2024, 11, 3, 5, 15, tzinfo=UTC))  # 01:15 EDT, the first pass
    fleet = FleetInput(["s"], [Schedule("America/New_York")], Polls([0], [poll], [True]))
    line = store_timeline(fleet, as_of_us=to_us(dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC)))

    # when
    root = parse(week_svg(line))

    # then: one active segment for the whole week of 7 x 24 real hours: it starts at 02:30 EDT and
    # ends at 01:30 EST, the second 01:30 of that night
    (title,) = set(titles(root, "active"))
    assert title == "active (open, online): Sun 2024-10-27 02:30:00 EDT to Sun 2024-11-03 01:30:00 EST, 7 d"


@pytest.mark.parametrize(
    ("duration_us", "text"),
    [(0, "0 s"), (500_000, "0.5 s"), (90 * US, "1 min 30 s"), (3600 * US, "1 h"), (86_400 * US + 1, "1 d 0.000001 s")],
)
def test_durations_read_as_words(duration_us, text):
    assert duration_text(duration_us) == text


def is_unobserved(rect: ET.Element, layout: Layout) -> bool:
    return rect.get("fill") == f"url(#{layout.id('no-observation')})"


def is_hatched(rect: ET.Element, layout: Layout) -> bool:
    return rect.get("fill") == f"url(#{layout.id('inactive-hatch')})"


@PROPERTY
@given(store=calendar_stores())
def test_the_no_observation_pattern_is_exactly_the_open_time_of_a_store_never_observed(store: CalendarStore):
    # given: the store read by the brute force (docs/numbers.md, one rule at a time), and the engine's picture
    brute = bruteforce.Store(store.timezone_str, store.hours, store.polls, store.as_of, store.specials)
    never_observed = not brute.observations  # no poll at or before T while open (rules 6, 7)
    line = calendar_timeline(store)
    zone = ZoneInfo(line.timezone)

    for layout in LAYOUTS:
        # when
        root = parse(week_svg(line, layout=layout))

        for g in day_groups(root):
            rects = piece_rects(g)
            date = dt.date.fromisoformat(g.attrib["data-date"])
            lo = max(line.week_start_us, local_midnight_us(zone, date))
            hi = min(line.as_of_us, local_midnight_us(zone, date + dt.timedelta(days=1)))
            open_us = round(brute.open_seconds_exact(lo, hi) * US)
            # then
            if never_observed:
                # all the date's open time is down, and all of it drawn "no observation", none hatched
                assert (int(g.attrib["data-down-us"]), int(g.attrib["data-up-us"])) == (open_us, 0)
                assert not any(is_hatched(r, layout) for r in rects)
                assert any(is_unobserved(r, layout) for r in rects) == (open_us > 0)
                assert all("unobserved" in r.attrib["class"].split() for r in rects if is_unobserved(r, layout))
            else:
                # observed inactive time is hatched, never drawn as "no observation"
                assert not any(is_unobserved(r, layout) or "unobserved" in r.attrib["class"] for r in rects)
                assert any(is_hatched(r, layout) for r in rects) == (int(g.attrib["data-down-us"]) > 0)
        notes = " ".join(t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "warn")
        assert ("never polled, counted as down" in notes) == never_observed
        legend = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"][0]
        assert any(
            r.get("class") == "legend-unobserved" and is_unobserved(r, layout) for r in legend.iter(f"{SVG}rect")
        )


def test_a_store_polled_only_while_closed_is_drawn_as_never_observed():
    # given: example B's store with only its 08:30 poll (closed): no observation (rule 6)
    fleet = FleetInput(
        ["s"],
        [Schedule("America/New_York", ((0, 9 * H, 12 * H),))],
        Polls([0], [to_us(ny(2023, 1, 23, 8, 30))], [False]),
    )
    line = store_timeline(fleet, as_of_us=to_us(ny(2023, 1, 23, 12, 0)))

    root = parse(week_svg(line))

    monday = [g for g in day_groups(root) if g.get("data-date") == "2023-01-23"][0]
    (down,) = [r for r in piece_rects(monday) if r.attrib["class"] != "closed"]
    assert down.attrib["class"] == "inactive unobserved" and is_unobserved(down, WIDE)
    assert found(down, f"{SVG}title").text == (
        "no observation (open, never polled: counted as down): Mon 2023-01-23 09:00:00 EST to "
        "Mon 2023-01-23 12:00:00 EST, 3 h"
    )
    # the poll is still drawn, hollow: it was ignored
    assert [t.get("class") for t in monday.iter(f"{SVG}g")][1:] == ["poll ignored inactive"]


@pytest.mark.parametrize(
    ("timezone_str", "label"),
    [
        ("Eastern Standard Time", "America/Chicago, the default: 'Eastern Standard Time' is not a zone name"),
        (None, "America/Chicago, the default: no timezone was given"),
        ("", "America/Chicago, the default: the timezone given is empty"),
        ("  ", "America/Chicago, the default: the timezone given is empty"),
        (" America/New_York ", "America/New_York"),
        ("US/Pacific", "US/Pacific"),  # an alias zoneinfo loads is a real zone (rule 4)
        ("America/Chicago", "America/Chicago"),
    ],
)
def test_a_defaulted_timezone_is_named_as_such(timezone_str, label):
    zone = resolve_timezone(timezone_str)

    assert zone_label(timezone_str, zone) == label
    assert zone_defaulted(timezone_str) == (label != zone)


def test_the_picture_of_a_defaulted_zone_says_so_in_its_title_header_and_legend():
    line = week_of(dt.datetime(2023, 1, 23, 17, tzinfo=UTC), timezone_str="Eastern Standard Time")
    label = zone_label("Eastern Standard Time", line.timezone)

    for layout in LAYOUTS:
        root = parse(week_svg(line, zone=label, layout=layout))

        assert label in (found(root, f"{SVG}title").text or "")
        texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
        assert "the default: 'Eastern Standard Time' is not a zone name" in " ".join(texts.split())


def test_the_picture_follows_dark_mode_with_a_scoped_style_sheet():
    text = week_svg(example_a())
    root = parse(text)

    style = found(root, f"{SVG}style").text or ""
    assert "@media (prefers-color-scheme: dark)" in style
    assert "lm-timeline" in (root.get("class") or "").split()
    # inline in an HTML page the sheet applies to the whole page: every rule is scoped to the picture
    rules = re.sub(r"@media[^{]*\{", "", style).replace("}", "}\n")
    selectors = [s.strip() for rule in rules.split("}") if "{" in rule for s in rule.split("{")[0].split(",")]
    assert selectors and all(s.startswith(".lm-timeline") for s in selectors), selectors
    # and the light colours stay as attributes, for a renderer without CSS
    assert found(root, f"{SVG}rect[@class='bg']").get("fill") == "#ffffff"


def test_both_layouts_fit_one_page_their_ids_distinct_and_every_reference_their_own():
    line = week_of(dt.datetime(2024, 3, 13, 16, tzinfo=UTC))
    ids: list[str] = []

    for layout in LAYOUTS:
        root = parse(week_svg(line, layout=layout))
        own = [e.attrib["id"] for e in root.iter() if "id" in e.attrib]
        ids += own
        refs = {m for e in root.iter() for v in e.attrib.values() for m in re.findall(r"url\(#([^)]+)\)", v)}
        refs |= {i for v in (root.get("aria-labelledby") or "").split() for i in [v]}
        assert refs <= set(own), refs - set(own)

    assert len(ids) == len(set(ids))


def test_the_narrow_layout_puts_each_date_above_its_row_within_the_picture():
    line = week_of(dt.datetime(2023, 1, 23, 17, tzinfo=UTC))

    root = parse(week_svg(line, layout=NARROW))

    assert root.get("viewBox") == f"0 0 {NARROW.width} {root.get('height')}"
    for g in day_groups(root):
        labels = [t for t in g.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
        assert [t.text for t in labels] == [dt.date.fromisoformat(g.attrib["data-date"]).strftime("%a %Y-%m-%d")]
        assert float(labels[0].attrib["y"]) < 0 and float(labels[0].attrib["x"]) >= 0  # above the row's bar
    for t in root.iter(f"{SVG}text"):
        assert 0 <= float(t.get("x", "0")) <= NARROW.width


def test_the_fixed_parts_stay_within_their_documented_budget():
    # given: everything that does not grow with polls at its longest: a 64-character id and zone
    # name that escape to five times their length, a week with a DST change, special days
    name = "&" * 64
    fleet = FleetInput([name], [Schedule(name, (), ((local_day(dt.date(2024, 3, 10)), None, None),))], Polls.empty())
    line = store_timeline(fleet, as_of_us=to_us(dt.datetime(2024, 3, 13, 16, tzinfo=UTC)))

    # when
    pictures = [week_svg(line, zone=zone_label(name, line.timezone), layout=layout) for layout in LAYOUTS]

    # then: few pieces (one segment a date), so nearly all of it is the fixed part
    for text in pictures:
        assert len(text.encode()) <= FIXED_BYTES + 8 * ROW_FIXED_BYTES
    assert SVG_MAX_BYTES > FIXED_BYTES + 8 * ROW_FIXED_BYTES
