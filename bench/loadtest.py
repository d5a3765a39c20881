"""python -m bench.loadtest [--seconds 60] [--readers 50] [--pushers 5]: a short load test on loopback.

It starts the service itself, production-like, on its own PostgreSQL
database (`lm_load`, recreated, migrated, the `data/` sample loaded) and Redis
database (10, emptied: the Celery broker and the cache, so the per-key
throttle is shared by the web workers as in docker-compose.yml): gunicorn
(`--workers 4`, sync) and a Celery worker (`--concurrency 2`), with
`DJANGO_DEBUG=0` and otherwise the service's defaults (the trigger rate
included: `python -m bench` lifts it, this does not). It makes a platform staff API key (`manage.py
apikey_create --staff`), triggers a few reports and waits for them, then for
`--seconds`:

- `--readers` clients each fetch `GET /get_report/<id>` (one of those
  reports, in turn) again and again: the whole CSV;
- `--pushers` clients each push batches of `--batch` new polls (`POST
  /api/polls`, JSON) again and again, every poll at its own instant, so each
  batch inserts exactly its rows.

Every client is a thread with its own connections (stdlib http.client, one
per request: gunicorn's sync workers close each connection anyway), 127.0.0.1
only, each request bounded by a timeout and each client by `--max-requests`.
Counted: requests served per kind, p50/p99 latency (request sent to whole
body read), errors (any exception or non-2xx answer; must be 0) and rows lost
(after the run the polls table must hold the sample's polls plus every row a
pusher got a 2xx for, and every acknowledged row must be there; must be 0).

The figures are printed and written into the "Load test" section of
BENCHMARKS.md (between `<!-- loadtest:start -->` and `<!-- loadtest:end -->`;
the rest of the file is left as it is); `--no-write` only prints them.
Exit status: 0 when errors and rows lost are both 0, 1 otherwise, 2 when the
run could not start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import infra
from bench.infra import BenchError, log

DB = "lm_load"
REDIS_URL = os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/10")
DATA_DIR = "data"  # the sample `make run` loads
USER = "loadtest"
TIMEOUT = 30.0  # seconds, any one request
# Pushed polls live after the sample (which ends 2023-01-25 18:00 UTC), one instant each.
PUSH_EPOCH = dt.datetime(2023, 2, 1, tzinfo=dt.UTC)
PUSH_SLOTS_PER_PUSHER = 10_000_000  # seconds of instants reserved for each pusher
# Reports the readers read: as of the latest poll, and two earlier instants (distinct as_of: distinct reports).
REPORT_BODIES = [{}, {"as_of": "2023-01-24T12:00:00Z"}, {"as_of": "2023-01-22T06:00:00Z"}]

BEGIN = "<!-- loadtest:start -->"
END = "<!-- loadtest:end -->"
BENCHMARKS = infra.ROOT / "BENCHMARKS.md"


# --- the service ------------------------------------------------------------------------


def service_env() -> dict[str, str]:
    ds = infra.DataSet("load", 0, 0, 0, DB)  # only for its var dir (bench/out/var/load) and database
    env = infra.service_env(ds)
    env.pop("REPORT_TRIGGER_RATE", None)  # the service's own per-key limit: the readers never trigger
    env.update(CELERY_BROKER_URL=REDIS_URL, CACHE_REDIS_URL=REDIS_URL)
    return env


def manage(*args: str, log_name: str) -> str:
    logs = infra.OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [infra.PYTHON, "manage.py", *args], cwd=infra.ROOT, env=service_env(), capture_output=True, text=True
    )
    (logs / f"{log_name}.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise BenchError(
            f"manage.py {' '.join(args)} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-2000:]}"
        )
    return done.stdout


def preflight() -> None:
    problems = []
    try:
        with infra.admin_connection() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        problems.append(f"PostgreSQL at {infra.PG_HOST}:{infra.PG_PORT} is unreachable: {str(exc).strip()}")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3).ping()
    except Exception as exc:
        problems.append(f"Redis at {REDIS_URL} is unreachable: {exc}")
    for tool in ("gunicorn", "celery"):
        if not (infra.VENV_BIN / tool).exists():
            problems.append(f"{infra.VENV_BIN / tool} is missing: run `make install`")
    if problems:
        raise BenchError("cannot run the load test:\n- " + "\n- ".join(problems))


def prepare_database() -> tuple[int, str]:
    """A fresh `lm_load` with the sample loaded and a staff key: (polls in the sample, key)."""
    log(f"  database {DB}: recreate, migrate, load {DATA_DIR}/ ...")
    infra.db_recreate(DB)
    manage("migrate", "--noinput", log_name="loadtest-migrate")
    manage("load_data", "--dir", DATA_DIR, log_name="loadtest-load")
    infra.db_vacuum(DB)
    out = manage("apikey_create", "--staff", "--name", USER, log_name="loadtest-token")
    key = out.strip().splitlines()[-1] if out.strip() else ""
    if not re.fullmatch(r"\w{8}\.\w+", key):
        raise BenchError(f"apikey_create printed no key: {out!r}")
    return infra.db_scalar(DB, "SELECT count(*) FROM stores_poll"), key


class Service(infra.Supervised):
    """gunicorn (`workers` sync workers) and a Celery worker (concurrency 2) on `lm_load`, always stopped."""

    def __init__(self, workers: int):
        self.workers = workers
        self.children = infra.Children()
        self.port = 0

    def _start(self) -> None:
        import redis

        env = service_env()
        redis.Redis.from_url(REDIS_URL).flushdb()  # the load test's own database: stale tasks, old throttle counts
        logs = infra.OUT / "logs"
        self.port = infra.free_port()
        self.children.start(
            "gunicorn",
            [
                str(infra.VENV_BIN / "gunicorn"),
                "loopmonitor.wsgi:application",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            env,
            logs / "loadtest-gunicorn.log",
        )
        self.children.start(
            "celery worker",
            infra.celery_worker_command(f"loadtest-{os.getpid()}"),
            env,
            logs / "loadtest-worker.log",
        )
        deadline = time.monotonic() + 60
        while True:
            for name, proc in self.children.procs:
                if proc.poll() is not None:
                    raise BenchError(f"{name} exited ({proc.returncode}) at start; see {logs}/loadtest-*.log")
            try:
                if Client(self.port, key="").request("GET", "/healthz").status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(
                    f"the web server did not answer /healthz within 60 s; see {logs}/loadtest-gunicorn.log"
                )
            time.sleep(0.2)


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    seconds: float


class Client:
    """One request per connection to 127.0.0.1:port, with the key; the whole body is read."""

    def __init__(self, port: int, key: str):
        self.port = port
        self.headers = {"X-Forwarded-Proto": "https"}  # DJANGO_DEBUG=0 redirects plain HTTP; TLS ends at a proxy
        if key:
            self.headers["Authorization"] = f"Token {key}"

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> Answer:
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        began = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        return Answer(response.status, response.getheader("Content-Type", ""), data, time.perf_counter() - began)


def trigger_reports(client: Client, timeout: float = 180.0) -> list[str]:
    """Trigger the reports the readers read and wait until each is Complete."""
    ids = []
    for body in REPORT_BODIES:
        answer = client.request("POST", "/trigger_report", json.dumps(body).encode(), "application/json")
        if answer.status != 202:
            raise BenchError(f"POST /trigger_report {body}: {answer.status} {answer.body[:300]!r}")
        ids.append(json.loads(answer.body)["report_id"])
    deadline = time.monotonic() + timeout
    for report_id in ids:
        while True:
            answer = client.request("GET", f"/get_report/{report_id}")
            if answer.status == 200 and answer.content_type.startswith("text/csv"):
                break
            if answer.status != 200 or json.loads(answer.body).get("status") == "Failed":
                raise BenchError(f"report {report_id}: {answer.status} {answer.body[:300]!r}")
            if time.monotonic() > deadline:
                raise BenchError(f"report {report_id} not complete after {timeout:.0f} s")
            time.sleep(0.2)
    return ids


# --- the clients ----------------------------------------------------------------------------


@dataclass
class Tally:
    """One client's results (only its own thread writes it)."""

    latencies: list[float] = field(default_factory=list)  # of the 2xx answers
    errors: list[str] = field(default_factory=list)
    rows_acked: int = 0  # pushers: rows of the batches answered 2xx
    bytes_read: int = 0


def reader(
    client: Client,
    report_ids: list[str],
    offset: int,
    stop: threading.Event,
    max_requests: int,
    expected: dict[str, bytes],
    tally: Tally,
) -> None:
    i = offset
    while not stop.is_set() and len(tally.latencies) + len(tally.errors) < max_requests:
        report_id = report_ids[i % len(report_ids)]
        i += 1
        try:
            answer = client.request("GET", f"/get_report/{report_id}")
        except Exception as exc:
            tally.errors.append(f"GET /get_report/{report_id}: {type(exc).__name__}: {exc}")
            continue
        if not 200 <= answer.status < 300:
            tally.errors.append(f"GET /get_report/{report_id}: {answer.status} {answer.body[:200]!r}")
        elif answer.body != expected[report_id]:
            tally.errors.append(f"GET /get_report/{report_id}: 200 but not the report's CSV ({len(answer.body)} bytes)")
        else:
            tally.latencies.append(answer.seconds)
            tally.bytes_read += len(answer.body)


def batch_items(store_ids: list[str], pusher: int, batch: int, size: int) -> list[dict]:
    """`size` polls, each at its own instant (pusher, batch and row decide it), on the sample's stores."""
    first = pusher * PUSH_SLOTS_PER_PUSHER + batch * size
    items = []
    for row in range(size):
        n = first + row
        at = PUSH_EPOCH + dt.timedelta(seconds=n)
        items.append(
            {
                "store_id": store_ids[n % len(store_ids)],
                "timestamp_utc": at.strftime("%Y-%m-%d %H:%M:%S.%f UTC"),
                "status": "inactive" if n % 7 == 0 else "active",
            }
        )
    return items


