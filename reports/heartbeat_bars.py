"""The overview's heartbeat bars: each store's week as a thin strip, all of a page in one SVG sprite.

Pure rendering: the standard library and `reports.timeline`, never Django. The page
holds one hidden `<svg>` (`heartbeat_sprite`) with a `<symbol id="hb-N">` per row; each
row draws its bar with `<use href="#hb-N">`, so a page of 50 stores costs no request.

A bar is the store's timeline (reports/timeline.py) as is: one `<rect>` per segment, placed
at its seconds after the week's start T - 7 days (x, width: seconds, at most six decimals,
so exact to the microsecond) in a 604,800-wide view box, its class its state: `hb-c`
closed, `hb-a` active, `hb-i` inactive, and `hb-n` for open time of a store with no
observation at all (rule 7's "no heartbeat": counted as down, drawn as such, not as an
observed outage). A week of more than MAX_SEGMENTS segments (a state change every few
minutes) is drawn in COLUMNS equal columns, each in the worst state found in it (inactive,
then active, then closed) and the bar marked `data-merged`, so a row is at most a few
kilobytes whatever its polls.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

from reports.fleet import US, WEEK_US
from reports.timeline import ACTIVE, CLOSED, INACTIVE, Segment, StoreTimeline

WEEK_S = WEEK_US // US
HEIGHT = 10
MAX_SEGMENTS = 400
COLUMNS = 336  # half hours
_WORST = {CLOSED: 0, ACTIVE: 1, INACTIVE: 2}
CLASSES = {CLOSED: "hb-c", ACTIVE: "hb-a", INACTIVE: "hb-i"}
NO_HEARTBEAT = "hb-n"


def seconds_text(us: int) -> str:
    """Microseconds as seconds, exactly: "3600", "1.5", "0.000001"."""
    whole, part = divmod(us, US)
    return f"{whole}.{part:06d}".rstrip("0") if part else str(whole)


def bar_segments(timeline: StoreTimeline) -> tuple[list[Segment], bool]:
    """The segments a bar draws, and whether they were merged into columns (MAX_SEGMENTS)."""
    if len(timeline.segments) <= MAX_SEGMENTS:
        return list(timeline.segments), False
    start = timeline.week_start_us
    width = WEEK_US // COLUMNS
    worst = [CLOSED] * COLUMNS
    for s in timeline.segments:
        first = max(0, (s.start_us - start) // width)
        last = min(COLUMNS - 1, (s.end_us - 1 - start) // width)
        for c in range(first, last + 1):
            if _WORST[s.state] > _WORST[worst[c]]:
                worst[c] = s.state
    merged: list[Segment] = []
    for c, state in enumerate(worst):
        lo, hi = start + c * width, (start + (c + 1) * width if c < COLUMNS - 1 else timeline.as_of_us)
        if merged and merged[-1].state == state:
            merged[-1] = Segment(merged[-1].start_us, hi, state)
        else:
            merged.append(Segment(lo, hi, state))
    return merged, True


def heartbeat_symbol(symbol_id: str, timeline: StoreTimeline) -> str:
    """One store's bar as a `<symbol>` of the sprite."""
    segments, merged = bar_segments(timeline)
    unobserved = not timeline.observations
    rects = []
    for s in segments:
        state = NO_HEARTBEAT if unobserved and s.state == INACTIVE else CLASSES[s.state]
        x = seconds_text(s.start_us - timeline.week_start_us)
        rects.append(f'<rect class="{state}" x="{x}" width="{seconds_text(s.duration_us)}" height="{HEIGHT}"/>')
    flag = ' data-merged="true"' if merged else ""
    return (
        f'<symbol id={quoteattr(symbol_id)} viewBox="0 0 {WEEK_S} {HEIGHT}" preserveAspectRatio="none"'
        f" data-store-id={quoteattr(timeline.store_id)}{flag}>{''.join(rects)}</symbol>"
    )


def heartbeat_sprite(bars: Sequence[tuple[str, StoreTimeline]]) -> str:
    """The page's one SVG: a symbol per (symbol id, timeline), and the pattern of "no heartbeat"."""
    symbols = "".join(heartbeat_symbol(symbol_id, line) for symbol_id, line in bars)
    pattern = (
        '<pattern id="hb-no-heartbeat" width="14400" height="10" patternUnits="userSpaceOnUse">'
        '<rect class="hb-n-bg" width="14400" height="10"/><rect class="hb-n-fg" width="7200" height="10"/></pattern>'
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="heartbeat-sprite" aria-hidden="true" focusable="false">'
        f"<defs>{pattern}</defs>{symbols}</svg>"
    )
