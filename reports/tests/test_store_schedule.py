"""The stores app shows a store's timezone and open hours as the engine reads them (SEMANTICS.md rules 4, 5).

stores/schedule.py cannot import the engine (stores never imports reports), so the
two readings are held equal here, where both may be imported. No database.
"""

import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import engine, timeline
from stores import schedule

DAY_S = 86_400

TIMEZONE_NAMES = [
    None,
    "",
    "   ",
    "America/New_York",
    " America/New_York ",
    "US/Eastern",
    "UTC",
    "Etc/GMT+5",
    "America/Chicgo",
    "america/new_york",
    "Mars/Olympus_Mons",
    "../../etc/passwd",
    "/usr/share/zoneinfo/UTC",
    "America/New_York\x00",
    "x" * 300,
    "localtime",
]


@pytest.mark.parametrize("name", TIMEZONE_NAMES + sorted(zoneinfo.available_timezones())[::25])
def test_resolve_timezone_is_the_engines(name):
    assert schedule.resolve_timezone(name) == engine.resolve_timezone(name)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(name=st.one_of(st.none(), st.text(max_size=40), st.sampled_from(sorted(zoneinfo.available_timezones()))))
def test_resolve_timezone_is_the_engines_on_any_text(name):
    assert schedule.resolve_timezone(name) == engine.resolve_timezone(name)


# Seconds near the edges (midnight, one second before) are where the two could part.
_second = st.one_of(st.integers(0, DAY_S - 1), st.sampled_from([0, 1, 3600, 43_200, DAY_S - 1]))
_row = st.tuples(st.integers(0, 6), _second, _second)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(hours=st.lists(_row, max_size=12))
def test_weekly_open_intervals_are_the_timelines(hours):
    assert schedule.weekly_open_intervals(hours) == timeline.weekly_open_intervals(hours)


def test_the_default_zone_is_the_engines():
    assert schedule.DEFAULT_TIMEZONE == engine.DEFAULT_TIMEZONE
