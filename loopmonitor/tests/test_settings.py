"""Settings without side effects: importing them (and django.setup()) creates no folder and runs
no program, the code version's `git describe` runs only when a report uses it, and `.env` is read
before any variable that may come from it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

# Audit events (PEP 578) of making a folder or starting a program.
PROBE = """
import json, sys
events = []
WATCHED = {"os.mkdir", "subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.spawn", "os.fork"}
sys.addaudithook(lambda event, args: events.append([event, repr(args)]) if event in WATCHED else None)
import loopmonitor.settings
on_import = list(events)
import django
django.setup()
on_setup = events[len(on_import):]
from django.conf import settings
code_version = str(settings.CODE_VERSION)
on_use = events[len(on_import) + len(on_setup):]
print(json.dumps({"import": on_import, "setup": on_setup, "use": on_use, "code_version": code_version}))
"""


def _probe(var_dir: Path, cwd: Path, **env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_MEDIA_ROOT", "DJANGO_STATIC_ROOT", "LOOPMONITOR_CODE_VERSION", "LOOPMONITOR_VAR_DIR")
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=cwd,
        env={**clean, "DJANGO_SETTINGS_MODULE": "loopmonitor.settings", "LOOPMONITOR_VAR_DIR": str(var_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_settings_creates_no_folder_and_runs_no_program(tmp_path):
    var_dir = tmp_path / "fresh" / "var"

    seen = _probe(var_dir, settings.BASE_DIR)

    assert seen["import"] == [] and seen["setup"] == []
    assert not (tmp_path / "fresh").exists()


def test_without_loopmonitor_code_version_git_describe_runs_once_a_report_uses_the_version(tmp_path):
    seen = _probe(tmp_path / "var", settings.BASE_DIR)

    git = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--abbrev=10"], cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert seen["code_version"] == (git.stdout.strip() or "unknown")
    assert [event for event, _ in seen["use"]] == ["subprocess.Popen"] and "describe" in seen["use"][0][1]


def test_loopmonitor_code_version_is_used_as_given_and_runs_nothing(tmp_path):
    seen = _probe(tmp_path / "var", settings.BASE_DIR, LOOPMONITOR_CODE_VERSION="v2.0.0-build7")

    assert seen["code_version"] == "v2.0.0-build7"
    assert seen["import"] == seen["setup"] == seen["use"] == []


def test_dotenv_is_read_before_the_variables_that_come_from_it(tmp_path):
    # A copy of the project package beside its own .env (settings read BASE_DIR / ".env").
    shutil.copytree(
        Path(settings.BASE_DIR, "loopmonitor"),
        tmp_path / "loopmonitor",
        ignore=shutil.ignore_patterns("__pycache__", "tests"),
    )
    (tmp_path / ".env").write_text(
        f"LOOPMONITOR_VAR_DIR={tmp_path / 'from-dotenv'}\nREPORT_SHARD_STORES=7\nREPORT_MIN_SHARDS=5\n"
    )
    script = (
        "import json; from loopmonitor import settings as s; "
        "print(json.dumps([str(s.VAR_DIR), str(s.MEDIA_ROOT), s.REPORT_SHARD_STORES, s.REPORT_MIN_SHARDS]))"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOOPMONITOR_", "DJANGO_", "REPORT_")) and k not in ("DATABASE_URL", "PYTHONPATH")
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**env, "REPORT_MIN_SHARDS": "3"},  # the process environment wins over the file
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    var_dir, media_root, shard_stores, min_shards = json.loads(done.stdout.splitlines()[-1])
    assert var_dir == str(tmp_path / "from-dotenv")
    assert media_root == str(tmp_path / "from-dotenv" / "media")
    assert (shard_stores, min_shards) == (7, 3)
