"""python -m bench.overview [--quick] [--before COMMIT] [--rounds N] [--runs N] [--no-write]: the fleet overview.

Two measurements on one 14,000-store fleet in two brands (`generate_data --stores 14000
--days 7.75 --seed 1 --brands 2`, its own database `lm_bench_overview`), production-like
(gunicorn and a Celery worker with DJANGO_DEBUG=0, as `python -m bench` runs them):

- **Report generation, before and after**: the whole fleet's report over HTTP (POST
  /trigger_report until the whole CSV is downloaded, as `python -m bench` times it) by the
  code of `--before` (default: the branch's merge base with main, checked out in a throwaway
  `git worktree`) and by this tree, in alternating rounds (ABBA), each round starting its
  own web server and worker, one untimed warm-up report, then timed reports. This tree's
  shards also compute and keep each store's status at T for the overview; the CSVs of both
  sides must be byte for byte the same.
- **The overview page**: with the after side running, GET / (the whole fleet's latest
  report, first page, worst first: the target, at most 300 ms), other orders, filters, a
  search, the last page, a brand member's `/` (their brand's 7,000 stores), the report as
  XLSX and as CSV, and GET /api/stores/?search=; each timed from the request sent to the
  whole answer read, over loopback with a logged-in session (the API ones with a key),
  after one untimed request of each (the web processes' imports).

The figures are printed and written into the "Fleet overview" section of BENCHMARKS.md
(between `<!-- overview:start -->` and `<!-- overview:end -->`; `python -m bench` keeps it);
`--no-write` only prints them. Exit status 0 when the first page is within its target and
both sides wrote the same CSVs, 1 otherwise, 2 when the run could not start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import infra, measure
from bench.compare import BeforeTree
from bench.infra import BenchError, DataSet, log

BEGIN, END = "<!-- overview:start -->", "<!-- overview:end -->"
BENCHMARKS = infra.ROOT / "BENCHMARKS.md"
TARGET_FIRST_PAGE_S = 0.300
PASSWORD = "bench-overview-not-a-secret"

_SESSIONS = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from brands.models import Brand, Membership
User = get_user_model()
def session(user):
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    return s.session_key
staff, _ = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True, "is_superuser": True})
viewer, _ = User.objects.get_or_create(username="bench-demo-viewer")
Membership.objects.get_or_create(user=viewer, brand=Brand.objects.get(slug="demo"), defaults={"role": "viewer"})
print("SESSIONS", settings.SESSION_COOKIE_NAME, session(staff), session(viewer))
"""


def dataset(quick: bool) -> DataSet:
    if quick:
        return DataSet("overview-quick", 1_000, 7.75, 1, f"{infra.DB_PREFIX}_overview_quick", ("--brands", "2"))
    return DataSet("overview", 14_000, 7.75, 1, f"{infra.DB_PREFIX}_overview", ("--brands", "2"))


