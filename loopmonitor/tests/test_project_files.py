"""The project's own files agree with each other: README's variables and .env.example, the
Makefile's targets and `make help`, the .in ranges and the compiled pins."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _readme_variables() -> set[str]:
    """The variables of README "Operating it" (its table's first column, `A`, `B` cells included)."""
    section = ROOT.joinpath("README.md").read_text().split("## Operating it", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_env_example_lists_every_variable_of_the_readme_table_and_no_other():
    example = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ROOT.joinpath(".env.example").read_text(), re.M))

    assert len(_readme_variables()) >= 15
    assert example == _readme_variables()


def test_every_variable_of_the_readme_table_is_read_by_settings():
    source = ROOT.joinpath("loopmonitor", "settings.py").read_text()

    assert {name for name in _readme_variables() if f'"{name}"' not in source} == set()


def test_every_variable_settings_reads_is_in_the_readme_table():
    # env.str("NAME", ...), env.int, env.db, env.email_url, ...: every variable settings.py reads.
    source = ROOT.joinpath("loopmonitor", "settings.py").read_text()
    read = set(re.findall(r"\benv\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", source))

    assert len(read) > 40  # the pattern still finds them
    assert read - _readme_variables() == set(), "a row in README's Operating table (and .env.example) for each"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_help_lists_every_target_with_one_line():
    makefile = ROOT.joinpath("Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    phony = set(" ".join(re.findall(r"^\.PHONY:((?:.*\\\n)*.*)", makefile, re.M)).replace("\\", " ").split())

    shown = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    described = dict(re.findall(r"^  make (\S+) +(\S.*)$", shown, re.M))

    assert {"help", "install", "run", "test", "test-fast", "lint", "typecheck", "upgrade"} <= targets
    assert set(described) == targets == phony
    assert len(shown.splitlines()) == len(targets)


def _pins(name: str) -> dict[str, str]:
    """{package: version} of a compiled file, which must pin every line exactly."""
    lines = ROOT.joinpath(name).read_text().splitlines()
    requirements = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    pins = [(line, PIN.match(line)) for line in requirements]
    assert [line for line, pin in pins if pin is None] == []  # nothing but name==version
    return {pin[1].lower(): pin[2] for _, pin in pins if pin is not None}


def _direct(name: str) -> set[str]:
    """The package names an .in file asks for (its -r includes followed)."""
    names: set[str] = set()
    for line in ROOT.joinpath(name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            names |= _direct(line[2:].strip())
        elif line and not line.startswith("-"):
            names.add(re.split(r"[\[<>=!~ ;]", line, maxsplit=1)[0].lower())
    return names


def test_the_compiled_requirements_pin_every_direct_dependency_exactly():
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")

    assert _direct("requirements.in") <= set(runtime)
    assert _direct("requirements-dev.in") <= set(dev)
    # the dev file installs exactly the production versions
    assert {name: dev[name] for name in runtime} == runtime


def test_the_image_and_make_install_the_pinned_files():
    assert re.search(r"pip install .*-r requirements\.txt", ROOT.joinpath("Dockerfile").read_text())
    assert re.search(r"pip install .*-r requirements-dev\.txt", ROOT.joinpath("Makefile").read_text())
