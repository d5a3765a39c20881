"""manage.py load_data: file discovery, summary, bad-row reporting and exit statuses."""

import csv
import io

import pytest

from stores.conftest import HOURS_HEADER, POLLS_HEADER, TIMEZONES_HEADER, hours_of, polls_of, tables_dump, timezone_of
from stores.models import BusinessHours, Poll, Store

A = "1481966498820158979"
B = "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_a_folder_is_loaded_and_summarized(load_data, input_dir):
    # when
    status, out, err = load_data("--dir", input_dir)
    # then
    assert status == 0
    assert err == ""
    assert (Store.objects.count(), Poll.objects.count(), BusinessHours.objects.count()) == (2, 3, 3)
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["file", "rows", "read"]
    assert {row.split()[0].rsplit("/", 1)[-1] for row in rows} == {
        "store_status.csv",
        "menu_hours.csv",
        "timezones.csv",
    }
    polls_row = next(row.split() for row in rows if "store_status.csv" in row)
    # file, rows read, inserted, updated, deleted, duplicates, rejected, warnings, stores, seconds, rows/s
    assert polls_row[1:9] == ["3", "3", "0", "0", "0", "0", "0", "2"]


@pytest.mark.django_db
def test_a_second_identical_load_reports_only_duplicates(load_data, input_dir):
    load_data("--dir", input_dir)
    before = tables_dump()
    status, out, _ = load_data("--dir", input_dir)
    assert status == 0
    assert tables_dump() == before
    polls_row = next(row.split() for row in out.splitlines() if "store_status.csv" in row)
    assert polls_row[1:7] == ["3", "0", "0", "0", "3", "0"]


@pytest.mark.django_db
def test_the_other_file_names_and_shapes_are_found(load_data, write_csv, tmp_path):
    # given: business_hours.csv with dayOfWeek, store_timezone.csv, BOM and CRLF, columns reordered
    write_csv(
        "business_hours.csv",
        "dayOfWeek,store_id,end_time_local,start_time_local",
        f"2,{A},17:00,09:00",
        bom=True,
        crlf=True,
    )
    write_csv("store_timezone.csv", "timezone_str,store_id", f" US/Eastern ,{A}", crlf=True)
    # when
    status, _, err = load_data("--dir", tmp_path)
    # then
    assert (status, err) == (0, "")
    assert hours_of(A) == [(2, "09:00:00", "17:00:00")]
    assert timezone_of(A) == "US/Eastern"


@pytest.mark.django_db
def test_single_files_are_given_one_by_one(load_data, write_csv):
    status, _, _ = load_data("--polls", write_csv("p.csv", POLLS_HEADER, f"{A},active,2024-10-07T10:14:42Z"))
    assert status == 0
    assert polls_of(A) == [("2024-10-07T10:14:42+00:00", True)]


@pytest.mark.django_db
def test_bad_rows_are_skipped_counted_and_the_first_20_printed(load_data, write_csv, tmp_path):
    # given: 30 bad rows
    lines = [POLLS_HEADER, f"{A},active,2023-01-22 12:00:00 UTC"] + [
        f",active,2023-01-22 12:{i:02d}:00 UTC" for i in range(30)
    ]
    path = write_csv("p.csv", *lines)
    rejects = tmp_path / "rejects.csv"
    # when
    status, out, err = load_data("--polls", path, "--rejects", rejects)
    # then
    assert status == 0
    assert Poll.objects.count() == 1
    printed = [line for line in err.splitlines() if line.startswith("bad row: ")]
    assert printed[0] == f"bad row: {path}:3: store_id: empty"
    assert len(printed) == 20
    assert f"30 bad row(s) skipped, all written to {rejects}" in err
    # the rejected rows themselves, with their line and reason
    header, *written = list(csv.reader(rejects.read_text().splitlines()))
    assert header == ["store_id", "status", "timestamp_utc", "line", "reason"]
    assert written == [
        ["", "active", f"2023-01-22 12:{n - 3:02d}:00 UTC", str(n), "store_id: empty"] for n in range(3, 33)
    ]
    polls_row = next(row.split() for row in out.splitlines() if "p.csv" in row)
    assert polls_row[1:3] == ["31", "1"] and polls_row[6] == "30"


