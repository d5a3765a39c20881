"""The committed expected reports equal `manage.py report`, byte for byte.

Issue 3, the data/ sample: `data/expected_report.csv` was made by `make golden` (load data/, then
`manage.py report --out data/expected_report.csv`, as of the sample's latest
poll). Its numbers were checked by the engine's tests against docs/numbers.md; this
test guards every one of its ~300 rows against any later change. Regenerate it
only when docs/numbers.md itself changes, and say why in the commit.

A generated fleet with more of everything (DST in the week, history reads):
reports/tests/data/README.md says how its expected reports were made.
"""

import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_sample_report_equals_the_committed_golden_csv(tmp_path):
    golden = Path(settings.BASE_DIR, "data", "expected_report.csv").read_bytes()
    call_command("load_data", "--dir", str(Path(settings.BASE_DIR, "data")), stdout=io.StringIO(), stderr=io.StringIO())

    out = tmp_path / "report.csv"
    call_command("report", "--out", str(out), stderr=io.StringIO())

    assert out.read_bytes() == golden


# The generated fleet of reports/tests/data/README.md: the command, the input digests, the reports.
GENERATED = {"stores": 400, "days": 12, "seed": 7, "start": "2023-03-03"}
GENERATED_DIGESTS = {
    "store_status.csv": "74deee17df5709d88cbd5b8215e221e579ed70ee98c75a62c452c524e93f394b",
    "menu_hours.csv": "be95188c4afff6ec27aa35a28a7839db794cc16c73bdd415e08e0d5b28f06ae2",
    "timezones.csv": "f3a681055e3f9378535cea32983d1a0340d1bb879a1fb6b38faf739b9994554f",
}
GENERATED_REPORTS = [  # (--as-of or None for the default, the latest poll; the expected file)
    (None, "generated_fleet_expected.csv"),
    ("2023-03-12T08:30:00Z", "generated_fleet_expected_dst.csv"),
]


def test_reports_of_a_generated_fleet_equal_the_committed_golden_csvs(tmp_path):
    data = Path(__file__).parent / "data"
    fleet = tmp_path / "fleet"
    options = [f"--{name}={value}" for name, value in GENERATED.items()]
    call_command("generate_data", "--out", str(fleet), *options, stdout=io.StringIO())
    digests = {name: hashlib.sha256((fleet / name).read_bytes()).hexdigest() for name in GENERATED_DIGESTS}
    assert digests == GENERATED_DIGESTS, "the generator's output changed: see reports/tests/data/README.md"
    call_command("load_data", "--dir", str(fleet), stdout=io.StringIO(), stderr=io.StringIO())

    for as_of, expected in GENERATED_REPORTS:
        out = tmp_path / expected
        call_command("report", "--out", str(out), *(["--as-of", as_of] if as_of else []), stderr=io.StringIO())
        assert out.read_bytes() == (data / expected).read_bytes(), f"{expected} differs"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "check",
    [
        test_the_sample_report_equals_the_committed_golden_csv,
        test_reports_of_a_generated_fleet_equal_the_committed_golden_csvs,
    ],
)
def test_reports_whose_shards_read_their_polls_in_a_thread_equal_the_golden_csvs(check, tmp_path, monkeypatch):
    # Outside a transaction (as in a worker) each shard reads its polls on a second connection
    # while the first reads the schedules (selectors.PollsInBackground): the same bytes.
    from reports import selectors

    started = []
    start = selectors.PollsInBackground.__init__

    def counted(self, *args, **kwargs):
        started.append(args)
        start(self, *args, **kwargs)

    monkeypatch.setattr(selectors.PollsInBackground, "__init__", counted)
    check(tmp_path)
    assert started  # every shard of the report(s) read its polls so
