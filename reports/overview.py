"""The fleet overview (issue 16): one complete report's rows as a table to sort, filter, search and page.

Where each figure comes from
----------------------------
- The six numbers are the report's CSV file as stored, never recomputed: a row of the
  overview is the store's row of the CSV, and the same rounding (docs/numbers.md rule 8).
  Uptime % of a window is uptime / (uptime + downtime) of those rounded numbers; a window
  without open time has none ("—"), and sorts last whichever the direction.
- The status is each store's at the report's T as its shards kept it (reports/status_rows.py,
  the report's own data cutoff and engine run): its latest observation, and since when that
  status holds (the rule 7 switch). A report made before statuses were kept has none.
- Name, brand and timezone are the store's now, among the stores the caller may see (a store
  that moved to another brand since keeps its numbers and loses its name). The timezone is
  the one its hours are read in (rule 4), marked when it is the default.
- Only the rows of the page shown (PAGE_SIZE) get more: their week as a timeline
  (reports/timeline.py) read with the report's data cutoff, which the heartbeat bar draws
  (reports/heartbeat_bars.py); so a bar adds up to its row, and 14,000 stores cost 50 timelines.

What a page costs: the report's rows are parsed once per process and kept (`stored_rows`:
they never change); the stores' names, brands and zones are read for every row only when a
filter, the search or the order needs them, else for the page's rows; the filters' choices
come from one grouped query over the scope's stores.

Order: "worst first" (`sort=worst`, the default) puts first the highest share of the week's
open time down, then the most hours down in the week, then the highest share of the day's
open time down, then the store id; stores closed all week come last. Every column sorts
both ways: `sort=<column>` ascending, `sort=-<column>` descending (`-worst`: best first).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import QuerySet

from brands.access import Caller
from reports import selectors
from reports.engine import PreparedFleet
from reports.fleet import CSV_COLUMNS, NO_OBSERVATION, WEEK_US, BoolArray, FloatArray, Int64Array, from_us, to_us
from reports.models import Report, ReportShard
from reports.status_rows import status_rows_read
from reports.timeline import StoreTimeline, timeline_of
from stores.models import Store
from stores.schedule import DEFAULT_TIMEZONE, resolve_timezone
from stores.selectors import stores_visible

PAGE_SIZE = 50
SEARCH_MAX_CHARS = 200
NO_BRAND = "-"  # the brand filter's value for the stores of no brand (a slug is never "-" alone in practice)
WINDOWS = ("hour", "day", "week")
# Each window's columns of the CSV (uptime, downtime) and unit (rule 8).
WINDOW_COLUMNS = {"hour": (0, 3), "day": (1, 4), "week": (2, 5)}
WINDOW_UNITS = {"hour": "min", "day": "h", "week": "h"}
STATUSES = ("up", "down", "none")
STATUS_WORDS = {"up": "up", "down": "down", "none": "no observation", "unknown": "not recorded"}
# Status codes of `ReportTable.status`, in the order statuses sort ascending: worst first.
_STATUS_CODES = ("none", "down", "up", "unknown")
_CODE = {name: code for code, name in enumerate(_STATUS_CODES)}


@dataclass(slots=True)
class OverviewRow:
    """One store of the report as a page shows it: its CSV row, its status at T, and what the stores
    table says of it."""

    store_id: str
    values: tuple[float, float, float, float, float, float]  # the CSV's, in its column order
    status: str  # "up", "down", "none" (no observation) or "unknown" (not recorded for this report)
    last_us: int | None = None
    since_us: int | None = None  # None: the status held all week (from -inf, rule 7)
    name: str = ""
    brand: str | None = None
    timezone: str | None = None  # the zone its hours are read in; None: the store is not visible any more
    timezone_given: str | None = None
    visible: bool = False

    @property
    def timezone_defaulted(self) -> bool:
        return self.timezone is not None and (self.timezone_given or "").strip() != self.timezone

    def uptime(self, window: str) -> float:
        return self.values[WINDOW_COLUMNS[window][0]]

    def downtime(self, window: str) -> float:
        return self.values[WINDOW_COLUMNS[window][1]]

    def uptime_share(self, window: str) -> float | None:
        """Uptime / open time of the window, 0..1; None without open time."""
        up, down = self.uptime(window), self.downtime(window)
        return up / (up + down) if up + down > 0 else None

    def downtime_share(self, window: str) -> float | None:
        share = self.uptime_share(window)
        return None if share is None else 1.0 - share


# --- the rows of a report, as columns ------------------------------------------------------


@dataclass
class ReportTable:
    """Every row of a complete report as columns, in the CSV's order (by store_id): filtering and
    sorting 14,000 stores are array operations, and only a page's rows become `OverviewRow`s."""

    week_start_us: int  # T - 7 days
    store_ids: list[str]
    values: FloatArray  # (n, 6), the CSV's numbers
    status: npt.NDArray[np.int8]  # _STATUS_CODES
    last_us: Int64Array  # NO_OBSERVATION: none
    since_us: Int64Array  # NO_OBSERVATION: all week
    names: list[str]
    brands: list[str | None]
    zones: list[str | None]  # as used (rule 4); None: not visible to the caller now
    zones_given: list[str | None]
    visible: BoolArray

    def __len__(self) -> int:
        return len(self.store_ids)

    def uptime_share(self, window: str) -> FloatArray:
        """Uptime / open time per row, NaN without open time."""
        up_col, down_col = WINDOW_COLUMNS[window]
        up, down = self.values[:, up_col], self.values[:, down_col]
        open_time = up + down
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(open_time > 0, up / open_time, np.nan)

    def row(self, i: int) -> OverviewRow:
        never = NO_OBSERVATION
        last, since = int(self.last_us[i]), int(self.since_us[i])
        a, b, c, d, e, f = self.values[i].tolist()
        return OverviewRow(
            store_id=self.store_ids[i],
            values=(a, b, c, d, e, f),
            status=_STATUS_CODES[int(self.status[i])],
            last_us=None if last == never else last,
            since_us=None if since == never else since,
            name=self.names[i],
            brand=self.brands[i],
            timezone=self.zones[i],
            timezone_given=self.zones_given[i],
            visible=bool(self.visible[i]),
        )


