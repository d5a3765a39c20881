"""Reading and validating the input CSVs: every shape in docs/numbers.md "Inputs", every bad-row kind."""

import io
from datetime import UTC, datetime, timedelta

import pytest

from stores import csv_rows
from stores.csv_rows import HOURS, POLLS, TIMEZONES, BadFile, RowError


def read(kind: str, text: str, chunk_rows: int = csv_rows.CHUNK_ROWS) -> tuple[list[tuple], list[RowError]]:
    errors: list[RowError] = []
    stream = io.StringIO(text, newline="")
    rows = [
        row
        for chunk in csv_rows.rows_read(stream, kind, file="f.csv", on_error=errors.append, chunk_rows=chunk_rows)
        for row in chunk
    ]
    return rows, errors


def read_file(path, kind: str) -> tuple[list[tuple], list[RowError]]:
    errors: list[RowError] = []
    with csv_rows.csv_open(path) as stream:
        rows = [
            row for chunk in csv_rows.rows_read(stream, kind, file=str(path), on_error=errors.append) for row in chunk
        ]
    return rows, errors


# --- Headers and file shapes ------------------------------------------------------------


def test_polls_columns_are_matched_by_name_in_any_order():
    rows, errors = read(POLLS, "timestamp_utc,store_id,status\n2023-01-22 12:09:39.388884 UTC,42,active\n")
    assert rows == [("42", "2023-01-22 12:09:39.388884", True)]
    assert errors == []


def test_header_names_may_carry_spaces_and_any_case_and_extra_columns_are_ignored():
    rows, errors = read(POLLS, " Store_ID , extra ,STATUS, timestamp_utc \n7,x,inactive,2023-01-22 12:00:00 UTC\n")
    assert rows == [("7", "2023-01-22 12:00:00", False)]
    assert errors == []


@pytest.mark.parametrize("day_column", ["day", "dayOfWeek", "dayofweek", "day_of_week"])
def test_hours_day_column_goes_by_several_names(day_column):
    rows, errors = read(HOURS, f"store_id,{day_column},start_time_local,end_time_local\n5,6,09:00:00,17:30:00\n")
    assert rows == [("5", 6, "09:00:00", "17:30:00", None)]
    assert errors == []


def test_bom_and_crlf_line_ends_are_read(write_csv):
    # given
    path = write_csv("s.csv", "store_id,status,timestamp_utc", "1,active,2023-01-22 12:09:39 UTC", bom=True, crlf=True)
    # when
    rows, errors = read_file(path, POLLS)
    # then
    assert rows == [("1", "2023-01-22 12:09:39", True)]
    assert errors == []


def test_old_mac_line_ends_and_a_last_line_without_one_are_read(write_csv, tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b"store_id,status,timestamp_utc\r1,active,2023-01-22 12:00:00 UTC\r2,bad,2023-01-22 12:00:00 UTC")
    rows, errors = read_file(path, POLLS)
    assert rows == [("1", "2023-01-22 12:00:00", True)]
    assert [(e.line, e.field) for e in errors] == [(3, "status")]


def test_surrounding_spaces_in_every_field_are_trimmed():
    rows, errors = read(HOURS, "store_id,dayOfWeek,start_time_local,end_time_local\n  5 , 3 , 09:00:00 ,  17:00 \n")
    assert rows == [("5", 3, "09:00:00", "17:00:00", None)]
    assert errors == []
    rows, errors = read(POLLS, 'store_id,status,timestamp_utc\n  5 ,  Active  ,"  2023-01-22 12:00:00 UTC "\n')
    assert rows == [("5", "2023-01-22 12:00:00", True)]
    assert errors == []


@pytest.mark.parametrize(
    "store_id",
    [
        "1481966498820158979",
        "054515546588432327",
        "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11",
        "9" * 64,
        "a,b",
        'with "quotes"',
    ],
)
def test_store_id_is_an_opaque_string_kept_exactly(store_id):
    quoted = '"' + store_id.replace('"', '""') + '"'
    rows, errors = read(TIMEZONES, f"store_id,timezone_str\n{quoted},America/Denver\n")
    assert rows == [(2, store_id, "America/Denver")]
    assert errors == []


