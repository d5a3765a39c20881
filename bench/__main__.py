"""python -m bench [--only load,report,history,scale|compare] [--quick] [--profile]: see bench/__init__.py."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import infra, markdown, measure
from bench.infra import BenchError, log

SECTIONS = ("load", "report", "history", "scale")
# Modes run only when asked for (`--only compare`), alone: their own results file and section of BENCHMARKS.md.
MODES = ("compare",)

# Runs per measurement: (full, quick).
RUNS = {
    "load_1x": (3, 1),
    "load_big": (1, 1),
    "report_1x": (5, 1),
    "before_after": (5, 1),
    "report_8w": (5, 1),
    "report_3x": (3, 1),
    "report_10x": (2, 1),
}

TARGETS = {
    "load_fresh_s": 20.0,
    "load_dup_s": 20.0,
    "load_rss": 500e6,
    "report_1x_s": 5.0,
    "report_floor_ratio": 1.3,  # issue 17 (it was 2.0)
    "history_ratio": 1.2,  # issue 17 (it was 1.3)
    "report_10x_s": 60.0,
    "worker_rss": 1.5e9,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)}; or compare alone (bench/compare.py)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small data sets, one run each; writes bench/out/BENCHMARKS-quick.md"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile the in-process report (cProfile) on the sets measured"
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: rewrite the Markdown from the saved results (bench/out/results*.json)",
    )
    parser.add_argument(
        "--load-before",
        type=Path,
        default=None,
        metavar="DIR",
        help="load: also time, alternately with this tree's, the 1x load of an older checkout of the project "
        "in DIR (e.g. a `git worktree add --detach DIR COMMIT`), and a bare psql \\copy of the polls file",
    )
    parser.add_argument("--runs", type=int, default=None, help="compare: runs of each side (default 7; quick 2)")
    parser.add_argument(
        "--http-runs", type=int, default=None, help="compare: HTTP rounds of each fleet (default 5; quick 1; 0: none)"
    )
    parser.add_argument(
        "--before",
        default=None,
        metavar="COMMIT",
        help="compare: the commit the current tree is measured against (default: bench/compare.py's BEFORE_COMMIT)",
    )
    parser.add_argument(
        "--no-calendars", action="store_true", help="compare: the before / after only, not the calendar fleet"
    )
    parser.add_argument(
        "--calendar-args",
        default=None,
        help="compare: the generate_data options of the calendar fleet "
        "(default: '--special-share 0.1 --versions-share 0.1')",
    )
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS + MODES]
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(unknown)} (choose from {', '.join(SECTIONS + MODES)})")
    if "compare" in only:
        if only != ["compare"]:
            parser.error("--only compare runs alone")
        return run_compare(args)

    if args.render:
        return render_only(args.quick)

    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so that every `finally` stops our processes.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        infra.preflight()
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    bench = Bench(quick=args.quick, only=only, profile=args.profile, load_before=args.load_before)
    try:
        bench.run()
    except BenchError as exc:
        print(f"\nbench: {exc}", file=sys.stderr)
        bench.save()  # what was measured so far is kept (results JSON), not written as BENCHMARKS.md
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; processes stopped", file=sys.stderr)
        return 130
    return 0


def write_markdown(results: dict, quick: bool) -> None:
    out = infra.OUT / "BENCHMARKS-quick.md" if quick else infra.ROOT / "BENCHMARKS.md"
    text, table = markdown.render(results, quick=quick, targets=TARGETS, current=results["run"])
    out.write_text(text + _kept_sections(out))
    log("\n" + table)
    log(f"\nwrote {out.relative_to(infra.ROOT)}")


# Sections other programs keep in BENCHMARKS.md between such markers (bench/loadtest.py): carried over as they are.
KEPT_SECTIONS = [
    (markdown.COMPARE_BEGIN, markdown.COMPARE_END),
    ("<!-- loadtest:start -->", "<!-- loadtest:end -->"),
    ("<!-- overview:start -->", "<!-- overview:end -->"),  # bench/overview.py
]


def _kept_sections(path) -> str:
    if not path.exists():
        return ""
    old, kept = path.read_text(), ""
    for begin, end in KEPT_SECTIONS:
        a, b = old.find(begin), old.find(end)
        if a != -1 and b > a:
            kept += "\n" + old[a : b + len(end)] + "\n"
    return kept


def render_only(quick: bool) -> int:
    path = infra.OUT / ("results-quick.json" if quick else "results.json")
    if not path.exists():
        print(f"bench: {path.relative_to(infra.ROOT)} does not exist: run the benchmark first", file=sys.stderr)
        return 2
    results = json.loads(path.read_text())
    if "run" not in results:  # older results: the latest section's run
        results["run"] = max((s["meta"] for s in results["sections"].values()), key=lambda m: m["date"])
    write_markdown(results, quick)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """`--only compare`: bench/compare.py; `--render` rewrites its section from bench/out/results-compare*.json."""
    from bench import compare

    if args.render:
        path = compare.results_path(args.quick)
        if not path.exists():
            print(f"bench: {path.relative_to(infra.ROOT)} does not exist: run the comparison first", file=sys.stderr)
            return 2
        out = compare.write(json.loads(path.read_text()), args.quick)
        log(f"wrote the compare section of {out.relative_to(infra.ROOT)}")
        return 0
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        infra.preflight()
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    commit, dirty = git_state()
    run_meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "dirty_files": dirty,
        "command": shlex.join([".venv/bin/python", "-m", "bench", *sys.argv[1:]]),
    }
    sources = source_mtimes()
    runs = args.runs if args.runs is not None else (2 if args.quick else 7)
    http_runs = args.http_runs if args.http_runs is not None else (1 if args.quick else 5)
    try:
        results = compare.run(
            quick=args.quick,
            runs=runs,
            http_runs=http_runs,
            run_meta=run_meta,
            calendar_options=compare.CALENDAR_OPTIONS
            if args.calendar_args is None
            else tuple(shlex.split(args.calendar_args)),
            machine=machine(),
            before_commit=args.before or compare.BEFORE_COMMIT,
            calendars=not args.no_calendars,
        )
    except BenchError as exc:
        print(f"\nbench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; processes stopped", file=sys.stderr)
        return 130
    run_meta["changed_during_run"] = changed_since(sources)
    compare.save(results, args.quick)
    out = compare.write(results, args.quick)
    log(f"\nwrote the compare section of {out.relative_to(infra.ROOT)} ({results['total_seconds']:.0f} s)")
    return 0


def _interrupt(*_):
    raise KeyboardInterrupt("SIGTERM")


class Bench:
    def __init__(self, *, quick: bool, only: list[str], profile: bool, load_before: Path | None = None):
        self.quick = quick
        self.load_before = load_before
        self.only = only
        self.profile = profile
        self.sets = infra.datasets(quick)
        self.results_file = infra.OUT / ("results-quick.json" if quick else "results.json")
        self.results = self._previous()
        self.command = ".venv/bin/python -m bench" + "".join(f" {a}" for a in sys.argv[1:])
        commit, dirty = git_state()
        self.run_meta = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit,
            "dirty_files": dirty,
            "command": self.command,
        }
        self.sources = source_mtimes()
        self.fresh_1x: dict | None = None  # the 1x HTTP report figures of this invocation

    def runs(self, what: str) -> int:
        return RUNS[what][1 if self.quick else 0]

    def _previous(self) -> dict:
        if self.results_file.exists():
            try:
                return json.loads(self.results_file.read_text())
            except ValueError:
                pass
        return {"sections": {}}

    def save(self) -> None:
        self.results_file.parent.mkdir(parents=True, exist_ok=True)
        self.results_file.write_text(json.dumps(self.results, indent=1, default=str))

    def run(self) -> None:
        began = time.perf_counter()
        self.results["machine"] = machine()
        self.results["machine"]["loadavg_start"] = os.getloadavg()
        log(f"loopmonitor benchmark{' (quick)' if self.quick else ''}: {', '.join(self.only)}")
        log(
            f"  {self.results['machine']['cpu']} x{self.results['machine']['cores']}, "
            f"{self.results['machine']['ram_gib']:.1f} GiB, PostgreSQL {self.results['machine']['postgresql']}, "
            f"commit {self.run_meta['commit']}"
        )
        log("data sets:")
        needed = {"load": list(self.sets), "report": ["1x"], "history": ["1x", "8w"], "scale": ["1x", "3x", "10x"]}
        for name in dict.fromkeys(n for s in self.only for n in needed[s] if n in self.sets):
            meta = infra.generate(self.sets[name])
            self.results.setdefault("data", {})[name] = {
                "stores": self.sets[name].stores,
                "days": self.sets[name].days,
                "seed": self.sets[name].seed,
                "summary": meta["summary"],
                "bytes": meta["bytes"],
            }
            log(f"  {name}: {meta['summary'].split(' in ')[0]} ({self.sets[name].dir.relative_to(infra.ROOT)}/)")
        for section in SECTIONS:
            if section in self.only:
                log(f"\n== {section} ==")
                self.results["sections"][section] = {
                    "meta": dict(self.run_meta),
                    **getattr(self, f"section_{section}")(),
                }
                self.save()
        self.profiles()
        self.results["machine"]["loadavg_end"] = os.getloadavg()
        self.results["total_seconds"] = time.perf_counter() - began
        self.run_meta["changed_during_run"] = changed_since(self.sources)
        self.results["run"] = self.run_meta
        if self.run_meta["changed_during_run"]:
            log(
                "\nWARNING: source files changed while the benchmark ran (other engineers' edits): "
                + ", ".join(self.run_meta["changed_during_run"])
            )
        self.save()
        write_markdown(self.results, self.quick)
        log(f"({time.perf_counter() - began:.0f} s)")

    # --- sections ---------------------------------------------------------------

    def section_load(self) -> dict:
        out = {}
        plan = [
            ("1x", self.runs("load_1x"), True),
            ("3x", self.runs("load_big"), True),
            ("10x", self.runs("load_big"), False),
            ("8w", self.runs("load_big"), False),
        ]
        for name, runs, dup in plan:
            if name not in self.sets:
                continue
            ds = self.sets[name]
            fresh, dups = [], []
            before: list[infra.ProcessRun] = []
            floor: list[float] = []
            for i in range(runs):
                if name == "1x" and self.load_before is not None:
                    # The older tree's load and the bare \copy, in the same rounds as this tree's.
                    infra.db_recreate(ds.db)
                    run = infra.load_before(ds, self.load_before, f"load-{name}-before-{i}")
                    before.append(run)
                    log(
                        f"  {name} load into an empty database by {self.load_before}, run {i + 1}/{runs}: "
                        f"{run.seconds:.2f} s, peak RSS {mb(run.peak_rss)}"
                    )
                    infra.db_recreate(ds.db)
                    floor.append(infra.load_floor(ds))
                    log(f"  {name} bare psql \\copy of the polls file, run {i + 1}/{runs}: {floor[-1]:.2f} s")
                infra.db_recreate(ds.db)
                infra.migrate(ds)
                run = infra.load(ds, f"load-{name}-fresh-{i}")
                fresh.append(run)
                log(
                    f"  {name} load into an empty database, run {i + 1}/{runs}: {run.seconds:.2f} s, "
                    f"peak RSS {mb(run.peak_rss)}"
                )
                if dup:
                    run = infra.load(ds, f"load-{name}-dup-{i}")
                    dups.append(run)
                    log(
                        f"  {name} load again (all duplicates), run {i + 1}/{runs}: {run.seconds:.2f} s, "
                        f"peak RSS {mb(run.peak_rss)}"
                    )
            infra.finish_load(ds)
            polls = infra.db_scalar(ds.db, "SELECT count(*) FROM stores_poll")
            out[name] = {
                "stores": ds.stores,
                "days": ds.days,
                "polls_stored": polls,
                "file_bytes": sum(self.results["data"][name]["bytes"].values()),
                "fresh": measure.stats([r.seconds for r in fresh]),
                "fresh_peak_rss": max(r.peak_rss for r in fresh),
                "fresh_summary": _load_summary(fresh[-1].output),
            }
            if before:
                out[name].update(
                    before=measure.stats([r.seconds for r in before]),
                    before_tree=str(self.load_before),
                    before_commit=_tree_commit(self.load_before),
                    before_peak_rss=max(r.peak_rss for r in before),
                    floor_copy=measure.stats(floor),
                )
            if dups:
                out[name].update(
                    dup=measure.stats([r.seconds for r in dups]),
                    dup_peak_rss=max(r.peak_rss for r in dups),
                    dup_summary=_load_summary(dups[-1].output),
                )
            log(
                f"  {name}: {polls:,} polls stored; fresh {fmt_stats(out[name]['fresh'])}"
                + (f", again {fmt_stats(out[name]['dup'])}" if dups else "")
                + f"; peak RSS {mb(max(out[name].get('dup_peak_rss', 0), out[name]['fresh_peak_rss']))}"
            )
        return out

    def section_report(self) -> dict:
        ds = self.sets["1x"]
        figures = self.report_set(ds, self.runs("report_1x"))
        self.fresh_1x = figures
        as_of = figures["as_of"]
        runs = self.runs("before_after")
        log(f"  before/after, in process (services.report_write_csv), {runs} run(s) of each reader, alternating ...")
        answer = measure.inproc(
            ds, ["--as-of", as_of, "--readers", "by_row,by_store", "--runs", str(runs)], "inproc-before-after"
        )
        before_after = {
            "by_row": measure.stats(answer["seconds"]["by_row"]),
            "by_store": measure.stats(answer["seconds"]["by_store"]),
            "same_bytes": answer["same_bytes"],
            "polls": answer["polls"],
            "rows": answer["rows"],
            "peak_rss": answer["peak_rss"],
        }
        log(f"  by_row (before):  {fmt_stats(before_after['by_row'])}")
        log(
            f"  by_store (after): {fmt_stats(before_after['by_store'])}"
            f"  ({before_after['by_row']['median'] / before_after['by_store']['median']:.2f}x faster;"
            f" same bytes: {answer['same_bytes']})"
        )
        log(f"  where the time goes, in process ({runs} run(s), medians; by_store) ...")
        phases = measure.inproc(ds, ["--as-of", as_of, "--phases", "--runs", str(runs)], "inproc-phases")
        for label, seconds in phases["phases"]:
            log(f"    {seconds:7.3f} s  {label}")
        return {"1x": figures, "before_after": before_after, "phases": phases}

    def section_history(self) -> dict:
        if "8w" not in self.sets:
            log("  (quick: no 8-week set)")
            if self.fresh_1x is None:
                self.fresh_1x = self.report_set(self.sets["1x"], self.runs("report_8w"))
            return {"1x": self.fresh_1x}
        # The ratio compares two sets measured minutes apart on a shared machine: alternate them, one
        # timed report per service start, so that a busy spell weighs on both sides alike.
        runs = self.runs("report_8w")
        log(f"  1 week and 8 weeks alternately, {runs} round(s); each: start web + worker, warm-up, one timed report")
        parts: dict[str, list[dict]] = {"1x": [], "8w": []}
        for i in range(runs):
            for name in ("1x", "8w"):
                log(f"  round {i + 1}/{runs}, {name}:")
                parts[name].append(self.report_set(self.sets[name], 1))
        one_week, eight = merge_figures(parts["1x"]), merge_figures(parts["8w"])
        ratio = eight["report"]["median"] / one_week["report"]["median"]
        rounds = [b["report"]["median"] / a["report"]["median"] for a, b in zip(parts["1x"], parts["8w"], strict=True)]
        log(f"  1 week {fmt_stats(one_week['report'])}; 8 weeks {fmt_stats(eight['report'])}")
        log(
            f"  8 weeks / 1 week: {ratio:.2f} (target <= {TARGETS['history_ratio']}); per round: "
            + ", ".join(f"{r:.2f}" for r in rounds)
        )
        return {"1x": one_week, "8w": eight, "ratio": ratio, "round_ratios": rounds}

    def section_scale(self) -> dict:
        out = {}
        one = self.fresh_1x
        if one is None:
            log("  the 1x figure first, in this run:")
            one = self.fresh_1x = self.report_set(self.sets["1x"], self.runs("report_3x"))
        out["1x"] = one
        for name in ("3x", "10x"):
            if name in self.sets:
                out[name] = self.report_set(self.sets[name], self.runs(f"report_{name}"))
        if "10x" not in self.sets:
            log("  (quick: no 10x set)")
        log("  linearity:")
        for name, figures in out.items():
            log(
                f"    {name}: {figures['polls_window']:,} polls, report {figures['report']['median']:.2f} s, "
                f"{figures['polls_window'] / figures['report']['median']:,.0f} polls/s"
            )
        return out

    def profiles(self) -> None:
        """cProfile of the in-process report where a report target was missed (or with --profile)."""
        sections = self.results["sections"]
        wanted = []
        r1 = sections.get("report", {}).get("1x") if "report" in self.only else None
        if r1 and (
            self.profile
            or r1["report"]["median"] > TARGETS["report_1x_s"]
            or r1["report"]["median"] / r1["floor_psql"]["median"] > TARGETS["report_floor_ratio"]
        ):
            wanted.append(("1x", r1["as_of"]))
        r10 = sections.get("scale", {}).get("10x") if "scale" in self.only else None
        if r10 and (
            self.profile
            or r10["report"]["median"] > TARGETS["report_10x_s"]
            or r10["worker_peak_rss"] > TARGETS["worker_rss"]
        ):
            wanted.append(("10x", r10["as_of"]))
        h = sections.get("history", {}) if "history" in self.only else {}
        if h.get("ratio") and (self.profile or h["ratio"] > TARGETS["history_ratio"]):
            wanted.append(("8w", h["8w"]["as_of"]))
        if self.quick and not self.profile:
            wanted = []  # tiny sets: a miss there says little; --profile forces it
        if self.profile and not wanted and "report" not in self.only:
            wanted.append(("1x", measure.latest_poll(self.sets["1x"].db).isoformat()))
        profiles = {}
        for name, as_of in wanted:
            log(f"\n== profile: in-process report on {name} under cProfile ==")
            infra.ensure_loaded(self.sets[name])
            answer = measure.inproc(self.sets[name], ["--as-of", as_of, "--profile", "--top", "20"], f"profile-{name}")
            profiles[name] = answer
            log(
                f"  {answer['seconds']:.2f} s under the profiler, {answer['polls']:,} polls, "
                f"peak RSS {mb(answer['peak_rss'])}"
            )
            log("  top by own time:")
            for row in answer["by_tottime"][:12]:
                log(
                    f"    {row['tottime']:7.2f} s own {row['cumtime']:7.2f} s cum "
                    f"{row['calls']:>9} calls  {row['function']}"
                )
        if profiles:
            self.results["profiles"] = {"meta": dict(self.run_meta), **profiles}
        elif any(s in self.only for s in ("report", "scale", "history")):
            self.results.pop("profiles", None)

    # --- one data set's report figures ------------------------------------------

    def report_set(self, ds: infra.DataSet, runs: int) -> dict:
        """Median report time over HTTP with the floor measured alongside (interleaved), on one data set."""
        infra.ensure_loaded(ds)
        as_of = measure.latest_poll(ds.db)
        stores = infra.db_scalar(ds.db, "SELECT count(*) FROM stores_store")
        polls = measure.polls_in_window(ds.db, as_of)
        try:
            service_sql = measure.inproc(ds, ["--as-of", as_of.isoformat(), "--service-sql"], f"service-sql-{ds.name}")[
                "sql"
            ]
        except (BenchError, ValueError, KeyError) as exc:
            log(f"  (could not get the service's own poll query, that column is left out: {exc})")
            service_sql = None
        log(
            f"  {ds.name}: {stores:,} stores, {polls:,} polls in [T-8d, T], T = {as_of.isoformat()}; "
            "starting web + worker ..."
        )
        psql, pyco, own, reports = [], [], [], []
        with infra.Service(ds) as service, infra.RssSampler(service.worker.pid) as sampler:
            # Warm-up, not timed: workers import and connect, the table is in the page cache.
            warm = measure.report_http(service, as_of, sampler)
            measure.floor_psql(ds.db, as_of)
            measure.floor_psycopg(ds.db, as_of)
            log(f"    warm-up report {warm.seconds:.2f} s, {warm.rows:,} rows")
            for i in range(runs):
                psql.append(measure.floor_psql(ds.db, as_of))
                seconds, copied, _ = measure.floor_psycopg(ds.db, as_of)
                pyco.append(seconds)
                if service_sql:
                    own.append(measure.floor_psql(ds.db, as_of, service_sql))
                run = measure.report_http(service, as_of, sampler)
                reports.append(run)
                log(
                    f"    run {i + 1}/{runs}: report {run.seconds:.2f} s (queued {_opt(run.queued_seconds)}, "
                    f"running {_opt(run.running_seconds)}), "
                    f"floor psql {psql[-1]:.3f} s, psycopg {pyco[-1]:.3f} s, "
                    f"service's query via psql {_opt(own[-1] if own else None)}; "
                    f"worker max RSS {mb(run.worker_peak_rss)} over {run.worker_processes} processes"
                )
        if copied != polls:
            raise BenchError(f"{ds.name}: the floor copied {copied} rows, the window holds {polls}")
        digests = {r.sha256 for r in [warm, *reports]}
        figures = {
            "stores": stores,
            "rows": reports[-1].rows,
            "polls_window": polls,
            "polls_read": reports[-1].polls_read,
            "as_of": as_of.isoformat(),
            "report": measure.stats([r.seconds for r in reports]),
            "queued": _opt_stats([r.queued_seconds for r in reports]),
            "running": _opt_stats([r.running_seconds for r in reports]),
            "floor_psql": measure.stats(psql),
            "floor_psycopg": measure.stats(pyco),
            "service_query_psql": _opt_stats(own),
            "worker_peak_rss": max(r.worker_peak_rss for r in reports),
            "worker_processes": max(r.worker_processes for r in reports),
            "same_bytes": len(digests) == 1,
            "sha256": reports[-1].sha256,
        }
        ratio = figures["report"]["median"] / figures["floor_psql"]["median"]
        log(
            f"  {ds.name}: report {fmt_stats(figures['report'])}; floor psql {fmt_stats(figures['floor_psql'])}, "
            f"psycopg {fmt_stats(figures['floor_psycopg'])}; report/floor {ratio:.2f}; "
            f"worker max RSS {mb(figures['worker_peak_rss'])}; identical CSVs: {figures['same_bytes']}"
        )
        return figures


def merge_figures(parts: list[dict]) -> dict:
    """One data set's figures from several report_set calls (alternating rounds)."""
    out = dict(parts[-1])
    for key in ("report", "floor_psql", "floor_psycopg", "service_query_psql", "queued", "running"):
        values = [v for p in parts if p.get(key) for v in p[key]["values"]]
        out[key] = measure.stats(values) if values else None
    out["worker_peak_rss"] = max(p["worker_peak_rss"] for p in parts)
    out["worker_processes"] = max(p["worker_processes"] for p in parts)
    out["same_bytes"] = all(p["same_bytes"] for p in parts) and len({p.get("sha256") for p in parts}) == 1
    return out


