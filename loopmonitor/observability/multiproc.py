"""The metric files every process writes, and what becomes of a dead process's files.

prometheus-client's multiprocess mode: each process writes its values into memory-mapped
files of its own in one folder (PROMETHEUS_MULTIPROC_DIR), and /metrics merges the folder.
That is what gunicorn's workers and Celery's prefork pool need: the process that answers a
scrape is not the one that counted. A file is named after its process as `<host>-<pid>`,
not the pid alone, so that the containers of docker-compose.yml, whose pids each start at
1, can share the folder (a volume).

A dead process's counts must neither vanish (a counter that goes down reads as a reset)
nor pile up (gunicorn replaces each worker every ~2,000 requests, and a scrape reads every
file): `retire` adds them into one archive file per kind and removes the process's files,
under an exclusive lock that a scrape (`collect`) takes shared, so no scrape sees them
twice or not at all. Who retires whom: a process its own files at exit (atexit; Celery's
pool children on worker_process_shutdown, signals.py), gunicorn's master its workers'
(child_exit, deploy/gunicorn.conf.py), and every process at start the files of dead
processes of its own host (`sweep`: a killed process retired nothing).
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import os
import re
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import values
from prometheus_client.metrics_core import Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

ENV = "PROMETHEUS_MULTIPROC_DIR"
# The owner part of the archive files' names (`counter_archive.db`): no process is called that.
ARCHIVE = "archive"
LOCK_FILE = ".lock"
# The kinds whose values add up across processes, so a dead process's stay in the archive. (Gauges
# would not: this project has no file-backed gauge, its gauges are read at scrape time.)
ADDITIVE = ("counter", "histogram", "summary")

# No "_" in it: a file's owner is what follows the last "_" of its name.
HOST = re.sub(r"[^A-Za-z0-9.]", ".", socket.gethostname()) or "host"


def identifier(pid: int | None = None) -> str:
    """The name of process `pid` (default: this one) in the files' names: `<host>-<pid>`."""
    return f"{HOST}-{os.getpid() if pid is None else pid}"


@functools.cache
def folder() -> Path:
    """The shared folder (settings.PROMETHEUS_MULTIPROC_DIR), also exported to the environment,
    where prometheus-client reads it and the processes this one starts inherit it."""
    from django.conf import settings

    path = Path(settings.PROMETHEUS_MULTIPROC_DIR)
    os.environ[ENV] = str(path)
    return path


def enable() -> None:
    """From now on, this process's metrics live in files of the shared folder (made here, at the
    first metric: settings create no folder); it retires them when it exits."""
    folder().mkdir(parents=True, exist_ok=True)
    values.ValueClass = values.MultiProcessValue(process_identifier=identifier)
    atexit.register(retire)


@contextmanager
def _locked(path: Path, *, exclusive: bool) -> Iterator[None]:
    with open(path / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield  # closing the file releases the lock


def _metric_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.db"))


def _owner(file: Path) -> str:
    return file.stem.rsplit("_", 1)[-1]


def _kind(file: Path) -> str:
    return file.stem.split("_", 1)[0]


def collect(path: Path | None = None) -> list[Metric]:
    """Every process's metrics (the live ones' and the archive), merged as prometheus-client does."""
    path = path or folder()
    if not path.is_dir():
        return []  # nothing counted yet
    with _locked(path, exclusive=False):
        return list(MultiProcessCollector.merge([str(f) for f in _metric_files(path)], accumulate=True))


def retire(owner: str | None = None, *, path: Path | None = None) -> None:
    """Add the counts of process `owner` (default: this one) into the archive and remove its files."""
    path = path or folder()
    if not path.is_dir():
        return
    with _locked(path, exclusive=True):
        _retire_locked(path, owner or identifier())


def _retire_locked(path: Path, owner: str) -> None:
    files = [f for f in _metric_files(path) if _owner(f) == owner]
    additive = [f for f in files if _kind(f) in ADDITIVE]
    for kind in ADDITIVE:
        if dead := [f for f in additive if _kind(f) == kind]:
            _add_into(path / f"{kind}_{ARCHIVE}.db", dead)
    for file in additive:
        file.unlink(missing_ok=True)
    mark_process_dead(owner, str(path))  # the library's part: its "live" gauges


def _add_into(archive: Path, files: Iterable[Path]) -> None:
    """Each value of `files` added to the same key's in `archive`. Histogram buckets are stored
    per bucket (not cumulative) in these files, so adding them is exact too."""
    into = MmapedDict(str(archive))
    try:
        for file in files:
            for key, value, _timestamp, _position in MmapedDict.read_all_values_from_file(str(file)):
                current, _ = into.read_value(key)
                into.write_value(key, current + value, 0.0)
    finally:
        into.close()


def sweep(*, path: Path | None = None) -> list[str]:
    """Retire the files of this host's processes that are gone; returns their names."""
    path = path or folder()
    if not path.is_dir():
        return []
    dead = sorted({owner for f in _metric_files(path) if _gone(owner := _owner(f))})
    if dead:
        with _locked(path, exclusive=True):
            for owner in dead:
                _retire_locked(path, owner)
    return dead


def _gone(owner: str) -> bool:
    """Whether `owner` names a process of this host that no longer runs (another host's: never known)."""
    host, _, pid = owner.rpartition("-")
    if host != HOST or not pid.isdigit() or int(pid) <= 0:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False
