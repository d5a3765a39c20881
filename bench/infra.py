"""Data sets, databases and the service's processes for the benchmark.

Nothing here imports Django: the benchmark process only starts Django
processes (manage.py, gunicorn, celery, bench.inproc) with an environment
pointing at one data set's database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# Every data set's database name starts with this, so that two benchmark runs on one server
# (two checkouts, say) can keep their data sets apart.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "lm_bench")

# Settings the benchmark sets itself; any such variable in the caller's
# environment is dropped so that the service runs on its defaults.
_OWN_PREFIXES = ("DATABASE_", "CELERY_", "REPORT_", "DJANGO_", "LOOPMONITOR_", "PG")


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


def celery_worker_command(node: str) -> list[str]:
    """The worker the benchmark and the load test run: 2 prefork processes, named `node`@host."""
    return [
        str(VENV_BIN / "celery"),
        "-A",
        "loopmonitor",
        "worker",
        "--concurrency",
        "2",
        "--pool",
        "prefork",
        "--loglevel",
        "INFO",
        "-n",
        f"{node}@%h",
    ]


def log(message: str) -> None:
    print(message, flush=True)


# --- preflight -----------------------------------------------------------------


def preflight() -> None:
    """Refuse to run (BenchError with a clear message) unless PostgreSQL, Redis and psql answer."""
    problems = []
    try:
        with admin_connection() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        problems.append(
            f"PostgreSQL at {PG_HOST}:{PG_PORT} (user {PG_USER}) is unreachable: {str(exc).strip()}\n"
            "  start it, or point BENCH_PG_HOST / BENCH_PG_PORT / BENCH_PG_USER at one"
        )
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3).ping()
    except Exception as exc:
        problems.append(f"Redis at {REDIS_URL} is unreachable: {exc}\n  start it, or set BENCH_REDIS_URL")
    if shutil.which("psql") is None:
        problems.append("psql is not on PATH (the floor is measured with it)")
    for tool in ("gunicorn", "celery"):
        if not (VENV_BIN / tool).exists():
            problems.append(f"{VENV_BIN / tool} is missing: run `make install`")
    if problems:
        raise BenchError("cannot run the benchmark:\n- " + "\n- ".join(problems))


# --- PostgreSQL ------------------------------------------------------------------


def conninfo(dbname: str = "postgres") -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname} connect_timeout=5"


def database_url(dbname: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(conninfo(), autocommit=True)


def db_recreate(dbname: str) -> None:
    with admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def db_marker(dbname: str) -> str | None:
    """The data set a database was loaded with (its COMMENT), or None."""
    with admin_connection() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [dbname]
        ).fetchone()
    return row[0] if row else None


def db_set_marker(dbname: str, marker: str) -> None:
    with admin_connection() as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(dbname), sql.Literal(marker)))


def db_vacuum(dbname: str) -> None:
    """VACUUM ANALYZE (what autovacuum does after a big insert), so that reports see a settled table."""
    with psycopg.connect(conninfo(dbname), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) stores_poll")
        conn.execute("VACUUM (ANALYZE) stores_store")
        conn.execute("VACUUM (ANALYZE) stores_businesshours")
        found = conn.execute("SELECT to_regclass('stores_specialhours')").fetchone()
        if found and found[0]:  # rule 11's table, when the schema has it
            conn.execute("VACUUM (ANALYZE) stores_specialhours")


def only_row(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    """The row of a query that always answers exactly one (an aggregate, SHOW)."""
    row = cursor.fetchone()
    if row is None:
        raise BenchError("a query that always answers one row answered none")
    return row


def db_scalar(dbname: str, query: str, params=None):
    with psycopg.connect(conninfo(dbname)) as conn:
        return only_row(conn.execute(query, params))[0]


def pg_version() -> str:
    with admin_connection() as conn:
        return only_row(conn.execute("SHOW server_version"))[0]


def pg_settings() -> dict[str, str]:
    names = ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather")
    with admin_connection() as conn:
        return {n: only_row(conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(n))))[0] for n in names}


def redis_flush() -> None:
    """Empty the benchmark's Redis database (the queue, unacked messages, everything): it is ours alone."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- data sets -------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    name: str  # "1x", "3x", "10x", "8w"
    stores: int
    days: float
    seed: int
    db: str
    # More `generate_data` options (e.g. the calendar shares); part of the key, so such a set has its own files.
    options: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        extra = "".join(f"-{o.lstrip('-')}" for o in self.options)
        return f"stores{self.stores}-days{self.days:g}-seed{self.seed}{extra}"

    @property
    def dir(self) -> Path:
        return OUT / "data" / self.key

    @property
    def marker(self) -> str:
        return f"loopmonitor bench data set {self.key}"

    @property
    def var_dir(self) -> Path:
        return OUT / "var" / self.name


