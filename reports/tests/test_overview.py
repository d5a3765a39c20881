"""The fleet overview (issue 16): a report's rows on the page at / and /reports/<id>, on a generated
fleet of 300 stores in two brands (stores/generator.py), loaded and reported for real (PostgreSQL,
the eager path of the workers' services).

The page is read as a person reads it, from its HTML: each row's numbers (`data-value`), the
order of the rows, the count, the heartbeat bars' rectangles; what they must be is worked out
here from the report's CSV and the stores' API, independently of reports/overview.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from brands.models import Brand, Membership, Role
from reports import selectors, services
from reports.engine import PreparedFleet
from reports.fleet import NO_OBSERVATION, US, WEEK_US, to_us
from reports.models import Report, ReportShard
from reports.tests.test_engine_status import expected_status
from stores.generator import generate
from stores.models import Store
from stores.schedule import resolve_timezone

pytestmark = pytest.mark.django_db

STORES = 300
PAGE = 50
WINDOWS = ("hour", "day", "week")
COLUMNS = {"hour": (1, 4), "day": (2, 5), "week": (3, 6)}  # the CSV's (uptime, downtime) columns
SORTS = (
    "worst",
    "store",
    "name",
    "brand",
    "timezone",
    "status",
    *(f"uptime_{w}" for w in WINDOWS),
    *(f"downtime_{w}" for w in WINDOWS),
)


# --- the fleet and its reports -------------------------------------------------------------


@dataclass
class Fleet:
    report: Report  # the whole fleet's (staff)
    demo: Report  # brand demo's
    csv: dict[str, list[float]]  # the staff report's CSV: store_id -> six numbers
    stores: dict[str, tuple[str, str | None, str | None]]  # store_id -> (name, brand, timezone as given)
    statuses: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # store_id -> (status, since)


def _csv_rows(client, report: Report) -> dict[str, list[float]]:
    answer: Any = client.get(f"/get_report/{report.id}")
    assert answer.status_code == 200 and answer["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    return {r[0]: [float(v) for v in r[1:]] for r in rows[1:]}


@pytest.fixture
def fleet(tmp_path, eager_tasks, admin_client) -> Fleet:
    generate(tmp_path / "fleet", stores=STORES, days=7.75, seed=16, brands=2)
    call_command("load_data", "--dir", str(tmp_path / "fleet"), stdout=io.StringIO(), stderr=io.StringIO())
    report = services.report_create()
    demo = services.report_create(brand_id=Brand.objects.get(slug="demo").pk)
    report.refresh_from_db()
    demo.refresh_from_db()
    assert report.status == demo.status == Report.Status.COMPLETE
    stores: dict[str, tuple[str, str | None, str | None]] = {
        s: (n, b, z) for s, n, b, z in Store.objects.values_list("store_id", "name", "brand__slug", "timezone_str")
    }
    return Fleet(report, demo, _csv_rows(admin_client, report), stores)


def member_client(django_user_model, slug: str, role: str = Role.VIEWER) -> Client:
    person = django_user_model.objects.create_user(f"{slug}-{uuid.uuid4().hex[:6]}", password="pw-for-tests-1")
    Membership.objects.create(user=person, brand=Brand.objects.get(slug=slug), role=role)
    client = Client()
    client.force_login(person)
    return client


# --- reading the page ------------------------------------------------------------------------


@dataclass
class Row:
    store_id: str
    values: dict[str, str]  # data-field -> data-value (or the cell's text when it has none)
    status: str
    symbol: str = ""


class OverviewParser(HTMLParser):
    """The overview's rows, the heartbeat symbols (id -> [(class, x, width)]), the count line."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self.symbols: dict[str, list[tuple[str, str, str]]] = {}
        self.symbol_stores: dict[str, str] = {}
        self.count = ""
        self._field: str | None = None
        self._symbol: str | None = None
        self._in_count = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-store-id" in a:
            self.rows.append(Row(a["data-store-id"], {}, a["data-status"]))
        elif self.rows and tag in ("td", "span") and "data-field" in a:
            self.rows[-1].values[a["data-field"]] = a.get("data-value", "")
            self._field = a["data-field"] if "data-value" not in a else None
        elif tag == "symbol":
            self._symbol = a["id"]
            self.symbols[a["id"]] = []
            self.symbol_stores[a["id"]] = a["data-store-id"]
        elif tag == "rect" and self._symbol:
            self.symbols[self._symbol].append((a["class"], a["x"], a["width"]))
        elif tag == "svg" and "data-symbol" in a and self.rows:
            self.rows[-1].symbol = a["data-symbol"]
        elif tag == "p" and a.get("id") == "overview-count":
            self._in_count = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "symbol":
            self._symbol = None
        elif tag in ("td", "span"):
            self._field = None
        elif tag == "p":
            self._in_count = False

    def handle_data(self, data: str) -> None:
        if self._field and self.rows:
            self.rows[-1].values[self._field] += data.strip()
        if self._in_count:
            self.count += data


