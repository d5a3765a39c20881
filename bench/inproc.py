"""In-process reports (`services.report_write_csv`), run as a child of the benchmark with Django set up.

    python -m bench.inproc --as-of ISO --readers by_row,by_store --runs 5
        times the report with each poll reader (bench.readers.READERS) `runs`
        times, alternating, and checks that every reader writes the bytes of
        `services.report_write_csv`;
    python -m bench.inproc --as-of ISO --profile [--top 25]
        one report (`services.report_write_csv`) under cProfile: the top costs;
    python -m bench.inproc --as-of ISO --service-sql
        the service's own bulk poll read (`selectors.polls_copy_statement`)
        for every store, parameters bound, so that the benchmark can time it
        with psql as it times the floor;
    python -m bench.inproc --as-of ISO --phases --runs 3
        wall time per step of the report (the polls read through a timed
        `selectors.polls_read`; other selectors and engine functions wrapped
        with timers in this process only), medians over the runs.

The answer is one JSON line, the last line of stdout. DATABASE_URL etc. come
from the environment the benchmark gives (bench.infra.service_env).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import io
import json
import os
import pstats
import resource
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc")
    parser.add_argument("--as-of", required=True, type=dt.datetime.fromisoformat)
    parser.add_argument("--readers", default="by_store")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--phases", action="store_true")
    parser.add_argument("--service-sql", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loopmonitor.settings")
    import django

    django.setup()
    from bench import readers
    from reports import services

    def one(polls_reader) -> tuple[float, str, int, int]:
        out = io.StringIO()
        began = time.perf_counter()
        rows, polls = readers.report_write_csv(as_of=args.as_of, out=out, polls_reader=polls_reader)
        seconds = time.perf_counter() - began
        return seconds, _digest(out), rows, polls

    if args.service_sql:
        print(json.dumps({"sql": _service_sql(args.as_of)}))
        return

    if args.phases:
        print(json.dumps(_phases(args, one)))
        return

    # The report's row and poll counts; None until a report has run (--runs 0).
    rows: int | None
    polls: int | None
    if args.profile:
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        rows, polls = services.report_write_csv(as_of=args.as_of, out=io.StringIO())
        profiler.disable()
        seconds = time.perf_counter() - began
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        print(text.getvalue(), file=sys.stderr)
        top = []
        # Stats.stats (the table print_stats reads) exists at runtime, but typeshed does not declare it.
        for (file, line, name), (_cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
            top.append({"function": f"{_short(file)}:{line}({name})", "calls": nc, "tottime": tt, "cumtime": ct})
        by_tottime = sorted(top, key=lambda r: -r["tottime"])[: args.top]
        by_cumtime = sorted(top, key=lambda r: -r["cumtime"])[: args.top]
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "rows": rows,
                    "polls": polls,
                    "by_tottime": by_tottime,
                    "by_cumtime": by_cumtime,
                    "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                }
            )
        )
        return

    names = args.readers.split(",")
    times: dict[str, list[float]] = {name: [] for name in names}
    digests: set[str] = set()
    rows, polls = None, None
    for _ in range(args.runs):
        for name in names:
            seconds, digest, rows, polls = one(readers.READERS[name])
            times[name].append(seconds)
            digests.add(digest)
    # The service itself once, untimed: the readers' report must be its bytes, not only each other's.
    service_out = io.StringIO()
    services.report_write_csv(as_of=args.as_of, out=service_out)
    same = digests == {_digest(service_out)}
    print(
        json.dumps(
            {
                "seconds": times,
                "rows": rows,
                "polls": polls,
                "same_bytes": same,
                "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            }
        )
    )


def _digest(out: io.StringIO) -> str:
    return hashlib.sha256(out.getvalue().encode()).hexdigest()


# Steps timed by --phases: (label, module, attribute); a class attribute is "Class.method".
# The polls' read and parse are not among them: they are timed through the reader (_phases).
POLLS_COPY_READ, POLLS_PARSE = "  polls: COPY read", "  polls: parse"
_STEPS = [
    ("plan shards (report_shards)", "reports.selectors", "report_shards"),
    ("fleet_input, total", "reports.selectors", "fleet_input"),
    ("  business hours query", "reports.selectors", "_hours_rows"),
    ("compute_fleet, total", "reports.engine", "compute_fleet"),
    ("  schedules to UTC (_Schedules)", "reports.engine", "_Schedules.__init__"),
    ("  open spans", "reports.engine", "_Schedules.open_spans"),
    ("  observations", "reports.engine", "_observations"),
    ("  prior observations", "reports.engine", "_with_prior_observations"),
    ("  window values", "reports.engine", "_window_values"),
    ("write_csv (shard rows)", "reports.engine", "write_csv"),
    ("merge + header (report_csv_merge)", "reports.services", "report_csv_merge"),
]
# Where the two polls steps appear in the table: after the business hours query.
_POLLS_AT = 3


def _phases(args, one) -> dict:
    import functools
    import importlib
    import statistics

    spent: dict[str, float] = {}

    def timed(label, fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            began = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - began

        return wrapper

    from reports import selectors

    for label, module, attr in _STEPS:
        owner = importlib.import_module(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, timed(label, getattr(owner, name)))
    copy_read = timed(POLLS_COPY_READ, selectors.pg_copy_read)
    parse = timed(POLLS_PARSE, selectors.polls_copy_parse)

    def polls_read(**bounds) -> selectors.PollArrays:
        """selectors.polls_read on PostgreSQL, step by step, each step timed."""
        return parse(copy_read(*selectors.polls_copy_statement(**bounds)))

    runs = []
    for _ in range(args.runs):
        spent.clear()
        seconds, _, rows, polls = one(polls_read)
        runs.append({"total": seconds, **spent})
    labels = [label for label, _, _ in _STEPS]
    labels = ["total", *labels[:_POLLS_AT], POLLS_COPY_READ, POLLS_PARSE, *labels[_POLLS_AT:]]
    return {
        "phases": [[label, statistics.median(r.get(label, 0.0) for r in runs)] for label in labels],
        "runs": args.runs,
        "rows": rows,
        "polls": polls,
    }


def _service_sql(as_of: dt.datetime) -> str:
    """The bound COPY statement the service runs to read every store's polls for a report as of `as_of`."""
    import psycopg
    from django.db import connection
    from django.db.models import Max, Min

    from reports import selectors
    from reports.fleet import poll_range, to_us
    from stores import staging
    from stores.models import Store

    bounds = Store.objects.aggregate(first=Min("pk"), last=Max("pk"))
    lo_us, hi_us = poll_range(to_us(as_of))
    query, params = selectors.polls_copy_statement(
        pk_first=bounds["first"],
        pk_last=bounds["last"],
        lo_us=lo_us,
        hi_us=hi_us,
        received_before=staging.polls_received_cutoff(),  # a report's reads always have a cutoff
    )
    # (the aggregate above opened the connection)
    return psycopg.ClientCursor(connection.connection).mogrify(query, params)


def _short(path: str) -> str:
    for marker in ("/site-packages/", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


if __name__ == "__main__":
    main()
