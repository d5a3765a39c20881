"""Throwaway PostgreSQL clusters for the tests that stop, pause or replicate a database
(test_db_outage.py, test_replica.py): initdb into a temporary folder, `pg_ctl` on a port of
their own, a hot standby made with `pg_basebackup -R`, and the app's `manage.py` run on them.

Never the suite's database, never the machine's shared cluster: each cluster is a folder
of its own that `remove` stops and deletes (and `timeout_guard` stops, should a test hang).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres OS user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class ThrowawayPostgres:
    data_dir: Path
    port: int
    url: str
    pg_ctl: str
    as_postgres: list[str]
    # Server settings given at each start (`-c name=value`), on top of the cluster's own.
    options: dict[str, str] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"postgres-{self.port}.log"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            self.as_postgres + [self.pg_ctl, "-D", str(self.data_dir), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        sock_dir = self.data_dir.parent
        extra = "".join(f" -c {name}={value}" for name, value in self.options.items())
        self._ctl(
            "-l",
            str(self.log_path),
            "-w",
            "-t",
            "30",
            "start",
            "-o",
            f"-p {self.port} -k {sock_dir} -c listen_addresses=127.0.0.1 -c fsync=off{extra}",
        )

    def stop(self) -> None:
        """The database vanishes: no clean shutdown, every connection is cut."""
        self._ctl("-w", "-m", "immediate", "stop")

    def is_running(self) -> bool:
        return (
            subprocess.run(
                self.as_postgres + [self.pg_ctl, "-D", str(self.data_dir), "status"], capture_output=True
            ).returncode
            == 0
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def sql(self, statement: str, params: list | None = None, *, dbname: str = "postgres"):
        """Run one statement on this cluster (autocommit); its first row, or None."""
        import psycopg

        dsn = f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchone() if cursor.description else None


def cluster_root(prefix: str) -> Path:
    """A new temporary folder for clusters, owned by the user PostgreSQL runs as."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


def primary_init(root: Path, *, port: int, dbname: str, options: dict[str, str] | None = None) -> ThrowawayPostgres:
    """A new cluster in `root`/data (initdb), started on `port`, with an empty database `dbname`.

    Skips the test when the PostgreSQL server binaries are not installed."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("needs the PostgreSQL server binaries (initdb, pg_ctl)")
    as_postgres = _as_postgres()
    data_dir = root / "data"
    pg = ThrowawayPostgres(
        data_dir, port, f"postgres://postgres@127.0.0.1:{port}/{dbname}", pg_ctl, as_postgres, dict(options or {})
    )
    # --auth=trust: initdb's pg_hba.conf then also lets 127.0.0.1 connect for replication.
    subprocess.run(
        as_postgres + [initdb, "-D", str(data_dir), "-U", "postgres", "--auth=trust", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pg.start()
    pg.sql(f'CREATE DATABASE "{dbname}"')
    return pg


def standby_of(
    primary: ThrowawayPostgres, root: Path, *, port: int, options: dict[str, str] | None = None
) -> ThrowawayPostgres:
    """A hot standby of the running `primary`, streaming from it: `pg_basebackup -R` (which
    writes standby.signal and primary_conninfo) into `root`/standby, started on `port`."""
    basebackup = pg_bin("pg_basebackup")
    if not basebackup:
        pytest.skip("needs pg_basebackup")
    data_dir = root / "standby"
    subprocess.run(
        primary.as_postgres
        + [basebackup, "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"]
        + ["-D", str(data_dir), "-R", "-X", "stream", "--no-sync", "-c", "fast"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dbname = primary.url.rsplit("/", 1)[1]
    standby = ThrowawayPostgres(
        data_dir,
        port,
        f"postgres://postgres@127.0.0.1:{port}/{dbname}",
        primary.pg_ctl,
        primary.as_postgres,
        {"hot_standby": "on", **(options or {})},
    )
    standby.start()
    return standby


def clusters_remove(root: Path, *clusters: ThrowawayPostgres) -> None:
    """Stop the clusters that still run and delete their folder."""
    for pg in clusters:
        if pg.is_running():
            pg.stop()
    shutil.rmtree(root, ignore_errors=True)


class timeout_guard:
    """Stops `clusters` after `seconds` even if the test hangs (a timer thread); `cancel` when done."""

    def __init__(self, seconds: float, clusters: list[ThrowawayPostgres]):
        self._timer = threading.Timer(seconds, self._stop, args=(clusters,))
        self._timer.daemon = True
        self._timer.start()

    @staticmethod
    def _stop(clusters: list[ThrowawayPostgres]) -> None:
        for pg in clusters:
            try:
                if pg.is_running():
                    pg.stop()
            except Exception:  # the finalizer tries again; a guard never raises in its thread
                pass

    def cancel(self) -> None:
        self._timer.cancel()


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """This process's environment (same broker, same var dir) on the throwaway database."""
    return dict(os.environ, LOOPMONITOR_VAR_DIR=str(settings.VAR_DIR), **extra, DATABASE_URL=database_url)


def manage(database_url: str, *args: str, timeout: float = 120, **extra: str) -> str:
    """`manage.py args` on the throwaway database; its stdout (fails the test if it fails)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=app_env(database_url, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout
