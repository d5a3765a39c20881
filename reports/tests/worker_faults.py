"""Faults for the tests that kill a worker (or stop the database) mid-shard: test code only.

`reports.conftest.WorkerProcess(..., shard_delay=S)` starts its worker with
`celery worker --include reports.tests.worker_faults` and SHARD_DELAY_ENV=S;
no production worker imports this module. Every report_shard_task then
sleeps S seconds after the worker received it and before the task runs, each
retry included, so the test has a shard in a worker's hands for that long.
"""

import os
import time

from celery import Task
from celery.signals import task_prerun

SHARD_DELAY_ENV = "LOOPMONITOR_TEST_SHARD_DELAY"
SHARD_TASK = "reports.tasks.report_shard_task"


@task_prerun.connect
def shard_delay(sender: Task | None = None, **kwargs) -> None:
    """Sleep SHARD_DELAY_ENV seconds (default 0) before a shard task runs; other tasks run at once."""
    if sender is not None and sender.name == SHARD_TASK:
        time.sleep(float(os.environ.get(SHARD_DELAY_ENV, 0)))
