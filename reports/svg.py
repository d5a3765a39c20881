"""A store's week drawn as SVG, one row per local calendar date (issue 7).

Pure rendering: the standard library and `reports.engine`/`fleet`/`timeline`,
never Django. Input is a `timeline.StoreTimeline`; output is an SVG document
as text, valid XML.

What the picture shows
----------------------
- The week (T - 7 days, T] in the store's local time (its effective zone,
  rule 4). Each row is one local calendar date the week touches, oldest at the
  top: 8 rows for a week whose T is not exactly local midnight, the first and
  last partial (the part of those rows outside the week is grey), 7 when T is
  exactly local midnight.
- The x axis is local wall time 0-24 h on every row. Segments are placed by
  local wall time, so on a DST date the row keeps its 24-hour axis: on a
  spring-forward date the skipped wall hour (e.g. 02:00-03:00 on 2024-03-10 in
  New York) exists nowhere in the week and is drawn cross-hatched as "no such
  local time"; on a fall-back date the repeated wall hour happens twice: the
  first pass fills the row, the second pass is drawn over the lower half of
  the row (and its polls below the row).
- Closed time is white, active time green, inactive time vermillion with white
  diagonal hatching (Okabe-Ito colours plus a pattern, so the states do not
  depend on telling colours apart); a legend explains every mark.
- Each poll of the week is a tick above its row at its local time: a triangle
  pointing up for active, down for inactive; filled for an observation (a poll
  taken while open, rule 6), hollow for a poll ignored because the store was
  closed.
- A date whose periods came from special rows (rule 11) is labelled under its
  date "holiday: closed" (only closed rows) or "special hours"; a date on which
  another weekly version takes over than on the week's previous weekly date
  (or its version's effective_from) is labelled "new hours from <date>"
  (rule 10). Each row's `data-source` says where its periods came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reports.engine import offset_changes
from reports.fleet import DAY_US, SPECIAL, US, WEEKLY, DaySchedule, from_us
from reports.timeline import ACTIVE, CLOSED, INACTIVE, StoreTimeline

WIDTH = 980
LEFT = 130  # room for the date labels
PLOT_W = 816  # 34 px per hour
ROW_H = 24
ROW_GAP = 22  # room for the poll ticks above each row (and second-pass ticks below it)
TOP = 86
_EPOCH_DATE = dt.date(1970, 1, 1)

GREEN = "#009E73"  # Okabe-Ito bluish green
VERMILLION = "#D55E00"  # Okabe-Ito vermillion
OUTSIDE = "#e4e4e4"
FILL = {ACTIVE: GREEN, INACTIVE: "url(#inactive-hatch)", CLOSED: "#ffffff"}


@dataclass(frozen=True)
class Piece:
    """Part of a segment on one local date: wall time [x0_us, x1_us) after local midnight."""

    x0_us: int
    x1_us: int
    state: str
    second_pass: bool = False  # in the repeated hour of a fall-back, its second occurrence


@dataclass(frozen=True)
class Tick:
    x_us: int
    active: bool
    observation: bool
    second_pass: bool = False


@dataclass
class DayRow:
    """One local calendar date of the week, laid out on a 24-hour wall-clock axis."""

    date: dt.date
    pieces: list[Piece] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    skipped: list[tuple[int, int]] = field(default_factory=list)  # wall times that do not exist (spring forward)
    repeated: list[tuple[int, int]] = field(default_factory=list)  # wall times that happen twice (fall back)
    schedule: DaySchedule | None = None  # the rows its periods came from (rules 10, 11)
    new_version: bool = False  # another weekly version than on the week's previous weekly date

    @property
    def calendar_label(self) -> str | None:
        """ "holiday: closed", "special hours" or "new hours from <date>" (rules 10, 11); None otherwise."""
        schedule = self.schedule
        if schedule is None:
            return None
        if schedule.source == SPECIAL:
            return "holiday: closed" if schedule.closed else "special hours"
        if self.new_version and schedule.effective_from is not None:
            return f"new hours from {schedule.effective_from.isoformat()}"
        return None

    @property
    def covered_us(self) -> int:
        """Wall time of this date inside the week (second passes of a repeated hour included)."""
        return sum(p.x1_us - p.x0_us for p in self.pieces)


class _LocalClock:
    """UTC microseconds -> (local date number, wall microseconds after local midnight, second pass)."""

    def __init__(self, zone: str, lo_us: int, hi_us: int) -> None:
        # The very offsets the engine reads the store's hours with (rule 5): (UTC second, before, after).
        offsets = offset_changes(zone, lo_us // US - 2 * 86_400, hi_us // US + 2 * 86_400)
        self.changes = [(c.at_s, c.before_s, c.after_s) for c in offsets.changes]
        self.first_offset = offsets.first_s

    def offset_s(self, t_us: int) -> int:
        off = self.first_offset
        for u, _, after in self.changes:
            if u * US <= t_us:
                off = after
        return off

    def second_pass(self, t_us: int) -> bool:
        return any(before > after and u * US <= t_us < (u + before - after) * US for u, before, after in self.changes)

    def cuts(self, a_us: int, b_us: int) -> list[int]:
        """Instants in (a, b) where the offset changes or a repeated hour's second pass ends."""
        points: set[int] = set()
        for u, before, after in self.changes:
            points.add(u * US)
            if before > after:
                points.add((u + before - after) * US)
        return sorted(p for p in points if a_us < p < b_us)

    def wall(self, t_us: int) -> tuple[int, int]:
        wall = t_us + self.offset_s(t_us) * US
        return wall // DAY_US, wall % DAY_US

    def pieces(self, a_us: int, b_us: int, state: str) -> Iterator[tuple[int, Piece]]:
        """(date number, Piece) for [a, b): cut where the offset changes and at local midnights."""
        bounds = [a_us, *self.cuts(a_us, b_us), b_us]
        for c0, c1 in zip(bounds, bounds[1:], strict=False):
            off = self.offset_s(c0) * US
            second = self.second_pass(c0)
            w0, w1 = c0 + off, c1 + off
            for day in range(w0 // DAY_US, (w1 - 1) // DAY_US + 1):
                p0, p1 = max(w0, day * DAY_US), min(w1, (day + 1) * DAY_US)
                if p1 > p0:
                    yield day, Piece(p0 - day * DAY_US, p1 - day * DAY_US, state, second)

    def wall_spans(self, w0_us: int, w1_us: int) -> Iterator[tuple[int, int, int]]:
        """(date number, x0, x1) for a wall-clock interval, cut at local midnights."""
        for day in range(w0_us // DAY_US, (w1_us - 1) // DAY_US + 1):
            p0, p1 = max(w0_us, day * DAY_US), min(w1_us, (day + 1) * DAY_US)
            if p1 > p0:
                yield day, p0 - day * DAY_US, p1 - day * DAY_US


def day_rows(timeline: StoreTimeline) -> list[DayRow]:
    """The week's local dates, oldest first, with their pieces, poll ticks and DST oddities."""
    week_start, as_of = timeline.week_start_us, timeline.as_of_us
    clock = _LocalClock(timeline.timezone, week_start, as_of)
    rows: dict[int, DayRow] = {}

    def row(day: int) -> DayRow:
        if day not in rows:
            rows[day] = DayRow(_EPOCH_DATE + dt.timedelta(days=day))
        return rows[day]

    for segment in timeline.segments:
        for day, piece in clock.pieces(segment.start_us, segment.end_us, segment.state):
            row(day).pieces.append(piece)
    observed = [(p, True) for p in timeline.observations if p.at_us > week_start]
    ignored = [(p, False) for p in timeline.ignored_polls]
    for poll, is_observation in sorted(observed + ignored, key=lambda item: item[0].at_us):
        day, x = clock.wall(poll.at_us)
        if day not in rows:  # a poll at T when T is exactly local midnight: the end of the day before
            day, x = day - 1, x + DAY_US
        rows[day].ticks.append(Tick(x, poll.active, is_observation, clock.second_pass(poll.at_us)))
    for u, before, after in clock.changes:
        if after > before:  # spring forward: these wall times do not exist
            kind, w0, w1 = "skipped", u + before, u + after
        else:  # fall back: these wall times happen twice
            kind, w0, w1 = "repeated", u + after, u + before
        for day, x0, x1 in clock.wall_spans(w0 * US, w1 * US):
            if day in rows:
                getattr(rows[day], kind).append((x0, x1))
    schedules = {d.date: d for d in timeline.days}
    previous: DaySchedule | None = None  # the week's latest weekly date so far
    ordered = [rows[day] for day in sorted(rows)]
    for day_row in ordered:
        schedule = day_row.schedule = schedules.get(day_row.date)
        if schedule is None or schedule.source != WEEKLY:
            continue
        day_row.new_version = schedule.effective_from == day_row.date or (
            previous is not None and previous.effective_from != schedule.effective_from
        )
        previous = schedule
    return ordered


def week_svg(timeline: StoreTimeline) -> str:
    """The timeline of one store's week as a standalone SVG document (see the module doc)."""
    rows = day_rows(timeline)
    height = TOP + len(rows) * (ROW_H + ROW_GAP) + 150
    as_of = from_us(timeline.as_of_us)
    local_as_of = as_of.astimezone(ZoneInfo(timeline.timezone))
    title = f"Store {timeline.store_id} ({timeline.timezone}): the week as of {_iso(as_of)}"
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="svg-title svg-desc" font-family="sans-serif" font-size="11">',
        f'<title id="svg-title">{escape(title)}</title>',
        '<desc id="svg-desc">One row per local calendar date of the week (T - 7 days, T], first and last rows partial; '
        "x axis: local wall time 0-24 h. Green: active; vermillion, hatched: inactive; white: closed; grey: outside "
        "the week. Triangles: polls (up active, down inactive; filled observations, hollow ignored while closed)."
        "</desc>",
        _DEFS,
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">Store {escape(timeline.store_id)}</text>',
        f'<text x="{LEFT}" y="40">Timezone {escape(timeline.timezone)} · week as of {escape(_iso(as_of))} '
        f"({escape(local_as_of.strftime('%Y-%m-%d %H:%M:%S %Z'))} local)</text>",
    ]
    # Hour axis and grid.
    grid_bottom = TOP + len(rows) * (ROW_H + ROW_GAP) - ROW_GAP + 4
    for hour in range(0, 25, 3):
        x = _x(hour * 3600 * US)
        out.append(
            f'<line x1="{x:.3f}" y1="{TOP - 16}" x2="{x:.3f}" y2="{grid_bottom}" stroke="#cccccc" stroke-width="0.5"/>'
        )
        out.append(f'<text x="{x:.3f}" y="{TOP - 20}" text-anchor="middle">{hour:02d}:00</text>')
    for i, day_row in enumerate(rows):
        out.append(_row_svg(day_row, TOP + ROW_GAP // 2 + i * (ROW_H + ROW_GAP) - 4))
    out.append(_legend(TOP + len(rows) * (ROW_H + ROW_GAP) + 16, timeline))
    out.append("</svg>")
    return "\n".join(out) + "\n"


_DEFS = f"""<defs>
<pattern id="inactive-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
<rect width="6" height="6" fill="{VERMILLION}"/><line x1="1" y1="0" x2="1" y2="6" stroke="#ffffff" stroke-width="1.6"/>
</pattern>
<pattern id="no-such-time" patternUnits="userSpaceOnUse" width="6" height="6">
<rect width="6" height="6" fill="{OUTSIDE}"/><path d="M0,0 L6,6 M6,0 L0,6" stroke="#777777" stroke-width="0.7"/>
</pattern>
</defs>"""


def _row_svg(row: DayRow, y: int) -> str:
    label = row.date.strftime("%a %Y-%m-%d")
    source = f' data-source="{row.schedule.source}"' if row.schedule is not None else ""
    parts = [f'<g class="day" data-date="{row.date.isoformat()}"{source} transform="translate(0,{y})">']
    parts.append(f'<text x="{LEFT - 8}" y="{ROW_H // 2 + 4}" text-anchor="end">{label}</text>')
    calendar = row.calendar_label
    if calendar is not None:
        # Above the date, in the date column: the DST note takes the line below it.
        parts.append(
            f'<text class="calendar" x="{LEFT - 8}" y="-3" text-anchor="end" font-size="9" fill="#555555">'
            f"{escape(calendar)}</text>"
        )
    if row.skipped or row.repeated:
        length_h = 24 - sum(b - a for a, b in row.skipped) / 3600 / US + sum(b - a for a, b in row.repeated) / 3600 / US
        parts.append(
            f'<text x="{LEFT - 8}" y="{ROW_H + 9}" text-anchor="end" font-size="9" fill="#555555">'
            f"DST: a {length_h:g}-hour day</text>"
        )
    parts.append(f'<rect class="outside" x="{LEFT}" y="0" width="{PLOT_W}" height="{ROW_H}" fill="{OUTSIDE}"/>')
    for piece in row.pieces:
        top, h = (ROW_H / 2, ROW_H / 2) if piece.second_pass else (0, ROW_H)
        x0, x1 = _x(piece.x0_us), _x(piece.x1_us)
        when = f"{_clock(piece.x0_us)}-{_clock(piece.x1_us)}" + (" (second pass)" if piece.second_pass else "")
        parts.append(
            f'<rect class="{piece.state}" x="{x0:.3f}" y="{top:g}" width="{max(x1 - x0, 0):.3f}" height="{h:g}" '
            f'fill="{FILL[piece.state]}"><title>{piece.state} {when} local</title></rect>'
        )
    for x0_us, x1_us in row.skipped:
        x0, x1 = _x(x0_us), _x(x1_us)
        parts.append(
            f'<rect class="skipped" x="{x0:.3f}" y="0" width="{x1 - x0:.3f}" height="{ROW_H}" '
            'fill="url(#no-such-time)">'
            f"<title>{_clock(x0_us)}-{_clock(x1_us)} does not exist on this date (DST starts)</title></rect>"
        )
    for x0_us, x1_us in row.repeated:
        x0, x1 = _x(x0_us), _x(x1_us)
        parts.append(
            f'<line x1="{x0:.3f}" y1="{ROW_H / 2:g}" x2="{x1:.3f}" y2="{ROW_H / 2:g}" '
            'stroke="#000000" stroke-dasharray="2,2">'
            f"<title>{_clock(x0_us)}-{_clock(x1_us)} happens twice on this date (DST ends): "
            "first pass above, second pass below</title></line>"
        )
    parts.append(
        f'<rect x="{LEFT}" y="0" width="{PLOT_W}" height="{ROW_H}" fill="none" stroke="#888888" stroke-width="0.6"/>'
    )
    for tick in row.ticks:
        parts.append(_tick_svg(tick))
    parts.append("</g>")
    return "\n".join(parts)


def _tick_svg(tick: Tick) -> str:
    x = _x(tick.x_us)
    # Above the row; a second-pass poll of a repeated hour below it.
    base, tip = (ROW_H, ROW_H + 5) if tick.second_pass else (0, -5)
    marker_y = tip + (4 if tick.second_pass else -4)
    kind = "observation" if tick.observation else "ignored"
    status = ACTIVE if tick.active else INACTIVE
    return (
        f'<g class="poll {kind} {status}">'
        f'<line x1="{x:.3f}" y1="{base}" x2="{x:.3f}" y2="{tip}" stroke="#000000" stroke-width="1"/>'
        f"{_marker(x, marker_y, active=tick.active, filled=tick.observation)}"
        f"<title>{'observation' if tick.observation else 'ignored poll (closed)'}: {status} at "
        f"{_clock(tick.x_us)} local</title></g>"
    )


def _marker(x: float, y: float, *, active: bool, filled: bool) -> str:
    """A triangle centred on (x, y): pointing up when active, down when inactive; filled or hollow."""
    s = 3.5
    if active:
        d = f"M{x - s:.3f},{y + s:.3f} L{x + s:.3f},{y + s:.3f} L{x:.3f},{y - s:.3f} Z"
    else:
        d = f"M{x - s:.3f},{y - s:.3f} L{x + s:.3f},{y - s:.3f} L{x:.3f},{y + s:.3f} Z"
    fill = "#000000" if filled else "#ffffff"
    return f'<path d="{d}" fill="{fill}" stroke="#000000" stroke-width="1"/>'


def _legend(y: int, timeline: StoreTimeline) -> str:
    parts = [f'<g class="legend" transform="translate({LEFT},{y})">']
    swatches = [
        ("active", GREEN, "active (open, online)"),
        ("inactive", "url(#inactive-hatch)", "inactive (open, offline)"),
        ("closed", "#ffffff", "closed (outside business hours)"),
        ("outside", OUTSIDE, "outside the week"),
        ("skipped", "url(#no-such-time)", "no such local time (DST)"),
    ]
    x = 0
    for name, fill, text in swatches:
        parts.append(
            f'<rect class="legend-{name}" x="{x}" y="0" width="18" height="12" fill="{fill}" '
            'stroke="#888888" stroke-width="0.6"/>'
            f'<text x="{x + 23}" y="10">{escape(text)}</text>'
        )
        x += 34 + 6 * len(text)
    markers = [
        (True, True, "observation, active"),
        (False, True, "observation, inactive"),
        (True, False, "ignored poll (closed), active"),
        (False, False, "ignored poll (closed), inactive"),
    ]
    x = 0
    for active, filled, text in markers:
        parts.append(f'{_marker(x + 6.0, 30.0, active=active, filled=filled)}<text x="{x + 16}" y="34">{text}</text>')
        x += 28 + 6 * len(text)
    notes = [
        f"Rows are local dates in {timeline.timezone}, oldest first; the first and last are partial.",
        "Segments sit at their local wall time: a skipped DST hour is cross-hatched, a repeated one is drawn twice",
        "(first pass over the whole row, second pass over its lower half, with its polls below the row).",
        "Above a date: 'holiday: closed' or 'special hours' when special rows replace its weekly hours,",
        "'new hours from <date>' when a new version of the weekly hours takes over.",
    ]
    for i, note in enumerate(notes):
        parts.append(f'<text x="0" y="{58 + 15 * i}" fill="#333333">{escape(note)}</text>')
    parts.append("</g>")
    return "\n".join(parts)


def _x(wall_us: int) -> float:
    return LEFT + PLOT_W * wall_us / DAY_US


def _clock(wall_us: int) -> str:
    seconds = wall_us // US
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _iso(instant: dt.datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")