def test_blank_lines_are_skipped_and_line_numbers_stay_physical():
    # given: a blank line, and a quoted field spanning two lines
    text = 'store_id,timezone_str\n\n1,America/Denver\n"2\nx",Bad/Zone\n3,Nowhere/Else\n'
    # when
    rows, errors = read(TIMEZONES, text)
    # then
    # (an unknown zone name is reported but kept: see test_unknown_timezone_names_are_reported_and_kept)
    assert rows == [(3, "1", "America/Denver"), (6, "3", "Nowhere/Else")]
    assert [(e.line, e.field) for e in errors] == [(4, "store_id"), (6, "timezone_str")]


def test_a_bad_poll_after_a_multiline_field_has_the_line_it_starts_on():
    text = (
        'store_id,status,timestamp_utc\r\n"a\r\nb",active,2023-01-22 12:00:00 UTC\r\n'
        '7,"act\nive",x\r\n"\n",active,2023-01-22 12:00:00 UTC\n'
    )
    rows, errors = read(POLLS, text)
    assert rows == []
    assert [(e.line, e.field) for e in errors] == [(2, "store_id"), (4, "timestamp_utc"), (6, "store_id")]


def test_rows_come_in_chunks_of_bounded_size():
    text = "store_id,status,timestamp_utc\n" + "".join(f"{i},active,2023-01-22 12:00:00 UTC\n" for i in range(5))
    chunks = list(csv_rows.rows_read(io.StringIO(text), POLLS, file="f.csv", on_error=lambda e: None, chunk_rows=2))
    assert [len(c) for c in chunks] == [2, 2, 1]


# --- Timestamps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, utc_text",
    [
        ("2023-01-22 12:09:39.388884 UTC", "2023-01-22 12:09:39.388884"),
        ("2023-01-22 12:09:39.38888 UTC", "2023-01-22 12:09:39.388880"),
        ("2023-01-22 12:09:39.3 UTC", "2023-01-22 12:09:39.300000"),
        ("2023-01-22 12:09:39 UTC", "2023-01-22 12:09:39"),
        ("2023-01-22 12:09:39.000000 UTC", "2023-01-22 12:09:39"),
        ("2023-01-22 12:09:39.000100 UTC", "2023-01-22 12:09:39.000100"),
        ("2024-10-07T10:14:42Z", "2024-10-07 10:14:42"),
        ("2024-10-07T10:14:42.5Z", "2024-10-07 10:14:42.500000"),
        ("2024-10-07T10:14:42+00:00", "2024-10-07 10:14:42"),
        ("2024-10-07T10:14:42.123456+00:00", "2024-10-07 10:14:42.123456"),
        ("2024-10-07T10:14:42+05:30", "2024-10-07 04:44:42"),
        ("2024-10-07T01:14:42-0300", "2024-10-07 04:14:42"),
        ("2024-01-01T01:00:00+02", "2023-12-31 23:00:00"),
        ("2024-10-07T10:14:42", "2024-10-07 10:14:42"),
        ("2024-10-07 10:14", "2024-10-07 10:14:00"),
        ("2024-10-07t10:14:42z", "2024-10-07 10:14:42"),
        ("  2023-01-22 12:09:39.388884 UTC  ", "2023-01-22 12:09:39.388884"),
    ],
)
def test_timestamps_in_every_form_become_utc_text(raw, utc_text):
    rows, errors = read(POLLS, f'store_id,status,timestamp_utc\n1,active,"{raw}"\n')
    assert errors == []
    assert rows == [("1", utc_text, True)]
    assert csv_rows.timestamp_utc_clean(raw) == utc_text


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "yesterday",
        "2023-02-30 12:00:00 UTC",
        "2023-01-22 25:00:00 UTC",
        "2023-01-22 12:09:39.1234567 UTC",
        "2023-01-22",
        "2023-W03-1 12:09:39.388884 UTC",
        "20230122T120939",
        "2023-01-22 12:09:39 CET",
        "2023-01-22 12:09:39.388884 UTC UTC",
        "2023-01-22 12:09:39+25:00",
        "0001-01-01T00:30:00+01:00",
    ],
)
def test_unparseable_timestamps_are_bad_rows(raw):
    rows, errors = read(POLLS, f"store_id,status,timestamp_utc\n1,active,{raw}\n")
    assert rows == []
    assert [(e.line, e.field) for e in errors] == [(2, "timestamp_utc")]


