"""A full disk while a report's CSV is written (hardening issue): the report is Failed with the
reason, and no file is left behind, neither a partial temp file nor a truncated CSV.

The disk is a real one: a 64 kB tmpfs the test mounts (as root, as here and in CI), smaller
than the report's CSV. Without root it is skipped with the reason, except where
LOOPMONITOR_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.models import Report
from stores.models import Store

pytestmark = pytest.mark.django_db

AS_OF = "2023-01-23T17:00:00Z"
DISK_BYTES = 64 * 1024


def _cannot(reason: str) -> None:
    if os.environ.get("LOOPMONITOR_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (LOOPMONITOR_REQUIRE_SERVICES=1: this test must run)")
    pytest.skip(reason)


@pytest.fixture
def small_disk(tmp_path, settings) -> Iterator[Path]:
    """MEDIA_ROOT on a freshly mounted 64 kB tmpfs, unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        _cannot("mounting a tmpfs needs root and mount(8)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        _cannot(f"mount -t tmpfs failed: {done.stderr.strip()}")
    settings.MEDIA_ROOT = mount_point
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)]).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=True)  # never leave it mounted
            pytest.fail("the tmpfs was busy at the end of the test: a file on it was left open")


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def stores(count: int) -> None:
    Store.objects.bulk_create(Store(store_id=f"{10**18 + i}", timezone_str="UTC") for i in range(count))


@pytest.fixture
def worker_like(eager_tasks):
    """Eager tasks whose failure stays in the task, as in a worker."""
    from loopmonitor.celery import app

    app.conf.task_eager_propagates = False


def test_a_report_larger_than_the_disk_fails_and_leaves_no_file(api, small_disk, worker_like):
    # given: 3,000 stores, a CSV of about 130 kB on a 64 kB disk
    stores(3_000)

    # when
    report_id = api.post("/trigger_report", {"as_of": AS_OF}, format="json").json()["report_id"]

    # then
    report = Report.objects.get(pk=report_id)
    assert report.status == Report.Status.FAILED
    assert "No space left on device" in report.error
    assert not report.file
    assert files_under(small_disk) == []
    assert api.get(f"/get_report/{report_id}").json()["status"] == "Failed"


def test_a_report_that_fits_leaves_exactly_its_file(api, small_disk, worker_like):
    # given: a CSV of a few kB on the same disk, after a failed one
    stores(3_000)
    api.post("/trigger_report", {"as_of": AS_OF}, format="json")
    Store.objects.filter(pk__in=Store.objects.order_by("pk").values("pk")[50:]).delete()

    # when
    report_id = api.post("/trigger_report", {"as_of": "2023-01-23T16:00:00Z"}, format="json").json()["report_id"]

    # then
    report = Report.objects.get(pk=report_id)
    assert report.status == Report.Status.COMPLETE, report.error
    assert files_under(small_disk) == [small_disk / report.file.name]
    with report.file.open("rb") as csv_file:
        assert len(csv_file.read().decode().splitlines()) == 51
    assert dt.datetime.fromisoformat(AS_OF) > report.as_of
