"""The overview's heartbeat bars (reports/heartbeat_bars.py): a store's timeline drawn exactly, and bounded
for a week of constant flapping. No database."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from reports.fleet import HOUR_US, US, WEEK_US, StoreValues
from reports.heartbeat_bars import COLUMNS, MAX_SEGMENTS, heartbeat_sprite, heartbeat_symbol, seconds_text
from reports.timeline import ACTIVE, CLOSED, INACTIVE, PollPoint, Segment, StoreTimeline

T = 1_674_493_200 * US  # 2023-01-23 17:00 UTC
ZERO = StoreValues(0, 0, 0, 0, 0, 0)


def line(segments: list[Segment], *, observed: bool = True) -> StoreTimeline:
    observations = [PollPoint(T - HOUR_US, True)] if observed else []
    return StoreTimeline("s-1", "America/New_York", T, ZERO, segments, observations, [])


def rects(symbol: str) -> list[tuple[str, int, int]]:
    """(class, start, end) of each rect, in microseconds after the week's start."""
    out = []
    for cls, x, width in re.findall(r'<rect class="([^"]+)" x="([^"]+)" width="([^"]+)"', symbol):
        start = round(float(x) * US)
        out.append((cls, start, start + round(float(width) * US)))
    return out


def test_seconds_are_written_exactly():
    assert [seconds_text(us) for us in (0, 3_600 * US, 1_500_000, 1, 604_800 * US - 1)] == [
        "0",
        "3600",
        "1.5",
        "0.000001",
        "604799.999999",
    ]


def test_a_bar_draws_each_segment_of_the_week_where_it_is():
    start = T - WEEK_US
    segments = [
        Segment(start, start + 10 * HOUR_US, CLOSED),
        Segment(start + 10 * HOUR_US, start + 12 * HOUR_US + 1, ACTIVE),
        Segment(start + 12 * HOUR_US + 1, T, INACTIVE),
    ]

    symbol = heartbeat_symbol("hb-0", line(segments))

    assert rects(symbol) == [
        ("hb-c", 0, 10 * HOUR_US),
        ("hb-a", 10 * HOUR_US, 12 * HOUR_US + 1),
        ("hb-i", 12 * HOUR_US + 1, WEEK_US),
    ]
    assert 'viewBox="0 0 604800 10"' in symbol and "data-merged" not in symbol


def test_open_time_without_any_observation_is_drawn_as_no_heartbeat():
    start = T - WEEK_US
    segments = [Segment(start, T - HOUR_US, CLOSED), Segment(T - HOUR_US, T, INACTIVE)]

    assert [r[0] for r in rects(heartbeat_symbol("hb-1", line(segments, observed=False)))] == ["hb-c", "hb-n"]
    assert [r[0] for r in rects(heartbeat_symbol("hb-1", line(segments)))] == ["hb-c", "hb-i"]


def test_a_week_of_flapping_is_drawn_in_columns_each_in_its_worst_state():
    # given a state change every minute of the week, and one inactive minute inside column 5
    start, minute = T - WEEK_US, 60 * US
    states = [ACTIVE if (i // 7) % 2 else CLOSED for i in range(WEEK_US // minute)]
    states[5 * 30 + 3] = INACTIVE
    segments: list[Segment] = []
    for i, state in enumerate(states):
        if segments and segments[-1].state == state:
            segments[-1] = Segment(segments[-1].start_us, start + (i + 1) * minute, state)
        else:
            segments.append(Segment(start + i * minute, start + (i + 1) * minute, state))
    assert len(segments) > MAX_SEGMENTS

    symbol = heartbeat_symbol("hb-2", line(segments))
    drawn = rects(symbol)

    assert 'data-merged="true"' in symbol
    assert len(drawn) <= COLUMNS and len(symbol) < 40_000
    assert drawn[0][1] == 0 and drawn[-1][2] == WEEK_US
    assert all(a[2] == b[1] for a, b in zip(drawn, drawn[1:], strict=False))  # no gap, no overlap
    width = WEEK_US // COLUMNS
    column_5 = [r for r in drawn if r[1] <= 5 * width < r[2]]
    assert column_5 == [("hb-i", 5 * width, 6 * width)]
    assert {r[0] for r in drawn} == {"hb-a", "hb-i"}  # every half hour holds some open minute


def test_the_sprite_is_one_svg_of_symbols_and_valid_xml():
    start = T - WEEK_US
    bars = [(f"hb-{i}", line([Segment(start, T, ACTIVE)])) for i in range(3)]

    sprite = heartbeat_sprite(bars)

    root = ElementTree.fromstring(sprite)
    symbols = root.findall("{http://www.w3.org/2000/svg}symbol")
    assert [s.get("id") for s in symbols] == ["hb-0", "hb-1", "hb-2"]
    pattern = root.find(".//{http://www.w3.org/2000/svg}pattern")
    assert pattern is not None and pattern.get("id") == "hb-no-heartbeat"
