"""The timed steps: the floor (psql and psycopg 3), a report over HTTP, statistics."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import time
from dataclasses import dataclass

import psycopg

from bench import infra

LOOKBACK = dt.timedelta(days=8)  # reports.fleet.poll_range: a report reads polls in [T - 8 days, T]


def stats(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
        "values": [round(v, 4) for v in values],
    }


def latest_poll(db: str) -> dt.datetime:
    return infra.db_scalar(db, "SELECT max(observed_at_utc) FROM stores_poll")


def floor_query(as_of: dt.datetime) -> str:
    lo, hi = (as_of - LOOKBACK).isoformat(), as_of.isoformat()
    return (
        "SELECT store_id, observed_at_utc, active FROM stores_poll"
        f" WHERE observed_at_utc BETWEEN '{lo}' AND '{hi}' ORDER BY store_id, observed_at_utc"
    )


def polls_in_window(db: str, as_of: dt.datetime) -> int:
    return infra.db_scalar(
        db,
        "SELECT count(*) FROM stores_poll WHERE observed_at_utc BETWEEN %s AND %s",
        [as_of - LOOKBACK, as_of],
    )


def floor_psql(db: str, as_of: dt.datetime, statement: str | None = None) -> float:
    """Seconds for psql to COPY the report's polls (binary) to /dev/null, process start to exit.

    `statement`: another COPY ... TO STDOUT to time the same way instead (its output goes to /dev/null).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGOPTIONS"] = "-c jit=off"  # as the service reads (selectors.pg_copy_read): no JIT compile of a plain scan
    command = statement or f"\\copy ({floor_query(as_of)}) to '/dev/null' with (format binary)"
    return infra.psql_seconds(db, command, "psql floor", env=env)


def floor_psycopg(db: str, as_of: dt.datetime) -> tuple[float, int, int]:
    """(seconds, rows, bytes) for psycopg 3 in this process: connect, the same COPY, blocks discarded."""
    began = time.perf_counter()
    size = 0
    with psycopg.connect(infra.conninfo(db)) as conn:
        conn.execute("SET jit = off")
        with conn.cursor() as cur:
            with cur.copy(f"COPY ({floor_query(as_of)}) TO STDOUT (FORMAT binary)") as copy:
                for block in copy:
                    size += len(block)
            rows = cur.rowcount
    return time.perf_counter() - began, rows, size


@dataclass
class ReportRun:
    seconds: float  # POST /trigger_report -> the whole CSV downloaded
    rows: int
    sha256: str
    report_id: str
    polls_read: int | None
    queued_seconds: float | None  # created_at -> started_at, as the report row says
    running_seconds: float | None  # started_at -> finished_at
    worker_peak_rss: int
    worker_processes: int
    rss_samples: int


# The benchmark talks to gunicorn the way the TLS-terminating proxy in front of it
# does: production settings (DJANGO_DEBUG=0) redirect plain HTTP to HTTPS unless
# the proxy says the client's request was HTTPS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def _request(service: infra.Service, method: str, path: str, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=300)
    auth = {"Authorization": f"Token {service.key}"}
    try:
        conn.request(method, path, body=body, headers={**PROXY_HEADERS, **auth, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def report_http(
    service: infra.Service,
    as_of: dt.datetime,
    sampler: infra.RssSampler | None,
    poll_every: float = 0.025,
    timeout: float = 600,
) -> ReportRun:
    """Trigger a report as of `as_of` and poll GET /get_report/<id> every `poll_every` s until the CSV is here."""
    if sampler:
        sampler.reset()
    body = json.dumps({"as_of": as_of.isoformat()}).encode()
    began = time.perf_counter()
    status, _, answer = _request(service, "POST", "/trigger_report", body, {"Content-Type": "application/json"})
    if status != 202:
        raise infra.BenchError(f"POST /trigger_report answered {status}: {answer[:500]!r}")
    report_id = json.loads(answer)["report_id"]
    while True:
        status, headers, answer = _request(service, "GET", f"/get_report/{report_id}")
        if status != 200:
            raise infra.BenchError(f"GET /get_report/{report_id} answered {status}: {answer[:500]!r}")
        state = headers.get("X-Report-Status")
        if state == "Complete":
            break
        if state is None and json.loads(answer).get("status") == "Failed":
            raise infra.BenchError(f"report {report_id} failed: {json.loads(answer).get('error')}")
        if time.perf_counter() - began > timeout:
            raise infra.BenchError(f"report {report_id} not complete after {timeout:.0f} s")
        if service.worker is not None and service.worker.poll() is not None:
            raise infra.BenchError("the Celery worker exited during a report; see bench/out/logs/")
        time.sleep(poll_every)
    seconds = time.perf_counter() - began
    peak, processes, samples = sampler.max_rss() if sampler else (0, 0, 0)
    lines = answer.count(b"\n")
    if not answer.startswith(b"store_id,uptime_last_hour"):
        raise infra.BenchError(f"report {report_id}: the download is not the report's CSV: {answer[:200]!r}")
    polls_read, queued, running = _report_row(service, report_id)
    return ReportRun(
        seconds,
        lines - 1,
        hashlib.sha256(answer).hexdigest(),
        report_id,
        polls_read,
        queued,
        running,
        peak,
        processes,
        samples,
    )


def _report_row(service: infra.Service, report_id: str) -> tuple[int | None, float | None, float | None]:
    """(polls read, seconds queued, seconds running) from GET /api/reports/."""
    status, _, answer = _request(service, "GET", "/api/reports/")
    if status != 200:
        return None, None, None
    for row in json.loads(answer).get("results", []):
        if row.get("id") == report_id:
            created, started, finished = (
                dt.datetime.fromisoformat(row[k].replace("Z", "+00:00")) if row.get(k) else None
                for k in ("created_at", "started_at", "finished_at")
            )
            queued = (started - created).total_seconds() if created and started else None
            running = (finished - started).total_seconds() if started and finished else None
            return row.get("polls_read"), queued, running
    return None, None, None


def inproc(ds: infra.DataSet, args: list[str], log_name: str, timeout: float | None = None) -> dict:
    """Run `python -m bench.inproc ARGS` on the data set's database; its JSON answer (last stdout line)."""
    logs = infra.OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [infra.PYTHON, "-m", "bench.inproc", *args],
        cwd=infra.ROOT,
        env=infra.service_env(ds),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    (logs / f"{log_name}.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise infra.BenchError(f"bench.inproc {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
