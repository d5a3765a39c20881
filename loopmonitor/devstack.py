"""`make run`'s supervisor: the web server and a Celery worker (with beat), stopped together.

The worker's embedded beat (`--beat`) reads its schedule from the database (settings
CELERY_BEAT_SCHEDULER, django-celery-beat): the brands' report schedules and the stalled-report
sweeper. One beat only, so one worker here; a deployment runs beat as its own process.

    python -m loopmonitor.devstack [--host 127.0.0.1] [--port 8000] [--workers 2]

Ctrl-C (or SIGTERM) stops both: a polite signal first, then SIGKILL after a
grace period, so no worker is ever left behind. If either process exits, the
other is stopped too and the exit status says so.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

GRACE_SECONDS = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--workers", default="2")
    args = parser.parse_args()
    python = sys.executable
    commands = {
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "loopmonitor",
            "worker",
            "--beat",
            "--scheduler",
            "loopmonitor.beat:DatabaseScheduler",
            "--loglevel",
            "INFO",
            "--concurrency",
            args.workers,
        ],
        "web": [python, "manage.py", "runserver", f"{args.host}:{args.port}"],
    }
    # Each child in its own process group, so that stopping one stops its own children too.
    children = {name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in commands.items()}
    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"devstack: {name} exited with status {child.returncode}; stopping the rest", file=sys.stderr)
                status = child.returncode or 1
                stopping = True
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)  # the worker stops its own pool; stragglers get SIGKILL below
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
