"""README leaves a newcomer no dead end (issue 16): how to pick the address (`PORT`, `HOST`), how
to start over (`make clean`, a target that removes var/), where the numbers' contract is (in this
repository), and no link that leads outside the repository."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_readme_says_how_to_choose_the_address_and_how_to_start_over():
    assert "make run PORT=8080" in README and "make run HOST=0.0.0.0" in README
    assert "make clean" in README and "removes var/" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^clean:.*\n\trm -rf var ", makefile, re.M)
    assert "HOST   ?= 127.0.0.1" in makefile and "PORT   ?= 8000" in makefile


def test_readme_points_at_the_contract_in_the_repository():
    assert "[docs/numbers.md](docs/numbers.md)" in README
    assert (ROOT / "docs" / "numbers.md").is_file()


def test_readme_links_stay_in_the_repository():
    links = re.findall(r"\]\(([^)]+)\)", README)
    assert links
    for link in links:
        assert not re.match(r"[a-z]+://", link), link
        target = link.split("#", 1)[0]
        if target:
            assert (ROOT / target).exists(), link


def test_make_clean_is_listed_by_make_help():
    listed = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert re.search(r"make clean\s+remove var/", listed)


def test_every_setting_the_code_reads_is_in_the_operating_table():
    # Every environment variable settings.py reads (env.str("NAME", ...), env.int, env.db, ...).
    read = set(re.findall(r"\benv\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", (ROOT / "loopmonitor" / "settings.py").read_text()))
    operating = README.split("## Operating it", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in operating.splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}

    assert len(read) > 40  # the pattern still finds them
    assert read - listed == set(), "add a row to README's Operating table for each"
