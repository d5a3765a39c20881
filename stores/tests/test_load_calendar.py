"""Loading real calendars: `special_hours.csv` and the `effective_from` column (docs/numbers.md rules 10, 11).

A load replaces, for each store it names, the weekly versions (store, effective_from) and
the special dates (store, date) it names, and nothing else; reloading changes nothing; a
bad row is `file:line: field: reason` and is never half applied.
"""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stores import services
from stores.conftest import HOURS_HEADER, POLLS_HEADER, TIMEZONES_HEADER
from stores.csv_rows import RowError
from stores.models import BusinessHours, Poll, SpecialHours, Store

A = "1481966498820158979"
B = "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11"
C = "7754905783215619092"
SPECIAL_HEADER = "store_id,date,start_time_local,end_time_local"
VERSIONED_HEADER = HOURS_HEADER + ",effective_from"


def load_data(*args: object) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `manage.py load_data ...` (status: the CommandError's returncode)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("load_data", *map(str, args), stdout=out, stderr=err)
        status = 0
    except CommandError as exc:
        status = exc.returncode
        err.write(f"CommandError: {exc}\n")
    return status, out.getvalue(), err.getvalue()


def calendar_dump() -> tuple[list, list, list]:
    """Every row and column of the stores, weekly and special tables, ids included, in id order."""
    return (
        list(Store.objects.order_by("id").values_list("id", "store_id", "timezone_str", "created_at")),
        list(
            BusinessHours.objects.order_by("id").values_list(
                "id", "store_id", "day_of_week", "start_time_local", "end_time_local", "effective_from"
            )
        ),
        list(
            SpecialHours.objects.order_by("id").values_list(
                "id", "store_id", "date", "start_time_local", "end_time_local"
            )
        ),
    )


def _text(value: dt.date | dt.time | None) -> str | None:
    return None if value is None else value.isoformat()


def versions_of(store_id: str) -> dict[str | None, list[tuple[int, str, str]]]:
    """effective_from ("YYYY-MM-DD", None = undated) -> that version's (day, start, end) rows, sorted."""
    versions: dict[str | None, list[tuple[int, str, str]]] = {}
    for row in BusinessHours.objects.filter(store__store_id=store_id):
        versions.setdefault(_text(row.effective_from), []).append(
            (row.day_of_week, row.start_time_local.isoformat(), row.end_time_local.isoformat())
        )
    return {key: sorted(rows) for key, rows in versions.items()}


def special_of(store_id: str) -> list[tuple[str, str | None, str | None]]:
    """(date, start, end) of a store's special rows, sorted (None: closed)."""
    rows = SpecialHours.objects.filter(store__store_id=store_id)
    return sorted(
        ((r.date.isoformat(), _text(r.start_time_local), _text(r.end_time_local)) for r in rows),
        key=lambda row: (row[0], row[1] or "", row[2] or ""),
    )


@pytest.fixture
def calendar_dir(write_csv, tmp_path) -> Path:
    """A folder of the four files: A has an undated and a dated version and two special dates, B one closed date."""
    write_csv(
        "menu_hours.csv",
        VERSIONED_HEADER,
        f"{A},0,09:00:00,12:00:00,",
        f"{A},1,09:00:00,12:00:00,",
        f"{A},0,13:00:00,15:00:00,2023-01-23",
        f"{B},4,18:00:00,02:00:00,",
    )
    write_csv(
        "special_hours.csv",
        SPECIAL_HEADER,
        f"{A},2023-01-24,,",
        f"{A},2023-01-25,10:00:00,11:00:00",
        f"{A},2023-01-25,14:00:00,14:00:00",
        f"{B},2023-01-21,,",
    )
    write_csv("timezones.csv", TIMEZONES_HEADER, f"{A},America/New_York", f"{B},America/Chicago")
    write_csv("store_status.csv", POLLS_HEADER, f"{A},active,2023-01-23 15:14:00 UTC")
    return tmp_path


# --- What a load reads ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_folder_with_special_hours_and_versions_is_loaded_and_summarized(calendar_dir):
    # when
    status, out, err = load_data("--dir", calendar_dir)
    # then
    assert (status, err) == (0, "")
    assert versions_of(A) == {
        None: [(0, "09:00:00", "12:00:00"), (1, "09:00:00", "12:00:00")],
        "2023-01-23": [(0, "13:00:00", "15:00:00")],
    }
    assert versions_of(B) == {None: [(4, "18:00:00", "02:00:00")]}
    assert special_of(A) == [
        ("2023-01-24", None, None),
        ("2023-01-25", "10:00:00", "11:00:00"),
        ("2023-01-25", "14:00:00", "14:00:00"),
    ]
    assert special_of(B) == [("2023-01-21", None, None)]
    special_row = next(row.split() for row in out.splitlines() if "special_hours.csv" in row)
    # file, rows read, inserted, updated, deleted, duplicates, rejected, warnings, stores
    assert special_row[1:9] == ["4", "4", "0", "0", "0", "0", "0", "2"]
    assert Poll.objects.count() == 1


@pytest.mark.django_db
def test_holiday_hours_csv_is_the_other_name_with_any_column_order_bom_and_crlf(write_csv, tmp_path):
    # given: columns reordered, spaces around values and in the header, a BOM and CRLF line ends
    write_csv(
        "holiday_hours.csv",
        " End_Time_Local ,date,store_id,start_time_local",
        f" 17:00 , 2023-12-25 ,{A}, 9:00 ",
        f",2023-12-26, {A} ,",
        bom=True,
        crlf=True,
    )
    write_csv(
        "business_hours.csv",
        "effective_from,dayOfWeek,store_id,end_time_local,start_time_local",
        f" 2024-01-01 ,2,{A},17:00,09:00",
        bom=True,
        crlf=True,
    )
    # when
    status, _, err = load_data("--dir", tmp_path)
    # then
    assert (status, err) == (0, "")
    assert special_of(A) == [("2023-12-25", "09:00:00", "17:00:00"), ("2023-12-26", None, None)]
    assert versions_of(A) == {"2024-01-01": [(2, "09:00:00", "17:00:00")]}


@pytest.mark.django_db
def test_both_special_file_names_in_one_folder_is_refused(write_csv, tmp_path):
    write_csv("special_hours.csv", SPECIAL_HEADER, f"{A},2023-12-25,,")
    write_csv("holiday_hours.csv", SPECIAL_HEADER, f"{A},2023-12-26,,")
    status, _, err = load_data("--dir", tmp_path)
    assert status == 2
    assert "both special_hours.csv and holiday_hours.csv; keep one" in err
    assert Store.objects.count() == 0


@pytest.mark.django_db
def test_special_hours_option_loads_one_file_and_wins_over_the_folders(calendar_dir, write_csv):
    # given
    other = write_csv("elsewhere.csv", SPECIAL_HEADER, f"{C},2023-07-04,,")
    # when: the option alone, then with a folder that has its own special_hours.csv
    assert load_data("--special-hours", other)[0] == 0
    assert special_of(C) == [("2023-07-04", None, None)]
    assert Store.objects.count() == 1 and not BusinessHours.objects.exists()
    assert load_data("--dir", calendar_dir, "--special-hours", other)[0] == 0
    # then: the folder's special_hours.csv was not read
    assert special_of(A) == []
    assert versions_of(A)[None] == [(0, "09:00:00", "12:00:00"), (1, "09:00:00", "12:00:00")]


@pytest.mark.django_db
def test_a_missing_special_hours_file_exits_2_naming_the_option(tmp_path):
    status, _, err = load_data("--special-hours", tmp_path / "nope.csv")
    assert status == 2
    assert f"--special-hours {tmp_path / 'nope.csv'}: no such file" in err


@pytest.mark.django_db
def test_a_file_without_a_special_column_exits_2_with_nothing_changed(calendar_dir, write_csv):
    load_data("--dir", calendar_dir)
    before = calendar_dump()
    status, _, err = load_data("--special-hours", write_csv("s.csv", "store_id,start_time_local,end_time_local"))
    assert status == 2
    assert "missing column date" in err
    assert calendar_dump() == before


@pytest.mark.django_db
def test_the_service_loads_a_stream_and_repeated_rows_once():
    # given: one row twice, a closed row beside rows with times (kept as given: rule 11 reads it)
    text = f"{SPECIAL_HEADER}\n{A},2023-01-25,10:00,11:00\n{A},2023-01-25,10:00,11:00\n{A},2023-01-25,,\n"
    # when
    result = services.special_hours_load(io.StringIO(text), name="pushed.csv")
    # then
    assert special_of(A) == [("2023-01-25", None, None), ("2023-01-25", "10:00:00", "11:00:00")]
    assert (result.rows_read, result.inserted, result.duplicates, result.stores_created) == (3, 2, 1, 1)


# --- Bad rows ---------------------------------------------------------------------------------


SPECIAL_BAD_ROWS = [
    # (row, field, start of the reason)
    (f"{A},2023/01/25,10:00,11:00", "date", "not a date (expected YYYY-MM-DD)"),
    (f"{A},25-01-2023,10:00,11:00", "date", "not a date (expected YYYY-MM-DD)"),
    (f"{A},20230125,10:00,11:00", "date", "not a date (expected YYYY-MM-DD)"),
    (f"{A},2023-02-30,10:00,11:00", "date", "2023-02-30 is not a date"),
    (f"{A},,10:00,11:00", "date", "not a date (expected YYYY-MM-DD)"),
    (f"{A},1970-12-31,,", "date", "1970-12-31 is outside"),
    (f"{A},2023-01-25,,11:00", "start_time_local", "empty while end_time_local is given"),
    (f"{A},2023-01-25,10:00,  ", "end_time_local", "empty while start_time_local is given"),
    (f"{A},2023-01-25,10am,11:00", "start_time_local", "not a time (expected HH:MM:SS)"),
    (f"{A},2023-01-25,10:00,24:00:00", "end_time_local", "24:00:00 is not a time of day"),
    (",2023-01-25,,", "store_id", "empty"),
    ("  ,2023-01-25,,", "store_id", "empty"),
    ("=1+1,2023-01-25,,", "store_id", "begins with '='"),
    ("+1,2023-01-25,,", "store_id", "begins with '+'"),
    ("-1,2023-01-25,,", "store_id", "begins with '-'"),
    ("@x,2023-01-25,,", "store_id", "begins with '@'"),
    ('"\t7",2023-01-25,,', "store_id", "begins with a tab"),
    ('"\r7",2023-01-25,,', "store_id", "begins with a carriage return"),
]
HOURS_BAD_ROWS = [
    (f"{A},7,09:00,17:00,", "day", "not a day of the week 0-6"),
    (f"{A},Mon,09:00,17:00,2023-01-23", "day", "not a day of the week 0-6"),
    (f"{A},0,9am,17:00,", "start_time_local", "not a time (expected HH:MM:SS)"),
    (f"{A},0,09:00,,2023-01-23", "end_time_local", "empty (a weekly row needs both times)"),
    (f"{A},0,09:00,17:00,next monday", "effective_from", "not a date (expected YYYY-MM-DD)"),
    (f"{A},0,09:00,17:00,2023-13-01", "effective_from", "2023-13-01 is not a date"),
    (f"{A},0,09:00,17:00,2023-01-23T00:00", "effective_from", "not a date (expected YYYY-MM-DD)"),
    ("@x,0,09:00,17:00,2023-01-23", "store_id", "begins with '@'"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header, good, row, field, reason",
    [(SPECIAL_HEADER, f"{B},2023-01-25,,", *case) for case in SPECIAL_BAD_ROWS]
    + [(VERSIONED_HEADER, f"{B},0,09:00,17:00,", *case) for case in HOURS_BAD_ROWS],
)
def test_each_bad_row_kind_is_named_file_line_field_and_the_rest_is_loaded(
    write_csv, tmp_path, header, good, row, field, reason
):
    # given: a good row, the bad one on line 3, another good row
    name = "special_hours.csv" if header == SPECIAL_HEADER else "menu_hours.csv"
    path = write_csv(name, header, good, row, good.replace(B, C))
    rejects = tmp_path / "rejects.csv"
    # when
    status, _, err = load_data("--dir", tmp_path, "--rejects", rejects)
    # then: named, skipped whole (its store is not even created), the good rows loaded
    assert status == 0
    assert f"bad row: {path}:3: {field}: {reason}" in err
    # and the row itself is in the rejects file, as written, with its line and reason
    columns = header.split(",")
    with rejects.open(newline="") as text:
        [written_header, written] = list(csv.reader(text))
    cells = next(csv.reader([row]))
    assert written_header == [*columns, "line", "reason"]
    assert written[: len(columns)] == cells + [""] * (len(columns) - len(cells))
    assert written[len(columns)] == "3" and written[len(columns) + 1].startswith(f"{field}: {reason}")
    assert sorted(Store.objects.values_list("store_id", flat=True)) == sorted([B, C])
    stored = SpecialHours.objects.count() if name == "special_hours.csv" else BusinessHours.objects.count()
    assert stored == 2


@pytest.mark.django_db
def test_line_numbers_are_physical_after_a_field_spanning_lines(write_csv, tmp_path):
    # given: a two-line quoted field on line 2 (a bad id), a blank line, then a bad row on line 5
    path = write_csv("special_hours.csv", SPECIAL_HEADER, f'"{B}\nx",2023-01-25,,', "", f"{A},2023-01-25,10:00,")
    errors: list[RowError] = []
    # when
    services.special_hours_load(path, on_reject=errors.append)
    # then
    assert [(e.line, e.field) for e in errors] == [(2, "store_id"), (5, "end_time_local")]


@pytest.mark.django_db
@pytest.mark.parametrize("option", ["--special-hours", "--hours"])
def test_strict_with_a_bad_calendar_row_exits_1_with_nothing_changed(calendar_dir, write_csv, option):
    # given: a first load, then files whose good rows would change A, one row bad
    load_data("--dir", calendar_dir)
    before = calendar_dump()
    special = write_csv("s.csv", SPECIAL_HEADER, f"{A},2023-01-24,08:00,09:00", f"{C},2023-01-24,08:00,")
    hours = write_csv("h.csv", VERSIONED_HEADER, f"{A},0,08:00,09:00,", f"{C},0,08:00,09:00,2023-02-31")
    path = {"--special-hours": special, "--hours": hours}[option]
    # when
    status, _, err = load_data("--strict", "--polls", calendar_dir / "store_status.csv", option, path)
    # then
    assert status == 1
    assert calendar_dump() == before
    assert f"{path}:3: " in err
    assert "--strict: 1 bad row(s); nothing was loaded" in err


# --- Reloading and replacing --------------------------------------------------------------------


@pytest.mark.django_db
def test_reloading_the_same_files_changes_nothing(calendar_dir):
    # given
    load_data("--dir", calendar_dir)
    before = calendar_dump()
    # when
    status, out, _ = load_data("--dir", calendar_dir)
    # then: not a row rewritten, not even an id
    assert status == 0
    assert calendar_dump() == before
    for name in ("menu_hours.csv", "special_hours.csv"):
        row = next(row.split() for row in out.splitlines() if name in row)
        assert row[2:5] == ["0", "0", "0"], row  # inserted, updated, deleted


@pytest.mark.django_db
def test_a_second_file_replaces_just_the_versions_and_dates_it_names(calendar_dir, write_csv):
    # given
    load_data("--dir", calendar_dir)
    untouched_ids = set(SpecialHours.objects.filter(store__store_id=B).values_list("id", flat=True)) | set(
        BusinessHours.objects.filter(store__store_id=B).values_list("id", flat=True)
    )
    hours = write_csv(
        "h2.csv",
        VERSIONED_HEADER,
        f"{A},0,13:00:00,16:00:00,2023-01-23",  # A's dated version, new rows
        f"{A},2,10:00:00,14:00:00,2023-03-01",  # a version A did not have
    )
    special = write_csv(
        "s2.csv",
        SPECIAL_HEADER,
        f"{A},2023-01-25,,",  # A's 2023-01-25: now closed
        f"{A},2023-12-25,,",  # a new date
    )
    # when
    status, out, _ = load_data("--hours", hours, "--special-hours", special)
    # then: A's undated version and 2023-01-24 stay; B is untouched (the same rows, the same ids)
    assert status == 0
    assert versions_of(A) == {
        None: [(0, "09:00:00", "12:00:00"), (1, "09:00:00", "12:00:00")],
        "2023-01-23": [(0, "13:00:00", "16:00:00")],
        "2023-03-01": [(2, "10:00:00", "14:00:00")],
    }
    assert special_of(A) == [("2023-01-24", None, None), ("2023-01-25", None, None), ("2023-12-25", None, None)]
    assert versions_of(B) == {None: [(4, "18:00:00", "02:00:00")]}
    assert special_of(B) == [("2023-01-21", None, None)]
    assert untouched_ids <= set(SpecialHours.objects.values_list("id", flat=True)) | set(
        BusinessHours.objects.values_list("id", flat=True)
    )
    special_row = next(row.split() for row in out.splitlines() if "s2.csv" in row)
    assert special_row[2:5] == ["2", "0", "2"]  # inserted, updated, deleted: 2023-01-25's two rows


@pytest.mark.django_db
def test_rows_without_effective_from_replace_the_undated_version_only(calendar_dir, write_csv):
    # given
    load_data("--dir", calendar_dir)
    # when: a plain menu_hours.csv (no effective_from column), then one with the column empty
    load_data("--hours", write_csv("plain.csv", HOURS_HEADER, f"{A},3,07:00,08:00"))
    first = versions_of(A)
    load_data("--hours", write_csv("empty.csv", VERSIONED_HEADER, f"{A},4,07:00,08:00,  "))
    # then
    assert first == {None: [(3, "07:00:00", "08:00:00")], "2023-01-23": [(0, "13:00:00", "15:00:00")]}
    assert versions_of(A) == {None: [(4, "07:00:00", "08:00:00")], "2023-01-23": [(0, "13:00:00", "15:00:00")]}


@pytest.mark.django_db
def test_replace_makes_the_files_the_whole_truth_for_every_version_and_date(calendar_dir, write_csv):
    # given
    load_data("--dir", calendar_dir)
    # when
    status, _, _ = load_data(
        "--replace",
        "--hours", write_csv("h.csv", VERSIONED_HEADER, f"{A},0,13:00:00,15:00:00,2023-01-23"),
        "--special-hours", write_csv("s.csv", SPECIAL_HEADER, f"{B},2023-01-21,,"),
    )  # fmt: skip
    # then: A's undated version, A's special dates and B's weekly rows are gone; stores stay
    assert status == 0
    assert versions_of(A) == {"2023-01-23": [(0, "13:00:00", "15:00:00")]}
    assert versions_of(B) == {}
    assert special_of(A) == []
    assert special_of(B) == [("2023-01-21", None, None)]
    assert Store.objects.filter(store_id__in=[A, B]).count() == 2


@pytest.mark.django_db
def test_repeated_rows_stored_by_something_else_are_made_one(calendar_dir):
    # given: the rows of one special date and of one version, each stored twice outside the loader
    load_data("--dir", calendar_dir)
    store = Store.objects.get(store_id=A)
    SpecialHours.objects.create(store=store, date=dt.date(2023, 1, 24))
    BusinessHours.objects.create(
        store=store, day_of_week=0, start_time_local=dt.time(13), end_time_local=dt.time(15),
        effective_from=dt.date(2023, 1, 23),
    )  # fmt: skip
    BusinessHours.objects.create(store=store, day_of_week=0, start_time_local=dt.time(9), end_time_local=dt.time(12))
    # when
    load_data("--dir", calendar_dir)
    # then
    assert SpecialHours.objects.filter(store=store, date=dt.date(2023, 1, 24)).count() == 1
    assert BusinessHours.objects.filter(store=store).count() == 3


# --- Values stored exactly ---------------------------------------------------------------------


AWKWARD_STORE_IDS = ["a\\b", "\\N", "\\\\", "x\\/y", "\\.", "x\\ty", 'with "quotes"', "a,b", "é" * 64]


@pytest.mark.django_db
def test_awkward_store_ids_are_stored_byte_for_byte_in_special_and_versioned_rows(write_csv):
    # given
    quoted = ['"' + store_id.replace('"', '""') + '"' for store_id in AWKWARD_STORE_IDS]
    special = write_csv("s.csv", SPECIAL_HEADER, *(f"{q},2023-01-25,10:00,11:00" for q in quoted))
    hours = write_csv(
        "h.csv", VERSIONED_HEADER, *(f"{q},1,10:00,11:00,2023-01-23" for q in quoted),
        *(f"{q},1,10:00,11:00," for q in quoted),
    )  # fmt: skip
    errors: list[RowError] = []
    # when
    services.data_load(special=special, hours=hours, on_reject=errors.append)
    # then
    assert errors == []
    for store_id in AWKWARD_STORE_IDS:
        assert special_of(store_id) == [("2023-01-25", "10:00:00", "11:00:00")]
        assert versions_of(store_id) == {
            None: [(1, "10:00:00", "11:00:00")],
            "2023-01-23": [(1, "10:00:00", "11:00:00")],
        }
    assert Store.objects.count() == len(AWKWARD_STORE_IDS)