@dataclass(frozen=True)
class StoredRows:
    """What a complete report holds of its rows, never to change: its CSV's ids and numbers, and the
    statuses its shards kept (as `ReportTable`'s columns), with each id's position."""

    store_ids: list[str]
    values: FloatArray
    status: npt.NDArray[np.int8]
    last_us: Int64Array
    since_us: Int64Array
    position: dict[str, int]


# Parsed reports, newest use last, at most CACHE_ROWS rows in all (a few MB per 14,000 stores):
# a complete report's file and kept statuses never change (a report run again is a new one),
# so a page of it need not read them again. Per process; the lock: gunicorn's threads.
CACHE_ROWS = 200_000
_stored: OrderedDict[uuid.UUID, StoredRows] = OrderedDict()
_stored_lock = threading.Lock()


def stored_rows(report: Report) -> StoredRows:
    """The report's stored rows (`StoredRows`), read once per process while they stay cached."""
    with _stored_lock:
        if (found := _stored.get(report.pk)) is not None:
            _stored.move_to_end(report.pk)
            return found
    rows = _stored_rows_read(report)
    with _stored_lock:
        _stored[report.pk] = rows
        while len(_stored) > 1 and sum(len(r.store_ids) for r in _stored.values()) > CACHE_ROWS:
            _stored.popitem(last=False)
    return rows


def _stored_rows_read(report: Report) -> StoredRows:
    with report.file.open("rb") as raw:
        text = raw.read().decode("utf-8")
    store_ids, values = csv_rows_parse(text, report_id=str(report.id))
    n = len(store_ids)
    position = {store_id: i for i, store_id in enumerate(store_ids)}
    status = np.full(n, _CODE["unknown"], np.int8)
    last_us = np.full(n, NO_OBSERVATION, np.int64)
    since_us = np.full(n, NO_OBSERVATION, np.int64)
    kept = status_rows_read(
        ReportShard.objects.filter(report=report).exclude(status_rows="").values_list("status_rows", flat=True)
    )
    if kept.store_ids:
        at = np.array([position.get(store_id, -1) for store_id in kept.store_ids], np.int64)
        ok = at >= 0
        at, active = at[ok], kept.active[ok]
        status[at] = np.where(active == 1, _CODE["up"], np.where(active == 0, _CODE["down"], _CODE["none"]))
        last_us[at], since_us[at] = kept.last_us[ok], kept.since_us[ok]
    for column in (values, status, last_us, since_us):
        column.flags.writeable = False  # shared by every page of the report: read only
    return StoredRows(store_ids, values, status, last_us, since_us, position)


