"""Backups that restore (README "Backups"): the database by `pg_dump -Fc`, restored by
`pg_restore` into a fresh database, and the media folder by `tar`, give back byte-identical
reports: the same report computed again, and a stored report's file read through its restored row.

PostgreSQL only (the commands are PostgreSQL's); the fresh database is named after the test
database (`<name>_restored`, `test_` dropped) and dropped at the end.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from reports import services
from reports.models import Report

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

GOLDEN = Path(settings.BASE_DIR, "data", "expected_report.csv")


def _pg() -> tuple[dict[str, str], list[str]]:
    """The environment and connection options of PostgreSQL's client tools, for the test's server."""
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env, ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]


def _run(*argv: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, env=env, capture_output=True, timeout=300, **kwargs)
    assert done.returncode == 0, (argv, done.stderr.decode(errors="replace")[-4000:])
    return done


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _python(code: str, *, database: str, media: Path, var: Path) -> bytes:
    """`code` run in a process of its own on `database` and `media` (as a restored deployment)."""
    env = {
        **os.environ,
        "DATABASE_URL": _url(database),
        "DJANGO_MEDIA_ROOT": str(media),
        "LOOPMONITOR_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "loopmonitor.settings",
    }
    return _run(sys.executable, "-c", f"import django; django.setup()\n{code}", env=env, cwd=settings.BASE_DIR).stdout


REPORT_CSV = """
import sys
from reports import services
services.report_write_csv(as_of=None, out=sys.stdout)
"""

STORED_FILE = """
import sys
from reports.models import Report
report = Report.objects.get(pk="{report_id}")
assert report.status == Report.Status.COMPLETE, report.status
with report.file.open("rb") as f:
    sys.stdout.buffer.write(f.read())
"""


@pytest.fixture
def restored_name():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore: PostgreSQL only")
    name = connection.settings_dict["NAME"].removeprefix("test_") + "_restored"
    env, options = _pg()
    _run("dropdb", *options, "--if-exists", name, env=env)
    yield name
    _run("dropdb", *options, "--if-exists", "--force", name, env=env)


def test_a_dump_restored_into_a_fresh_database_gives_byte_identical_reports(
    restored_name, tmp_path, eager_tasks, django_capture_on_commit_callbacks
):
    # given data/ loaded, its report computed, and a stored report (its row, shards and CSV file)
    call_command("load_data", "--dir", str(GOLDEN.parent), stdout=io.StringIO(), stderr=io.StringIO())
    computed = io.StringIO()
    services.report_write_csv(as_of=None, out=computed)
    before = computed.getvalue().encode()
    assert before == GOLDEN.read_bytes()  # the sample's ~300 rows: a restore of nothing would not match
    with django_capture_on_commit_callbacks(execute=True):
        stored = services.report_create()
    stored.refresh_from_db()
    assert stored.status == Report.Status.COMPLETE
    stored_bytes = Path(stored.file.path).read_bytes()

    # when the database is dumped (custom format) and then the media folder copied, as README says,
    env, options = _pg()
    dump = tmp_path / "loopmonitor.dump"
    _run("pg_dump", *options, "-Fc", "-f", str(dump), connection.settings_dict["NAME"], env=env)
    media_copy = tmp_path / "media.tar.gz"
    _run("tar", "-C", str(settings.MEDIA_ROOT), "-czf", str(media_copy), ".")
    # and both are restored elsewhere: a fresh database and an empty media folder
    _run("createdb", *options, restored_name, env=env)
    _run("pg_restore", *options, "--no-owner", "--exit-on-error", "-d", restored_name, str(dump), env=env)
    media = tmp_path / "restored-media"
    media.mkdir()
    _run("tar", "-C", str(media), "-xzf", str(media_copy))

    # then the restored deployment computes the same report, byte for byte,
    var = tmp_path / "var"
    after = _python(REPORT_CSV, database=restored_name, media=media, var=var)
    assert after == before
    # and serves the stored report's file, byte for byte, through its restored row
    assert _python(STORED_FILE.format(report_id=stored.pk), database=restored_name, media=media, var=var) == (
        stored_bytes
    )
