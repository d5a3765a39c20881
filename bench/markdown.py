"""BENCHMARKS.md from the benchmark's results (bench/out/results.json)."""

from __future__ import annotations


def _s(stats: dict | None, unit: str = "s", digits: int = 2) -> str:
    if not stats:
        return "not measured"
    if stats["runs"] == 1:
        return f"{stats['median']:.{digits}f} {unit} (1 run)"
    return (
        f"**{stats['median']:.{digits}f} {unit}** ({stats['min']:.{digits}f}–{stats['max']:.{digits}f}, "
        f"{stats['runs']} runs)"
    )


def _mb(n: float | None) -> str:
    return "—" if not n else f"{n / 1e6:,.0f} MB"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "**FAIL**")


def _table(head: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(head) - 1)
    marks = ["---:" if a == "r" else ":---:" if a == "c" else "---" for a in align]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def render(results: dict, *, quick: bool, targets: dict, current: dict) -> tuple[str, str]:
    """(the whole file, the results table alone)."""
    sections = results.get("sections", {})
    data = results.get("data", {})
    load = sections.get("load", {})
    report = sections.get("report", {})
    history = sections.get("history", {})
    scale = sections.get("scale", {})
    m = results["machine"]
    sizes = {name: f"{d['stores']:,} stores, {d['days']:g} days" for name, d in data.items()}
    set_label = {"1x": "1x", "3x": "3x", "10x": "10x", "8w": "8 weeks"}

    # --- the results table ------------------------------------------------------
    rows = []
    if "1x" in load:
        l1 = load["1x"]
        rows.append(
            [
                f"Load 1x ({sizes.get('1x')}, {l1['polls_stored']:,} polls) into an empty database",
                _s(l1["fresh"]),
                f"≤ {targets['load_fresh_s']:g} s",
                _verdict(l1["fresh"]["median"] <= targets["load_fresh_s"]),
            ]
        )
        if "dup" in l1:
            rows.append(
                [
                    "Load 1x again (all duplicates)",
                    _s(l1["dup"]),
                    f"≤ {targets['load_dup_s']:g} s",
                    _verdict(l1["dup"]["median"] <= targets["load_dup_s"]),
                ]
            )
        for name in ("1x", "3x", "10x", "8w"):
            if name in load:
                peak = max(load[name]["fresh_peak_rss"], load[name].get("dup_peak_rss", 0))
                rows.append(
                    [
                        f"Peak RSS of the load process, {set_label[name]} "
                        f"({load[name]['file_bytes'] / 1e6:,.0f} MB of CSV)",
                        _mb(peak),
                        f"< {targets['load_rss'] / 1e6:,.0f} MB",
                        _verdict(peak < targets["load_rss"]),
                    ]
                )
    # The 1x report figures: the latest measured (report, history and scale each measure them when run alone).
    measured = [
        (sections[n]["meta"]["date"], -i, sections[n]["1x"])
        for i, n in enumerate(("report", "history", "scale"))
        if "1x" in sections.get(n, {})
    ]
    r1 = max(measured, key=lambda t: t[:2])[2] if measured else None
    if r1:
        med = r1["report"]["median"]
        rows.append(
            [
                f"Report 1x over HTTP, trigger → whole CSV ({r1['polls_window']:,} polls)",
                _s(r1["report"]),
                f"≤ {targets['report_1x_s']:g} s",
                _verdict(med <= targets["report_1x_s"]),
            ]
        )
        ratio = med / r1["floor_psql"]["median"]
        rows.append(
            [
                f"Report 1x / floor (psql binary COPY, {r1['floor_psql']['median']:.2f} s)",
                f"**{ratio:.2f}×**",
                f"≤ {targets['report_floor_ratio']:g}×",
                _verdict(ratio <= targets["report_floor_ratio"]),
            ]
        )
    if history.get("ratio"):
        h8 = history["8w"]
        rounds = history.get("round_ratios")
        if rounds:
            rows.append(
                ["Report 1 week, measured alternately with the 8-week one", _s(history["1x"]["report"]), "", ""]
            )
        rows.append(
            [f"Report with 8 weeks of polls in the table ({h8['polls_window']:,} polls read)", _s(h8["report"]), "", ""]
        )
        label = (
            "Report 8 weeks / report 1 week (same run, alternating; medians of "
            f"{h8['report']['runs']} and {history['1x']['report']['runs']} runs)"
            if rounds
            else "Report 8 weeks / report 1 week (same run)"
        )
        per_round = f" (per round: {', '.join(f'{r:.2f}' for r in rounds)})" if rounds else ""
        rows.append(
            [
                label,
                f"**{history['ratio']:.2f}×**{per_round}",
                f"≤ {targets['history_ratio']:g}×",
                _verdict(history["ratio"] <= targets["history_ratio"]),
            ]
        )
        floors = h8["floor_psql"]["median"] / history["1x"]["floor_psql"]["median"]
        rows.append(["(for comparison) floor 8 weeks / floor 1 week: PostgreSQL alone", f"{floors:.2f}×", "", ""])
    if "3x" in scale:
        rows.append(
            [
                f"Report 3x ({scale['3x']['stores']:,} stores, {scale['3x']['polls_window']:,} polls)",
                _s(scale["3x"]["report"]),
                "",
                "",
            ]
        )
    if "10x" in scale:
        s10 = scale["10x"]
        rows.append(
            [
                f"Report 10x ({s10['stores']:,} stores, {s10['polls_window']:,} polls), worker --concurrency 2",
                _s(s10["report"]),
                f"≤ {targets['report_10x_s']:g} s",
                _verdict(s10["report"]["median"] <= targets["report_10x_s"]),
            ]
        )
        rows.append(
            [
                "Largest RSS of any worker process during the 10x reports (psutil, every 50 ms)",
                _mb(s10["worker_peak_rss"]),
                f"≤ {targets['worker_rss'] / 1e9:g} GB",
                _verdict(s10["worker_peak_rss"] <= targets["worker_rss"]),
            ]
        )
    table = _table(["Measure", "Result: median (min–max, runs)", "Target", ""], rows, "lrcc")
    misses = _misses(load, r1, history, scale, targets)

    out = []
    title = "# Benchmarks" + (" (quick smoke test)" if quick else "")
    out.append(title)
    out.append("")
    out.append(
        "Generated by `bench/` (" + f"`{current['command']}`" + "; `make bench` runs it in full). "
        "Do not edit by hand: run the benchmark again."
    )
    if quick:
        out.append("")
        out.append(
            "> **Quick run**: small data sets (1,000 and 3,000 stores), one run each, no 10x and no 8-week set. "
            "The targets below are for the full-size sets; here they only show that every step works."
        )
    out.append("")
    out.append("## Where and what")
    out.append("")
    out.append(
        _table(
            ["", ""],
            [
                ["Date", current["date"]],
                [
                    "Commit",
                    f"`{current['commit']}`"
                    + (
                        " (differing from HEAD: "
                        + ", ".join(f"`{f}`" for f in current["dirty_files"][:12])
                        + (f" and {len(current['dirty_files']) - 12} more" if len(current["dirty_files"]) > 12 else "")
                        + ")"
                        if current.get("dirty_files")
                        else ""
                    ),
                ],
                ["Command", f"`{current['command']}`"],
                ["Machine", f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']:.1f} GiB RAM"],
                [
                    "PostgreSQL",
                    f"{m['postgresql']} (" + ", ".join(f"{k} {v}" for k, v in m["pg_settings"].items()) + ")",
                ],
                ["Redis / Python", f"{m.get('redis')} / {m.get('python')}"],
                ["Load average", f"{_la(m.get('loadavg_start'))} at the start, {_la(m.get('loadavg_end'))} at the end"],
                [
                    "Data sets",
                    "; ".join(
                        f"{set_label[n]}: `generate_data --stores {d['stores']} --days {d['days']:g} "
                        f"--seed {d['seed']}` "
                        f"({d['summary'].split(' in ')[0]})"
                        for n, d in data.items()
                    ),
                ],
            ],
            "ll",
        )
    )
    if current.get("changed_during_run"):
        out.append("")
        out.append(
            "> **The source tree changed while this ran** (other engineers' edits): "
            + ", ".join(f"`{f}`" for f in current["changed_during_run"])
            + ". Processes started before a change ran the old code, later ones the new code."
        )
    older = sorted(
        {
            (name, s["meta"]["date"], s["meta"]["commit"])
            for name, s in sections.items()
            if s.get("meta", {}).get("date") != current["date"]
        },
        key=lambda t: t[0],
    )
    if older:
        out.append("")
        out.append(
            "Sections kept from earlier runs (not measured by this command): "
            + "; ".join(f"{n} ({d}, `{c}`)" for n, d, c in older)
            + "."
        )
    out.append("")
    out.append("## Results")
    out.append("")
    out.append(table)
    if misses:
        out.append("")
        out.append(
            "Missed in this run: " + "; ".join(misses) + ". The sections below (floor, where the time goes, "
            "profiles) are the evidence; figures on this shared 2-core machine move by ±15-20 % between runs."
        )

    # --- floor and ratios --------------------------------------------------------
    sets = [
        (n, f)
        for n, f in (("1x", r1), ("3x", scale.get("3x")), ("10x", scale.get("10x")), ("8w", history.get("8w")))
        if f
    ]
    if sets:
        out.append("")
        out.append("## Report against the floor")
        out.append("")
        out.append(
            "The floor is the time to read the polls a report needs out of PostgreSQL and do nothing with them: "
            "`COPY (SELECT store_id, observed_at_utc, active FROM stores_poll WHERE observed_at_utc BETWEEN T-8d AND T "
            "ORDER BY store_id, observed_at_utc) TO STDOUT (FORMAT binary)`, T = the latest poll, "
            "measured in the same run, "
            "interleaved with the reports: with `psql -c \"\\copy (...) to '/dev/null' with (format binary)\"` "
            "(process start to exit) and with psycopg 3 in the benchmark's process (connect, `cursor.copy`, blocks "
            "discarded). Both with `jit = off`, as the service reads. For comparison, the statement the service "
            "itself runs to read the polls (`selectors.polls_copy_statement`, the COPY of `selectors.polls_read`: "
            "one row per store, its polls as arrays), for all stores at once, through psql the same way."
        )
        out.append("")
        rows = []
        for name, f in sets:
            rm, fp, fy = f["report"]["median"], f["floor_psql"]["median"], f["floor_psycopg"]["median"]
            rows.append(
                [
                    set_label[name],
                    f"{f['polls_window']:,}",
                    _s(f["report"]),
                    _s(f["floor_psql"], digits=3),
                    _s(f["floor_psycopg"], digits=3),
                    _s(f.get("service_query_psql"), digits=3),
                    f"{rm / fp:.2f}×",
                    f"{fy / fp:.2f}×",
                    _s(f.get("queued")),
                    _s(f.get("running")),
                ]
            )
        out.append(
            _table(
                [
                    "Set",
                    "Polls read",
                    "Report (HTTP)",
                    "Floor: psql",
                    "Floor: psycopg 3",
                    "The service's own poll read, psql",
                    "Report / psql floor",
                    "psycopg / psql",
                    "Queued (created → started)",
                    "Running (started → finished)",
                ],
                rows,
            )
        )

    # --- linearity ----------------------------------------------------------------
    lin = [(n, f) for n, f in (("1x", r1), ("3x", scale.get("3x")), ("10x", scale.get("10x"))) if f]
    if len(lin) > 1:
        out.append("")
        out.append("## Linearity (polls of one table)")
        out.append("")
        base = lin[0][1]
        rows = []
        for name, f in lin:
            t = f["report"]["median"]
            rows.append(
                [
                    set_label[name],
                    f"{f['stores']:,}",
                    f"{f['polls_window']:,}",
                    f"{t:.2f} s",
                    f"{f['polls_window'] / t:,.0f}",
                    f"{f['polls_window'] / base['polls_window']:.2f}×",
                    f"{t / base['report']['median']:.2f}×",
                    f"{f['floor_psql']['median']:.2f} s",
                ]
            )
        out.append(
            _table(
                [
                    "Set",
                    "Stores",
                    "Polls read",
                    "Report (median)",
                    "Polls/s",
                    "Polls vs 1x",
                    "Time vs 1x",
                    "Floor (psql)",
                ],
                rows,
            )
        )

    # --- before / after -------------------------------------------------------------
    ba = report.get("before_after")
    if ba:
        out.append("")
        out.append("## Before / after: the poll reader")
        out.append("")
        out.append(
            "The same in-process report (`services.report_write_csv`'s steps, all shards in one process, as the "
            "`report` command runs it: `bench.readers.report_write_csv`) on the 1x set, in the same run, "
            "alternating the poll reader handed to `selectors.fleet_input`: `by_row` (`bench.readers."
            "polls_read_by_row`, one binary COPY row per poll, the old reader) and `by_store` (`selectors.polls_read`, "
            "one row per store with its polls as arrays, the current one)."
        )
        out.append("")
        speed = ba["by_row"]["median"] / ba["by_store"]["median"]
        out.append(
            _table(
                ["Reader", "Report in process", "Polls"],
                [
                    ["`by_row` (before)", _s(ba["by_row"]), f"{ba['polls']:,}"],
                    ["`by_store` (after)", _s(ba["by_store"]), f"{ba['polls']:,}"],
                ],
            )
        )
        out.append("")
        out.append(
            f"`by_store` is {speed:.2f}× as fast; both wrote the CSV of `services.report_write_csv`, byte for byte: "
            f"{'yes' if ba['same_bytes'] else '**no**'}. "
            f"Peak RSS of that process: {_mb(ba['peak_rss'])}."
        )
    phases = report.get("phases")
    if phases:
        out.append("")
        out.append("## Where the time goes (1x, in process)")
        out.append("")
        out.append(
            f"The same in-process report (`by_store`), with the steps below wrapped in timers in that process "
            f"only; medians of {phases['runs']} runs. Both shards run one after the other here; the workers run "
            f"them side by side. Indented lines are parts of the line above."
        )
        out.append("")
        out.append(
            _table(
                ["Step", "Seconds"],
                [
                    [("&nbsp;&nbsp;&nbsp;&nbsp;" + label.strip()) if label.startswith("  ") else label, f"{v:.3f}"]
                    for label, v in phases["phases"]
                ],
                "lr",
            )
        )

    # --- memory ----------------------------------------------------------------------
    mem = []
    for name in ("1x", "3x", "10x", "8w"):
        if name in load:
            figures = load[name]
            mem.append(
                [
                    f"`load_data`, {set_label[name]} ({figures['polls_stored']:,} polls, "
                    f"{figures['file_bytes'] / 1e6:,.0f} MB of CSV)",
                    _mb(figures["fresh_peak_rss"])
                    + " empty db"
                    + (f", {_mb(figures['dup_peak_rss'])} again" if "dup_peak_rss" in figures else ""),
                    "kernel high-water mark (`wait4` ru_maxrss)",
                ]
            )
    for name, f in sets:
        mem.append(
            [
                f"Celery worker, {set_label[name]} report",
                f"{_mb(f['worker_peak_rss'])} (largest of {f['worker_processes']} processes)",
                "psutil RSS of the worker and its children every 50 ms",
            ]
        )
    if mem:
        out.append("")
        out.append("## Peak memory")
        out.append("")
        out.append(_table(["Process", "Peak RSS", "How"], mem, "lrl"))

    # --- load details ------------------------------------------------------------------
    if load:
        out.append("")
        out.append("## Loads")
        out.append("")
        out.append(
            "`manage.py load_data --dir DIR` as a subprocess, wall time from start to exit (Django start-up "
            'included); "empty" = a freshly created and migrated database. After the last load of each set the '
            "benchmark runs `VACUUM (ANALYZE)` (not timed), as autovacuum would, before reports read it."
        )
        out.append("")
        rows = []
        for name in ("1x", "3x", "10x", "8w"):
            if name in load:
                figures = load[name]
                rows.append(
                    [
                        set_label[name],
                        f"{figures['polls_stored']:,}",
                        _s(figures["fresh"]),
                        _s(figures.get("dup")),
                        f"{figures['polls_stored'] / figures['fresh']['median']:,.0f}",
                    ]
                )
        out.append(
            _table(["Set", "Polls stored", "Into an empty database", "Again (all duplicates)", "Polls/s (empty)"], rows)
        )
        last = load.get("1x", {})
        if last.get("before"):
            out.append("")
            out.append(
                f"1x into an empty database, before and after, measured in alternating rounds of one run "
                f"(`--load-before`): the older tree at `{last['before_commit']}`, this one, and the floor the "
                "issue quotes, a bare `psql \\copy` of the polls file into a table of its three columns with the "
                "instant cast to `timestamptz` (no validation, no stores, no rule 7, no indexes):"
            )
            out.append("")
            out.append(
                _table(
                    ["Load, 1x into an empty database", "Wall time", "Peak RSS", "/ floor"],
                    [
                        [
                            f"before (`{last['before_commit']}`)",
                            _s(last["before"]),
                            _mb(last["before_peak_rss"]),
                            f"{last['before']['median'] / last['floor_copy']['median']:.2f}×",
                        ],
                        [
                            f"after (`{current.get('commit', '?')}`)",
                            _s(last["fresh"]),
                            _mb(last["fresh_peak_rss"]),
                            f"{last['fresh']['median'] / last['floor_copy']['median']:.2f}×",
                        ],
                        ["bare `psql \\copy` of store_status.csv", _s(last["floor_copy"]), "", "1.00×"],
                    ],
                    "lrrr",
                )
            )
        if last.get("fresh_summary"):
            out.append("")
            out.append("`load_data`'s own summary, 1x into an empty database (last run):")
            out.append("")
            out.append("```")
            out.extend(last["fresh_summary"])
            out.append("```")
        if last.get("dup_summary"):
            out.append("")
            out.append("and again:")
            out.append("")
            out.append("```")
            out.extend(last["dup_summary"])
            out.append("```")

    # --- profiles --------------------------------------------------------------------
    profiles = {k: v for k, v in results.get("profiles", {}).items() if k != "meta"}
    for name, p in profiles.items():
        out.append("")
        out.append(f"## Profile: in-process report on {set_label[name]} under cProfile")
        out.append("")
        out.append(
            f"{p['seconds']:.2f} s under the profiler (which slows Python-heavy code), {p['polls']:,} polls, "
            f"peak RSS {_mb(p['peak_rss'])}. Top costs by own time:"
        )
        out.append("")
        out.append(
            _table(
                ["Own time", "Cumulative", "Calls", "Function"],
                [
                    [f"{r['tottime']:.2f} s", f"{r['cumtime']:.2f} s", f"{r['calls']:,}", f"`{r['function']}`"]
                    for r in p["by_tottime"][:15]
                ],
                "rrrl",
            )
        )

    # --- how to read ---------------------------------------------------------------------
    out.append("")
    out.append("## How to read this")
    out.append("")
    out.append(
        "Every figure is a median over several runs with min and max beside it; nothing is averaged. Reports are "
        "measured as a client sees them, with real processes on PostgreSQL + Redis: gunicorn (`--workers 2`) and a "
        "Celery worker (`--concurrency 2`, its Redis database purged first) started by the benchmark on the data set's "
        "own database with the service's default production settings "
        "(`DJANGO_DEBUG=0`, shards of `REPORT_SHARD_STORES`; "
        "requests carry `X-Forwarded-Proto: https` as from the TLS proxy, and a plain user's API key; only the per-key "
        "trigger limit is lifted), from "
        "`POST /trigger_report` (as of T, the latest poll) until the whole CSV has been downloaded, polling "
        "`GET /get_report/<id>` every 25 ms; every run's CSV is checked to be the report's and identical across runs. "
        "One untimed warm-up report and floor come first (imports, connections, page cache). The *floor* is what "
        "PostgreSQL alone needs to hand over the same polls, so report / floor is the cost of everything the service "
        "adds (queueing, planning shards, the engine, the CSV, the download); it is measured interleaved with the "
        "reports so that both see the same machine; for the same reason the 1-week and 8-week reports of the history "
        "ratio are measured in alternating rounds. *Queued* and *Running* come from the report row's own created, "
        "started and finished times. "
        "The machine has 2 cores and other engineers run test suites on it at the same time, so single runs vary by "
        "±15-20 % or more (see the min–max columns and the load average above); compare ratios measured in the same "
        "run rather than absolute seconds across runs. Peak RSS of `load_data` is the kernel's high-water mark of that "
        "process; worker RSS is sampled, so a spike shorter than 50 ms could be missed."
    )
    out.append("")
    return "\n".join(out), table


def _misses(load, r1, history, scale, t) -> list[str]:
    """One phrase per target missed: which, by how much."""
    out = []

    def over(name, value, target, unit, fmt="{:.2f}"):
        if value > target:
            out.append(
                f"{name}: {fmt.format(value)}{unit} against {fmt.format(target)}{unit} "
                f"({(value / target - 1) * 100:.0f} % over)"
            )

    if "1x" in load:
        over("load 1x into an empty database", load["1x"]["fresh"]["median"], t["load_fresh_s"], " s")
        if "dup" in load["1x"]:
            over("load 1x again", load["1x"]["dup"]["median"], t["load_dup_s"], " s")
        for name, figures in load.items():
            if name == "meta":
                continue
            over(
                f"peak RSS of the {name} load",
                max(figures["fresh_peak_rss"], figures.get("dup_peak_rss", 0)) / 1e6,
                t["load_rss"] / 1e6,
                " MB",
                "{:,.0f}",
            )
    if r1:
        over("report 1x", r1["report"]["median"], t["report_1x_s"], " s")
        ratio = r1["report"]["median"] / r1["floor_psql"]["median"]
        if ratio > t["report_floor_ratio"]:
            out.append(
                f"report 1x / floor: {ratio:.2f}× against ≤ {t['report_floor_ratio']:g}× "
                f"({(ratio / t['report_floor_ratio'] - 1) * 100:.0f} % over; "
                f"the report would need {t['report_floor_ratio'] * r1['floor_psql']['median']:.2f} s, "
                f"it took {r1['report']['median']:.2f} s, min {r1['report']['min']:.2f} s)"
            )
    if history.get("ratio") and history["ratio"] > t["history_ratio"]:
        floors = history["8w"]["floor_psql"]["median"] / history["1x"]["floor_psql"]["median"]
        out.append(
            f"report 8 weeks / 1 week: {history['ratio']:.2f}× against ≤ {t['history_ratio']:g}× "
            f"({(history['ratio'] / t['history_ratio'] - 1) * 100:.0f} % over; "
            f"PostgreSQL's own floor grows {floors:.2f}× from 1 to 8 weeks of polls)"
        )
    if "10x" in scale:
        over("report 10x", scale["10x"]["report"]["median"], t["report_10x_s"], " s")
        over("worker RSS at 10x", scale["10x"]["worker_peak_rss"] / 1e6, t["worker_rss"] / 1e6, " MB", "{:,.0f}")
    return out


def _la(values) -> str:
    return "?" if not values else " / ".join(f"{v:.1f}" for v in values)


# --- the compare section (bench/compare.py): its own run, between these markers -------------------------

COMPARE_BEGIN = "<!-- compare:start -->"
COMPARE_END = "<!-- compare:end -->"


def replace_marked(text: str, begin: str, end: str, section: str) -> str:
    """`text` with the block between `begin` and `end` replaced by `section` (which carries the markers).

    Without such a block the section goes before the load test's block, or at the end.
    """
    a, b = text.find(begin), text.find(end)
    if a != -1 and b > a:
        return text[:a] + section.rstrip("\n") + text[b + len(end) :]
    at = text.find("<!-- loadtest:start -->")
    if at != -1:
        return text[:at] + section.rstrip("\n") + "\n\n" + text[at:]
    return text.rstrip("\n") + "\n\n" + section


def _x(ratio: float | None) -> str:
    return "—" if ratio is None else f"**{ratio:.3f}×**"


def _before_after_more(ba: dict) -> list[list[str]]:
    """The before / after table's rows for HTTP and the 8-week table, when they were measured."""
    rows = []
    if ba.get("http_runs"):
        rows += [
            ["HTTP, trigger → whole CSV", _s(ba["before_http"]), _s(ba["after_http"]), _x(ba.get("ratio_http"))],
            ["HTTP: queued (created → started)", _s(ba.get("before_http_queued")), _s(ba.get("after_http_queued")), ""],
            [
                "HTTP: running (started → finished)",
                _s(ba.get("before_http_running")),
                _s(ba.get("after_http_running")),
                "",
            ],
        ]
    h = ba.get("history")
    if h:
        rows += [
            ["In process, 8 weeks", _s(h["before_inproc"]), _s(h["after_inproc"]), _x(h.get("ratio_inproc"))],
            ["8 weeks / 1 week, in process", _x(h.get("before_ratio")), _x(h.get("after_ratio")), ""],
        ]
    return rows


def render_compare(results: dict, *, quick: bool, target_calendar: float, share: float) -> str:
    """The compare section of BENCHMARKS.md, markers included."""
    run, m, data = results["run"], results["machine"], results["data"]
    ba, cal = results.get("before_after"), results.get("calendars")
    out = [COMPARE_BEGIN, "## Before / after this session's changes, and calendars" + (" (quick)" if quick else "")]
    out.append("")
    out.append(
        "Generated by `bench/compare.py` "
        f"(`{run['command']}`); run it again rather than edit this section by hand. This section is from its own "
        "run, named here; the sections above it come from the run named in *Where and what* at the top, the load "
        "test below from its own. Each comparison below was measured in this one run, its two sides alternating "
        "(ABBA: the side that goes first swaps every round), after one untimed warm-up of each side."
    )
    if quick:
        out += [
            "",
            f"> **Quick run**: {data['plain']['stores']:,} stores; the figures only show that every step works.",
        ]
    out.append("")
    commit = f"`{run['commit']}`"
    if run.get("dirty_files"):
        commit += " (differing from HEAD: " + ", ".join(f"`{f}`" for f in run["dirty_files"][:12]) + ")"
    sets = []
    for name, d in data.items():
        c = d.get("counts", {})
        opts = "".join(f" {o}" for o in d.get("options", []))
        sets.append(
            f"{name}: `generate_data --stores {d['stores']} --days {d['days']:g} --seed {d['seed']}{opts}` "
            f"({d['summary'].split(' in ')[0]}; loaded: {c.get('special_stores', 0):,} stores with special days, "
            f"{c.get('special_rows', 0):,} special rows, {c.get('versioned_stores', 0):,} stores with two or more "
            f"schedule versions; database `{d['db']}`)"
        )
    out.append(
        _table(
            ["", ""],
            [
                ["Date", run["date"]],
                ["Commit measured (after)", commit],
                ["Before", f"`{ba['before_commit']}` ({ba.get('before_subject', '')})" if ba else "—"],
                ["Command", f"`{run['command']}`"],
                [
                    "Machine",
                    f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']:.1f} GiB RAM; PostgreSQL {m['postgresql']}",
                ],
                ["Load average", f"{_la(m.get('loadavg_start'))} at the start, {_la(m.get('loadavg_end'))} at the end"],
                ["Data sets", "; ".join(sets)],
            ],
            "ll",
        )
    )
    if run.get("changed_during_run"):
        out += [
            "",
            "> **The source tree changed while this ran**: "
            + ", ".join(f"`{f}`" for f in run["changed_during_run"])
            + ".",
        ]
    if ba:
        out += ["", "### Before / after this session's changes", ""]
        out.append(
            f"`manage.py report --as-of T --out FILE` (T = {ba['as_of']}, the latest poll; {ba['rows']:,} stores, "
            f"{ba['polls'] or 0:,} polls read) on the plain fleet, the same database for both sides: *before* is "
            f"commit `{ba['before_commit']}` checked out in a throwaway `git worktree` and run with the same venv's "
            "python (same packages; the old code reads the same tables, whose new columns are nullable), *after* is "
            "the commit measured. *Process* is start to exit (Django start-up included); *in process* is the "
            "command's own figure (`services.report_write_csv` alone)."
        )
        out.append("")
        out.append(
            _table(
                ["", "Before", "After", "After / before"],
                [
                    ["Process", _s(ba["before"]), _s(ba["after"]), _x(ba["ratio"])],
                    ["In process", _s(ba["before_inproc"]), _s(ba["after_inproc"]), _x(ba.get("ratio_inproc"))],
                    *_before_after_more(ba),
                    ["Identical CSV bytes (every run of both)", "", "", "yes" if ba["same_bytes"] else "**no**"],
                ],
            )
        )
        if ba.get("http_runs"):
            out += [
                "",
                f"*HTTP*: `POST /trigger_report` → whole CSV as in the main table, {ba['http_runs']} round(s), each "
                "starting web + worker of one tree on the plain fleet's database, one warm-up and one timed report, "
                "the trees alternating; every HTTP CSV checked to be that tree's `manage.py report` bytes. *Queued* "
                "and *running* come from the report row's created, started and finished times.",
            ]
        if ba.get("history"):
            h = ba["history"]
            out += [
                "",
                f"*8 weeks*: the same command in the same rounds on the 8-week table (`{h['db']}`, as of {h['as_of']}, "
                f"{h.get('polls') or 0:,} polls read); *8 weeks / 1 week* is each tree's in-process median on the "
                "8-week table over its own on the 1x table. Identical CSV bytes, before and after, on 8 weeks: "
                + ("yes." if h["same_bytes"] else "**no**."),
            ]
    if cal:
        out += ["", "### Calendars", ""]
        out.append(
            f"The commit measured, on the plain fleet and on the calendar fleet ({share:.0%} of the stores with "
            f"special days, {share:.0%} with two schedule versions; the counts above are what the database held), "
            f"each in its own database. `manage.py report` as above ({cal['runs']} runs each, alternating)"
            + (
                "; over HTTP as in the main table (`POST /trigger_report` → whole CSV; "
                f"{cal['http_runs']} round(s), each starting web + worker on one set, one warm-up and one "
                "timed report, the sets alternating), every "
                "HTTP CSV checked to be `manage.py report`'s bytes"
                if cal.get("http_runs")
                else ""
            )
            + f". Target: calendar / plain ≤ {target_calendar:.2f}×."
        )
        out.append("")
        rows = [
            [
                "`manage.py report`, process",
                _s(cal["plain"]["process"]),
                _s(cal["calendar"]["process"]),
                _x(cal["ratio_process"]),
            ],
            [
                "`manage.py report`, in process",
                _s(cal["plain"]["inproc"]),
                _s(cal["calendar"]["inproc"]),
                _x(cal["ratio_inproc"]),
            ],
        ]
        if cal.get("http_runs"):
            rows.append(
                [
                    "HTTP, trigger → whole CSV",
                    _s(cal["plain"]["http"]),
                    _s(cal["calendar"]["http"]),
                    _x(cal["ratio_http"]),
                ]
            )
        for row in rows:
            ratio = float(row[3].strip("*×")) if row[3] != "—" else None
            row.append(_verdict(None if ratio is None else ratio <= target_calendar))
        out.append(_table(["", "Plain", "Calendar", "Calendar / plain", f"≤ {target_calendar:.2f}×"], rows, "lrrrc"))
        out.append("")
        out.append(
            f"Rows: plain {cal['plain']['rows']:,}, calendar {cal['calendar']['rows']:,}; polls read: plain "
            f"{cal['plain']['polls'] or 0:,}, calendar {cal['calendar']['polls'] or 0:,}. Every run's CSV identical "
            f"within each set: {'yes' if cal['plain']['same_bytes'] and cal['calendar']['same_bytes'] else '**no**'}."
        )
    out.append(COMPARE_END)
    return "\n".join(out) + "\n"