def csv_rows_parse(text: str, *, report_id: str = "") -> tuple[list[str], FloatArray]:
    """A report CSV's store ids and (n, 6) numbers. Without a quoted field (every real store id) the
    lines are split by hand and the numbers parsed by numpy at once, five times faster than the csv
    module for 14,000 rows; a file with one takes the csv module."""
    header, _, body = text.partition("\n")
    if tuple(header.split(",")) != CSV_COLUMNS:
        raise ValueError(f"report {report_id}: its file does not start with the report's header")
    if '"' in body or "\r" in body:
        rows = list(csv.reader(io.StringIO(body, newline="")))
        numbers = [number for row in rows for number in row[1:]]
        return [row[0] for row in rows], np.array(numbers, dtype=np.float64).reshape(len(rows), 6)
    lines = body.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    pairs = [line.split(",", 1) for line in lines]
    numbers_text = ",".join(rest for _, rest in pairs)
    values = np.array(numbers_text.split(",") if pairs else [], dtype=np.float64).reshape(len(pairs), 6)
    return [store_id for store_id, _ in pairs], values


def report_table(report: Report, *, caller: Caller, described: bool = True) -> ReportTable:
    """Every row of a complete report with its status, and (`described`) its store's name, brand and
    zone now; else those are left for `rows_describe` to fill for the rows a page shows."""
    stored = stored_rows(report)
    n = len(stored.store_ids)
    table = ReportTable(
        to_us(report.as_of) - WEEK_US,
        stored.store_ids,
        stored.values,
        stored.status,
        stored.last_us,
        stored.since_us,
        [""] * n,
        [None] * n,
        [None] * n,
        [None] * n,
        np.zeros(n, bool),
    )
    if described:
        _describe(table, stored.position, report, caller=caller)
    return table


def rows_describe(table: ReportTable, rows: Int64Array, *, caller: Caller) -> None:
    """Name, brand and timezone of the stores of these rows only (a page's), among those the caller
    may see now."""
    position = {table.store_ids[i]: int(i) for i in rows.tolist()}
    for store_id, name, brand, zone in _described(stores_visible(caller).filter(store_id__in=list(position))):
        _fill(table, position[store_id], name, brand, zone)


def needs_every_store(query: OverviewQuery) -> bool:
    """Whether the query's filters or order read every row's name, brand or zone (else a page's do)."""
    return bool(query.brand or query.timezone or query.q) or query.sort in ("name", "brand", "timezone")


def scope_facets(report: Report, *, caller: Caller) -> tuple[list[str], list[str]]:
    """The brands (NO_BRAND for stores of none) and the zones (as used, rule 4) of the report's scope
    as the stores table holds it now, for the filters' choices: one grouped query."""
    stores = _report_scope(stores_visible(caller), report).order_by()
    brands, zones = set(), set()
    for brand, zone in stores.values_list("brand__slug", "timezone_str").distinct():
        brands.add(brand or NO_BRAND)
        zones.add(resolve_timezone(zone))
    return sorted(brands), sorted(zones)


def _describe(table: ReportTable, position: dict[str, int], report: Report, *, caller: Caller) -> None:
    """Name, brand and timezone of each row's store, among those the caller may see now."""
    found = 0
    for store_id, name, brand, zone in _described(_report_scope(stores_visible(caller), report)):
        if (i := position.get(store_id)) is not None:
            _fill(table, i, name, brand, zone)
            found += 1
    if found < len(table):  # stores that moved to another of the caller's brands since the report
        missing = [store_id for store_id, seen in zip(table.store_ids, table.visible.tolist(), strict=True) if not seen]
        for store_id, name, brand, zone in _described(stores_visible(caller).filter(store_id__in=missing)):
            _fill(table, position[store_id], name, brand, zone)


def _described(stores: QuerySet[Store]) -> list[tuple[str, str, str | None, str | None]]:
    """(store_id, name, brand slug, timezone as given) of `stores`, fetched at once: the queryset's
    own SQL, without the ORM's row-by-row iteration (a third of the page's time at 14,000 stores)."""
    sql, params = stores.values_list("store_id", "name", "brand__slug", "timezone_str").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _fill(table: ReportTable, i: int, name: str, brand: str | None, zone: str | None) -> None:
    table.names[i], table.brands[i], table.zones_given[i] = name, brand, zone
    table.zones[i] = resolve_timezone(zone)
    table.visible[i] = True


def _report_scope(stores: QuerySet[Store], report: Report) -> QuerySet[Store]:
    """The stores of the report's scope as the stores table holds them now (one query, no id list
    for a whole brand or fleet)."""
    if report.brand_id is not None:
        stores = stores.filter(brand_id=report.brand_id)
    if report.store_ids is not None:
        stores = stores.filter(store_id__in=report.store_ids)
    return stores


# --- what the URL asks for ------------------------------------------------------------

SORT_COLUMNS = (
    "worst",
    "store",
    "name",
    "brand",
    "timezone",
    "status",
    *(f"uptime_{w}" for w in WINDOWS),
    *(f"downtime_{w}" for w in WINDOWS),
)


@dataclass(frozen=True)
class OverviewQuery:
    """The table's state, as the URL carries it (`overview_query`, `params`)."""

    sort: str = "worst"
    descending: bool = False
    brand: str = ""
    timezone: str = ""
    status: str = ""
    downtime_over: float | None = None
    window: str = "week"
    q: str = ""
    page: int = 1

    @property
    def downtime_over_text(self) -> str:
        """The percentage as the URL writes it: "10", "2.5", "" for none."""
        return "" if self.downtime_over is None else f"{self.downtime_over:g}"

    @property
    def sort_param(self) -> str:
        return ("-" if self.descending else "") + self.sort

    def params(self, **changes) -> dict[str, str]:
        """The query string's parameters of this state (with `changes`), defaults left out."""
        query = replace(self, **changes)
        out = {
            "sort": query.sort_param if query.sort_param != "worst" else "",
            "brand": query.brand,
            "timezone": query.timezone,
            "status": query.status,
            "downtime_over": query.downtime_over_text,
            "window": query.window if query.window != "week" else "",
            "q": query.q,
            "page": str(query.page) if query.page != 1 else "",
        }
        return {k: v for k, v in out.items() if v}

    def query_string(self, **changes) -> str:
        params = self.params(**changes)
        return "?" + urlencode(params) if params else "?"

    @property
    def filtered(self) -> bool:
        return bool(self.brand or self.timezone or self.status or self.downtime_over is not None or self.q)