@pytest.mark.django_db
def test_more_than_20_bad_rows_without_rejects_file_says_how_to_see_them(load_data, write_csv):
    lines = [POLLS_HEADER] + [f"{A},up,2023-01-22 12:{i:02d}:00 UTC" for i in range(21)]
    status, _, err = load_data("--polls", write_csv("p.csv", *lines))
    assert status == 0
    assert "21 bad row(s) skipped, the first 20 shown (--rejects FILE writes them all)" in err


@pytest.mark.django_db
def test_strict_with_a_bad_row_exits_1_with_nothing_changed(load_data, input_dir, write_csv):
    # given
    load_data("--dir", input_dir)
    before = tables_dump()
    # when
    status, _, err = load_data(
        "--strict",
        "--polls", write_csv(
            "p.csv", POLLS_HEADER, f"{A},active,2023-02-01 00:00:00 UTC", f"{B},active,2023-02-30 00:00:00 UTC"
        ),
        "--hours", write_csv("h.csv", HOURS_HEADER, f"{A},6,00:00,23:59"),
    )  # fmt: skip
    # then
    assert status == 1
    assert tables_dump() == before
    assert "p.csv:3: timestamp_utc:" in err
    assert "--strict: 1 bad row(s); nothing was loaded" in err


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"\x00\x01\x02\xff\xfe binary", "not UTF-8"),
        (b"store_id,timestamp_utc\n1,2023-01-22 12:00:00 UTC\n", "missing column status"),
        (b"hello world\n", "no recognizable header"),
    ],
)
def test_a_file_that_is_not_a_polls_csv_exits_2_naming_it_with_nothing_changed(
    load_data, input_dir, tmp_path, content, message
):
    # given
    load_data("--dir", input_dir)
    before = tables_dump()
    bad = tmp_path / "bad_polls.csv"
    bad.write_bytes(content)
    # when: good hours and timezones, a bad polls file
    status, _, err = load_data(
        "--polls", bad, "--hours", input_dir / "menu_hours.csv", "--timezones", input_dir / "timezones.csv"
    )
    # then
    assert status == 2
    assert f"{bad}: " in err and message in err and "nothing was loaded" in err
    assert tables_dump() == before


@pytest.mark.django_db
def test_a_bad_file_found_mid_load_exits_2_with_nothing_changed(load_data, input_dir, tmp_path):
    # given: a polls file that turns binary after its first thousand rows
    before = tables_dump()
    bad = tmp_path / "store_status.csv"
    bad.write_bytes(
        POLLS_HEADER.encode() + b"\n" + f"{A},active,2023-01-22 12:00:00 UTC\n".encode() * 1000 + b"\x80\x81\x82"
    )
    # when
    status, _, err = load_data("--polls", bad, "--hours", input_dir / "menu_hours.csv")
    # then
    assert status == 2
    assert "store_status.csv: not UTF-8 text: invalid start byte after line" in err
    assert tables_dump() == before


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["no arguments", "empty folder", "no folder", "two hours files", "missing file"])
def test_nothing_to_load_exits_2(load_data, write_csv, tmp_path, case):
    if case == "two hours files":
        write_csv("menu_hours.csv", HOURS_HEADER)
        write_csv("business_hours.csv", HOURS_HEADER)
    args = {
        "no arguments": [],
        "empty folder": ["--dir", tmp_path],
        "no folder": ["--dir", tmp_path / "absent"],
        "two hours files": ["--dir", tmp_path],
        "missing file": ["--timezones", tmp_path / "absent.csv"],
    }[case]
    status, _, err = load_data(*args)
    assert status == 2
    assert "CommandError" in err
    assert Store.objects.count() == 0


@pytest.mark.django_db
def test_replace_drops_what_the_files_no_longer_say(load_data, input_dir, write_csv):
    load_data("--dir", input_dir)
    status, _, _ = load_data("--replace", "--timezones", write_csv("t.csv", TIMEZONES_HEADER, f"{B},Asia/Beirut"))
    assert status == 0
    assert (timezone_of(A), timezone_of(B)) == (None, "Asia/Beirut")
    assert Poll.objects.count() == 3  # no polls file given: polls untouched