# --- Bad rows, one per kind -------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, header, line, field",
    [
        (POLLS, "store_id,status,timestamp_utc", ",active,2023-01-22 12:00:00 UTC", "store_id"),
        (POLLS, "store_id,status,timestamp_utc", "   ,active,2023-01-22 12:00:00 UTC", "store_id"),
        (POLLS, "store_id,status,timestamp_utc", "1,active,not a time", "timestamp_utc"),
        (POLLS, "store_id,status,timestamp_utc", "1,online,2023-01-22 12:00:00 UTC", "status"),
        (POLLS, "store_id,status,timestamp_utc", "1,,2023-01-22 12:00:00 UTC", "status"),
        (POLLS, "store_id,status,timestamp_utc", "1,active", "timestamp_utc"),
        (POLLS, "store_id,status,timestamp_utc", "x" * 65 + ",active,2023-01-22 12:00:00 UTC", "store_id"),
        (HOURS, "store_id,dayOfWeek,start_time_local,end_time_local", "1,7,09:00:00,17:00:00", "dayOfWeek"),
        (HOURS, "store_id,day,start_time_local,end_time_local", "1,-1,09:00:00,17:00:00", "day"),
        (HOURS, "store_id,day,start_time_local,end_time_local", "1,Mon,09:00:00,17:00:00", "day"),
        (HOURS, "store_id,day,start_time_local,end_time_local", "1,2.0,09:00:00,17:00:00", "day"),
        (HOURS, "store_id,day,start_time_local,end_time_local", "1,0,9am,17:00:00", "start_time_local"),
        (HOURS, "store_id,day,start_time_local,end_time_local", "1,0,09:00:00,24:00:00", "end_time_local"),
        (HOURS, "store_id,day,start_time_local,end_time_local", "1,0,09:60:00,17:00:00", "start_time_local"),
        (HOURS, "store_id,day,start_time_local,end_time_local", ",0,09:00:00,17:00:00", "store_id"),
        (TIMEZONES, "store_id,timezone_str", "1,Europe/Par\x00is", "timezone_str"),
        (TIMEZONES, "store_id,timezone_str", ",America/Chicago", "store_id"),
    ],
)
def test_each_bad_row_kind_is_reported_with_file_line_and_field(kind, header, line, field):
    # given: a good row, the bad one on line 3, another good row
    good = {
        POLLS: "9,active,2023-01-22 12:00:00 UTC",
        HOURS: "9,0,09:00:00,17:00:00",
        TIMEZONES: "9,America/Denver",
    }[kind]
    # when
    rows, errors = read(kind, f"{header}\n{good}\n{line}\n{good}\n")
    # then
    assert len(rows) == 2
    assert len(errors) == 1
    error = errors[0]
    assert (error.file, error.line, error.field) == ("f.csv", 3, field)
    assert error.reason
    assert str(error) == f"f.csv:3: {field}: {error.reason}"


@pytest.mark.parametrize("name", ["America/Chicgo", "GMT-5", "PST", "../../etc/passwd"])
def test_unknown_timezone_names_are_reported_and_kept(name):
    # given: an unknown zone name on line 3 (docs/numbers.md rule 4: such a store reads as America/Chicago)
    text = f"store_id,timezone_str\n9,America/Denver\n1, {name} \n"
    # when
    rows, errors = read(TIMEZONES, text)
    # then: reported with file, line and field, as a warning, and the row is kept (trimmed)
    assert rows == [(2, "9", "America/Denver"), (3, "1", name)]
    [warning] = errors
    assert isinstance(warning, csv_rows.RowWarning)
    assert (
        str(warning)
        == f"f.csv:3: timezone_str: unknown timezone name {name!r}: stored; reports use America/Chicago (rule 4)"
    )


def test_an_unknown_timezone_name_longer_than_the_column_is_a_warning_and_the_row_is_kept():
    # given: a name too long for the column on line 3 (issue: it keeps its store, rules 1 and 4)
    name = "Z" * 65
    # when
    rows, errors = read(TIMEZONES, f"store_id,timezone_str\n9,America/Denver\n1,{name}\n")
    # then: the row is kept (stores.merges stores it without a zone) and the warning says so
    assert rows == [(2, "9", "America/Denver"), (3, "1", name)]
    [warning] = errors
    assert isinstance(warning, csv_rows.RowWarning)
    assert (warning.line, warning.field) == (3, "timezone_str")
    assert "longer than 64 characters" in warning.reason and "America/Chicago" in warning.reason


def test_control_characters_in_a_store_id_are_a_bad_row():
    rows, errors = read(POLLS, "store_id,status,timestamp_utc\n\x00\x00,active,2023-01-22 12:00:00 UTC\n")
    assert rows == []
    assert [(e.line, e.field, e.reason) for e in errors] == [(2, "store_id", "contains control characters")]


def test_status_in_any_case_with_spaces_is_accepted():
    rows, errors = read(
        POLLS, "store_id,status,timestamp_utc\n1, ACTIVE ,2023-01-22 12:00:00 UTC\n2,InActive,2023-01-22 12:00:00 UTC\n"
    )
    assert [r[2] for r in rows] == [True, False]
    assert errors == []


def test_times_accept_hh_mm_and_a_one_digit_hour():
    rows, errors = read(HOURS, "store_id,day,start_time_local,end_time_local\n1,0,9:05,23:59:59\n")
    assert rows == [("1", 0, "09:05:00", "23:59:59", None)]
    assert errors == []


@pytest.mark.parametrize(
    "raw, stored",
    [("America/New_York", "America/New_York"), ("  US/Eastern ", "US/Eastern"), ("UTC", "UTC"), ("", ""), ("   ", "")],
)
def test_timezones_are_trimmed_aliases_valid_and_empty_kept(raw, stored):
    rows, errors = read(TIMEZONES, f'store_id,timezone_str\n1,"{raw}"\n')
    assert rows == [(2, "1", stored)]
    assert errors == []


# --- Files that are not CSVs of their kind ----------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        (b"\xef\xbb\xbf", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not UTF-8"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", "not UTF-8"),
        (b"\x00" * 64, "no recognizable header"),
        (b"store_id,status\n1,active\n", "missing column timestamp_utc"),
        (b"id,when,what\n1,2,3\n", "no recognizable header"),
        (b'[{"store_id": "1"}]\n', "no recognizable header"),
        (b"store_id;status;timestamp_utc\n1;active;x\n", "no recognizable header"),
        (b"store_id,day,dayOfWeek,start_time_local,end_time_local\n", "both give day_of_week"),
    ],
)
def test_a_file_that_is_not_a_csv_of_its_kind_is_a_bad_file(write_csv, tmp_path, content, message):
    # given
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    kind = HOURS if b"dayOfWeek" in content else POLLS
    # when
    with pytest.raises(BadFile) as raised:
        read_file(path, kind)
    # then
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"{path}: ")


def test_header_check_fails_fast_and_names_the_file(tmp_path):
    path = tmp_path / "timezones.csv"
    path.write_text("store_id,tz\n1,America/Denver\n")
    with pytest.raises(BadFile, match=r"timezones\.csv: missing column timezone_str"):
        csv_rows.header_check(path, TIMEZONES)
    with pytest.raises(BadFile, match="cannot open"):
        csv_rows.header_check(tmp_path / "absent.csv", TIMEZONES)


def test_a_header_only_file_has_no_rows():
    assert read(POLLS, "store_id,status,timestamp_utc\n") == ([], [])


# --- A pushed JSON batch ----------------------------------------------------------------