def datasets(quick: bool) -> dict[str, DataSet]:
    if quick:
        return {
            "1x": DataSet("1x", 1_000, 7.75, 1, f"{DB_PREFIX}_quick_1x"),
            "3x": DataSet("3x", 3_000, 7.75, 1, f"{DB_PREFIX}_quick_3x"),
        }
    return {
        "1x": DataSet("1x", 14_000, 7.75, 1, f"{DB_PREFIX}_1x"),
        "3x": DataSet("3x", 42_000, 7.75, 1, f"{DB_PREFIX}_3x"),
        "10x": DataSet("10x", 140_000, 7.75, 1, f"{DB_PREFIX}_10x"),
        "8w": DataSet("8w", 14_000, 56, 1, f"{DB_PREFIX}_8w"),
    }


def service_env(ds: DataSet) -> dict[str, str]:
    """The environment of every Django process of one data set: production-like, the service's defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    ds.var_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        DATABASE_URL=database_url(ds.db),
        CELERY_BROKER_URL=REDIS_URL,
        LOOPMONITOR_VAR_DIR=str(ds.var_dir),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="loopmonitor-benchmark-only-not-a-secret",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        # The benchmark triggers reports back to back; the per-key limit (default 30/minute) is not what it measures.
        REPORT_TRIGGER_RATE="10000/minute",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(ds: DataSet, *args: str, log_name: str) -> subprocess.CompletedProcess:
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{log_name}.log", "w") as out:
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=service_env(ds), stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        tail = (logs / f"{log_name}.log").read_text()[-2000:]
        raise BenchError(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{tail}")
    return done


def generate(ds: DataSet) -> dict:
    """The data set's CSVs in bench/out/data/<key>/, generated once and reused."""
    params: dict[str, object] = {"stores": ds.stores, "days": ds.days, "seed": ds.seed}
    if ds.options:
        params["options"] = list(ds.options)
    meta_file = ds.dir / "bench-params.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta.get("params") == params and all((ds.dir / f).exists() for f in meta.get("files", [])):
            return meta
    log(f"  generating {ds.name} ({ds.key}) in {ds.dir.relative_to(ROOT)}/ ...")
    if ds.dir.exists():
        shutil.rmtree(ds.dir)
    began = time.perf_counter()
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cmd = [
        "manage.py",
        "generate_data",
        "--out",
        str(ds.dir),
        "--stores",
        str(ds.stores),
        "--days",
        f"{ds.days:g}",
        "--seed",
        str(ds.seed),
        *ds.options,
    ]
    done = subprocess.run([PYTHON, *cmd], cwd=ROOT, env=service_env(ds), capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"generate_data failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
    files = sorted(p.name for p in ds.dir.glob("*.csv"))
    meta = {
        "params": params,
        "files": files,
        "bytes": {f: (ds.dir / f).stat().st_size for f in files},
        "summary": done.stdout.strip().split(" in /")[0].split(f" in {ds.dir}")[0],
        "seconds": round(time.perf_counter() - began, 1),
    }
    meta_file.write_text(json.dumps(meta, indent=1))
    return meta


def migrate(ds: DataSet) -> None:
    manage(ds, "migrate", "--noinput", log_name=f"migrate-{ds.name}")


_API_KEY = """
from brands.models import Role
from brands.services import apikey_create
print("KEY", apikey_create(brand=None, role=Role.ADMIN, name="bench")[1])
"""


def api_key(ds: DataSet) -> str:
    """A new platform staff API key "bench" in the data set's database (only its hash is stored there)."""
    manage(ds, "shell", "-c", _API_KEY, log_name=f"api-key-{ds.name}")
    text = (OUT / "logs" / f"api-key-{ds.name}.log").read_text()
    keys = [line.split()[1] for line in text.splitlines() if line.startswith("KEY ")]
    if not keys:
        raise BenchError(f"could not make an API key: {text[-1000:]}")
    return keys[-1]


@dataclass
class ProcessRun:
    seconds: float
    peak_rss: int  # bytes, the kernel's high-water mark for the process (wait4)
    returncode: int
    output: str


def run_measured(argv: list[str], env: dict, log_name: str) -> ProcessRun:
    """Run a process to completion: wall time and its peak RSS (ru_maxrss from wait4)."""
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"{log_name}.log"
    with open(path, "w") as out:
        began = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(seconds, usage.ru_maxrss * 1024, proc.returncode, path.read_text())


def load(ds: DataSet, log_name: str) -> ProcessRun:
    folder = str(ds.dir.relative_to(ROOT))  # relative: load_data's summary names the files by it
    run = run_measured([PYTHON, "manage.py", "load_data", "--dir", folder], service_env(ds), log_name)
    if run.returncode != 0:
        raise BenchError(f"load_data --dir {ds.dir} failed ({run.returncode}):\n{run.output[-2000:]}")
    return run


def load_before(ds: DataSet, checkout: Path, log_name: str) -> ProcessRun:
    """`load_data --dir` of the data set by an older checkout of the project (its own manage.py,
    this interpreter), into the data set's database migrated by that checkout: the "before"."""
    env = service_env(ds)
    done = subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput"], cwd=checkout, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"migrate in {checkout} failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{log_name}.log", "w") as out:
        began = time.perf_counter()
        proc = subprocess.Popen(
            [PYTHON, "manage.py", "load_data", "--dir", str(ds.dir)],
            cwd=checkout,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
    code = os.waitstatus_to_exitcode(status)
    text = (logs / f"{log_name}.log").read_text()
    if code != 0:
        raise BenchError(f"load_data in {checkout} failed ({code}):\n{text[-2000:]}")
    return ProcessRun(seconds, usage.ru_maxrss * 1024, code, text)


def psql_seconds(db: str, command: str, what: str, env: dict[str, str] | None = None) -> float:
    """Seconds for `psql -c command` on database `db`, process start to exit (its output discarded)."""
    argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo(db), "-c", command]
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise BenchError(f"{what} failed: {done.stderr.strip()}")
    return seconds


def load_floor(ds: DataSet) -> float:
    """Seconds for a bare `psql \\copy` of the polls file into a table of its three columns, the
    instant cast to timestamptz (no validation, no stores, no indexes), process start to exit."""
    with psycopg.connect(conninfo(ds.db), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor_polls")
        conn.execute("CREATE TABLE bench_floor_polls (store_id text, status text, timestamp_utc timestamptz)")
    path = ds.dir / "store_status.csv"
    command = f"\\copy bench_floor_polls FROM '{path}' WITH (FORMAT csv, HEADER true)"
    seconds = psql_seconds(ds.db, command, "psql \\copy floor")
    with psycopg.connect(conninfo(ds.db), autocommit=True) as conn:
        conn.execute("DROP TABLE bench_floor_polls")
    return seconds


def ensure_loaded(ds: DataSet) -> None:
    """Make sure the data set's database holds exactly that data set (load it, untimed, if not)."""
    generate(ds)
    if db_marker(ds.db) == ds.marker:
        return
    log(f"  loading {ds.name} into {ds.db} (not timed: the database was missing or held other data) ...")
    db_recreate(ds.db)
    migrate(ds)
    load(ds, f"load-{ds.name}-setup")
    finish_load(ds)


def finish_load(ds: DataSet) -> None:
    db_vacuum(ds.db)
    db_set_marker(ds.db, ds.marker)


# --- processes ---------------------------------------------------------------------


# BENCH_PORTS=LO-HI: take the service's ports from that range only (a machine shared by several
# checkouts, each given its own ports); unset, any free port.
PORTS = os.environ.get("BENCH_PORTS", "")


def free_port() -> int:
    candidates = [0]
    if PORTS:
        lo, _, hi = PORTS.partition("-")
        candidates = list(range(int(lo), int(hi or lo) + 1))
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise BenchError(f"no free port in BENCH_PORTS={PORTS}")


class Children:
    """Subprocesses started in their own process groups, always stopped (stop_all)."""

    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict, log_path: Path, cwd: Path = ROOT) -> subprocess.Popen:
        """Start `argv` in `cwd` (another checkout's, to run its code: gunicorn and celery import from there)."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(log_path, "w")
        try:
            proc = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            out.close()
        self.procs.append((name, proc))
        return proc

    def stop_all(self, grace: float = 15.0) -> None:
        for _, proc in self.procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"  {name} did not stop on SIGTERM; killing it")
            _signal_group(proc, signal.SIGKILL)  # leftovers of the group (worker children)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the group we created with start_new_session: only our processes
    except (ProcessLookupError, PermissionError):
        pass


class RssSampler:
    """Samples the RSS of a process and all its descendants every `interval` seconds, in a thread."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.lock = threading.Lock()
        self.peak: dict[int, int] = {}
        self.samples = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()

    def _run(self):
        while not self.stopping.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                procs = []
            seen = {}
            for p in procs:
                try:
                    seen[p.pid] = p.memory_info().rss
                except psutil.Error:
                    pass
            with self.lock:
                for pid, rss in seen.items():
                    if rss > self.peak.get(pid, 0):
                        self.peak[pid] = rss
                self.samples += 1
            self.stopping.wait(self.interval)

    def reset(self) -> None:
        with self.lock:
            self.peak = {}
            self.samples = 0

    def max_rss(self) -> tuple[int, int, int]:
        """(the largest RSS of any one process, the number of processes seen, samples taken) since reset."""
        with self.lock:
            return max(self.peak.values(), default=0), len(self.peak), self.samples


class Supervised:
    """A context manager over `self.children`: `_start()` on entry; every child stopped on exit or failure."""

    children: Children

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.children.stop_all()
            raise
        return self

    def __exit__(self, *exc):
        self.children.stop_all()

    def _start(self) -> None:
        raise NotImplementedError


class Service(Supervised):
    """The web server (gunicorn, 2 workers) and a Celery worker (concurrency 2) on one data set's database,
    running the code of `tree` (this checkout, or another one's: bench/overview.py's before and after)."""

    def __init__(self, ds: DataSet, tree: Path = ROOT):
        self.ds = ds
        self.tree = tree
        self.children = Children()
        self.port = 0
        self.worker: subprocess.Popen | None = None
        self.key = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self):
        env = service_env(self.ds)
        if self.tree != ROOT:
            env["PYTHONPATH"] = str(self.tree)  # the tree's own packages first
        media = self.ds.var_dir / "media"
        if media.exists():
            shutil.rmtree(media)  # old reports' CSVs
        redis_flush()
        migrate(self.ds)  # a database loaded by an older checkout gets the newer migrations
        self.key = api_key(self.ds)
        logs = OUT / "logs"
        self.port = free_port()
        self.children.start(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "loopmonitor.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            env,
            logs / f"gunicorn-{self.ds.name}.log",
            cwd=self.tree,
        )
        self.worker = self.children.start(
            "celery worker",
            celery_worker_command(f"bench-{self.ds.name}-{os.getpid()}"),
            env,
            logs / f"worker-{self.ds.name}.log",
            cwd=self.tree,
        )
        deadline = time.monotonic() + 60
        while True:
            for name, proc in self.children.procs:
                if proc.poll() is not None:
                    raise BenchError(f"{name} exited ({proc.returncode}) at start; see bench/out/logs/")
            try:
                probe = urllib.request.Request(self.base + "/healthz", headers={"X-Forwarded-Proto": "https"})
                with urllib.request.urlopen(probe, timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise BenchError(
                    f"the web server did not answer /healthz within 60 s; see {logs}/gunicorn-{self.ds.name}.log"
                )
            time.sleep(0.2)