@pytest.mark.django_db
def test_the_progress_bar_shows_only_on_a_terminal(load_data, input_dir):
    _, _, err = load_data("--dir", input_dir)
    assert "store_status.csv" not in err
    _, _, err = load_data("--dir", input_dir, stderr=Terminal())
    assert "store_status.csv" in err


@pytest.mark.django_db
def test_bad_rows_print_above_the_progress_bar(load_data, write_csv):
    path = write_csv("p.csv", POLLS_HEADER, f"{A},active,2023-01-22 12:00:00 UTC", f"{A},up,2023-01-22 13:00:00 UTC")
    status, _, err = load_data("--polls", path, stderr=Terminal())
    assert status == 0
    assert f"bad row: {path}:3: status:" in err


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["small", "past the csv field size limit"])
def test_a_quote_that_never_closes_exits_2_naming_its_line_with_nothing_changed(load_data, input_dir, write_csv, size):
    # given: a stray quote on line 4 of the polls; every later row would be swallowed into one field
    load_data("--dir", input_dir)
    before = tables_dump()
    after = [f"{B},active,2023-01-22 {h:02d}:{m:02d}:00 UTC" for h in range(24) for m in range(60)]
    after = after if size == "small" else after * 3
    path = write_csv(
        "p.csv", POLLS_HEADER, f"{A},active,2023-02-01 00:00:00 UTC", "", f'{B},active,"2023-02-01 00:00:00 UTC', *after
    )
    # when
    status, _, err = load_data("--polls", path, "--hours", input_dir / "menu_hours.csv")
    # then
    assert status == 2
    assert f"{path}: " in err and "opened on line 4 " in err and "nothing was loaded" in err
    assert "bad row" not in err
    assert tables_dump() == before


@pytest.mark.django_db
def test_a_quoted_field_over_the_line_limit_exits_2(load_data, write_csv):
    # given: a stray quote on line 3 of the timezones, closed by another one 20 lines later
    lines = [f"{i},America/Denver" for i in range(20)]
    path = write_csv(
        "t.csv", TIMEZONES_HEADER, f"{A},America/Denver", f'{B},"America/Denver', *lines, 'x",UTC', "7,UTC"
    )
    status, _, err = load_data("--timezones", path)
    assert status == 2
    assert "opened on line 3 " in err
    assert Store.objects.count() == 0


@pytest.mark.django_db
def test_unsafe_ids_and_impossible_instants_are_bad_rows_of_every_file(load_data, write_csv):
    # given: ids a spreadsheet reads as formulas, and a year-1 instant PostgreSQL would read as 2001
    polls = write_csv(
        "p.csv", POLLS_HEADER, f"{A},active,2023-01-22 12:00:00 UTC", "=1+1,active,2023-01-22 12:00:00 UTC",
        f"{A},active,0001-01-01T05:00+05:00", '"\t7",active,2023-01-22 12:00:00 UTC',
    )  # fmt: skip
    hours = write_csv("h.csv", HOURS_HEADER, f"{A},0,09:00,17:00", "@x,0,09:00,17:00")
    timezones = write_csv("t.csv", TIMEZONES_HEADER, f"{A},UTC", "-5,UTC", " +5,UTC")
    # when
    status, _, err = load_data("--polls", polls, "--hours", hours, "--timezones", timezones)
    # then
    assert status == 0
    printed = [line for line in err.splitlines() if line.startswith("bad row: ")]
    assert [line.split(": ", 3)[1:3] for line in printed] == [
        [f"{timezones}:3", "store_id"],
        [f"{timezones}:4", "store_id"],
        [f"{hours}:3", "store_id"],
        [f"{polls}:3", "store_id"],
        [f"{polls}:4", "timestamp_utc"],
        [f"{polls}:5", "store_id"],
    ]
    assert "before 1971" in printed[4]
    assert sorted(Store.objects.values_list("store_id", flat=True)) == [A]
    assert polls_of(A) == [("2023-01-22T12:00:00+00:00", True)]
