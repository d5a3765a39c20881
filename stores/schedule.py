"""How a store's stored timezone and hours rows read, for showing a store (docs/numbers.md rules 4 and 5).

Pure functions of the stored values (the standard library only, no Django), so that
the store API and the report engine read rule 4 from one definition: `reports.engine`
imports `resolve_timezone` from here (`reports` may import `stores`, never the reverse).
"""

import functools
from collections.abc import Sequence
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "America/Chicago"
DAY_S = 86_400


@functools.lru_cache(maxsize=4096)
def resolve_timezone(name: str | None) -> str:
    """The IANA name a store's hours are read in (rule 4): the trimmed `name` if zoneinfo loads it,
    else America/Chicago (missing, empty or not a valid name)."""
    key = (name or "").strip()
    if key:
        try:
            ZoneInfo(key)
            return key
        except Exception:  # any failure to load means "not a valid name" (rule 4)
            pass
    return DEFAULT_TIMEZONE


def weekly_open_intervals(hours: Sequence[tuple[int, int, int]]) -> dict[int, list[tuple[int, int]]]:
    """Per weekday 0 (Monday)..6, the merged local intervals [start_s, end_s) the store is open that day.

    `hours` are (day_of_week, start, end) rows in seconds after local midnight; the result is in
    the same seconds (0..86400), wall times before any timezone is applied (rule 5): a row with
    start < end gives [start, end) on its day; start > end gives [start, 86400) on its day and
    [0, end) on the next (Sunday's goes to Monday); start = end is the whole day [0, 86400);
    overlapping or touching intervals are merged; no rows at all is open [0, 86400) every day.
    """
    if not hours:
        return {day: [(0, DAY_S)] for day in range(7)}
    raw: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    for day, start, end in hours:
        if start == end:
            raw[day].append((0, DAY_S))
        elif start < end:
            raw[day].append((start, end))
        else:
            raw[day].append((start, DAY_S))
            if end > 0:
                raw[(day + 1) % 7].append((0, end))
    merged: dict[int, list[tuple[int, int]]] = {}
    for day, intervals in raw.items():
        out: list[tuple[int, int]] = []
        for start, end in sorted(intervals):
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        merged[day] = out
    return merged