def test_json_items_are_validated_like_file_rows_with_their_index():
    # given
    items = [
        {"store_id": "1", "timestamp_utc": "2024-10-07T10:14:42Z", "status": "Active"},
        {"store_id": 1481966498820158979, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
        "not an object",
        {"store_id": "2", "status": "active"},
        {"store_id": "3", "timestamp_utc": "2024-10-07 10:14:42 UTC", "status": "down"},
        {"store_id": "4", "timestamp_utc": "2024-10-07 10:14:42.5 UTC", "status": " inactive "},
    ]
    # when
    rows, errors = csv_rows.poll_items_read(items)
    # then
    assert rows == [("1", "2024-10-07 10:14:42", True), ("4", "2024-10-07 10:14:42.500000", False)]
    assert [(e.line, e.field) for e in errors] == [(1, "store_id"), (2, "item"), (3, "timestamp_utc"), (4, "status")]
    assert errors[0].reason == "not a JSON string"
    assert errors[2].reason == "missing"


# --- Quotes that never close, and physical line numbers ----------------------------------

STAMP = "2023-01-22 12:00:00 UTC"
POLL = "{},active," + STAMP


@pytest.mark.parametrize("separator, ending", [("\n", "\n"), ("\r\n", "\r\n"), ("\r", "\r"), ("\n", "")])
@pytest.mark.parametrize(
    "kind, header, stray",
    [
        (POLLS, "store_id,status,timestamp_utc", '"3,active,2023-01-22 12:00:00 UTC'),
        (POLLS, "store_id,status,timestamp_utc", '3,active,"2023-01-22 12:00:00 UTC'),
        (POLLS, "store_id,status,timestamp_utc,note", '3,active,2023-01-22 12:00:00 UTC,"a note'),
        (HOURS, "store_id,day,start_time_local,end_time_local", '3,0,"09:00,17:00'),
        (TIMEZONES, "store_id,timezone_str", '3,"America/Denver'),
    ],
)
def test_a_quote_that_runs_to_the_end_of_the_file_is_a_bad_file_naming_its_line(kind, header, stray, separator, ending):
    # given: two good rows, a blank line, a stray quote on line 5, two more rows that it swallows
    good = {POLLS: POLL.format(9), HOURS: "9,0,09:00,17:00", TIMEZONES: "9,America/Denver"}[kind]
    text = separator.join([header, good, good, "", stray, good, good]) + ending
    # when
    with pytest.raises(BadFile) as raised:
        read(kind, text)
    # then
    assert str(raised.value).startswith("f.csv: ")
    assert "quote" in raised.value.reason and "line 5 " in raised.value.reason + " "
    assert "end of the file" in raised.value.reason


def test_a_quote_opened_on_the_last_line_without_a_line_end_is_a_bad_file():
    with pytest.raises(BadFile, match=r"opened on line 3 .*end of the file"):
        read(POLLS, 'store_id,status,timestamp_utc\n1,active,2023-01-22 12:00:00 UTC\n2,active,"2023')


def test_a_quoted_field_spanning_more_lines_than_allowed_is_a_bad_file_naming_where_it_opened():
    # given: a stray quote on line 3, closed by another stray quote many lines later
    rows = [POLL.format(i) for i in range(csv_rows.MAX_RECORD_LINES + 5)]
    text = "store_id,status,timestamp_utc\n" + POLL.format(1) + '\n"' + "\n".join(rows) + '"\n' + POLL.format(2) + "\n"
    # when
    with pytest.raises(BadFile) as raised:
        read(POLLS, text)
    # then
    assert "opened on line 3 " in raised.value.reason
    assert f"at most {csv_rows.MAX_RECORD_LINES} lines" in raised.value.reason


def test_the_quote_named_is_the_field_that_crosses_the_limit_not_an_earlier_one():
    # given: a record on line 2 whose first field spans 2 lines, then a field opened on line 3 that never ends
    many = "\n".join(["x"] * (csv_rows.MAX_RECORD_LINES + 1))
    text = f'store_id,status,timestamp_utc,note\n1,"act\nive",2023-01-22 12:00:00 UTC,"{many}"\n' + POLL.format(2)
    with pytest.raises(BadFile, match="opened on line 3 "):
        read(POLLS, text)


def test_a_quote_that_never_closes_in_a_big_file_is_a_bad_file_naming_its_line():
    # given: more text after the stray quote than the csv module's field size limit
    rows = "".join(POLL.format(i) + "\n" for i in range(4000))
    text = "store_id,status,timestamp_utc\n" + rows + '"' + rows
    assert len(rows) > 131_072
    with pytest.raises(BadFile, match="line 4002 "):
        read(POLLS, text)


def test_a_record_may_span_up_to_the_limit_and_later_lines_stay_physical():
    # given: a note spanning the most lines allowed, on line 2, in a column the loader ignores
    note = "\n".join(["x"] * csv_rows.MAX_RECORD_LINES)
    text = f'store_id,status,timestamp_utc,note\n1,active,2023-01-22 12:00:00 UTC,"{note}"\n2,up,{STAMP},\n'
    # when
    rows, errors = read(POLLS, text)
    # then
    assert rows == [("1", "2023-01-22 12:00:00", True)]
    assert [(e.line, e.field) for e in errors] == [(2 + csv_rows.MAX_RECORD_LINES, "status")]


def test_an_unterminated_quote_in_the_header_is_a_bad_file():
    with pytest.raises(BadFile, match="opened on line 2 "):
        read(TIMEZONES, '\nstore_id,"timezone_str\n1,America/Denver\n')


@pytest.mark.parametrize("kind", [POLLS, HOURS, TIMEZONES])
def test_header_check_sees_a_quote_that_never_closes_in_the_header(tmp_path, kind):
    path = tmp_path / "in.csv"
    path.write_text('"store_id\n')
    with pytest.raises(BadFile, match="opened on line 1 "):
        csv_rows.header_check(path, kind)


def test_a_bad_row_after_a_field_spanning_lines_has_the_line_of_its_first_character():
    # a multi-line field that the fast path of polls would accept (it is in an ignored column)
    text = f'store_id,status,timestamp_utc,note\n1,active,{STAMP},"a\r\nb"\r\n\r\n2,up,{STAMP},\n'
    rows, errors = read(POLLS, text)
    assert rows == [("1", "2023-01-22 12:00:00", True)]
    assert [(e.line, e.field) for e in errors] == [(5, "status")]


# --- Store ids a spreadsheet would read as a formula -----------------------------------


UNSAFE_IDS = ["=1+1", "+1", "-1", "@SUM(A1)", " =1", "\t1", "\r1", "  ", "\t"]


@pytest.mark.parametrize("store_id", UNSAFE_IDS)
@pytest.mark.parametrize(
    "kind, header, rest",
    [
        (POLLS, "store_id,status,timestamp_utc", "active,2023-01-22 12:00:00 UTC"),
        (POLLS, "store_id,status,timestamp_utc", "active, 2023-01-22 12:00:00 UTC"),  # the general parsers
        (HOURS, "store_id,day,start_time_local,end_time_local", "0,09:00,17:00"),
        (TIMEZONES, "store_id,timezone_str", "America/Denver"),
    ],
)
def test_an_unsafe_store_id_is_a_bad_row_in_every_file(kind, header, rest, store_id):
    # given: the id quoted, so that a tab or a carriage return stays in the field
    quoted = '"' + store_id + '"'
    # when
    rows, errors = read(kind, f"{header}\n{quoted},{rest}\n9,{rest}\n")
    # then
    assert len(rows) == 1
    assert [(e.line, e.field) for e in errors] == [(2, "store_id")]
    assert errors[0].reason == "empty" if not store_id.strip() else "formula" in errors[0].reason


# A tab or a carriage return is looked for before trimming (trimming removes them, and
# what is stored is the trimmed id); =, +, - and @ after it (the stored id must not start with one).
@pytest.mark.parametrize("raw, stored", [(" \t1", "1"), ("1=2", "1=2"), ("a-b", "a-b"), ("1@x", "1@x"), (" 1 ", "1")])
def test_a_store_id_unsafe_only_inside_or_after_a_space_is_kept(raw, stored):
    assert csv_rows.store_id_clean(raw) == stored
    rows, errors = read(POLLS, f'store_id,status,timestamp_utc\n"{raw}",active,2023-01-22 12:00:00 UTC\n')
    assert (rows, errors) == ([(stored, "2023-01-22 12:00:00", True)], [])


@pytest.mark.parametrize("store_id", UNSAFE_IDS)
def test_an_unsafe_store_id_is_a_bad_json_item(store_id):
    rows, errors = csv_rows.poll_items_read(
        [{"store_id": store_id, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"}]
    )
    assert rows == []
    assert [(e.line, e.field) for e in errors] == [(0, "store_id")]


# --- One parser for every instant -------------------------------------------------------


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("0001-01-01T05:00+05:00", "before 1971"),
        ("0001-01-01 05:00:00 UTC", "before 1971"),
        ("0999-01-01T00:00:00Z", "before 1971"),
        ("1970-12-31 23:59:59.999999 UTC", "before 1971"),
        ("1971-01-01T00:30:00+01:00", "before 1971"),
        ("9999-12-31T23:30:00-01:00", "after 9999"),
        ("٢٠٢٣-01-22 12:00:00 UTC", "non-ASCII digit"),
        ("２０２３-01-22T12:00:00Z", "non-ASCII digit"),
        ("2023-01-22 12:00:00.٣ UTC", "non-ASCII digit"),
        ("2023-01-22T12:00:00+٠٥:٠٠", "non-ASCII digit"),
        ("2023-01-22T12:00:00+0٥", "non-ASCII digit"),
    ],
)
def test_instants_out_of_range_or_with_foreign_digits_are_named_bad_rows(raw, reason):
    # the same parser for files (both paths), pushed JSON and as_of
    for text in (
        f'store_id,status,timestamp_utc\n1,active,"{raw}"\n',
        f'store_id,status,timestamp_utc\n1, active,"{raw}"\n',
    ):
        rows, errors = read(POLLS, text)
        assert rows == []
        assert [(e.line, e.field) for e in errors] == [(2, "timestamp_utc")]
        assert reason in errors[0].reason
    _, [error] = csv_rows.poll_items_read([{"store_id": "1", "timestamp_utc": raw, "status": "active"}])
    assert reason in error.reason
    with pytest.raises(ValueError, match=reason):
        csv_rows.instant_parse(raw)


@pytest.mark.parametrize(
    "raw, instant",
    [
        ("1971-01-01 00:00:00 UTC", datetime(1971, 1, 1, tzinfo=UTC)),
        ("1971-01-01T01:00:00+01:00", datetime(1971, 1, 1, tzinfo=UTC)),
        ("9999-12-31 23:59:59.999999 UTC", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2024-10-07T10:14:42+05:30", datetime(2024, 10, 7, 4, 44, 42, tzinfo=UTC)),
        ("2024-10-07T10:14", datetime(2024, 10, 7, 10, 14, tzinfo=UTC)),
    ],
)
def test_instant_parse_gives_the_utc_instant(raw, instant):
    parsed = csv_rows.instant_parse(raw)
    assert parsed == instant and parsed.utcoffset() == timedelta(0)
    assert csv_rows.timestamp_utc_clean(raw) == f"{instant:%Y-%m-%d %H:%M:%S}" + (
        f".{instant.microsecond:06d}" if instant.microsecond else ""
    )


def test_iso_only_refuses_the_utc_word():
    assert csv_rows.instant_parse("2023-01-22T12:00:00Z", iso_only=True) == datetime(2023, 1, 22, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="not an ISO 8601"):
        csv_rows.instant_parse("2023-01-22 12:00:00 UTC", iso_only=True)


def test_hours_refuse_non_ascii_digits():
    rows, errors = read(HOURS, "store_id,day,start_time_local,end_time_local\n1,0,٠٩:00,17:00\n")
    assert rows == []
    assert [(e.line, e.field) for e in errors] == [(2, "start_time_local")]
