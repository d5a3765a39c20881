"""The metric files of real processes: what a process that exits, one that is killed, and a
gunicorn worker leave behind (multiproc.py). Each process is a `python` of its own that
counts webhook deliveries into a folder of the test's."""

import os
import runpy
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings

from loopmonitor.observability import multiproc

COUNTER = "loopmonitor_webhook_deliveries_total"

# Counts `n` deliveries, prints its name in the files, then exits, is killed, or waits for stdin.
PROCESS = """
import os, signal, sys
import django
django.setup()
from loopmonitor.observability import metrics, multiproc
for _ in range(int(sys.argv[1])):
    metrics.webhook_delivery_observed("delivered")
print(multiproc.identifier(), flush=True)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
elif sys.argv[2] == "wait":
    sys.stdin.read()
"""


def _start(folder: Path, count: int, end: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "loopmonitor.settings", multiproc.ENV: str(folder)}
    return subprocess.Popen(
        [sys.executable, "-c", PROCESS, str(count), end],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _run(folder: Path, count: int, end: str) -> str:
    """The name of a process that counted and then exited or was killed ("exit", "kill")."""
    process = _start(folder, count, end)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == (-signal.SIGKILL if end == "kill" else 0)
    return out.strip()


def _name_of(process: subprocess.Popen[str]) -> str:
    """The first line the process prints: its name in the files, once it has counted."""
    assert process.stdout is not None
    return process.stdout.readline().strip()


def _delivered(folder: Path) -> float:
    samples = [s for m in multiproc.collect(folder) for s in m.samples if s.name == COUNTER]
    return sum(s.value for s in samples if s.labels == {"outcome": "delivered"})


def _owners(folder: Path) -> set[str]:
    return {p.stem.rsplit("_", 1)[-1] for p in folder.glob("*.db")}


def test_a_process_that_exits_leaves_its_counts_in_the_archive_and_no_file(tmp_path):
    first = _run(tmp_path, 3, "exit")
    second = _run(tmp_path, 4, "exit")

    assert first != second
    assert _owners(tmp_path) == {multiproc.ARCHIVE}
    assert _delivered(tmp_path) == 7


def test_a_killed_process_keeps_counting_until_a_process_of_its_host_starts_and_retires_it(tmp_path):
    # given a process killed: it retired nothing
    killed = _run(tmp_path, 5, "kill")
    assert killed in _owners(tmp_path)
    assert _delivered(tmp_path) == 5

    # when the next process starts (sweeping at Django's start) and exits
    _run(tmp_path, 1, "exit")

    # then the killed one's counts are in the archive, and its files are gone
    assert _owners(tmp_path) == {multiproc.ARCHIVE}
    assert _delivered(tmp_path) == 6


def test_a_sweep_leaves_a_running_process_alone(tmp_path):
    running = _start(tmp_path, 2, "wait")
    try:
        name = _name_of(running)
        assert multiproc.sweep(path=tmp_path) == []
        assert name in _owners(tmp_path)
        assert _delivered(tmp_path) == 2
    finally:
        running.communicate("", timeout=60)
    assert _owners(tmp_path) == {multiproc.ARCHIVE}
    assert _delivered(tmp_path) == 2


def test_gunicorns_child_exit_retires_the_dead_workers_files():
    # given a worker that died (SIGKILL, as gunicorn's timeout does) in the folder the master knows
    folder = multiproc.folder()
    before = _delivered(folder) if folder.is_dir() else 0.0
    killed = _run(folder, 2, "kill")
    pid = int(killed.rpartition("-")[2])
    assert killed in _owners(folder)

    # when the master hears of it
    hooks = runpy.run_path(str(Path(settings.BASE_DIR, "deploy", "gunicorn.conf.py")))
    hooks["child_exit"](SimpleNamespace(), SimpleNamespace(pid=pid))

    # then
    assert killed not in _owners(folder)
    assert _delivered(folder) == before + 2


def test_files_are_named_after_host_and_pid_so_containers_may_share_the_folder():
    name = multiproc.identifier()

    assert name == f"{multiproc.HOST}-{os.getpid()}"
    assert "_" not in multiproc.HOST and multiproc.HOST