def overview_query(params: Mapping[str, str]) -> tuple[OverviewQuery, dict[str, str]]:
    """The state a URL's parameters ask for, and what is wrong with them by parameter name: a bad
    parameter is left at its default (the page shows the rest and says why)."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    sort = params.get("sort", "").strip()
    if sort:
        column = sort.removeprefix("-")
        if column in SORT_COLUMNS:
            values["sort"], values["descending"] = column, sort.startswith("-")
        else:
            errors["sort"] = f"unknown column {sort!r}; one of {', '.join(SORT_COLUMNS)}, each with '-' for descending"
    for name in ("brand", "timezone"):
        if value := params.get(name, "").strip():
            values[name] = value
    if status := params.get("status", "").strip():
        if status in STATUSES:
            values["status"] = status
        else:
            errors["status"] = f"{status!r} is not one of {', '.join(STATUSES)}"
    if window := params.get("window", "").strip():
        if window in WINDOWS:
            values["window"] = window
        else:
            errors["window"] = f"{window!r} is not one of {', '.join(WINDOWS)}"
    if over := params.get("downtime_over", "").strip():
        try:
            number = float(over)
        except ValueError:
            number = math.nan
        if 0 <= number <= 100:
            values["downtime_over"] = number
        else:
            errors["downtime_over"] = f"{over!r} is not a percentage from 0 to 100"
    q = params.get("q", "").strip()
    if len(q) > SEARCH_MAX_CHARS:
        errors["q"] = f"at most {SEARCH_MAX_CHARS} characters"
    elif any(ord(c) < 32 for c in q):
        errors["q"] = "one line of text, without control characters (a NUL, a line break, a tab)"
    elif q:
        values["q"] = q
    if page := params.get("page", "").strip():
        if page.isascii() and page.isdigit() and int(page) >= 1:
            values["page"] = int(page)
        else:
            errors["page"] = f"{page!r} is not a page number (1, 2, ...)"
    return OverviewQuery(**values), errors  # type: ignore[arg-type]


def rows_filtered(table: ReportTable, query: OverviewQuery) -> Int64Array:
    """The positions of the rows the query's filters and search keep, in the CSV's order."""
    keep = np.ones(len(table), bool)
    if query.brand:
        brand = None if query.brand == NO_BRAND else query.brand
        keep &= np.array([b == brand for b in table.brands], bool) & table.visible
    if query.timezone:
        keep &= np.array([z == query.timezone for z in table.zones], bool)
    if query.status:
        keep &= table.status == _CODE[query.status]
    if query.downtime_over is not None:
        with np.errstate(invalid="ignore"):
            keep &= (1.0 - table.uptime_share(query.window)) > query.downtime_over / 100  # NaN: never kept
    if query.q:
        needle = query.q.casefold()
        # One text per row, its fields apart by a newline (which the search, one line, never holds).
        haystacks = (
            f"{store_id}\n{name}\n{zone or ''}\n{given or ''}".casefold()
            for store_id, name, zone, given in zip(
                table.store_ids, table.names, table.zones, table.zones_given, strict=True
            )
        )
        keep &= np.fromiter((needle in text for text in haystacks), bool, count=len(table))
    return np.flatnonzero(keep)


def rows_sorted(table: ReportTable, rows: Int64Array, query: OverviewQuery) -> Int64Array:
    """`rows` (positions, in store_id order) in the query's order: ties stay by store_id, ascending,
    and rows without a value (an uptime % without open time, `worst` closed all week) come last."""
    sort, descending = query.sort, query.descending
    if sort == "store":
        return rows[::-1] if descending else rows
    if sort in ("name", "brand", "timezone"):
        text = {
            "name": [name.casefold() for name in table.names],
            "brand": [b or "" for b in table.brands],
            "timezone": [z or "" for z in table.zones],
        }[sort]
        return np.array(sorted(rows.tolist(), key=text.__getitem__, reverse=descending), np.int64)
    sign = -1.0 if descending else 1.0
    if sort == "status":
        # A status that began before the week held all week: one value, -inf, whatever observations read it.
        all_week = (table.since_us == NO_OBSERVATION) | (table.since_us <= table.week_start_us)
        since = np.where(all_week, -np.inf, table.since_us.astype(np.float64))
        keys: tuple[FloatArray, ...] = (sign * since[rows], sign * table.status[rows].astype(np.float64))
    elif sort == "worst":
        # Larger is worse: sort the negated badness ascending (worst first), NaN (no open time) last.
        week_down = 1.0 - table.uptime_share("week")[rows]
        day_down = np.nan_to_num(1.0 - table.uptime_share("day")[rows], nan=0.0)
        keys = (sign * -day_down, sign * -table.values[rows, 5], sign * -week_down)
    elif sort.startswith("uptime_"):
        keys = (sign * table.uptime_share(sort.removeprefix("uptime_"))[rows],)
    else:
        keys = (sign * table.values[rows, WINDOW_COLUMNS[sort.removeprefix("downtime_")][1]],)
    return rows[np.lexsort(keys)]  # stable, NaN last: the last key is the primary one


# --- one page -------------------------------------------------------------------------


@dataclass
class OverviewPage:
    """What the page shows of one report: the page's rows, counts, the choices of each filter, and
    each row's week (`timelines`, by store_id) for its heartbeat bar."""

    report: Report
    query: OverviewQuery
    rows: list[OverviewRow]
    count: int  # rows the filters keep
    total: int  # rows of the report
    page: int
    pages: int
    brands: list[str] = field(default_factory=list)  # of the scope's stores now; "-": stores of no brand
    timezones: list[str] = field(default_factory=list)  # of the scope's stores now, as used
    status_counts: dict[str, int] = field(default_factory=dict)
    timelines: dict[str, StoreTimeline] = field(default_factory=dict)
    has_status: bool = True