def pusher(
    client: Client, store_ids: list[str], index: int, size: int, stop: threading.Event, max_requests: int, tally: Tally
) -> None:
    batch = 0
    while not stop.is_set() and batch < max_requests:
        if (batch + 1) * size > PUSH_SLOTS_PER_PUSHER:
            break
        body = json.dumps(batch_items(store_ids, index, batch, size)).encode()
        batch += 1
        try:
            answer = client.request("POST", "/api/polls", body, "application/json")
        except Exception as exc:
            tally.errors.append(f"POST /api/polls (pusher {index}, batch {batch}): {type(exc).__name__}: {exc}")
            continue
        if not 200 <= answer.status < 300:
            tally.errors.append(
                f"POST /api/polls (pusher {index}, batch {batch}): {answer.status} {answer.body[:200]!r}"
            )
            continue
        tally.latencies.append(answer.seconds)
        tally.rows_acked += size
        inserted = json.loads(answer.body).get("inserted")
        if inserted != size:  # a 2xx that did not insert the whole batch: those rows are lost
            tally.errors.append(
                f"POST /api/polls (pusher {index}, batch {batch}): 200 but inserted={inserted} of {size}"
            )


# --- the run ----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


def run(args) -> dict:
    started_at = dt.datetime.now(dt.UTC)
    loadavg_start = os.getloadavg()
    sample_polls, key = prepare_database()
    store_ids = [row[0] for row in _db_rows("SELECT store_id FROM stores_store ORDER BY store_id")]
    with Service(args.gunicorn_workers) as service:
        client = Client(service.port, key)
        log(
            f"  service on 127.0.0.1:{service.port} "
            f"(gunicorn --workers {args.gunicorn_workers}, celery --concurrency 2)"
        )
        report_ids = trigger_reports(client)
        expected = {rid: client.request("GET", f"/get_report/{rid}").body for rid in report_ids}
        log(f"  {len(report_ids)} reports complete ({', '.join(f'{len(b):,} bytes' for b in expected.values())})")

        stop = threading.Event()
        readers = [Tally() for _ in range(args.readers)]
        pushers = [Tally() for _ in range(args.pushers)]
        threads = [
            threading.Thread(
                target=reader,
                args=(Client(service.port, key), report_ids, i, stop, args.max_requests, expected, t),
                daemon=True,
                name=f"reader-{i}",
            )
            for i, t in enumerate(readers)
        ] + [
            threading.Thread(
                target=pusher,
                args=(Client(service.port, key), store_ids, i, args.batch, stop, args.max_requests, t),
                daemon=True,
                name=f"pusher-{i}",
            )
            for i, t in enumerate(pushers)
        ]
        log(
            f"  {args.readers} readers and {args.pushers} pushers ({args.batch} polls a batch) "
            f"for {args.seconds:g} s ..."
        )
        began = time.perf_counter()
        for t in threads:
            t.start()
        try:
            stop.wait(args.seconds)
        finally:
            stop.set()
            for t in threads:
                t.join(TIMEOUT + 5)
        elapsed = time.perf_counter() - began
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            raise BenchError(f"clients still running {TIMEOUT + 5:.0f} s after the end: {', '.join(stuck)}")

    polls_after = infra.db_scalar(DB, "SELECT count(*) FROM stores_poll")
    pushed_in_db = infra.db_scalar(DB, "SELECT count(*) FROM stores_poll WHERE observed_at_utc >= %s", [PUSH_EPOCH])
    rows_acked = sum(t.rows_acked for t in pushers)

    def kind(tallies: list[Tally], what: str) -> dict:
        lat = [x for t in tallies for x in t.latencies]
        errors = [e for t in tallies for e in t.errors]
        return {
            "what": what,
            "clients": len(tallies),
            "served": len(lat),
            "per_second": len(lat) / elapsed,
            "p50": percentile(lat, 50),
            "p99": percentile(lat, 99),
            "max": max(lat, default=None),
            "errors": len(errors),
            "first_errors": errors[:10],
            "bytes": sum(t.bytes_read for t in tallies),
        }

    from bench.__main__ import git_state, machine

    commit, _ = git_state()
    return {
        "date": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "command": ".venv/bin/python -m bench.loadtest" + "".join(f" {a}" for a in sys.argv[1:]),
        "machine": machine(),
        "loadavg_start": loadavg_start,
        "loadavg_end": os.getloadavg(),
        "args": vars(args),
        "seconds": elapsed,
        "report_bytes": [len(b) for b in expected.values()],
        "read": kind(readers, f"`GET /get_report/<id>` (the whole CSV of one of {len(report_ids)} reports)"),
        "push": kind(pushers, f"`POST /api/polls` (JSON, {args.batch} new polls a batch)"),
        "sample_polls": sample_polls,
        "stores": len(store_ids),
        "rows_acked": rows_acked,
        "polls_after": polls_after,
        "pushed_in_db": pushed_in_db,
        "rows_lost": max(0, sample_polls + rows_acked - polls_after),
        "rows_extra": max(0, polls_after - sample_polls - rows_acked),
        "acked_rows_missing": max(0, rows_acked - pushed_in_db),
    }


