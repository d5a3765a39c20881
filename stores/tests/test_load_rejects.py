"""manage.py load_data leaves no dead end (issue 16): the bad rows themselves as a CSV to fix and
load again, counts that agree between the table and the final message, a missing column named as
missing, a progress bar through the database phase, and --if-empty for `make run`'s seed."""

import csv
import io
from pathlib import Path

import pytest

from stores import services
from stores.conftest import POLLS_HEADER, TIMEZONES_HEADER, polls_of, tables_dump
from stores.models import Poll, Store

pytestmark = pytest.mark.django_db

A = "1481966498820158979"
B = "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as text:
        return list(csv.reader(text))


def _summary(out: str, name: str) -> dict[str, str]:
    header, *rows = out.splitlines()
    columns = header.replace("rows read", "rows_read").replace("rows/s", "rows_per_s").split()
    row = next(line.split() for line in rows if line.split()[0].endswith(name))
    return dict(zip(columns, row, strict=True))


def test_the_rejected_rows_are_written_as_csv_fixed_and_loaded_again(load_data, write_csv, tmp_path):
    # given a polls file with a good row and three bad ones
    path = write_csv(
        "p.csv",
        POLLS_HEADER,
        f"{A},active,2023-01-22 12:00:00 UTC",
        f"{A},up,2023-01-22 13:00:00 UTC",
        f"{B},active,2023-02-30 14:00:00 UTC",
        f"{B},inactive",
    )
    rejects = tmp_path / "rejects.csv"

    # when it is loaded with --rejects
    status, _, err = load_data("--polls", path, "--rejects", rejects)

    # then the rows themselves are there, as written, with their line and reason
    assert status == 0
    assert f"3 bad row(s) skipped, all written to {rejects}" in err
    assert _csv(rejects) == [
        ["store_id", "status", "timestamp_utc", "line", "reason"],
        [A, "up", "2023-01-22 13:00:00 UTC", "3", "status: not 'active' or 'inactive': 'up'"],
        [B, "active", "2023-02-30 14:00:00 UTC", "4", "timestamp_utc: 2023-02-30 is not a date"],
        [B, "inactive", "", "5", "timestamp_utc: missing: the row ends after 2 column(s)"],
    ]

    # when they are fixed in that file and it is loaded again
    header, *rows = _csv(rejects)
    rows[0][1], rows[1][2], rows[2][2] = "inactive", "2023-01-30 14:00:00 UTC", "2023-01-22 15:00:00 UTC"
    with rejects.open("w", newline="") as out:
        csv.writer(out).writerows([header, *rows])
    status, out, err = load_data("--polls", rejects)

    # then every row is stored, and the line and reason columns are ignored
    assert (status, err) == (0, "")
    assert _summary(out, "rejects.csv")["rejected"] == "0"
    assert polls_of(A) == [("2023-01-22T12:00:00+00:00", True), ("2023-01-22T13:00:00+00:00", False)]
    assert polls_of(B) == [("2023-01-22T15:00:00+00:00", False), ("2023-01-30T14:00:00+00:00", True)]


def test_a_load_of_several_files_writes_one_rejects_csv_per_file_named_after_its_kind(load_data, write_csv, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "store_status.csv").write_text(f"{POLLS_HEADER}\n{A},up,2023-01-22 13:00:00 UTC\n")
    (folder / "timezones.csv").write_text(f"{TIMEZONES_HEADER}\n{A},Mars/Olympus\n")
    (folder / "menu_hours.csv").write_text(f"store_id,day,start_time_local,end_time_local\n{A},0,09:00,17:00\n")
    rejects = tmp_path / "rejects.csv"

    status, _, err = load_data("--dir", folder, "--rejects", rejects)

    assert status == 0
    polls, zones, hours = (tmp_path / f"rejects-{kind}.csv" for kind in ("polls", "timezones", "hours"))
    assert f"1 bad row(s) skipped, all written to {polls}, {zones}" in err
    assert _csv(polls)[1] == [A, "up", "2023-01-22 13:00:00 UTC", "2", "status: not 'active' or 'inactive': 'up'"]
    assert _csv(zones)[1][:3] == [A, "Mars/Olympus", "2"]  # stored with a warning, to fix all the same
    assert _csv(hours) == [["store_id", "day", "start_time_local", "end_time_local", "line", "reason"]]
    assert not rejects.exists()


