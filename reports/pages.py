"""The web page: the fleet overview at `/` and `/reports/<id>`, plus the tools below it.

The overview is rendered on the server from one report's stored numbers (reports/overview.py):
sorting, filters, search and pages are links and a GET form, so every view of it is a URL
that survives a reload and can be shared. Below it the page keeps its plain JavaScript
tools over the public API (reports/static/reports/app.js): trigger and watch a report,
list reports, look a store up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.generic import TemplateView

from brands.access import caller_of
from reports import heartbeat_bars, overview
from reports.fleet import from_us
from reports.models import Report
from reports.overview import OverviewPage, OverviewQuery, OverviewRow

# (sort key, heading, whether the first click sorts descending: numbers of trouble worst first)
_COLUMNS = (
    ("store", "Store", False),
    ("name", "name", False),
    ("brand", "Brand", False),
    ("timezone", "Timezone", False),
    ("status", "Status at T", False),
    ("uptime_hour", "Up, hour", False),
    ("downtime_hour", "Down, hour", True),
    ("uptime_day", "Up, day", False),
    ("downtime_day", "Down, day", True),
    ("uptime_week", "Up, week", False),
    ("downtime_week", "Down, week", True),
    ("worst", "Week", False),
)


@dataclass
class Column:
    key: str
    label: str
    url: str  # the link that sorts by it (the other way round when it is the order already)
    aria_sort: str  # "ascending", "descending" or "" (not the order)
    numeric: bool
    also: Column | None = None  # a second sort link in the same heading (the store's name)

    @property
    def heading_sort(self) -> str:
        """The heading's aria-sort: the column is the order by either of its links."""
        return self.aria_sort or (self.also.aria_sort if self.also else "")


@dataclass
class WindowCell:
    window: str
    share_text: str  # "93.8 %" or "—" (no open time)
    down_text: str  # "3.25 h"
    down_value: float
    share: float | None


@dataclass
class RowView:
    """One row as the template shows it."""

    row: OverviewRow
    url: str
    symbol: str  # the heartbeat's symbol id, "" without one
    status_word: str
    last_text: str
    last_iso: str
    since_text: str
    windows: list[WindowCell]
    bar_label: str
    timezone_note: str


def _columns(query: OverviewQuery, *, with_brand: bool) -> list[Column]:
    """The table's headings, each a link sorting by its column (the name shares the store's heading)."""
    columns: list[Column] = []
    for key, label, first_descending in _COLUMNS:
        if key == "brand" and not with_brand:
            continue
        current = query.sort == key
        descending = (not query.descending) if current else first_descending
        aria = ("descending" if query.descending else "ascending") if current else ""
        if key == "worst" and current:
            aria = "ascending" if query.descending else "descending"  # worst first: badness descending
        url = query.query_string(sort=key, descending=descending, page=1)
        column = Column(key, label, url, aria, key.startswith(("uptime", "downtime")))
        if key == "name":
            columns[-1].also = column
        else:
            columns.append(column)
    return columns


def _row_view(row: OverviewRow, page: OverviewPage, symbol: str) -> RowView:
    as_of = page.report.as_of
    zone = row.timezone or "UTC"
    windows = []
    for window in overview.WINDOWS:
        share = row.uptime_share(window)
        windows.append(
            WindowCell(
                window,
                "—" if share is None else f"{100 * share:.1f} %",
                f"{row.downtime(window):g} {overview.WINDOW_UNITS[window]}",
                row.downtime(window),
                share,
            )
        )
    week = row.uptime_share("week")
    bar_label = (
        f"The week of store {row.store_id}: closed all week"
        if week is None
        else f"The week of store {row.store_id}: up {100 * week:.1f} % of its open time, "
        f"down {row.downtime('week'):g} h"
    )
    if row.status == "none":
        bar_label += "; never observed: its open time counts as down"
    note = ""
    if row.timezone_defaulted:
        given = (row.timezone_given or "").strip()
        note = f"the default: {given!r} is not a zone name" if given else "the default: no timezone was given"
    return RowView(
        row=row,
        url=overview.store_page_url(row.store_id, as_of),
        symbol=symbol,
        status_word=overview.STATUS_WORDS[row.status],
        last_text="" if row.last_us is None else overview.local_text(row.last_us, zone),
        last_iso="" if row.last_us is None else overview.instant_param(from_us(row.last_us)),
        since_text=overview.since_text(row, as_of) if row.status in ("up", "down") else "",
        windows=windows,
        bar_label=bar_label,
        timezone_note=note,
    )


