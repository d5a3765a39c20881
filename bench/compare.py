"""`python -m bench --only compare [--quick] [--runs N]`: two focused comparisons, each from ONE run, alternating.

- before / after: `manage.py report --out FILE` of the session's starting commit
  (BEFORE_COMMIT, checked out in a throwaway `git worktree`, run with this
  venv's python) against the current tree's, on the same plain 1x fleet in
  the same database, alternating; both CSVs must be byte-identical;
- calendars: the current code's report on the plain fleet and on a fleet with
  CALENDAR_SHARE of the stores having special days and as many having two
  schedule versions (rules 10, 11), each in its own database, alternating:
  `manage.py report` as a process and over HTTP (web + worker per round).

Results: bench/out/results-compare.json; the section of BENCHMARKS.md between
the compare markers (markdown.render_compare), nothing else in the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import infra, markdown, measure
from bench.infra import BenchError, DataSet, log

BEFORE_COMMIT = "6e4f6a2"  # where the faster-report work (issue 17) started
CALENDAR_SHARE = 0.10
RESULTS = "results-compare.json"
# How the calendar fleet is asked of generate_data; the shares actually generated are counted after loading.
CALENDAR_OPTIONS = ("--special-share", f"{CALENDAR_SHARE:g}", "--versions-share", f"{CALENDAR_SHARE:g}")
TARGET_CALENDAR_RATIO = 1.10


def datasets(quick: bool, calendar_options: tuple[str, ...] = CALENDAR_OPTIONS) -> dict[str, DataSet]:
    stores = 1_000 if quick else 14_000
    suffix = "_quick" if quick else ""
    return {
        "plain": DataSet("cmp-plain", stores, 7.75, 1, f"{infra.DB_PREFIX}_cmp_plain{suffix}"),
        "calendar": DataSet("cmp-calendar", stores, 7.75, 1, f"{infra.DB_PREFIX}_cmp_cal{suffix}", calendar_options),
    }


@dataclass
class ReportProcess:
    seconds: float  # process start to exit (Django start-up included)
    inproc_seconds: float | None  # the command's own figure: services.report_write_csv alone
    sha256: str
    rows: int
    polls: int | None


_SUMMARY = re.compile(r"report: (\d+) stores, (\d+) polls read, ([0-9.]+) s")


def report_process(ds: DataSet, tree: Path, as_of: str, out: Path, log_name: str) -> ReportProcess:
    """`manage.py report --as-of T --out FILE` of the checkout `tree`, with this venv's python, on ds's database."""
    env = infra.service_env(ds)
    env["PYTHONPATH"] = str(tree)  # the tree's own packages first, whichever cwd Python starts in
    out.unlink(missing_ok=True)
    began = time.perf_counter()
    done = subprocess.run(
        [infra.PYTHON, "manage.py", "report", "--as-of", as_of, "--out", str(out)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - began
    logs = infra.OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{log_name}.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise BenchError(f"{tree}: manage.py report failed ({done.returncode}):\n{done.stderr[-3000:]}")
    data = out.read_bytes()
    found = _SUMMARY.search(done.stderr)
    return ReportProcess(
        seconds,
        float(found.group(3)) if found else None,
        hashlib.sha256(data).hexdigest(),
        data.count(b"\n") - 1,
        int(found.group(2)) if found else None,
    )


class BeforeTree:
    """A detached `git worktree` of BEFORE_COMMIT in a temporary directory, removed on exit."""

    def __init__(self, commit: str):
        self.commit = commit
        self.path = Path(tempfile.mkdtemp(prefix="lm-before-")) / "tree"
        self.subject = ""

    def __enter__(self) -> BeforeTree:
        git = ["git", "-C", str(infra.ROOT)]
        subprocess.run(
            [*git, "worktree", "add", "--detach", str(self.path), self.commit], check=True, capture_output=True
        )
        self.subject = subprocess.run(
            ["git", "-C", str(self.path), "log", "-1", "--format=%s"], check=True, capture_output=True, text=True
        ).stdout.strip()
        return self

    def __exit__(self, *exc) -> None:
        subprocess.run(
            ["git", "-C", str(infra.ROOT), "worktree", "remove", "--force", str(self.path)], capture_output=True
        )
        shutil.rmtree(self.path.parent, ignore_errors=True)


def calendar_counts(db: str) -> dict:
    """Stores with special days, stores with two or more schedule versions, all stores (what the set really holds)."""
    stores = infra.db_scalar(db, "SELECT count(*) FROM stores_store")
    special = infra.db_scalar(db, "SELECT count(DISTINCT store_id) FROM stores_specialhours")
    special_rows = infra.db_scalar(db, "SELECT count(*) FROM stores_specialhours")
    versions = infra.db_scalar(
        db,
        "SELECT count(*) FROM (SELECT store_id FROM stores_businesshours GROUP BY store_id"
        " HAVING count(DISTINCT coalesce(effective_from, '0001-01-01'::date)) > 1) v",
    )
    return {"stores": stores, "special_stores": special, "special_rows": special_rows, "versioned_stores": versions}


def _stats(values: list[float | None]) -> dict | None:
    present = [v for v in values if v is not None]
    return measure.stats(present) if present else None


def _ratio(a: dict | None, b: dict | None) -> float | None:
    return b["median"] / a["median"] if a and b else None


def run(
    *,
    quick: bool,
    runs: int,
    http_runs: int,
    run_meta: dict,
    machine: dict,
    calendar_options: tuple[str, ...],
    before_commit: str = BEFORE_COMMIT,
    calendars: bool = True,
) -> dict:
    sets = datasets(quick, calendar_options)
    if not calendars:
        del sets["calendar"]
    history = None if quick else infra.datasets(quick)["8w"]  # the 8-week table, for the history ratio
    results: dict = {"run": run_meta, "machine": machine, "data": {}}
    machine["loadavg_start"] = os.getloadavg()
    began = time.perf_counter()
    log(f"loopmonitor benchmark, compare{' (quick)' if quick else ''}: {runs} alternating runs of each side")
    for name, ds in sets.items():
        meta = infra.generate(ds)
        infra.ensure_loaded(ds)
        infra.migrate(ds)  # a database loaded by an older checkout gets the newer migrations (manage.py report won't)
        results["data"][name] = {
            "stores": ds.stores,
            "days": ds.days,
            "seed": ds.seed,
            "options": list(ds.options),
            "db": ds.db,
            "summary": meta["summary"],
            "counts": calendar_counts(ds.db),
        }
        c = results["data"][name]["counts"]
        log(
            f"  {name}: {meta['summary'].split(' in ')[0]}; in {ds.db}: "
            f"{c['special_stores']:,} stores with special days ({c['special_rows']:,} rows), "
            f"{c['versioned_stores']:,} with two or more versions"
        )
    if history is not None:
        infra.ensure_loaded(history)
        infra.migrate(history)
    plain, cal = sets["plain"], sets.get("calendar")
    as_of = {n: measure.latest_poll(ds.db).isoformat() for n, ds in sets.items()}
    if cal is not None and as_of["plain"] != as_of["calendar"]:
        log(f"  (note: the latest polls differ: {as_of}; each report is as of its own set's latest poll)")
    results["as_of"] = as_of
    scratch = Path(tempfile.mkdtemp(prefix="lm-bench-compare-"))
    try:
        results["before_after"] = _before_after(
            plain, as_of["plain"], runs, scratch, before_commit=before_commit, http_runs=http_runs, history=history
        )
        if cal is not None:
            results["calendars"] = _calendars(plain, cal, as_of, runs, http_runs, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    machine["loadavg_end"] = os.getloadavg()
    results["total_seconds"] = time.perf_counter() - began
    return results


def _before_after(
    ds: DataSet,
    as_of: str,
    runs: int,
    scratch: Path,
    *,
    before_commit: str = BEFORE_COMMIT,
    http_runs: int = 0,
    history: DataSet | None = None,
) -> dict:
    """`manage.py report` of `before_commit` and of this tree on `ds`, alternating (and on `history`,
    the 8-week table, in the same rounds, when given); then, with `http_runs`, the report over HTTP
    (web + worker of each tree in turn, one warm-up and one timed report per round)."""
    log(
        f"\n== before ({before_commit}) / after (this tree): manage.py report on {ds.db}"
        + (f" and {history.db}" if history else "")
        + f", {runs} runs each, alternating =="
    )
    sets = {"1x": (ds, as_of)}
    if history is not None:
        sets["8w"] = (history, measure.latest_poll(history.db).isoformat())
    with BeforeTree(before_commit) as before:
        log(f"  before: {before.commit} ({before.subject}) in {before.path}")
        trees = {"before": before.path, "after": infra.ROOT}
        for side, tree in trees.items():  # warm-up, not timed: page cache, .pyc files of each tree
            for name, (data, when) in sets.items():
                warm = report_process(data, tree, when, scratch / f"{side}-{name}.csv", f"compare-{side}-{name}-warm")
                log(f"  warm-up {side} {name}: {warm.seconds:.2f} s ({warm.rows:,} rows)")
        got: dict[str, dict[str, list[ReportProcess]]] = {n: {"before": [], "after": []} for n in sets}
        for i in range(runs):
            # ABBA order over pairs of rounds: neither side always runs first after the other.
            order = ("before", "after") if i % 2 == 0 else ("after", "before")
            for side in order:
                for name, (data, when) in sets.items():
                    r = report_process(data, trees[side], when, scratch / f"{side}-{name}.csv", f"compare-{side}-{i}")
                    got[name][side].append(r)
                    log(
                        f"  run {i + 1}/{runs} {side:6} {name}: process {r.seconds:.2f} s, "
                        f"in process {r.inproc_seconds} s"
                    )
        http: dict[str, list[measure.ReportRun]] = {"before": [], "after": []}
        if http_runs:
            log(
                f"  over HTTP on {ds.db}: {http_runs} rounds; each: start web + worker of one tree, warm-up, one report"
            )
            instant = dt.datetime.fromisoformat(as_of)
            for i in range(http_runs):
                for side in ("before", "after") if i % 2 == 0 else ("after", "before"):
                    with infra.Service(ds, tree=trees[side]) as service, infra.RssSampler(service.worker.pid) as rss:
                        measure.report_http(service, instant, rss)
                        h = measure.report_http(service, instant, rss)
                    if h.sha256 != got["1x"][side][-1].sha256:
                        raise BenchError(f"{side}: the HTTP report's CSV differs from manage.py report's")
                    http[side].append(h)
                    log(f"  round {i + 1}/{http_runs} {side:6}: HTTP {h.seconds:.2f} s")
        commit, subject = before.commit, before.subject
    one = got["1x"]
    digests = {side: {r.sha256 for r in rs} for side, rs in one.items()}
    same = len(digests["before"] | digests["after"]) == 1
    out: dict[str, Any] = {
        "before_commit": commit,
        "before_subject": subject,
        "as_of": as_of,
        "rows": one["after"][-1].rows,
        "polls": one["after"][-1].polls,
        "before": _stats([r.seconds for r in one["before"]]),
        "after": _stats([r.seconds for r in one["after"]]),
        "before_inproc": _stats([r.inproc_seconds for r in one["before"]]),
        "after_inproc": _stats([r.inproc_seconds for r in one["after"]]),
        "same_bytes": same,
        "sha256": sorted(digests["before"] | digests["after"]),
    }
    out["ratio"] = _ratio(out["before"], out["after"])
    out["ratio_inproc"] = _ratio(out["before_inproc"], out["after_inproc"])
    if "8w" in got:
        eight = got["8w"]
        out["history"] = {
            "db": sets["8w"][0].db,
            "as_of": sets["8w"][1],
            "polls": eight["after"][-1].polls,
            "same_bytes": len({r.sha256 for rs in eight.values() for r in rs}) == 1,
        }
        for side in ("before", "after"):
            out["history"][f"{side}_inproc"] = _stats([r.inproc_seconds for r in eight[side]])
            out["history"][f"{side}_ratio"] = _ratio(out[f"{side}_inproc"], out["history"][f"{side}_inproc"])
        out["history"]["ratio_inproc"] = _ratio(out["history"]["before_inproc"], out["history"]["after_inproc"])
    if http_runs:
        out["http_runs"] = http_runs
        for side in ("before", "after"):
            out[f"{side}_http"] = _stats([h.seconds for h in http[side]])
            out[f"{side}_http_queued"] = _stats([h.queued_seconds for h in http[side]])
            out[f"{side}_http_running"] = _stats([h.running_seconds for h in http[side]])
        out["ratio_http"] = _ratio(out["before_http"], out["after_http"])
    log(
        f"  before {out['before']['median']:.2f} s, after {out['after']['median']:.2f} s (process, medians): "
        f"after/before {out['ratio']:.3f}; in process {out['ratio_inproc'] or float('nan'):.3f}; identical CSVs: {same}"
    )
    return out


def _calendars(plain: DataSet, cal: DataSet, as_of: dict, runs: int, http_runs: int, scratch: Path) -> dict:
    sets = {"plain": plain, "calendar": cal}
    log(f"\n== calendars: this tree's manage.py report, plain vs calendar fleet, {runs} runs each, alternating ==")
    for name, ds in sets.items():
        warm = report_process(ds, infra.ROOT, as_of[name], scratch / f"{name}.csv", f"compare-{name}-warm")
        log(f"  warm-up {name}: {warm.seconds:.2f} s ({warm.rows:,} rows)")
    got: dict[str, list[ReportProcess]] = {"plain": [], "calendar": []}
    for i in range(runs):
        order = ("plain", "calendar") if i % 2 == 0 else ("calendar", "plain")
        for name in order:
            r = report_process(sets[name], infra.ROOT, as_of[name], scratch / f"{name}.csv", f"compare-{name}-{i}")
            got[name].append(r)
            log(f"  run {i + 1}/{runs} {name:8}: process {r.seconds:.2f} s, in process {r.inproc_seconds} s")
    out: dict = {"runs": runs}
    for name, rs in got.items():
        out[name] = {
            "process": _stats([r.seconds for r in rs]),
            "inproc": _stats([r.inproc_seconds for r in rs]),
            "rows": rs[-1].rows,
            "polls": rs[-1].polls,
            "same_bytes": len({r.sha256 for r in rs}) == 1,
            "sha256": rs[-1].sha256,
        }
    out["ratio_process"] = _ratio(out["plain"]["process"], out["calendar"]["process"])
    out["ratio_inproc"] = _ratio(out["plain"]["inproc"], out["calendar"]["inproc"])
    log(
        f"  plain {out['plain']['process']['median']:.2f} s, calendar {out['calendar']['process']['median']:.2f} s "
        f"(process): calendar/plain {out['ratio_process']:.3f}; in process {out['ratio_inproc'] or float('nan'):.3f}"
    )
    if http_runs:
        log(f"  over HTTP: {http_runs} rounds; each: start web + worker on one set, warm-up, one timed report")
        http: dict[str, list[measure.ReportRun]] = {"plain": [], "calendar": []}
        for i in range(http_runs):
            order = ("plain", "calendar") if i % 2 == 0 else ("calendar", "plain")
            for name in order:
                ds = sets[name]
                with infra.Service(ds) as service, infra.RssSampler(service.worker.pid) as sampler:
                    when = dt.datetime.fromisoformat(as_of[name])
                    measure.report_http(service, when, sampler)
                    h = measure.report_http(service, when, sampler)
                if h.sha256 != out[name]["sha256"]:
                    raise BenchError(f"{name}: the HTTP report's CSV differs from manage.py report's")
                http[name].append(h)
                log(
                    f"  round {i + 1}/{http_runs} {name:8}: HTTP {h.seconds:.2f} s, "
                    f"worker max RSS {h.worker_peak_rss / 1e6:,.0f} MB"
                )
        for name, hs in http.items():
            out[name]["http"] = _stats([h.seconds for h in hs])
            out[name]["worker_peak_rss"] = max(h.worker_peak_rss for h in hs)
        out["ratio_http"] = _ratio(out["plain"]["http"], out["calendar"]["http"])
        out["http_runs"] = http_runs
        log(
            f"  plain {out['plain']['http']['median']:.2f} s, calendar {out['calendar']['http']['median']:.2f} s "
            f"(HTTP): calendar/plain {out['ratio_http']:.3f}"
        )
    return out


def results_path(quick: bool) -> Path:
    return infra.OUT / (RESULTS.replace(".json", "-quick.json") if quick else RESULTS)


def save(results: dict, quick: bool) -> None:
    path = results_path(quick)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, default=str))


def write(results: dict, quick: bool) -> Path:
    """Replace (or add) the compare section of BENCHMARKS.md (quick: bench/out/BENCHMARKS-quick.md)."""
    path = infra.OUT / "BENCHMARKS-quick.md" if quick else infra.ROOT / "BENCHMARKS.md"
    section = markdown.render_compare(results, quick=quick, target_calendar=TARGET_CALENDAR_RATIO, share=CALENDAR_SHARE)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    path.write_text(markdown.replace_marked(text, markdown.COMPARE_BEGIN, markdown.COMPARE_END, section))
    return path
