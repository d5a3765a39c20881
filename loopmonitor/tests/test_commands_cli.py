"""Every management command of the project, run through manage.py with bad input, answers with one
line on stderr and exit status 2: never a traceback, never argparse's usage (issue 16).

The commands are found from Django's registry, so a command added later is held to it too: it must
subclass the project's ProjectCommand (loopmonitor.commands, or brands' twin), and it gets the
unknown-option case below.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.db import connection

from brands.management import base as brands_base
from loopmonitor import commands

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("brands", "stores", "reports", "alerts")


def project_commands() -> list[tuple[str, str]]:
    """(app, command) of every management command the project's apps define."""
    return sorted((app, name) for name, app in get_commands().items() if app in PROJECT_APPS)


def database_url() -> str:
    """The test database, for a manage.py process of its own."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def manage(*args: str, tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url(), "LOOPMONITOR_VAR_DIR": str(tmp_path / "var"), **(env or {})}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_bad_input(done: subprocess.CompletedProcess[str], *, says: str) -> None:
    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert len(lines) == 1, done.stderr
    assert says in lines[0], lines[0]


def test_the_project_has_commands_and_each_is_a_project_command():
    found = project_commands()
    assert {name for _, name in found} >= {"report", "load_data", "generate_data", "apikey_create"}
    for app, name in found:
        command = load_command_class(app, name)
        assert isinstance(command, (commands.ProjectCommand, brands_base.ProjectCommand)), name


@pytest.mark.parametrize(("app", "name"), project_commands())
def test_an_unknown_option_is_one_line_and_exit_2(app, name, tmp_path):
    done = manage(name, "--no-such-option", tmp_path=tmp_path)

    # (a command with a required argument names that first: either is one line)
    assert_one_line_bad_input(done, says=f"manage.py {name}: error: ")
    assert done.stderr.rstrip().endswith(f"(see manage.py {name} --help)")


def _polls_without_status(tmp_path: Path) -> str:
    path = tmp_path / "p.csv"
    path.write_text("store_id,timestamp_utc\n1,2023-01-22 12:00:00 UTC\n")
    return str(path)


def _a_file(tmp_path: Path) -> str:
    path = tmp_path / "a-file"
    path.write_text("")
    return str(path)


BAD_VALUES = [
    (["report", "--as-of", "2023-02-30T10:00:00Z"], "--as-of '2023-02-30T10:00:00Z': 2023-02-30 is not a date"),
    (["report", "--as-of", "tomorrow"], "is not an ISO 8601 instant"),
    (["report", "--brand", "nope"], "--brand 'nope': no brand with that slug"),
    (["report", "--store", "nope"], "--store: unknown store_ids: nope"),
    (["report", "--out", "{tmp}/missing/r.csv"], "--out {tmp}/missing/r.csv: cannot write"),
    (["load_data"], "nothing to load"),
    (["load_data", "--dir", "{tmp}/nowhere"], "not a directory"),
    (["load_data", "--polls", "{polls_without_status}"], "missing column status"),
    (["load_data", "--polls", "{polls_without_status}", "--rejects", "{tmp}/missing/r.csv"], "--rejects"),
    (["generate_data", "--out", "{tmp}/g", "--stores", "0"], "stores must be at least 1"),
    (["generate_data", "--out", "{a_file}/g", "--stores", "2"], "--out"),
    (["apikey_create", "--brand", "no spaces please", "--role", "viewer", "--name", "x"], "--brand"),
    (["apikey_create", "--staff", "--role", "viewer", "--name", "x"], "--role applies to brand keys"),
    (["apikey_create", "--brand", "acme", "--name", "x"], "--role is required with --brand"),
    (["apikey_create", "--brand", "acme", "--role", "viewer", "--name", "x", "--expires", "soon"], "--expires"),
    (["apikey_create", "--staff", "--name", "x" * 51], "at most 50 characters"),
    (["apikey_revoke", "nope"], "no key with prefix 'nope'"),
    (["ensure_superuser", "--username", ""], "--username ''"),
    (["ensure_superuser", "--base-url", "localhost"], "--base-url 'localhost': not an http(s) URL"),
    (["incidents_refresh"], "give store ids or --all (not both)"),
    (["incidents_refresh", "--all", "x"], "give store ids or --all (not both)"),
    (["incidents_refresh", "nope", "also-not"], "unknown store_id(s): also-not, nope"),
    (["polls_retention", "--days", "7"], "--days '7': a whole number of days, 8 or more"),
    (["polls_retention", "--days", "ninety"], "--days 'ninety': a whole number of days, 8 or more"),
    (["reports_retention", "--days", "0"], "--days '0': a whole number of days, 1 or more"),
]


@pytest.mark.parametrize(("argv", "says"), BAD_VALUES, ids=[" ".join(argv)[:60] for argv, _ in BAD_VALUES])
def test_a_bad_value_is_one_line_and_exit_2(argv, says, tmp_path):
    names = {"tmp": str(tmp_path), "polls_without_status": _polls_without_status(tmp_path), "a_file": _a_file(tmp_path)}

    done = manage(*(arg.format(**names) for arg in argv), tmp_path=tmp_path)

    assert_one_line_bad_input(done, says=says.format(**names))