def overview_page(report: Report, query: OverviewQuery, *, caller: Caller) -> OverviewPage:
    """The page `query` asks for of a complete report (a page past the last shows the last)."""
    every = needs_every_store(query)
    table = report_table(report, caller=caller, described=every)
    kept = rows_sorted(table, rows_filtered(table, query), query)
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    page = min(query.page, pages)
    page_rows = kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    if not every:
        rows_describe(table, page_rows, caller=caller)
    shown = [table.row(int(i)) for i in page_rows]
    codes = Counter(table.status.tolist())
    brands, zones = scope_facets(report, caller=caller)
    return OverviewPage(
        report=report,
        query=replace(query, page=page),
        rows=shown,
        count=len(kept),
        total=len(table),
        page=page,
        pages=pages,
        brands=brands,
        timezones=zones,
        status_counts={_STATUS_CODES[code]: n for code, n in codes.items()},
        timelines=page_timelines(report, [r.store_id for r in shown if r.visible]),
        has_status=codes.get(_CODE["unknown"], 0) < len(table),
    )


def page_timelines(report: Report, store_ids: list[str]) -> dict[str, StoreTimeline]:
    """The week of each of these stores of the report, as of its T and read up to its data cutoff
    (the report's very input), by store_id: one engine run for them all."""
    if not store_ids:
        return {}
    pks = list(Store.objects.filter(store_id__in=store_ids).values_list("pk", flat=True))
    if not pks:
        return {}
    fleet = selectors.fleet_input(
        as_of=report.as_of, pk_first=min(pks), pk_last=max(pks), only_pks=pks, received_before=report.data_cutoff
    )
    prepared = PreparedFleet(fleet, as_of_us=to_us(report.as_of))
    return {store_id: timeline_of(prepared.explain(i)) for i, store_id in enumerate(fleet.store_ids)}


# --- which report --------------------------------------------------------------------


def report_default(caller: Caller) -> Report | None:
    """The report `/` shows: the latest complete report of the caller's whole scope (the whole
    fleet's for platform staff, else one of all of a brand's stores), else its latest complete
    report of any scope; None when it has none."""
    complete = selectors.reports_visible(caller).filter(status=Report.Status.COMPLETE).order_by("-created_at")
    whole = complete.filter(store_ids__isnull=True)
    if caller.is_staff:
        whole = whole.filter(brand__isnull=True)
    return whole.first() or complete.first()


def report_of_page(caller: Caller, report_id: str) -> Report:
    """The report `/reports/<report_id>` names, if the caller may read it. Raises Report.DoesNotExist
    also for a malformed id and for another brand's report (the page says the same of each)."""
    try:
        key = uuid.UUID(report_id.strip())
    except ValueError:
        raise Report.DoesNotExist from None
    return selectors.report_visible(caller=caller, report_id=key)


# --- words and links ----------------------------------------------------------------------


def instant_param(instant: dt.datetime) -> str:
    """An instant as the URLs carry it: ISO 8601 in UTC with a Z ("2023-01-25T18:00:00Z")."""
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def store_page_url(store_id: str, as_of: dt.datetime) -> str:
    """The store's page as of the report's T (`/stores/<id>?as_of=`)."""
    return f"/stores/{quote(store_id, safe='')}?{urlencode({'as_of': instant_param(as_of)})}"


def local_text(us: int, zone: str) -> str:
    """An instant in the store's local time: "Mon 23 Jan 11:15 EST"."""
    return from_us(us).astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")


def since_text(row: OverviewRow, as_of: dt.datetime) -> str:
    """Since when the row's status holds, in words: "since Mon 23 Jan 11:15 EST" or "all week"."""
    if row.since_us is None or row.since_us <= to_us(as_of) - WEEK_US:
        return "all week"
    return f"since {local_text(row.since_us, row.timezone or DEFAULT_TIMEZONE)}"