def test_the_summary_and_the_final_message_count_alike(load_data, write_csv):
    polls = write_csv("p.csv", POLLS_HEADER, f"{A},active,2023-01-22 12:00:00 UTC", f"{A},up,2023-01-22 13:00 UTC")
    zones = write_csv("tz.csv", TIMEZONES_HEADER, f"{A},Mars/Olympus", f"{B},Venus/Maxwell", f"{B}")

    status, out, err = load_data("--polls", polls, "--timezones", zones)

    assert status == 0
    rows = [_summary(out, "p.csv"), _summary(out, "tz.csv")]
    bad, warned = sum(int(r["rejected"]) for r in rows), sum(int(r["warnings"]) for r in rows)
    assert (bad, warned) == (2, 2)
    assert f"{bad} bad row(s) skipped" in err
    assert f"{warned} row(s) stored with a warning" in err


def test_strict_counts_its_warnings_as_the_summary_does(load_data, write_csv):
    zones = write_csv("tz.csv", TIMEZONES_HEADER, f"{A},Mars/Olympus")

    status, out, err = load_data("--strict", "--timezones", zones)

    assert status == 1
    row = _summary(out, "tz.csv")
    assert (row["rejected"], row["warnings"]) == ("0", "1")
    assert "--strict: 0 bad row(s) and 1 warning(s); nothing was loaded" in err
    assert not Store.objects.exists()


@pytest.mark.parametrize(
    "header, row, column",
    [
        (POLLS_HEADER, f"{A},active", "timestamp_utc"),
        (POLLS_HEADER, f"{A}", "status"),
        ("store_id,day,start_time_local,end_time_local", f"{A},0,09:00", "end_time_local"),
        (TIMEZONES_HEADER, f"{A}", "timezone_str"),
        ("store_id,brand,name", f"{A}", "brand"),
    ],
)
def test_a_row_that_ends_before_a_column_names_it_missing(load_data, write_csv, header, row, column):
    name = {"status": "p", "day": "h", "timezone_str": "tz", "brand": "s"}[header.split(",")[1]]
    option = {"p": "--polls", "h": "--hours", "tz": "--timezones", "s": "--stores"}[name]
    path = write_csv(f"{name}.csv", header, row)

    _, _, err = load_data(option, path)

    assert f"bad row: {path}:2: {column}: missing: the row ends after {len(row.split(','))} column(s)" in err


def test_an_optional_column_may_be_left_off_a_row(load_data, write_csv):
    # effective_from (rule 10) is optional: a row that stops before it is of the undated version
    path = write_csv("h.csv", "store_id,day,start_time_local,end_time_local,effective_from", f"{A},0,09:00,17:00")

    status, _, err = load_data("--hours", path)

    assert (status, err) == (0, "")


def test_a_file_without_a_column_says_it_is_missing(load_data, write_csv):
    path = write_csv("p.csv", "store_id,timestamp_utc", f"{A},2023-01-22 12:00:00 UTC")

    status, _, err = load_data("--polls", path)

    assert status == 2
    assert "missing column status in the header" in err


def test_the_progress_bar_covers_the_database_phase_of_every_file(load_data, input_dir):
    _, _, err = load_data("--dir", input_dir, stderr=Terminal())

    for name in ("store_status.csv", "menu_hours.csv", "timezones.csv"):
        assert f"{name}: writing to the database" in err


def test_the_database_phase_is_reported_statement_by_statement(input_dir):
    seen: list[tuple[str, int]] = []

    services.data_load(
        polls=input_dir / "store_status.csv",
        timezones=input_dir / "timezones.csv",
        merging=lambda name, done: seen.append((Path(name).name, done)),
    )

    for name in ("store_status.csv", "timezones.csv"):
        counts = [done for file, done in seen if file == name]
        assert counts[0] == 0 and counts == list(range(len(counts))) and len(counts) > 2, counts


def test_if_empty_loads_an_empty_database_and_then_keeps_its_data(load_data, input_dir, write_csv):
    # given an empty database: the sample is loaded
    status, out, _ = load_data("--dir", input_dir, "--if-empty")
    assert status == 0 and "store_status.csv" in out
    # and the user's own data since: a poll changed, a store of their own
    Poll.objects.filter(store__store_id=A).update(active=False)
    Store.objects.create(store_id="my-own-store", timezone_str="Europe/Berlin")
    before = tables_dump()

    # when `make run` seeds again
    status, out, err = load_data("--dir", input_dir, "--if-empty")

    # then nothing is loaded, and the user's data is as they left it
    assert (status, err) == (0, "")
    assert out.strip() == "load_data --if-empty: the database holds 3 store(s) already; nothing was loaded"
    assert tables_dump() == before


def test_make_run_seeds_the_sample_only_into_an_empty_database():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()

    seed = next(line for line in makefile.splitlines() if "load_data --dir data" in line and "golden" not in line)
    assert "--if-empty" in seed