def _order_text(query: OverviewQuery) -> str:
    """The order in words: "worst first (the share of the week's open time down)", "by Down, day, descending"."""
    if query.sort == "worst":
        return f"{'best' if query.descending else 'worst'} first (by the share of the week's open time down)"
    label = next(label for key, label, _ in _COLUMNS if key == query.sort)
    return f"by {label}, {'descending' if query.descending else 'ascending'}"


def _overview_context(request, page: OverviewPage, *, staff: bool) -> dict:
    query = page.query
    symbols = {store_id: f"hb-{i}" for i, store_id in enumerate(page.timelines)}
    rows = [_row_view(r, page, symbols.get(r.store_id, "")) for r in page.rows]
    with_brand = staff or len(page.brands) > 1
    return {
        "page": page,
        "query": query,
        "columns": _columns(query, with_brand=with_brand),
        "with_brand": with_brand,
        "rows": rows,
        "sprite": mark_safe(  # noqa: S308 - built by reports.heartbeat_bars, every value escaped there
            heartbeat_bars.heartbeat_sprite([(symbols[s], line) for s, line in page.timelines.items()])
        ),
        "first": (page.page - 1) * overview.PAGE_SIZE + 1 if page.rows else 0,
        "last": (page.page - 1) * overview.PAGE_SIZE + len(page.rows),
        "prev_url": query.query_string(page=page.page - 1) if page.page > 1 else "",
        "next_url": query.query_string(page=page.page + 1) if page.page < page.pages else "",
        "first_url": query.query_string(page=1) if page.page > 1 else "",
        "last_url": query.query_string(page=page.pages) if page.page < page.pages else "",
        "clear_url": OverviewQuery(sort=query.sort, descending=query.descending).query_string(),
        "statuses": [
            (s, overview.STATUS_WORDS[s], page.status_counts.get(s, 0), query.query_string(status=s, page=1))
            for s in overview.STATUSES
        ],
        "order_text": _order_text(query),
        "windows": overview.WINDOWS,
        "no_brand": overview.NO_BRAND,
        "as_of_param": overview.instant_param(page.report.as_of),
        "as_of_text": page.report.as_of.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


# The page posts to /trigger_report with the token from the `csrftoken` cookie
# (X-CSRFToken); the template never renders {% csrf_token %}, so the cookie has
# to be set explicitly.
@method_decorator(ensure_csrf_cookie, name="dispatch")
class IndexView(LoginRequiredMixin, TemplateView):
    """GET /: the fleet overview of the caller's latest complete report, then the tools (trigger
    and watch reports, list them, look a store up). Logged-in people; the API calls ride on the session."""

    template_name = "reports/index.html"

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return self.overview(request, overview.report_default(caller_of(request)), chosen=False)

    def overview(self, request, report: Report | None, *, chosen: bool) -> HttpResponse:
        """The page showing `report` (None: there is none yet) as the URL's query asks; 400 when
        a parameter is wrong (the page then says which, and shows the rest)."""
        caller = caller_of(request)
        query, errors = overview.overview_query(request.GET)
        context: dict = {"report": report, "chosen": chosen, "errors": errors, "staff": caller.is_staff}
        if report is not None and report.status == Report.Status.COMPLETE:
            try:
                page = overview.overview_page(report, query, caller=caller)
            except (OSError, ValueError) as exc:  # its file gone or not a report's: say so, never a 500
                context["file_error"] = str(exc)
            else:
                context.update(_overview_context(request, page, staff=caller.is_staff))
        return self.render_to_response(context, status=400 if errors else 200)


class ReportPageView(IndexView):
    """GET /reports/<report_id>: the same page, showing that report (another brand's, or none such: 404)."""

    def get(self, request, *args, **kwargs) -> HttpResponse:
        report_id = kwargs["report_id"]
        try:
            report = overview.report_of_page(caller_of(request), report_id)
        except Report.DoesNotExist:
            return render(request, "reports/report_missing.html", {"report_id": report_id}, status=404)
        return self.overview(request, report, chosen=True)