def page_of(client, url: str, status: int = 200) -> OverviewParser:
    answer = client.get(url)
    assert answer.status_code == status, (url, answer.content[:500])
    parser = OverviewParser()
    parser.feed(answer.content.decode())
    return parser


def matching(page: OverviewParser) -> int:
    """How many rows the page's count line says match: "Stores 1–50 of 300"."""
    found = re.search(r"–\d+ of (\d+)", page.count)
    return int(found.group(1)) if found else 0


def every_row(client, url: str) -> list[Row]:
    """The rows of every page of `url`, in order."""
    joiner = "&" if "?" in url else "?"
    first = page_of(client, url)
    rows = list(first.rows)
    for page in range(2, -(-matching(first) // PAGE) + 1):
        rows += page_of(client, f"{url}{joiner}page={page}").rows
    assert len(rows) == matching(first), url
    return rows


# --- what the rows must be, from the CSV ------------------------------------------------------


def share(row: list[float], window: str) -> float | None:
    up, down = (row[c - 1] for c in COLUMNS[window])
    return up / (up + down) if up + down > 0 else None


def expected_order(fleet: Fleet, sort: str, ids: list[str]) -> list[str]:
    """`ids` in the order `sort` (a column, "-" first for descending) asks for: ties by store id,
    ascending; rows without a value last."""
    descending, column = sort.startswith("-"), sort.removeprefix("-")
    by_id = sorted(ids)
    if column == "store":
        return by_id[::-1] if descending else by_id

    def value(store_id: str) -> Any:
        row = fleet.csv[store_id]
        name, brand, given = fleet.stores[store_id]
        if column == "worst":
            week = share(row, "week")
            day = share(row, "day")
            return None if week is None else (1 - week, row[5], 0.0 if day is None else 1 - day)
        if column == "name":
            return name.casefold()
        if column == "brand":
            return brand or ""
        if column == "timezone":
            return resolve_timezone(given)
        if column == "status":
            status, since = fleet.statuses[store_id]
            return ({"none": 0, "down": 1, "up": 2}[status], -math.inf if since is None else since)
        if column.startswith("uptime_"):
            return share(row, column.removeprefix("uptime_"))
        return row[COLUMNS[column.removeprefix("downtime_")][1] - 1]

    present = [s for s in by_id if value(s) is not None]
    # worst first is the largest badness first; "-worst" the reverse
    reverse = (not descending) if column == "worst" else descending
    return sorted(present, key=value, reverse=reverse) + [s for s in by_id if value(s) is None]


def assert_rows_are_the_csvs(fleet: Fleet, rows: list[Row]) -> None:
    for row in rows:
        want = fleet.csv[row.store_id]
        for window in WINDOWS:
            up_col, down_col = COLUMNS[window]
            assert float(row.values[f"downtime_{window}"]) == want[down_col - 1], (row.store_id, window)
            got_share = row.values[f"uptime_{window}"]
            expected = share(want, window)
            assert (float(got_share) if got_share else None) == expected, (row.store_id, window)


def statuses_of(fleet: Fleet) -> None:
    """Each store's status at T, read from its explanation one observation at a time (the engine's
    input for the whole fleet, not the report's kept statuses); a status that began before the week
    held all week (since None)."""
    report = fleet.report
    pks = list(Store.objects.values_list("pk", flat=True))
    engine_input = selectors.fleet_input(
        as_of=report.as_of, pk_first=min(pks), pk_last=max(pks), received_before=report.data_cutoff
    )
    prepared = PreparedFleet(engine_input, as_of_us=to_us(report.as_of))
    week_start = to_us(report.as_of) - WEEK_US
    for i, store_id in enumerate(engine_input.store_ids):
        last, active, since = expected_status(prepared.explain(i))
        if last == NO_OBSERVATION:
            fleet.statuses[store_id] = ("none", None)
        else:
            fleet.statuses[store_id] = ("up" if active else "down", None if since <= week_start else since)
    assert set(fleet.statuses) == set(fleet.csv)


# --- the tests ---------------------------------------------------------------------------------


def test_every_sort_order_starts_with_the_rows_it_should_with_their_csv_numbers(fleet, admin_client):
    # given each store's status (for the status column's order)
    statuses_of(fleet)
    for column in SORTS:
        for sort in (column, f"-{column}"):
            # when the first page is read in that order
            rows = page_of(admin_client, f"/reports/{fleet.report.id}?sort={sort}").rows

            # then its rows are the first of that order, each its CSV row
            assert [r.store_id for r in rows] == expected_order(fleet, sort, list(fleet.csv))[:PAGE], sort
            assert_rows_are_the_csvs(fleet, rows)


@pytest.mark.slow
def test_every_sort_order_shows_every_row_of_the_csv_in_that_order(fleet, admin_client):
    statuses_of(fleet)
    url = f"/reports/{fleet.report.id}"
    for column in SORTS:
        for sort in (column, f"-{column}"):
            # when every page is read in that order
            rows = every_row(admin_client, f"{url}?sort={sort}")

            # then each row is its CSV row, every store once, in the order the column says
            assert len(rows) == STORES, sort
            assert [r.store_id for r in rows] == expected_order(fleet, sort, list(fleet.csv)), sort
            assert_rows_are_the_csvs(fleet, rows)


def test_the_default_order_is_worst_first_and_the_status_is_the_store_apis(fleet, admin_client):
    statuses_of(fleet)

    rows = every_row(admin_client, "/")  # the latest complete report of the whole fleet: staff's

    assert [r.store_id for r in rows] == expected_order(fleet, "worst", list(fleet.csv))
    assert {r.store_id: r.status for r in rows} == {s: status for s, (status, _) in fleet.statuses.items()}
    assert {"up", "down", "none"} <= {r.status for r in rows}  # the fleet has all three
    # and the last observation shown is the last the store API lists, at the report's T
    as_of = fleet.report.as_of.isoformat().replace("+00:00", "Z")
    for row in rows[:PAGE]:
        observations = admin_client.get(f"/api/stores/{row.store_id}/uptime", {"as_of": as_of}).json()["observations"]
        shown = row.values.get("last_observation", "")
        assert shown == (observations[-1]["observed_at"].replace("+00:00", "Z") if observations else ""), row.store_id


FILTERS = {
    "status=down": lambda f, s: f.statuses[s][0] == "down",
    "status=none": lambda f, s: f.statuses[s][0] == "none",
    "timezone=America/New_York": lambda f, s: resolve_timezone(f.stores[s][2]) == "America/New_York",
    "timezone=America/Chicago": lambda f, s: resolve_timezone(f.stores[s][2]) == "America/Chicago",
    "brand=demo": lambda f, s: f.stores[s][1] == "demo",
    "downtime_over=20": lambda f, s: (w := share(f.csv[s], "week")) is not None and 1 - w > 0.20,
    "downtime_over=50&window=day": lambda f, s: (d := share(f.csv[s], "day")) is not None and 1 - d > 0.50,
    "downtime_over=0&window=hour": lambda f, s: (h := share(f.csv[s], "hour")) is not None and 1 - h > 0,
    "q=other 1": lambda f, s: "other 1" in f.stores[s][0].casefold(),
    "q=los_angeles": lambda f, s: "los_angeles" in resolve_timezone(f.stores[s][2]).casefold(),
    "status=up&brand=other&downtime_over=5&sort=-downtime_day": lambda f, s: (
        f.statuses[s][0] == "up" and f.stores[s][1] == "other" and 1 - (share(f.csv[s], "week") or 1) > 0.05
    ),
}


def test_each_filter_keeps_exactly_the_rows_it_names_with_their_csv_numbers(fleet, admin_client):
    statuses_of(fleet)
    # a zone as given that is no zone name (rule 4: read in America/Chicago) is found as given
    bad = next(z.strip() for _, _, z in fleet.stores.values() if z and z.strip() and resolve_timezone(z) != z.strip())
    filters = {**FILTERS, f"q={bad}": lambda f, s: bad.casefold() in (f.stores[s][2] or "").casefold()}
    for query, keeps in filters.items():
        rows = every_row(admin_client, f"/reports/{fleet.report.id}?{query}")

        wanted = [s for s in fleet.csv if keeps(fleet, s)]
        assert wanted, f"{query}: the fleet has no such store, the test would prove nothing"
        sort = dict(p.split("=") for p in query.split("&")).get("sort", "worst")
        assert [r.store_id for r in rows] == expected_order(fleet, sort, wanted), query
        assert_rows_are_the_csvs(fleet, rows)
        count = page_of(admin_client, f"/reports/{fleet.report.id}?{query}").count
        assert f"of {len(wanted)} matching (of {STORES})" in " ".join(count.split()), (query, count)


def test_a_heartbeat_bar_is_the_stores_timeline(fleet, admin_client):
    as_of = fleet.report.as_of.isoformat().replace("+00:00", "Z")
    week_start = to_us(fleet.report.as_of) - WEEK_US
    for sort in ("worst", "-worst", "status"):
        page = page_of(admin_client, f"/reports/{fleet.report.id}?sort={sort}")
        assert len(page.rows) == PAGE and len(page.symbols) == PAGE  # one sprite: a symbol per row
        for row in page.rows:
            assert page.symbol_stores[row.symbol] == row.store_id
            body = admin_client.get(f"/api/stores/{row.store_id}/uptime", {"as_of": as_of}).json()
            never = not body["observations"]
            want = [
                (
                    "hb-n" if never and s["state"] == "inactive" else f"hb-{s['state'][0]}",
                    _us(s["start"]),
                    _us(s["end"]),
                )
                for s in body["timeline"]
            ]
            got = [
                (cls, week_start + _sec_us(x), week_start + _sec_us(x) + _sec_us(width))
                for cls, x, width in page.symbols[row.symbol]
            ]
            assert got == want, row.store_id


def _us(iso: str) -> int:
    return to_us(dt.datetime.fromisoformat(iso))


def _sec_us(text: str) -> int:
    whole, _, part = text.partition(".")
    return int(whole) * US + int((part + "000000")[:6])


def test_a_brand_member_sees_their_brands_report_only(fleet, django_user_model):
    demo = member_client(django_user_model, "demo")
    other = member_client(django_user_model, "other")
    demo_ids = sorted(s for s, (_, brand, _) in fleet.stores.items() if brand == "demo")

    # `/` shows the member's brand's latest complete report: demo's rows, nothing else
    rows = every_row(demo, "/")
    assert sorted(r.store_id for r in rows) == demo_ids
    # and another brand's (or the whole fleet's) report is not found, exactly like one that does not exist
    missing = str(uuid.uuid4())
    bodies = {}
    for report_id in (str(fleet.report.id), str(fleet.demo.id), missing):
        answer = other.get(f"/reports/{report_id}")
        assert answer.status_code == 404
        # The logout form's CSRF token differs in every answer, whatever the report: not a sign of it.
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "<csrf>", answer.content.decode())
        bodies[report_id] = page.replace(report_id, "<id>")
    assert len(set(bodies.values())) == 1
    # other has no report of its own: its page says so, and shows none of demo's
    html = other.get("/").content.decode()
    assert 'id="overview-empty"' in html and str(fleet.demo.id) not in html


def test_searching_the_page_by_name_id_and_timezone(fleet, admin_client):
    some_id = sorted(fleet.csv)[7]
    name = fleet.stores[some_id][0]

    by_id = every_row(admin_client, f"/?q={some_id[3:12]}")
    by_name = every_row(admin_client, f"/?q={name.upper()}")
    by_zone = every_row(admin_client, "/?q=pacific/hon")

    assert some_id in [r.store_id for r in by_id]
    assert some_id in [r.store_id for r in by_name]
    assert all(name.casefold() in fleet.stores[r.store_id][0].casefold() for r in by_name)
    assert by_zone and {resolve_timezone(fleet.stores[r.store_id][2]) for r in by_zone} == {"Pacific/Honolulu"}


def test_urls_carry_the_state_and_a_page_past_the_last_shows_the_last(fleet, admin_client):
    url = f"/reports/{fleet.report.id}?sort=-downtime_day&timezone=America/New_York&page=99"
    html = admin_client.get(url).content.decode()
    last = page_of(admin_client, url)

    # the links of the headings keep the filters; the form shows them; the store links carry T
    assert "timezone=America%2FNew_York" in html and 'value="America/New_York" selected' in html
    assert 'name="sort" value="-downtime_day"' in html
    as_of = fleet.report.as_of.isoformat().replace("+00:00", "Z").replace(":", "%3A")
    assert f'href="/stores/{last.rows[0].store_id}?as_of={as_of}"' in html
    # page 99 of fewer: the last page
    all_rows = every_row(admin_client, f"/reports/{fleet.report.id}?sort=-downtime_day&timezone=America/New_York")
    assert [r.store_id for r in last.rows] == [r.store_id for r in all_rows[-len(last.rows) :]]
    assert 'aria-current="page">Page ' in html


def test_bad_parameters_are_named_and_the_rest_is_shown(fleet, admin_client):
    answer = admin_client.get("/?sort=hotness&status=sleepy&downtime_over=120&page=0&window=month&q=a%00b")
    html = answer.content.decode()

    assert answer.status_code == 400
    for name in ("sort", "status", "downtime_over", "page", "window", "q"):
        assert f"<li><code>{name}</code>:" in html, name
    assert len(page_of(admin_client, "/?sort=hotness", status=400).rows) == PAGE  # worst first, as without it
    for bad in ("not-a-uuid", str(uuid.uuid4())):
        missing = admin_client.get(f"/reports/{bad}")
        assert missing.status_code == 404 and f"No report with id {bad}" in missing.content.decode()


def test_a_report_made_before_statuses_were_kept_still_shows_its_numbers(fleet, admin_client):
    ReportShard.objects.filter(report=fleet.report).update(status_rows="")

    page = page_of(admin_client, f"/reports/{fleet.report.id}?sort=status")
    html = admin_client.get(f"/reports/{fleet.report.id}").content.decode()

    assert {r.status for r in page.rows} == {"unknown"}
    assert 'id="overview-no-status"' in html
    assert_rows_are_the_csvs(fleet, page.rows)


def test_a_report_still_running_or_failed_says_so(fleet, admin_client):
    running = Report.objects.create(
        as_of=fleet.report.as_of, status=Report.Status.RUNNING, shards_total=4, shards_done=1
    )
    failed = Report.objects.create(as_of=fleet.report.as_of, status=Report.Status.FAILED, error="disk full")

    waiting = admin_client.get(f"/reports/{running.id}").content.decode()
    broken = admin_client.get(f"/reports/{failed.id}").content.decode()
    latest = admin_client.get("/").content.decode()

    assert "This report is running (25 %)" in waiting and 'data-report-status="Running"' in waiting
    assert "This report failed: disk full" in broken
    assert f'data-report-id="{fleet.report.id}"' in latest  # `/` shows the latest complete one


def test_the_reports_list_script_links_each_report_to_its_overview_and_xlsx():
    from django.contrib.staticfiles import finders

    found = finders.find("reports/app.js")
    assert isinstance(found, str)
    script = open(found, encoding="utf-8").read()
    assert "`/reports/${encodeURIComponent(report.id)}`" in script
    assert "?format=xlsx" in script


def test_a_report_whose_file_is_gone_says_so_rather_than_failing(fleet, admin_client):
    fleet.report.file.delete(save=False)

    answer = admin_client.get(f"/reports/{fleet.report.id}")

    assert answer.status_code == 200
    assert 'id="overview-file-error"' in answer.content.decode()


@pytest.mark.parametrize(
    "ids",
    [
        ["1481966498820158979", "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11", "99"],
        ["a,b", 'say "hi"', "plain"],  # quoted in the CSV: the csv module's path
        [],
    ],
)
def test_a_reports_csv_parses_to_its_ids_and_numbers_either_way(ids):
    from reports.fleet import CSV_COLUMNS
    from reports.overview import csv_rows_parse

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = [[store_id, *(round(0.37 * i * k, 2) for k in range(6))] for i, store_id in enumerate(ids)]
    writer.writerows(rows)

    got_ids, values = csv_rows_parse(out.getvalue())

    assert got_ids == ids
    assert values.tolist() == [row[1:] for row in rows]


def test_a_file_that_is_no_report_is_refused():
    from reports.overview import csv_rows_parse

    with pytest.raises(ValueError, match="header"):
        csv_rows_parse("store_id,uptime\n1,2\n")
