"""A store's week drawn as SVG, one row per local calendar date (issues 7, 16).

Pure rendering: the standard library and `reports.engine`/`fleet`/`timeline`
(and `stores.schedule`'s rule 4), never Django. Input is a
`timeline.StoreTimeline`; output is an SVG document as text, valid XML.

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
- Closed time is blank, active time green, inactive time vermillion with
  diagonal hatching (Okabe-Ito colours plus a pattern, so the states do not
  depend on telling colours apart); a legend explains every mark.
- **No observation is not an observed outage.** A store with no observation at
  or before T is inactive during all its open time (rule 7: no heartbeat means
  not online). That open time is drawn pale and dotted ("no observation: never
  polled, counted as down"), never with the hatch of an outage a poll reported;
  a store with any observation has no such time at all.
- Each segment's `<title>` (its tooltip) gives its state, local start and end
  (with the zone's abbreviation, so a repeated hour reads EDT then EST) and
  its duration; a segment that crosses local midnight has one piece per date,
  each with the whole segment's title.
- The last day (T - 24 h, T] and the last hour (T - 1 h, T] of the report are
  bars under the rows they cover (blue and purple, thick and thin), with a
  dashed line where each starts: the time the report's day and hour values
  measure.
- At each row's end (under the row in the narrow layout), that date's open,
  up and down hours within the week, two decimals as in the report; the row's
  `data-open-us`, `data-up-us` and `data-down-us` hold them in microseconds.
  Open = up + down, as in rule 8.
- Each poll of the week is a tick above its row at its local time: a triangle
  pointing up for active, down for inactive; filled for an observation (a poll
  taken while open, rule 6), hollow for a poll ignored because the store was
  closed.
- A date whose periods came from special rows (rule 11) is labelled
  "holiday: closed" (only closed rows) or "special hours"; a date on which
  another weekly version takes over than on the week's previous weekly date
  (or its version's effective_from) is labelled "new hours from <date>"
  (rule 10). Each row's `data-source` says where its periods came from.
- The store's incidents (rule 12) that overlap the week are outlined over the
  rows they cover (`week_svg(incidents=...)`, reports/store_incidents.py), each
  piece with the incident's tooltip: "incident: open since <local start>" while
  it is open, else "incident <local start> – <local end>, N min" (N its open
  minutes, business hours only). An incident of unknown start (no observation
  before it) is drawn from the week's start and says so. At most
  `INCIDENTS_DRAWN`, the latest, are drawn (`data-incidents` on their group
  counts them all); a store without incidents has no such group.
- A store whose timezone was defaulted (rule 4) says so in its title and
  header: "America/Chicago, the default: 'Eastern Standard Time' is not a
  zone name" (`zone_label`).

Two layouts, light and dark
---------------------------
`WIDE` (1120 units wide, dates left of the rows, totals right of them) is the
picture of the API; `NARROW` (360 units: each date and its DST note on a line
above its row, its totals on a line below, hours labelled every 6 h) is the
same drawing for a phone, where the wide one would shrink its text to 4 px.
Every id is prefixed with the layout's `id_prefix`, so both fit in one HTML
page. Colours are presentation attributes (light) overridden by the embedded
style sheet through CSS variables scoped to `.lm-timeline`, with a
`prefers-color-scheme: dark` block: the picture follows dark mode as a file,
as an `<img>` and inline in a page.

How big it gets
---------------
A pixel column is 24 h / `plot_w` (about 106 s in the wide layout) of a row.
Polls that fall in one column of a row (and pass) are drawn as one tick, in the
worst state (filled if any is an observation; inactive if any of those is),
with `data-polls` their number and a title that counts them. Segments narrower
than a pixel that share a column are drawn as one rect in the worst state
(inactive, then active, then closed), its title giving each state's seconds. A
column holds at most one tick and two rects, so however many polls the week
has, the document is at most `SVG_MAX_BYTES`. A week whose polls and segments
never share a column is drawn exactly: one tick per poll, one rect per piece.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reports.engine import offset_changes
from reports.fleet import DAY_US, HOUR_US, SPECIAL, US, WEEKLY, DaySchedule, from_us
from reports.timeline import ACTIVE, CLOSED, INACTIVE, StoreTimeline
from stores.schedule import resolve_timezone

_EPOCH_DATE = dt.date(1970, 1, 1)

GREEN = "#009E73"  # Okabe-Ito bluish green
VERMILLION = "#D55E00"  # Okabe-Ito vermillion
BLUE = "#0072B2"  # Okabe-Ito blue: the last day
PURPLE = "#CC79A7"  # Okabe-Ito reddish purple: the last hour
OUTSIDE = "#e4e4e4"
UNOBSERVED_FILL = "#fbe3d3"  # pale vermillion: down, but no poll said so
# How inactive open time is drawn when the store has no observation at all (rule 7): not a
# state of the timeline (its numbers are inactive time), a way of drawing it.
UNOBSERVED = "unobserved"
STATE_WORDS = {
    ACTIVE: "active (open, online)",
    INACTIVE: "inactive (open, offline)",
    UNOBSERVED: "no observation (open, never polled: counted as down)",
    CLOSED: "closed (outside business hours)",
}
NEVER_POLLED_NOTE = "No observation at or before T: never polled, counted as down (rule 7)."
# The report's day and hour windows (rule 3) as the picture marks them: (name, length, colour, words).
WINDOW_MARKS = (
    ("day", 24 * HOUR_US, BLUE, "the last day (T − 24 h, T]"),
    ("hour", HOUR_US, PURPLE, "the last hour (T − 1 h, T]"),
)

# At most this many incidents are outlined, the latest (reports.store_incidents.WEEK_INCIDENTS_MAX).
INCIDENTS_DRAWN = 100


@dataclass(frozen=True)
class IncidentMark:
    """An incident as the picture outlines it (rule 12), in UTC microseconds: from `start_us` (its
    first inactive observation when `start_known` is false) to `end_us` (None while open), with its
    open minutes, unrounded."""

    incident_id: int
    start_us: int
    end_us: int | None
    open_minutes: float
    start_known: bool = True


@dataclass(frozen=True)
class Layout:
    """Where the marks go. Rows are `pitch` apart; each row's bar is `row_h` high, with `above`
    units over it (poll ticks; in the narrow layout the date line too) and `below` under it (the
    window bars; in the narrow layout the day's totals too)."""

    name: str
    width: int
    left: int  # x of local midnight on every row
    plot_w: int  # units for 24 h: one pixel column each at scale 1
    row_h: int
    above: int
    below: int
    hour_step: int  # hours between the axis labels
    id_prefix: str  # before every id, so that two pictures fit in one HTML page

    @property
    def wide(self) -> bool:
        return self.name == "wide"

    @property
    def pitch(self) -> int:
        return self.above + self.row_h + self.below

    @property
    def right(self) -> int:
        return self.left + self.plot_w

    def x(self, wall_us: int) -> float:
        """The x of a wall time on a row's axis (local midnight at `left`)."""
        return self.left + self.plot_w * wall_us / DAY_US

    def column(self, wall_us: int) -> int:
        """The pixel column of a wall time on the row's axis (0 at local midnight)."""
        return self.plot_w * wall_us // DAY_US

    def id(self, name: str) -> str:
        return f"{self.id_prefix}{name}"

    def ref(self, name: str) -> str:
        return f"url(#{self.id(name)})"


WIDE = Layout("wide", width=1120, left=130, plot_w=816, row_h=24, above=14, below=12, hour_step=3, id_prefix="")
NARROW = Layout("narrow", width=360, left=8, plot_w=344, row_h=20, above=32, below=22, hour_step=6, id_prefix="n-")
LAYOUTS = {layout.name: layout for layout in (WIDE, NARROW)}
# The wide picture's grid, which the API serves (34 units an hour).
WIDTH, LEFT, PLOT_W, ROW_H = WIDE.width, WIDE.left, WIDE.plot_w, WIDE.row_h
# x of the right edges of the wide layout's totals: open, up, down hours.
_TOTALS_X = (WIDE.right + 68, WIDE.right + 118, WIDE.right + 168)
_TOTALS = (("open", "open"), ("up", ACTIVE), ("down", INACTIVE))


def zone_label(timezone_str: str | None, zone: str) -> str:
    """The zone as the picture and the store page name it: `zone` (the one the hours are read in,
    rule 4) itself, or, when the store was put in the default zone, that and why, e.g.
    "America/Chicago, the default: 'Eastern Standard Time' is not a zone name"."""
    given = (timezone_str or "").strip()
    if given == zone:
        return zone
    if timezone_str is None:
        reason = "no timezone was given"
    elif not given:
        reason = "the timezone given is empty"
    else:
        reason = f"'{given}' is not a zone name"
    return f"{zone}, the default: {reason}"


def zone_defaulted(timezone_str: str | None) -> bool:
    """Whether rule 4 reads the store's hours in the default zone instead of the one given."""
    return (timezone_str or "").strip() != resolve_timezone(timezone_str)


@dataclass(frozen=True)
class Piece:
    """Part of a segment on one local date: wall time [x0_us, x1_us) after local midnight.

    `span` is the whole segment, [start, end) in UTC microseconds, which its tooltip describes."""

    x0_us: int
    x1_us: int
    state: str
    second_pass: bool = False  # in the repeated hour of a fall-back, its second occurrence
    span: tuple[int, int] | None = None


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

    def state_us(self, state: str) -> int:
        """Microseconds of this date, within the week, in `state` (closed, active or inactive)."""
        return sum(p.x1_us - p.x0_us for p in self.pieces if p.state == state)

    @property
    def open_us(self) -> int:
        """Open time of this date within the week: its active plus its inactive time (rule 8)."""
        return self.state_us(ACTIVE) + self.state_us(INACTIVE)


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
                    yield day, Piece(p0 - day * DAY_US, p1 - day * DAY_US, state, second, (a_us, b_us))

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


@dataclass(frozen=True)
class WindowPiece:
    """The part of a report window (rule 3) on one row: wall time [x0_us, x1_us) of `date`."""

    window: str  # "day" or "hour"
    date: dt.date
    x0_us: int
    x1_us: int
    second_pass: bool = False


def window_pieces(timeline: StoreTimeline) -> list[WindowPiece]:
    """Where the last day and the last hour (T - L, T] lie on the rows, cut at local midnights."""
    clock = _LocalClock(timeline.timezone, timeline.week_start_us, timeline.as_of_us)
    return [
        WindowPiece(name, _EPOCH_DATE + dt.timedelta(days=day), p.x0_us, p.x1_us, p.second_pass)
        for name, length_us, _, _ in WINDOW_MARKS
        for day, p in clock.pieces(timeline.as_of_us - length_us, timeline.as_of_us, name)
    ]


# Worst first: what a merged column shows when its pieces or polls differ.
_WORST_FIRST = (INACTIVE, ACTIVE, CLOSED)


@dataclass(frozen=True)
class MergedColumn:
    """Pieces narrower than a pixel that share a pixel column (or adjacent such columns drawn in one
    state): wall time [x0_us, x1_us) and the microseconds of each state in it."""

    x0_us: int
    x1_us: int
    state_us: dict[str, int]
    second_pass: bool = False

    @property
    def state(self) -> str:
        return next(state for state in _WORST_FIRST if self.state_us.get(state))


@dataclass(frozen=True)
class MergedTicks:
    """The polls of adjacent pixel columns that each hold more than one, drawn alike: one tick per
    column in the worst state (filled if any is an observation; inactive if any of those is)."""

    columns: list[int]
    ticks: list[Tick]
    observation: bool
    active: bool
    second_pass: bool


def _drawn_pieces(pieces: list[Piece], layout: Layout) -> list[Piece | MergedColumn]:
    """The pieces of one pass in wall-time order: sub-pixel pieces that share a column merged,
    then adjacent merged columns of one drawn state joined."""
    drawn: list[Piece | MergedColumn] = []
    run: list[Piece] = []

    def flush() -> None:
        if len(run) == 1:
            drawn.append(run[0])
        elif run:
            state_us: dict[str, int] = {}
            for p in run:
                state_us[p.state] = state_us.get(p.state, 0) + p.x1_us - p.x0_us
            merged = MergedColumn(run[0].x0_us, run[-1].x1_us, state_us, run[0].second_pass)
            last = drawn[-1] if drawn else None
            if isinstance(last, MergedColumn) and last.x1_us == merged.x0_us and last.state == merged.state:
                total = {k: last.state_us.get(k, 0) + state_us.get(k, 0) for k in {*last.state_us, *state_us}}
                merged = MergedColumn(last.x0_us, merged.x1_us, total, merged.second_pass)
                drawn.pop()
            drawn.append(merged)
        run.clear()

    for piece in pieces:
        narrow = layout.x(piece.x1_us) - layout.x(piece.x0_us) < 1
        if not (narrow and run and layout.column(piece.x0_us) == layout.column(run[0].x0_us)):
            flush()
        if narrow:
            run.append(piece)
        else:
            drawn.append(piece)
    flush()
    return drawn


def _tick_marks(ticks: list[Tick], layout: Layout) -> list[Tick | MergedTicks]:
    """The row's ticks: a poll alone in its pixel column (and pass) as it is; the polls of a column
    holding several as one merged tick, adjacent merged columns drawn alike as one element."""
    columns: dict[tuple[bool, int], list[Tick]] = {}
    for tick in ticks:
        columns.setdefault((tick.second_pass, layout.column(tick.x_us)), []).append(tick)
    marks: list[Tick | MergedTicks] = []
    for (second_pass, column), group in columns.items():
        if len(group) == 1:
            marks.append(group[0])
            continue
        observations = [t for t in group if t.observation]
        active = all(t.active for t in observations or group)
        last = marks[-1] if marks else None
        if (
            isinstance(last, MergedTicks)
            and last.columns[-1] == column - 1
            and (last.second_pass, last.observation, last.active) == (second_pass, bool(observations), active)
        ):
            last.columns.append(column)
            last.ticks.extend(group)
        else:
            marks.append(MergedTicks([column], list(group), bool(observations), active, second_pass))
    return marks


@dataclass(frozen=True)
class _Drawing:
    """What every mark of one picture needs: where it goes, the zone its tooltips speak in, and
    whether inactive time is drawn as "no observation" (the store has none at or before T)."""

    layout: Layout
    zone: ZoneInfo
    unobserved: bool

    def drawn_state(self, state: str) -> str:
        return UNOBSERVED if state == INACTIVE and self.unobserved else state

    def fill(self, state: str) -> str:
        drawn = self.drawn_state(state)
        if drawn == INACTIVE:
            return self.layout.ref("inactive-hatch")
        if drawn == UNOBSERVED:
            return self.layout.ref("no-observation")
        return GREEN if drawn == ACTIVE else "#ffffff"


def week_svg(
    timeline: StoreTimeline,
    *,
    zone: str | None = None,
    layout: Layout = WIDE,
    incidents: Sequence[IncidentMark] = (),
    incidents_count: int | None = None,
) -> str:
    """The timeline of one store's week as a standalone SVG document (see the module doc).

    `zone` names the timezone in the title and header (`zone_label`, to say it was defaulted);
    None: the zone the hours are read in. `layout`: WIDE (the API's) or NARROW (a phone's).
    `incidents`: the store's incidents overlapping the week, newest first (the first
    INCIDENTS_DRAWN are outlined); `incidents_count`: how many there are (default: as many).
    """
    rows = day_rows(timeline)
    drawing = _Drawing(layout, ZoneInfo(timeline.timezone), unobserved=timeline.never_observed)
    zone = zone or timeline.timezone
    as_of = from_us(timeline.as_of_us)
    local_as_of = as_of.astimezone(drawing.zone)
    title = f"Store {timeline.store_id} ({zone}): the week as of {_iso(as_of)}"
    info = [
        (line, "")
        for line in _wrapped(
            [f"Timezone {zone} · week as of {_iso(as_of)} ({local_as_of:%Y-%m-%d %H:%M:%S %Z} local)"], layout
        )
    ]
    if drawing.unobserved:
        info += [(line, ' class="warn"') for line in _wrapped([NEVER_POLLED_NOTE], layout)]
    axis_y = 40 + 15 * (len(info) - 1) + 24
    rows_top = axis_y + 6 + layout.above  # the first row's bar
    grid_bottom = rows_top + (len(rows) - 1) * layout.pitch + layout.row_h + 4
    legend, legend_h = _legend(timeline, drawing, zone, incidents=bool(incidents))
    legend_y = grid_bottom + layout.below + 14
    height = legend_y + legend_h + 8
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lm-timeline lm-timeline--{layout.name}" '
        f'width="{layout.width}" height="{height}" viewBox="0 0 {layout.width} {height}" role="img" '
        f'aria-labelledby="{layout.id("svg-title")} {layout.id("svg-desc")}" font-family="sans-serif" font-size="11">',
        f'<title id="{layout.id("svg-title")}">{escape(title)}</title>',
        f'<desc id="{layout.id("svg-desc")}">One row per local calendar date of the week (T - 7 days, T], first and '
        "last rows partial; x axis: local wall time 0-24 h. Green: active; vermillion, hatched: inactive (an "
        "observation said offline); pale, dotted: no observation at all, counted as down; blank: closed; grey: "
        "outside the week. Bars under the rows: the last day and the last hour. Each row ends with its open, up "
        "and down hours. Triangles: polls (up active, down inactive; filled observations, hollow ignored while "
        "closed).</desc>",
        _STYLE,
        _defs(layout),
        f'<rect class="bg" x="0" y="0" width="{layout.width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{layout.left}" y="22" font-size="15" font-weight="bold">Store {escape(timeline.store_id)}</text>',
    ]
    for i, (line, css) in enumerate(info):
        out.append(f'<text{css} x="{layout.left}" y="{40 + 15 * i}">{escape(line)}</text>')
    out.extend(_axis(layout, axis_y, grid_bottom))
    for i, day_row in enumerate(rows):
        out.append(_row_svg(day_row, rows_top + i * layout.pitch, drawing))
    out.append(_windows_svg(timeline, rows, rows_top, drawing))
    if incidents:
        count = len(incidents) if incidents_count is None else incidents_count
        out.append(_incidents_svg(timeline, rows, rows_top, drawing, incidents[:INCIDENTS_DRAWN], count))
    out.append(f'<g class="legend" transform="translate({layout.left},{legend_y})">\n{legend}\n</g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# Light colours are the marks' attributes; these rules take over where CSS runs, dark mode included.
# Scoped to the picture's class: inline in an HTML page the sheet applies to the whole document.
_STYLE = """<style>
.lm-timeline { --tl-bg: #ffffff; --tl-text: #1c2330; --tl-muted: #4d5566; --tl-grid: #cccccc; --tl-frame: #888888;
  --tl-closed: #ffffff; --tl-outside: #e4e4e4; --tl-ink: #000000; --tl-paper: #ffffff; --tl-active: #009E73;
  --tl-inactive: #D55E00; --tl-unobserved: #fbe3d3; --tl-cross: #777777; --tl-day: #0072B2; --tl-hour: #CC79A7;
  --tl-warn: #8f3600; }
@media (prefers-color-scheme: dark) {
  .lm-timeline { --tl-bg: #1b212b; --tl-text: #e6e9ef; --tl-muted: #b3bccb; --tl-grid: #3a4456; --tl-frame: #7a8496;
    --tl-closed: #10141a; --tl-outside: #3a4252; --tl-ink: #e6e9ef; --tl-paper: #1b212b; --tl-active: #2fbf94;
    --tl-inactive: #f07b2d; --tl-unobserved: #4a2c1a; --tl-cross: #9aa3b2; --tl-day: #56B4E9; --tl-hour: #e39bc6;
    --tl-warn: #ffc9a6; }
}
.lm-timeline text { fill: var(--tl-text); }
.lm-timeline text.calendar, .lm-timeline text.note, .lm-timeline text.dst { fill: var(--tl-muted); }
.lm-timeline text.warn { fill: var(--tl-warn); font-weight: bold; }
.lm-timeline .bg { fill: var(--tl-bg); }
.lm-timeline .axis-grid { stroke: var(--tl-grid); }
.lm-timeline .frame { stroke: var(--tl-frame); }
.lm-timeline rect.closed, .lm-timeline .legend-closed, .lm-timeline .paper { fill: var(--tl-closed); }
.lm-timeline rect.active, .lm-timeline .legend-active, .lm-timeline .active-fill { fill: var(--tl-active); }
.lm-timeline rect.outside, .lm-timeline .legend-outside, .lm-timeline .outside-fill { fill: var(--tl-outside); }
.lm-timeline .hatch-fill { fill: var(--tl-inactive); }
.lm-timeline .hatch-stripe { stroke: var(--tl-closed); }
.lm-timeline .unobserved-fill { fill: var(--tl-unobserved); }
.lm-timeline .unobserved-dot { fill: var(--tl-inactive); }
.lm-timeline .cross { stroke: var(--tl-cross); }
.lm-timeline .ink { stroke: var(--tl-ink); }
.lm-timeline .mark { stroke: var(--tl-ink); }
.lm-timeline .mark.filled { fill: var(--tl-ink); }
.lm-timeline .mark.hollow { fill: var(--tl-paper); }
.lm-timeline .window-day { fill: var(--tl-day); stroke: var(--tl-day); }
.lm-timeline .window-hour { fill: var(--tl-hour); stroke: var(--tl-hour); }
.lm-timeline line.window-start { fill: none; }
.lm-timeline rect.incident, .lm-timeline .legend-incident { fill: none; stroke: var(--tl-ink); }
</style>"""


def _defs(layout: Layout) -> str:
    """The three patterns: inactive's hatch, no observation's dots, DST's "no such local time"."""
    return "\n".join(
        [
            "<defs>",
            f'<pattern id="{layout.id("inactive-hatch")}" patternUnits="userSpaceOnUse" width="6" height="6" '
            'patternTransform="rotate(45)">',
            f'<rect class="hatch-fill" width="6" height="6" fill="{VERMILLION}"/>'
            '<line class="hatch-stripe" x1="1" y1="0" x2="1" y2="6" stroke="#ffffff" stroke-width="1.6"/>',
            "</pattern>",
            f'<pattern id="{layout.id("no-observation")}" patternUnits="userSpaceOnUse" width="5" height="5">',
            f'<rect class="unobserved-fill" width="5" height="5" fill="{UNOBSERVED_FILL}"/>'
            f'<circle class="unobserved-dot" cx="2.5" cy="2.5" r="1.1" fill="{VERMILLION}"/>',
            "</pattern>",
            f'<pattern id="{layout.id("no-such-time")}" patternUnits="userSpaceOnUse" width="6" height="6">',
            f'<rect class="outside-fill" width="6" height="6" fill="{OUTSIDE}"/>'
            '<path class="cross" d="M0,0 L6,6 M6,0 L0,6" stroke="#777777" stroke-width="0.7"/>',
            "</pattern>",
            "</defs>",
        ]
    )


def _axis(layout: Layout, axis_y: int, grid_bottom: int) -> list[str]:
    """The hour labels and grid lines, and (wide) the totals' column heads."""
    out = []
    for hour in range(0, 25, 3):
        x = layout.x(hour * HOUR_US)
        out.append(
            f'<line class="axis-grid" x1="{x:.3f}" y1="{axis_y + 4}" x2="{x:.3f}" y2="{grid_bottom}" '
            'stroke="#cccccc" stroke-width="0.5"/>'
        )
        if hour % layout.hour_step == 0:
            anchor = "start" if hour == 0 and not layout.wide else "end" if hour == 24 and not layout.wide else "middle"
            out.append(f'<text x="{x:.3f}" y="{axis_y}" text-anchor="{anchor}">{hour:02d}:00</text>')
    if layout.wide:
        for x, (label, _) in zip(_TOTALS_X, _TOTALS, strict=True):
            out.append(f'<text x="{x}" y="{axis_y}" text-anchor="end" font-weight="bold">{label} h</text>')
    return out


def _row_svg(row: DayRow, y: int, drawing: _Drawing) -> str:
    layout = drawing.layout
    label = row.date.strftime("%a %Y-%m-%d")
    source = f' data-source="{row.schedule.source}"' if row.schedule is not None else ""
    totals = (
        f' data-open-us="{row.open_us}" data-up-us="{row.state_us(ACTIVE)}" data-down-us="{row.state_us(INACTIVE)}"'
    )
    parts = [f'<g class="day" data-date="{row.date.isoformat()}"{source}{totals} transform="translate(0,{y})">']
    if layout.wide:
        parts.append(f'<text x="{layout.left - 8}" y="{layout.row_h // 2 + 4}" text-anchor="end">{label}</text>')
    else:
        parts.append(f'<text x="{layout.left}" y="-17" font-weight="bold">{label}</text>')
    calendar = row.calendar_label
    if calendar is not None:
        # Wide: above the date, in the date column (the DST note takes the line below it). Narrow: after the date.
        x, y_text, anchor = (layout.left - 8, -3, "end") if layout.wide else (layout.left + 104, -17, "start")
        parts.append(
            f'<text class="calendar" x="{x}" y="{y_text}" text-anchor="{anchor}" font-size="9" fill="#555555">'
            f"{escape(calendar)}</text>"
        )
    if row.skipped or row.repeated:
        length_h = 24 - sum(b - a for a, b in row.skipped) / 3600 / US + sum(b - a for a, b in row.repeated) / 3600 / US
        x, y_text = (layout.left - 8, layout.row_h + 9) if layout.wide else (layout.right, -17)
        parts.append(
            f'<text class="dst" x="{x}" y="{y_text}" text-anchor="end" font-size="9" fill="#555555">'
            f"DST: a {length_h:g}-hour day</text>"
        )
    parts.append(
        f'<rect class="outside" x="{layout.left}" y="0" width="{layout.plot_w}" height="{layout.row_h}" '
        f'fill="{OUTSIDE}"/>'
    )
    for second_pass in (False, True):
        for piece in _drawn_pieces([p for p in row.pieces if p.second_pass == second_pass], layout):
            parts.append(_piece_svg(piece, drawing))
    for x0_us, x1_us in row.skipped:
        x0, x1 = layout.x(x0_us), layout.x(x1_us)
        parts.append(
            f'<rect class="skipped" x="{x0:.3f}" y="0" width="{x1 - x0:.3f}" height="{layout.row_h}" '
            f'fill="{layout.ref("no-such-time")}">'
            f"<title>{_clock(x0_us)}-{_clock(x1_us)} does not exist on this date (DST starts)</title></rect>"
        )
    for x0_us, x1_us in row.repeated:
        x0, x1 = layout.x(x0_us), layout.x(x1_us)
        parts.append(
            f'<line class="ink" x1="{x0:.3f}" y1="{layout.row_h / 2:g}" x2="{x1:.3f}" y2="{layout.row_h / 2:g}" '
            'stroke="#000000" stroke-dasharray="2,2">'
            f"<title>{_clock(x0_us)}-{_clock(x1_us)} happens twice on this date (DST ends): "
            "first pass above, second pass below</title></line>"
        )
    parts.append(
        f'<rect class="frame" x="{layout.left}" y="0" width="{layout.plot_w}" height="{layout.row_h}" fill="none" '
        'stroke="#888888" stroke-width="0.6"/>'
    )
    for mark in _tick_marks(row.ticks, layout):
        parts.append(_merged_ticks_svg(mark, layout) if isinstance(mark, MergedTicks) else _tick_svg(mark, layout))
    parts.append(_totals_svg(row, layout))
    parts.append("</g>")
    return "\n".join(parts)


def hours_text(us: int) -> str:
    """Microseconds as hours with two decimals, rounded as the report rounds (rule 8)."""
    return f"{round(us / HOUR_US, 2):.2f}"


def _totals_svg(row: DayRow, layout: Layout) -> str:
    """The date's open, up and down hours within the week: right of the row (wide), under it (narrow)."""
    values = {"open": row.open_us, ACTIVE: row.state_us(ACTIVE), INACTIVE: row.state_us(INACTIVE)}
    parts = []
    for i, (label, key) in enumerate(_TOTALS):
        if layout.wide:
            x, y, anchor, text = _TOTALS_X[i], layout.row_h // 2 + 4, "end", hours_text(values[key])
        else:
            x, y, anchor, text = (
                layout.left + 120 * i,
                layout.row_h + 18,
                "start",
                f"{label} {hours_text(values[key])} h",
            )
        size = 11 if layout.wide else 10
        parts.append(
            f'<text class="total total-{label}" x="{x}" y="{y}" text-anchor="{anchor}" font-size="{size}">{text}</text>'
        )
    return "".join(parts)


def _piece_svg(piece: Piece | MergedColumn, drawing: _Drawing) -> str:
    layout = drawing.layout
    top, h = (layout.row_h / 2, layout.row_h / 2) if piece.second_pass else (0, layout.row_h)
    x0, x1 = layout.x(piece.x0_us), layout.x(piece.x1_us)
    drawn = drawing.drawn_state(piece.state)
    if isinstance(piece, MergedColumn):
        when = f"{_clock(piece.x0_us)}-{_clock(piece.x1_us)}" + (" (second pass)" if piece.second_pass else "")
        shares = ", ".join(
            f"{drawing.drawn_state(state)} {piece.state_us[state] / US:g} s"
            for state in _WORST_FIRST
            if state in piece.state_us
        )
        css, label = f"{drawn} merged", f"{when} local (narrower than a pixel): {shares}"
    else:
        css, label = drawn, _piece_title(piece, drawing)
    if drawn == UNOBSERVED:
        css = f"{INACTIVE} {css}"
    return (
        f'<rect class="{css}" x="{x0:.3f}" y="{top:g}" width="{max(x1 - x0, 0):.3f}" height="{h:g}" '
        f'fill="{drawing.fill(piece.state)}"><title>{escape(label)}</title></rect>'
    )


def _piece_title(piece: Piece, drawing: _Drawing) -> str:
    """The tooltip of a piece: its segment's state, local start and end, and duration."""
    if piece.span is None:  # a piece made by hand, not cut from a segment
        return f"{STATE_WORDS[drawing.drawn_state(piece.state)]}: {_clock(piece.x0_us)}-{_clock(piece.x1_us)} local"
    start_us, end_us = piece.span
    return segment_title(drawing.drawn_state(piece.state), start_us, end_us, drawing.zone)


def segment_title(drawn_state: str, start_us: int, end_us: int, zone: ZoneInfo) -> str:
    """ "inactive (open, offline): Mon 2023-01-23 10:44:30 EST to Mon 2023-01-23 12:00:00 EST, 1 h 15 min 30 s"."""
    return (
        f"{STATE_WORDS[drawn_state]}: {local_instant(start_us, zone)} to {local_instant(end_us, zone)}, "
        f"{duration_text(end_us - start_us)}"
    )


def local_instant(instant_us: int, zone: ZoneInfo) -> str:
    """An instant in the store's local time with its zone's abbreviation: "Mon 2023-01-23 10:44:30 EST"."""
    local = from_us(instant_us).astimezone(zone)
    fraction = f".{local.microsecond:06d}".rstrip("0") if local.microsecond else ""
    return f"{local:%a %Y-%m-%d %H:%M:%S}{fraction} {local.tzname()}"


def duration_text(duration_us: int) -> str:
    """A duration in words: "2 d 3 h 4 min 5.5 s"; zero parts left out, "0 s" for none."""
    seconds, micro = divmod(duration_us, US)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    if seconds or micro or not parts:
        parts.append(f"{seconds}{f'.{micro:06d}'.rstrip('0') if micro else ''} s")
    return " ".join(parts)


def _tick_svg(tick: Tick, layout: Layout) -> str:
    x = layout.x(tick.x_us)
    # Above the row; a second-pass poll of a repeated hour below it.
    base, tip = (layout.row_h, layout.row_h + 5) if tick.second_pass else (0, -5)
    marker_y = tip + (4 if tick.second_pass else -4)
    kind = "observation" if tick.observation else "ignored"
    status = ACTIVE if tick.active else INACTIVE
    return (
        f'<g class="poll {kind} {status}">'
        f'<line class="ink" x1="{x:.3f}" y1="{base}" x2="{x:.3f}" y2="{tip}" stroke="#000000" stroke-width="1"/>'
        f"{_marker(x, marker_y, active=tick.active, filled=tick.observation)}"
        f"<title>{'observation' if tick.observation else 'ignored poll (closed)'}: {status} at "
        f"{_clock(tick.x_us)} local</title></g>"
    )


def _merged_ticks_svg(mark: MergedTicks, layout: Layout) -> str:
    """One element for a run of merged columns: a tick per column in one path, and one title."""
    base, tip = (layout.row_h, layout.row_h + 5) if mark.second_pass else (0, -5)
    y = tip + (4 if mark.second_pass else -4)
    s, d = 3.5, []
    for column in mark.columns:
        x = layout.left + column + 0.5  # the column's middle
        triangle = f"M{x - s:g},{y + s:g}h7l-3.5,-7z" if mark.active else f"M{x - s:g},{y - s:g}h7l-3.5,7z"
        d.append(f"M{x:g},{base}V{tip}{triangle}")
    n = len(mark.ticks)
    inactive = sum(not t.active for t in mark.ticks)
    observations = sum(t.observation for t in mark.ticks)
    kind = "observation" if mark.observation else "ignored"
    fill = "filled" if mark.observation else "hollow"
    return (
        f'<g class="poll {kind} {ACTIVE if mark.active else INACTIVE} merged" data-polls="{n}">'
        f'<path class="mark {fill}" d="{"".join(d)}" fill="{"#000000" if mark.observation else "#ffffff"}" '
        f'stroke="#000000" stroke-width="1"/><title>{n} polls {_clock(mark.ticks[0].x_us)}-'
        f"{_clock(mark.ticks[-1].x_us)} local, several a pixel: {n - inactive} active, {inactive} inactive; "
        f"{observations} observations, {n - observations} ignored (closed)</title></g>"
    )


def _marker(x: float, y: float, *, active: bool, filled: bool) -> str:
    """A triangle centred on (x, y): pointing up when active, down when inactive; filled or hollow."""
    s = 3.5
    if active:
        d = f"M{x - s:.3f},{y + s:.3f} L{x + s:.3f},{y + s:.3f} L{x:.3f},{y - s:.3f} Z"
    else:
        d = f"M{x - s:.3f},{y - s:.3f} L{x + s:.3f},{y - s:.3f} L{x:.3f},{y + s:.3f} Z"
    fill, css = ("#000000", "filled") if filled else ("#ffffff", "hollow")
    return f'<path class="mark {css}" d="{d}" fill="{fill}" stroke="#000000" stroke-width="1"/>'


# Under each row's bar: the last day's bar, then the last hour's, each `_WINDOW_H` high.
_WINDOW_Y = {"day": 2.0, "hour": 6.0}
_WINDOW_H = {"day": 3.0, "hour": 2.0}


def _windows_svg(timeline: StoreTimeline, rows: list[DayRow], rows_top: int, drawing: _Drawing) -> str:
    """The last day and the last hour as bars under the rows they cover, a dashed line at each start."""
    layout = drawing.layout
    index = {row.date: i for i, row in enumerate(rows)}
    parts = ['<g class="windows">']
    marks = window_pieces(timeline)
    for name, length_us, colour, words in WINDOW_MARKS:
        start_us = timeline.as_of_us - length_us
        title = escape(
            f"{words}: {local_instant(start_us, drawing.zone)} to {local_instant(timeline.as_of_us, drawing.zone)}"
        )
        pieces = [w for w in marks if w.window == name and w.date in index]
        for w in pieces:
            y = rows_top + index[w.date] * layout.pitch + layout.row_h + _WINDOW_Y[name]
            x0, x1 = layout.x(w.x0_us), layout.x(w.x1_us)
            parts.append(
                f'<rect class="window window-{name}" data-window="{name}" data-date="{w.date.isoformat()}" '
                f'data-x0-us="{w.x0_us}" data-x1-us="{w.x1_us}" x="{x0:.3f}" y="{y:g}" width="{x1 - x0:.3f}" '
                f'height="{_WINDOW_H[name]:g}" fill="{colour}"><title>{title}</title></rect>'
            )
        if pieces:
            first = pieces[0]
            y = rows_top + index[first.date] * layout.pitch
            x = layout.x(first.x0_us)
            parts.append(
                f'<line class="window-start window-{name}" data-window="{name}" data-date="{first.date.isoformat()}" '
                f'x1="{x:.3f}" y1="{y - 2}" x2="{x:.3f}" y2="{y + layout.row_h + _WINDOW_Y[name] + _WINDOW_H[name]:g}" '
                f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="3,2"><title>{title}</title></line>'
            )
    parts.append("</g>")
    return "\n".join(parts)


def incident_title(mark: IncidentMark, zone: ZoneInfo) -> str:
    """ "incident: open since Mon 2023-01-23 10:44:30 EST" while open, else
    "incident Mon 2023-01-23 10:44:30 EST – Mon 2023-01-23 11:50:00 EST, 65.5 min" (open minutes,
    2 decimals as the API rounds them); an unknown start is "before" the first inactive observation."""
    start = local_instant(mark.start_us, zone)
    if not mark.start_known:
        start = f"before {start} (start unknown: no earlier observation)"
    if mark.end_us is None:
        return f"incident: open since {start}"
    return f"incident {start} – {local_instant(mark.end_us, zone)}, {round(mark.open_minutes, 2):g} min"


def _incidents_svg(
    timeline: StoreTimeline,
    rows: list[DayRow],
    rows_top: int,
    drawing: _Drawing,
    incidents: Sequence[IncidentMark],
    count: int,
) -> str:
    """Each incident outlined over the rows it covers within the week, cut at local midnights."""
    layout = drawing.layout
    clock = _LocalClock(timeline.timezone, timeline.week_start_us, timeline.as_of_us)
    index = {row.date: i for i, row in enumerate(rows)}
    parts = [f'<g class="incidents" data-incidents="{count}">']
    for mark in incidents:
        # An unknown start holds from before all time (rule 7): from the week's start.
        lo = timeline.week_start_us if not mark.start_known else max(mark.start_us, timeline.week_start_us)
        hi = timeline.as_of_us if mark.end_us is None else min(mark.end_us, timeline.as_of_us)
        state = "open" if mark.end_us is None else "resolved"
        title = escape(incident_title(mark, drawing.zone))
        # An incident begun at T itself (its first observation) is still drawn, a pixel wide.
        for day, piece in clock.pieces(lo, max(hi, lo + 1), state):
            date = _EPOCH_DATE + dt.timedelta(days=day)
            if date in index:
                y = rows_top + index[date] * layout.pitch - 1.5
                x0, x1 = layout.x(piece.x0_us), layout.x(piece.x1_us)
                parts.append(_incident_rect(mark, state, date, x0, x1, y, layout.row_h + 3, title))
    parts.append("</g>")
    return "\n".join(parts)


def _incident_rect(
    mark: IncidentMark, state: str, date: dt.date, x0: float, x1: float, y: float, h: int, title: str
) -> str:
    return (
        f'<rect class="incident incident-{state}" data-incident-id="{mark.incident_id}" '
        f'data-date="{date.isoformat()}" x="{x0:.3f}" y="{y:g}" width="{max(x1 - x0, 1):.3f}" '
        f'height="{h}" fill="none" stroke="#000000" stroke-width="1.5"><title>{title}</title></rect>'
    )


def _legend(timeline: StoreTimeline, drawing: _Drawing, zone: str, *, incidents: bool = False) -> tuple[str, int]:
    """The legend's marks, flowed into lines as wide as the picture allows, then its notes; and its height."""
    layout = drawing.layout
    available = layout.width - layout.left - 8
    items: list[tuple[int, str]] = []  # (approximate width, markup drawn at x = 0, y = 0)
    swatches = [
        ("active", GREEN, STATE_WORDS[ACTIVE]),
        ("inactive", layout.ref("inactive-hatch"), "inactive (open, offline: a poll said so)"),
        ("unobserved", layout.ref("no-observation"), "no observation: never polled, counted as down"),
        ("closed", "#ffffff", STATE_WORDS[CLOSED]),
        ("outside", OUTSIDE, "outside the week"),
        ("skipped", layout.ref("no-such-time"), "no such local time (DST)"),
    ]
    for name, fill, text in swatches:
        items.append(
            (
                34 + 6 * len(text),
                f'<rect class="legend-{name}" x="0" y="-10" width="18" height="12" fill="{fill}" '
                f'stroke="#888888" stroke-width="0.6"/><text x="23" y="0">{escape(text)}</text>',
            )
        )
    if incidents:
        words = "incident (outlined; hover for its times)"
        items.append(
            (
                34 + 6 * len(words),
                '<rect class="legend-incident" x="0" y="-10" width="18" height="12" fill="none" stroke="#000000" '
                f'stroke-width="1.5"/><text x="23" y="0">{words}</text>',
            )
        )
    for name, _, colour, words in WINDOW_MARKS:
        items.append(
            (
                34 + 6 * len(words),
                f'<rect class="legend-window window-{name}" x="0" y="{-6 + _WINDOW_Y[name] / 2:g}" width="18" '
                f'height="{_WINDOW_H[name]:g}" fill="{colour}"/><text x="23" y="0">{escape(words)}</text>',
            )
        )
    markers = [
        (True, True, "observation, active"),
        (False, True, "observation, inactive"),
        (True, False, "ignored poll (closed), active"),
        (False, False, "ignored poll (closed), inactive"),
    ]
    for active, filled, text in markers:
        items.append(
            (28 + 6 * len(text), f'{_marker(6.0, -4.0, active=active, filled=filled)}<text x="16" y="0">{text}</text>')
        )
    parts, x, y = [], 0, 0
    for width, markup in items:
        if x and x + width > available:
            x, y = 0, y + 20
        parts.append(f'<g transform="translate({x},{y})">{markup}</g>')
        x += width
    totals_where = "At each row's end" if layout.wide else "Under each row"
    notes = [
        f"Rows are local dates in {zone}, oldest first; the first and last are partial.",
        f"{totals_where}: that date's open, up and down hours within the week (open = up + down).",
        "Hover a segment for its local start, end, state and duration.",
        "Segments sit at their local wall time: a skipped DST hour is cross-hatched, a repeated one is drawn twice "
        "(first pass over the whole row, second pass over its lower half, with its polls below the row).",
        "'holiday: closed' or 'special hours' when special rows replace a date's weekly hours; 'new hours from "
        "<date>' when a new version of the weekly hours takes over.",
    ]
    y += 10
    for line in _wrapped(notes, layout):
        y += 15
        parts.append(f'<text class="note" x="0" y="{y}" fill="#333333">{escape(line)}</text>')
    return "\n".join(parts), y + 10


def _wrapped(lines: list[str], layout: Layout) -> list[str]:
    """`lines` cut to the picture's width (about 6 units a character at 11 px)."""
    chars = (layout.width - layout.left - 8) // 6
    return [part for line in lines for part in textwrap.wrap(line, chars)]


def _clock(wall_us: int) -> str:
    seconds = wall_us // US
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _iso(instant: dt.datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


# The parts of a document that do not grow with the polls and segments (module doc, "How big it
# gets"): the header, style sheet, axis and legend, and each row's labels, frame, totals and window
# marks; measured well below these at their longest (64-character store id and zone name, escaped).
FIXED_BYTES = 24_000
ROW_FIXED_BYTES = 4_000


def _largest_bytes() -> int:
    """The largest document, in bytes (module doc, "How big it gets"), from the longest form of each mark.

    A row has `plot_w` + 1 pixel columns (24:00 is the last edge), plus those of a repeated hour's
    second pass (at most 2 hours' worth); each column of a pass starts at most two rects (a piece
    a pixel or wider, a merged run) and one tick mark. Counts and seconds in titles get room for
    12 digits each, a tooltip's two local instants room for a 6-letter zone abbreviation each.
    The wide layout has the most columns, so it is the largest.
    """
    far = DAY_US - 1
    drawing = _Drawing(WIDE, ZoneInfo("UTC"), unobserved=True)
    merged = MergedColumn(far - 2, far, {INACTIVE: 1, ACTIVE: 1, CLOSED: 1}, True)
    week = (1_000_000 * DAY_US + 999_999, 1_000_006 * DAY_US + 23 * HOUR_US + 3599 * US + 999_998)
    rect = max(
        len(_piece_svg(merged, drawing)) + 3 * 12,
        len(_piece_svg(Piece(0, far, INACTIVE, True, week), drawing)) + 2 * 6,
    )
    one_column = MergedTicks([WIDE.plot_w], [Tick(far, False, True, True)] * 2, True, False, True)
    tick = max(len(_tick_svg(Tick(far, False, False, True), WIDE)), len(_merged_ticks_svg(one_column, WIDE)) + 5 * 12)
    columns = WIDE.plot_w + 1 + WIDE.plot_w // 12
    # An incident's outline: a rect per row it covers (8 rows, plus a repeated hour's second pass),
    # its title with two local instants and a 12-digit number of minutes, a 20-digit id.
    outlined = IncidentMark(10**19, week[0], week[1], 1e12, False)
    title = escape(incident_title(outlined, ZoneInfo("UTC")))
    outline = 9 * (len(_incident_rect(outlined, "resolved", dt.date.max, 1e4, 1e4, 1e5, 100, title)) + 2 * 6 + 1)
    grid = FIXED_BYTES + 8 * (ROW_FIXED_BYTES + columns * (2 * (rect + 1) + tick + 1))
    return grid + INCIDENTS_DRAWN * outline


SVG_MAX_BYTES = _largest_bytes()