def _opt(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:.2f} s"


def _opt_stats(values: list) -> dict | None:
    values = [v for v in values if v is not None]
    return measure.stats(values) if values else None


def _tree_commit(tree: Path | None) -> str:
    """The short commit a checkout is at ("?" when git cannot tell)."""
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def _load_summary(output: str) -> list[str]:
    """The per-file table load_data prints."""
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith("bad row:")]
    starts = [i for i, line in enumerate(lines) if line.startswith("file ")]
    return lines[starts[-1] :] if starts else lines[-4:]


def fmt_stats(s: dict) -> str:
    return f"{s['median']:.2f} s (min {s['min']:.2f}, max {s['max']:.2f}, {s['runs']} runs)"


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def git_state() -> tuple[str, list[str]]:
    """("<short HEAD>[+dirty]", the paths that differ from HEAD). Read-only: no index refresh, no lock.

    BENCHMARKS.md is left out: it is this program's output, not an input.
    """
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=infra.ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain"],
            cwd=infra.ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown", []
    dirty = [line[3:] for line in status.splitlines() if line[3:].strip() != "BENCHMARKS.md"]
    return head + ("+dirty" if dirty else ""), dirty


def source_mtimes() -> dict[str, float]:
    """Modification times of the project's Python sources (not bench/, not .venv)."""
    found = {}
    for path in infra.ROOT.rglob("*.py"):
        rel = path.relative_to(infra.ROOT)
        if rel.parts[0] in (".venv", "bench", "var", "node_modules") or rel.parts[0].startswith("."):
            continue
        try:
            found[str(rel)] = path.stat().st_mtime
        except OSError:
            pass
    return found


def changed_since(before: dict[str, float]) -> list[str]:
    now = source_mtimes()
    return sorted(p for p in set(before) | set(now) if before.get(p) != now.get(p))


def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        ram_kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
    import redis

    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": ram_kib / 2**20,
        "postgresql": infra.pg_version(),
        "pg_settings": infra.pg_settings(),
        "redis": redis.Redis.from_url(infra.REDIS_URL).info("server").get("redis_version"),
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    sys.exit(main())