def _db_rows(query: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(infra.conninfo(DB)) as conn:
        return conn.execute(query).fetchall()


# --- output ---------------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def render(r: dict) -> str:
    m, a = r["machine"], r["args"]
    errors = r["read"]["errors"] + r["push"]["errors"]
    ok = errors == 0 and r["rows_lost"] == 0 and r["acked_rows_missing"] == 0
    lines = [
        BEGIN,
        "## Load test",
        "",
        "Generated by `bench/loadtest.py` (`.venv/bin/python -m bench.loadtest`); run it again rather than edit this "
        "section by hand. `python -m bench` rewrites the rest of this file and does not keep this section: run the "
        "load test after it.",
        "",
        f"{a['readers']} clients read reports and {a['pushers']} push polls at the same time for {r['seconds']:.1f} s, "
        f"over loopback (127.0.0.1), against gunicorn (`--workers {a['gunicorn_workers']}`, sync) and a Celery worker "
        "(`--concurrency 2`) started by the test with `DJANGO_DEBUG=0` on PostgreSQL (database `lm_load`, the `data/` "
        f"sample: {r['sample_polls']:,} polls of {r['stores']:,} stores) "
        "and Redis (database 10: broker and cache). Each reader "
        f"fetches `GET /get_report/<id>` (one of {len(r['report_bytes'])} complete reports in turn, "
        f"{'/'.join(f'{b:,}' for b in r['report_bytes'])} bytes of CSV, checked byte for byte) again and again; each "
        f"pusher sends `POST /api/polls` with {a['batch']} new polls (JSON, every poll at its own instant) again and "
        "again. Every client is a thread of one Python process (stdlib `http.client`, a connection per request, "
        f"{TIMEOUT:.0f} s timeout); latency is from sending the request to having read the whole answer, so it "
        "includes the client's own share of this 2-core machine (the clients, gunicorn, the worker and PostgreSQL "
        "all run on it).",
        "",
        "|  |  |",
        "|---|---|",
        f"| Date | {r['date']} |",
        f"| Commit | `{r['commit']}` |",
        f"| Command | `{r['command']}` |",
        f"| Machine | {m['cpu']}, {m['cores']} cores, {m['ram_gib']:.1f} GiB RAM; "
        f"PostgreSQL {m['postgresql'].split()[0]}, "
        f"Redis {m['redis']}, Python {m['python']} |",
        f"| Load average | {' / '.join(f'{x:.1f}' for x in r['loadavg_start'])} at the start, "
        f"{' / '.join(f'{x:.1f}' for x in r['loadavg_end'])} at the end |",
        "",
        "| Requests | Clients | Served (2xx) | Per second | p50 | p99 | Max | Errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k in ("read", "push"):
        x = r[k]
        lines.append(
            f"| {x['what']} | {x['clients']} | {x['served']:,} | {x['per_second']:.1f} | {_ms(x['p50'])} | "
            f"{_ms(x['p99'])} | {_ms(x['max'])} | **{x['errors']}** |"
        )
    lines += [
        "",
        "| Polls | |",
        "|---|---:|",
        f"| In the sample, before the run | {r['sample_polls']:,} |",
        f"| Acknowledged by a 2xx to a pusher | {r['rows_acked']:,} ({r['rows_acked'] / r['seconds']:,.0f} polls/s) |",
        f"| In the table after the run | {r['polls_after']:,} |",
        f"| Rows lost (sample + acknowledged - in the table, at least 0) | **{r['rows_lost']}** |",
        f"| Acknowledged rows missing from the table | **{r['acked_rows_missing']}** |",
        f"| Rows in the table that no 2xx acknowledged | {r['rows_extra']} |",
        "",
        ("Errors 0 and rows lost 0: **PASS**." if ok else "Errors or lost rows: **FAIL**."),
    ]
    shown = r["read"]["first_errors"] + r["push"]["first_errors"]
    if shown:
        lines += ["", "First errors:", "", "```", *shown[:10], "```"]
    lines.append(END)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run (default 60)")
    parser.add_argument("--readers", type=int, default=50, help="clients reading reports (default 50)")
    parser.add_argument("--pushers", type=int, default=5, help="clients pushing polls (default 5)")
    parser.add_argument("--batch", type=int, default=100, help="polls per pushed batch (default 100)")
    parser.add_argument("--gunicorn-workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="at most this many requests per client")
    parser.add_argument("--no-write", action="store_true", help="print the figures; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.readers < 0 or args.pushers < 0 or args.batch < 1 or args.seconds > 3600:
        parser.error("--seconds must be in (0, 3600], --readers/--pushers >= 0, --batch >= 1")

    signal.signal(signal.SIGTERM, _interrupt)  # unwind like Ctrl-C: the service's processes are stopped
    try:
        preflight()
    except BenchError as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    log("loopmonitor load test")
    try:
        results = run(args)
    except BenchError as exc:
        print(f"\nloadtest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nloadtest: interrupted; processes stopped", file=sys.stderr)
        return 130
    out = infra.OUT / "loadtest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str))
    section = render(results)
    log("\n" + section)
    if not args.no_write:
        write_section(section)
        log(f"wrote the Load test section of {BENCHMARKS.relative_to(infra.ROOT)} (and {out.relative_to(infra.ROOT)})")
    failed = (
        results["read"]["errors"] + results["push"]["errors"] + results["rows_lost"] + results["acked_rows_missing"]
    )
    return 0 if failed == 0 else 1


def _interrupt(*_):
    raise KeyboardInterrupt("SIGTERM")


if __name__ == "__main__":
    sys.exit(main())