def merge_base() -> str:
    done = subprocess.run(
        ["git", "-C", str(infra.ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"no merge base with main ({done.stderr.strip()}): name one with --before")
    return done.stdout.strip()[:7]


def commit_of(tree: Path) -> str:
    head = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout
    changed = [line[3:] for line in dirty.splitlines() if line[3:] != "BENCHMARKS.md"]
    return head + ("+dirty" if changed else "")


# --- report generation, before and after ----------------------------------------------------


def report_rounds(ds: DataSet, before: BeforeTree, rounds: int, runs: int, as_of: dt.datetime) -> dict:
    trees = {"before": before.path, "after": infra.ROOT}
    got: dict[str, list[measure.ReportRun]] = {"before": [], "after": []}
    for i in range(rounds * 2):
        # ABBA: before, after, after, before, ...: neither side always runs first, or on a warmer machine.
        side = ("before", "after", "after", "before")[i % 4]
        with infra.Service(ds, tree=trees[side]) as service:
            warm = measure.report_http(service, as_of, None)
            log(f"  round {i + 1}/{rounds * 2} {side:6}: warm-up {warm.seconds:.2f} s")
            for _ in range(runs):
                run = measure.report_http(service, as_of, None)
                got[side].append(run)
                log(f"    {side:6}: {run.seconds:.2f} s ({run.rows:,} rows)")
    digests = {r.sha256 for rs in got.values() for r in rs}
    out: dict[str, Any] = {
        "before_commit": before.commit,
        "before_subject": before.subject,
        "before": measure.stats([r.seconds for r in got["before"]]),
        "after": measure.stats([r.seconds for r in got["after"]]),
        "running_before": measure.stats([r.running_seconds or 0.0 for r in got["before"]]),
        "running_after": measure.stats([r.running_seconds or 0.0 for r in got["after"]]),
        "rows": got["after"][-1].rows,
        "polls": got["after"][-1].polls_read,
        "same_bytes": len(digests) == 1,
    }
    out["ratio"] = out["after"]["median"] / out["before"]["median"]
    log(
        f"  before {out['before']['median']:.3f} s, after {out['after']['median']:.3f} s (medians): "
        f"after/before {out['ratio']:.3f}; identical CSVs: {out['same_bytes']}"
    )
    return out


# --- the page ----------------------------------------------------------------------------------


def sessions(ds: DataSet) -> tuple[str, str, str]:
    """(cookie name, a staff session, a session of a viewer of brand demo), made in the database."""
    infra.manage(ds, "shell", "-c", _SESSIONS, log_name="overview-sessions")
    text = (infra.OUT / "logs" / "overview-sessions.log").read_text()
    found = [line.split()[1:] for line in text.splitlines() if line.startswith("SESSIONS ")]
    if not found:
        raise BenchError(f"could not make the sessions: {text[-1000:]}")
    name, staff, viewer = found[-1]
    return name, staff, viewer


def timed_get(port: int, path: str, headers: dict[str, str]) -> tuple[float, int, int]:
    """(seconds from the request sent to the whole answer read, status, bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        began = time.perf_counter()
        conn.request("GET", path, headers={**measure.PROXY_HEADERS, **headers})
        response = conn.getresponse()
        body = response.read()
        return time.perf_counter() - began, response.status, len(body)
    finally:
        conn.close()


def page_cases(report_id: str, last_page: int) -> list[tuple[str, str, str]]:
    """(label, path, who) of each request measured; who: "staff", "viewer" (a session) or "key"."""
    report = f"/reports/{report_id}"
    download = f"/get_report/{report_id}"
    return [
        ("`/`: the whole fleet's latest report, first page, worst first", "/", "staff"),
        ("`/reports/<id>?sort=name`", f"{report}?sort=name", "staff"),
        ("`/reports/<id>?sort=-downtime_day&status=down`", f"{report}?sort=-downtime_day&status=down", "staff"),
        (
            "`/reports/<id>?downtime_over=10&window=day&timezone=America/New_York`",
            f"{report}?downtime_over=10&window=day&timezone=America%2FNew_York",
            "staff",
        ),
        ("`/reports/<id>?q=new_york&page=2` (search)", f"{report}?q=new_york&page=2", "staff"),
        (f"`/reports/<id>?page={last_page}` (the last page)", f"{report}?page={last_page}", "staff"),
        ("`/` as a viewer of brand demo (its latest report: half the fleet)", "/", "viewer"),
        ("`GET /get_report/<id>?format=xlsx` (the whole report as XLSX)", f"{download}?format=xlsx", "key"),
        ("`GET /get_report/<id>` (the CSV, for comparison)", download, "key"),
        ("`GET /api/stores/?search=new_york` (a count and a page)", "/api/stores/?search=new_york", "key"),
    ]


def brand_report(service: infra.Service, as_of: dt.datetime, slug: str, timeout: float = 300) -> str:
    """A report of brand `slug`'s stores, triggered with the staff key; its id once it is complete."""
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=60)
    body = json.dumps({"as_of": as_of.isoformat(), "brand": slug})
    headers = {**measure.PROXY_HEADERS, "Authorization": f"Token {service.key}", "Content-Type": "application/json"}
    try:
        conn.request("POST", "/trigger_report", body=body, headers=headers)
        answer = conn.getresponse()
        payload = answer.read()
    finally:
        conn.close()
    if answer.status != 202:
        raise BenchError(f"POST /trigger_report for brand {slug} answered {answer.status}: {payload[:300]!r}")
    report_id = json.loads(payload)["report_id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=60)
        try:
            conn.request("GET", f"/get_report/{report_id}", headers={**measure.PROXY_HEADERS, **headers})
            done = conn.getresponse()
            done.read()
        finally:
            conn.close()
        if done.getheader("X-Report-Status") == "Complete":
            return report_id
        time.sleep(0.1)
    raise BenchError(f"the report of brand {slug} was not complete after {timeout:.0f} s")


def page_timings(ds: DataSet, runs: int, as_of: dt.datetime, stores: int) -> dict:
    with infra.Service(ds) as service:
        brand_report(service, as_of, "demo")  # the viewer's `/`: the latest of their brand
        report = measure.report_http(service, as_of, None)  # the staff's `/`: the whole fleet's latest
        cookie, staff, viewer = sessions(ds)
        who = {
            "staff": {"Cookie": f"{cookie}={staff}"},
            "viewer": {"Cookie": f"{cookie}={viewer}"},
            "key": {"Authorization": f"Token {service.key}"},
        }
        first, status, size = timed_get(service.port, "/", who["staff"])  # a fresh web process: imports included
        if status != 200:
            raise BenchError(f"GET / answered {status} to the staff session")
        out: dict = {"report_id": report.report_id, "first_request": first, "first_bytes": size, "cases": []}
        # The first view of a report just complete: its rows read from its file, not yet kept.
        fresh = []
        for _ in range(max(1, runs // 3)):
            new = measure.report_http(service, as_of, None)
            seconds, status, size = timed_get(service.port, f"/reports/{new.report_id}", who["staff"])
            if status != 200:
                raise BenchError(f"GET /reports/{new.report_id} answered {status}")
            fresh.append(seconds)
        out["fresh"] = {"stats": measure.stats(fresh), "bytes": size}
        log(f"  {out['fresh']['stats']['median'] * 1000:7.1f} ms  the first view of a report just complete")
        for label, path, caller in page_cases(report.report_id, -(-stores // 50)):
            timed_get(service.port, path, who[caller])  # untimed: each gunicorn worker's first of its kind
            timed_get(service.port, path, who[caller])
            times, sizes = [], set()
            for _ in range(runs):
                seconds, status, size = timed_get(service.port, path, who[caller])
                if status != 200:
                    raise BenchError(f"GET {path} answered {status}")
                times.append(seconds)
                sizes.add(size)
            out["cases"].append({"label": label, "path": path, "stats": measure.stats(times), "bytes": max(sizes)})
            log(f"  {measure.stats(times)['median'] * 1000:7.1f} ms  {label}")
    return out


# --- output ---------------------------------------------------------------------------------------


def _s(stats: dict) -> str:
    return f"**{stats['median']:.3f} s** ({stats['min']:.3f}–{stats['max']:.3f}, {stats['runs']} runs)"


def _ms(stats: dict) -> str:
    low, high = stats["min"] * 1000, stats["max"] * 1000
    return f"**{stats['median'] * 1000:.0f} ms** ({low:.0f}–{high:.0f}, {stats['runs']} runs)"


def render(r: dict) -> str:
    g, p, m = r["generation"], r["page"], r["machine"]
    first = p["cases"][0]["stats"]["median"]
    lines = [
        BEGIN,
        "## Fleet overview",
        "",
        "Generated by `bench/overview.py` (`.venv/bin/python -m bench.overview`); run it again rather than edit this "
        "section by hand. It is measured in its own run, named here, on its own database "
        f"(`{r['db']}`: {r['summary']}), with gunicorn (`--workers 2`) and a Celery worker (`--concurrency 2`) "
        "started by it with `DJANGO_DEBUG=0`, as `python -m bench` runs them.",
        "",
        "|  |  |",
        "|---|---|",
        f"| Date | {r['date']} |",
        f"| Commit (after) | `{r['commit']}` |",
        f"| Before | `{g['before_commit']}` ({g['before_subject']}) |",
        f"| Command | `{r['command']}` |",
        f"| Machine | {m['cpu']}, {m['cores']} cores; PostgreSQL {m['postgresql'].split()[0]}, Python {m['python']} |",
        f"| Load average | {' / '.join(f'{x:.1f}' for x in r['loadavg_start'])} at the start, "
        f"{' / '.join(f'{x:.1f}' for x in r['loadavg_end'])} at the end |",
        "",
        "### Report generation, before and after",
        "",
        f"The whole fleet's report over HTTP, `POST /trigger_report` → the whole CSV ({g['rows']:,} rows, "
        f"{g['polls'] or 0:,} polls read), by the code before this branch and by this tree, in {r['rounds'] * 2} "
        "alternating rounds (ABBA), each starting its own web server and worker, one untimed warm-up report, then "
        f"{r['runs_per_round']} timed ones. *Running* is the report row's started → finished. After: the shards also "
        "compute each store's status at T and keep it for the overview.",
        "",
        "|  | Before | After | After / before |",
        "|---|---:|---:|---:|",
        f"| Trigger → whole CSV | {_s(g['before'])} | {_s(g['after'])} | **{g['ratio']:.3f}×** |",
        f"| Running (started → finished) | {_s(g['running_before'])} | {_s(g['running_after'])} | "
        f"{g['running_after']['median'] / g['running_before']['median']:.3f}× |",
        f"| Identical CSV bytes (every run of both) |  |  | {'yes' if g['same_bytes'] else '**no**'} |",
        "",
        "### The page",
        "",
        "Each request timed from sent to the whole answer read over loopback, a logged-in session for the "
        f"pages and a key for the API, {r['runs']} runs each after two untimed ones (each web worker's first). "
        f"The very first request of the fresh web server (`GET /`, its imports and URL configuration included) "
        f"took {p['first_request'] * 1000:.0f} ms.",
        "",
        "| Request | Time: median (min–max, runs) | Bytes | Target |",
        "|---|---:|---:|:---:|",
    ]
    for i, case in enumerate(p["cases"]):
        target = ""
        if i == 0:
            target = f"≤ {TARGET_FIRST_PAGE_S * 1000:.0f} ms {'PASS' if first <= TARGET_FIRST_PAGE_S else 'FAIL'}"
        lines.append(f"| {case['label']} | {_ms(case['stats'])} | {case['bytes']:,} | {target} |")
        if i == 0:
            fresh = p["fresh"]
            lines.append(
                "| `/reports/<id>` of a report just complete, its first view (its rows read from its file, "
                f"a new report each run) | {_ms(fresh['stats'])} | {fresh['bytes']:,} |  |"
            )
    lines += [
        "",
        "The table comes from the report's stored numbers (its CSV file) and the statuses its shards kept, read "
        "once per web process and kept (a complete report never changes), sorted and filtered as arrays; the "
        "stores' names, brands and zones are read for every row only when a filter, the search or the order "
        "needs them (else for the page's rows); only the page's 50 stores are computed again (their week, for "
        "the heartbeat bars, in one engine run).",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(section: str, path: Path = BENCHMARKS) -> None:
    """Replace the marked section of BENCHMARKS.md, or append it; nothing else in the file changes."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    begin, end = text.find(BEGIN), text.find(END)
    if begin != -1 and end > begin:
        text = text[:begin] + section.rstrip("\n") + text[end + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    return {"cpu": cpu, "cores": os.cpu_count(), "postgresql": infra.pg_version(), "python": sys.version.split()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overview", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 stores, 1 round of 1 report, 3 runs a request")
    parser.add_argument(
        "--before", default=None, help="the commit of the 'before' side (default: merge base with main)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds of each side (default 3; quick 1)")
    parser.add_argument("--reports", type=int, default=None, help="timed reports per round (default 3; quick 1)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs of each page request (default 15; quick 3)")
    parser.add_argument("--no-write", action="store_true", help="print the figures; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)
    reports = args.reports or (1 if args.quick else 3)
    runs = args.runs or (3 if args.quick else 15)
    signal.signal(signal.SIGTERM, _interrupt)
    ds = dataset(args.quick)
    try:
        infra.preflight()
        before_commit = args.before or merge_base()
        log(f"loopmonitor benchmark, the fleet overview{' (quick)' if args.quick else ''}")
        loadavg_start = os.getloadavg()
        meta = infra.generate(ds)
        infra.ensure_loaded(ds)
        infra.migrate(ds)
        as_of = measure.latest_poll(ds.db)
        with BeforeTree(before_commit) as before:
            log(f"\n== report generation: before {before.commit} ({before.subject}) / after (this tree) ==")
            generation = report_rounds(ds, before, rounds, reports, as_of)
        log("\n== the page (this tree) ==")
        page = page_timings(ds, runs, as_of, ds.stores)
    except BenchError as exc:
        print(f"\nbench.overview: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nbench.overview: interrupted; processes stopped", file=sys.stderr)
        return 130
    results = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit_of(infra.ROOT),
        "command": "python -m bench.overview " + " ".join(argv if argv is not None else sys.argv[1:]),
        "db": ds.db,
        "summary": meta["summary"],
        "machine": machine(),
        "loadavg_start": loadavg_start,
        "loadavg_end": os.getloadavg(),
        "rounds": rounds,
        "runs_per_round": reports,
        "runs": runs,
        "generation": generation,
        "page": page,
    }
    results["command"] = results["command"].strip()
    out = infra.OUT / ("results-overview-quick.json" if args.quick else "results-overview.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str))
    section = render(results)
    log("\n" + section)
    if not args.no_write and not args.quick:
        write_section(section)
        log(f"wrote the Fleet overview section of BENCHMARKS.md (and {out.relative_to(infra.ROOT)})")
    ok = page["cases"][0]["stats"]["median"] <= TARGET_FIRST_PAGE_S and generation["same_bytes"]
    return 0 if ok else 1


def _interrupt(*_):
    raise KeyboardInterrupt("SIGTERM")


if __name__ == "__main__":
    sys.exit(main())
