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
