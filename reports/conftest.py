"""Fixtures of the reports app: small stores with known numbers, inline tasks, and a real
Celery worker process for the queue tests. The API key and client are loopmonitor/testing.py's."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from loopmonitor.celery import app as celery_app
from reports.tests import worker_faults
from stores.conftest import make_store  # one builder for both apps' tests (reports may import stores)

UTC = dt.UTC
# docs/numbers.md example A: T = Monday 2023-01-23 12:00 New York = 17:00 UTC.
EXAMPLE_A_AS_OF = dt.datetime(2023, 1, 23, 17, 0, tzinfo=UTC)
EXAMPLE_A_ROW = "1481966498820158979,0.0,1.74,1.74,60.0,1.26,1.26"


@pytest.fixture
def example_fleet(db):
    """Example A of docs/numbers.md, a store known only from timezones.csv (D), a UUID store with polls."""
    make_store(
        "1481966498820158979",
        timezone_str="America/New_York",
        hours=[(0, "09:00", "12:00")],
        polls=[
            (dt.datetime(2023, 1, 23, 15, 14, tzinfo=UTC), True),
            (dt.datetime(2023, 1, 23, 16, 15, tzinfo=UTC), False),
            (dt.datetime(2023, 1, 23, 13, 30, tzinfo=UTC), False),  # 08:30 local: closed, ignored (example B)
        ],
    )
    make_store("99", timezone_str="")
    make_store(
        "0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11",
        polls=[(EXAMPLE_A_AS_OF - dt.timedelta(minutes=30), True)],
    )
    return EXAMPLE_A_AS_OF


# Two brands' stores (issue 14): acme's and globex's, interleaved by primary key, and one of no brand.
BRANDS_AS_OF = dt.datetime(2023, 1, 23, 17, 0, tzinfo=UTC)  # a Monday
STORE_OWNERS = {
    "store-0": "acme",
    "store-1": "globex",
    "store-2": "acme",
    "store-3": "globex",
    "store-4": None,
    "store-5": "acme",
    "store-6": "globex",
}
ACME_STORES = [s for s, owner in STORE_OWNERS.items() if owner == "acme"]
# The latest poll of each: acme's is the oldest, the brandless store's the fleet's latest (rule 2).
LATEST_POLL = {
    "acme": BRANDS_AS_OF - dt.timedelta(hours=1),
    "globex": BRANDS_AS_OF - dt.timedelta(minutes=5),
    None: BRANDS_AS_OF - dt.timedelta(minutes=2),
}


@pytest.fixture
def two_brands(db) -> dict[str | None, object]:
    """The stores of STORE_OWNERS, created in that order (so that a brand's shards, ranges of primary
    keys, span the other brand's stores), each with its own hours, timezone and a week of polls up
    to its brand's LATEST_POLL. Returns the brands by slug."""
    from brands.services import brand_get_or_create
    from stores.models import Store

    brands: dict[str | None, object] = {
        "acme": brand_get_or_create(slug="acme", name="ACME Burgers"),
        "globex": brand_get_or_create(slug="globex", name="Globex Pizza"),
        None: None,
    }
    zones = ["America/New_York", "America/Chicago", "", "Europe/Berlin"]
    for i, (store_id, owner) in enumerate(STORE_OWNERS.items()):
        latest = LATEST_POLL[owner]
        polls = [(latest - dt.timedelta(minutes=(53 + i) * k), (k + i) % 3 != 0) for k in range(200)]
        hours = [(day, f"{8 + i:02d}:00", f"{12 + i:02d}:30") for day in range(7) if (day + i) % 4]
        store = make_store(store_id, timezone_str=zones[i % len(zones)], hours=hours, polls=polls)
        Store.objects.filter(pk=store.pk).update(brand=brands[owner])
    return brands


@pytest.fixture
def worker_alive(db) -> str:
    """A worker's heartbeat, as a worker writes it (reports.heartbeat), for tests of what a live
    worker changes without starting one (the queue tests start real ones). Returns its node name."""
    from reports.heartbeat import heartbeat_record

    hostname = "celery@test-worker"
    heartbeat_record(hostname=hostname)
    return hostname


@pytest.fixture
def eager_tasks():
    """Run tasks inline, in this process (API contract tests; the queue has its own test)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


def _database_url(db: dict) -> str:
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """A real `celery worker` process on the test database (or `env`'s DATABASE_URL) and the configured broker.

    `shard_delay`: every shard task waits that many seconds before it runs
    (reports/tests/worker_faults.py, loaded into this worker only), so that a
    test can kill the worker or the database while a shard is in its hands.
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        name: str,
        concurrency: int = 1,
        beat: bool = False,
        env: dict | None = None,
        shard_delay: float | None = None,
    ):
        self.log_path = log_dir / f"worker-{name}.log"
        # The session's LOOPMONITOR_VAR_DIR (inherited), hence the broker folder of the embedded
        # default; the test's MEDIA_ROOT (in its temporary folder), where the test reads report files.
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(connection.settings_dict),
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **(env or {}),
        }
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "loopmonitor",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
        ]
        if beat:
            argv += ["--beat", "--schedule", str(log_dir / f"beat-{name}")]
        if shard_delay is not None:
            argv += ["--include", worker_faults.__name__]
            env[worker_faults.SHARD_DELAY_ENV] = str(shard_delay)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for("ready.", timeout=60)

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once: nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited ({self.process.returncode}):\n{self.output()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker never printed {text!r}:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


@pytest.fixture
def start_worker(tmp_path):
    """Start real worker processes; all are stopped after the test. Stale messages are purged first."""
    celery_app.control.purge()
    workers: list[WorkerProcess] = []

    def start(
        name: str = "worker",
        concurrency: int = 1,
        beat: bool = False,
        env: dict | None = None,
        shard_delay: float | None = None,
    ) -> WorkerProcess:
        workers.append(
            WorkerProcess(tmp_path, name=name, concurrency=concurrency, beat=beat, env=env, shard_delay=shard_delay)
        )
        return workers[-1]

    yield start
    for w in workers:
        w.stop()
