"""Values reach the database exactly as given, or are named bad rows: COPY escaping, NUL, lengths.

PostgreSQL's text COPY gives backslash, tab, newline and carriage return a
meaning, and cannot hold NUL at all; SQLite takes the same rows as parameters.
Either way a load never fails on a value: it stores it byte for byte, or
reports it as `file:line: field: reason` and loads the rest.
"""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from stores import merges, services, staging
from stores.conftest import HOURS_HEADER, POLLS_HEADER, TIMEZONES_HEADER, hours_of, polls_of, timezone_of
from stores.csv_rows import TIMEZONES, RowError, RowWarning
from stores.models import Store

A = "1481966498820158979"

# (the timezone_str cell as written in the CSV, the value as it must be stored)
AWKWARD_TIMEZONES = [
    ("\\N", "\\N"),  # COPY's NULL marker
    ('"a\tb"', "a\tb"),  # COPY's column delimiter
    ("Europe\\/Paris", "Europe\\/Paris"),  # COPY would read \/ as /
    ("\\\\", "\\\\"),
    ("\\.", "\\."),  # COPY's end-of-data marker
    ("x\\ty", "x\\ty"),  # a backslash and a t, not a tab
    ('"a\nb"', "a\nb"),  # COPY's row delimiter, inside a quoted field
    ('"a\rb"', "a\rb"),
]
# Store ids the validation keeps: stored byte for byte.
AWKWARD_STORE_IDS = ["a\\b", "\\N", "\\\\", "x\\/y", "\\.", "x\\ty", "é" * 64, "7" * 64]
# Store ids that are bad rows, and the reason's start.
BAD_STORE_IDS = [
    ("8" * 65, "longer than 64 characters"),
    ("é" * 65, "longer than 64 characters"),
    ('"a\tb"', "contains control characters"),
    ('"a\nb"', "contains control characters"),
    ("a\x00b", "contains control characters"),
]


def store(n: int) -> str:
    return f"store-{n}"


# --- Timezones ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_awkward_timezone_value_is_stored_byte_for_byte(write_csv):
    # given: one store per value, then a plain one
    lines = [f"{store(n)},{cell}" for n, (cell, _) in enumerate(AWKWARD_TIMEZONES)] + [f"{A},Europe/Paris"]
    reported: list[RowError] = []
    # when
    result = services.timezones_load(write_csv("t.csv", TIMEZONES_HEADER, *lines), on_reject=reported.append)
    # then
    for n, (_, stored) in enumerate(AWKWARD_TIMEZONES):
        assert timezone_of(store(n)) == stored
    assert timezone_of(A) == "Europe/Paris"
    assert (result.rows_read, result.rejected, result.warnings, result.inserted) == (9, 0, 8, 9)
    assert all(isinstance(e, RowWarning) and e.field == "timezone_str" for e in reported)
    # a value is compared as stored: the same file again changes nothing
    again = services.timezones_load(write_csv("t.csv", TIMEZONES_HEADER, *lines))
    assert (again.inserted, again.updated) == (0, 0)


@pytest.mark.django_db
def test_a_timezone_with_a_nul_is_a_named_bad_row_and_the_rest_is_loaded(write_csv):
    # given
    path = write_csv("t.csv", TIMEZONES_HEADER, f"{store(1)},Europe/Paris", f"{store(2)},Europe\x00Paris", f"{A},PST")
    reported: list[RowError] = []
    # when
    result = services.timezones_load(path, on_reject=reported.append)
    # then: one report per row, the NUL row's a bad row (not also a warning that it was stored)
    assert [(type(e), e.line, e.field) for e in reported] == [
        (RowError, 3, "timezone_str"),
        (RowWarning, 4, "timezone_str"),
    ]
    assert str(reported[0]) == f"{path}:3: timezone_str: contains a NUL character, which the database cannot store"
    assert (result.rows_read, result.rejected, result.warnings) == (3, 1, 1)
    assert sorted(Store.objects.values_list("store_id", "timezone_str")) == [(A, "PST"), (store(1), "Europe/Paris")]
    assert result.first_rejects == reported


@pytest.mark.django_db
def test_strict_refuses_a_timezone_with_a_nul(write_csv):
    with pytest.raises(services.RowsRejected) as refused:
        services.timezones_load(write_csv("t.csv", TIMEZONES_HEADER, f"{A},a\x00"), strict=True)
    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "timezone_str")]
    assert not Store.objects.exists()


@pytest.mark.django_db
def test_a_timezone_longer_than_the_column_reaching_the_merge_keeps_its_store_without_a_zone():
    # given: a staged row whose name cannot fit Store.timezone_str (varchar(64))
    long_name = "Not/A_Zone" * 20
    stage = staging.STAGES[TIMEZONES]
    # when
    with transaction.atomic(), connection.cursor() as cursor:
        backend = staging.backend_create(cursor)
        backend.table_create(stage.table, stage.columns)
        with backend.writer(stage) as write:
            write([(2, A, long_name), (3, store(1), "Europe/Paris")])
        counts = merges.timezones_merge(backend, replace=False)
    # then: the store has a row, and no zone (rule 4: America/Chicago); never a cut name
    assert (timezone_of(A), timezone_of(store(1))) == ("", "Europe/Paris")
    assert (counts.inserted, counts.stores_created) == (2, 2)


@pytest.mark.django_db
def test_an_unknown_timezone_longer_than_the_column_keeps_its_store_with_the_warning(write_csv):
    long_name = "Not/A_Zone" * 20
    reported: list[RowError] = []
    result = services.timezones_load(
        write_csv("t.csv", TIMEZONES_HEADER, f"{A},{long_name}"), on_reject=reported.append
    )
    assert timezone_of(A) == ""
    assert (result.rejected, result.warnings) == (0, 1)
    assert [(type(e), e.line, e.field) for e in reported] == [(RowWarning, 2, "timezone_str")]


# --- Store ids ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_awkward_store_ids_are_stored_byte_for_byte_in_every_kind_of_file(write_csv):
    n = len(AWKWARD_STORE_IDS)
    # when
    result = services.data_load(
        polls=write_csv("s.csv", POLLS_HEADER, *(f"{i},active,2023-01-22 12:00:00 UTC" for i in AWKWARD_STORE_IDS)),
        hours=write_csv("h.csv", HOURS_HEADER, *(f"{i},0,09:00,17:00" for i in AWKWARD_STORE_IDS)),
        timezones=write_csv("t.csv", TIMEZONES_HEADER, *(f"{i},Europe/Paris" for i in AWKWARD_STORE_IDS)),
    )
    # then
    assert sorted(Store.objects.values_list("store_id", flat=True)) == sorted(AWKWARD_STORE_IDS)
    for store_id in AWKWARD_STORE_IDS:
        assert polls_of(store_id) == [("2023-01-22T12:00:00+00:00", True)]
        assert hours_of(store_id) == [(0, "09:00:00", "17:00:00")]
        assert timezone_of(store_id) == "Europe/Paris"
    assert [(f.rows_read, f.rejected, f.inserted) for f in result.files] == [(n, 0, n)] * 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header, row",
    [
        (POLLS_HEADER, "{},active,2023-01-22 12:00:00 UTC"),
        (HOURS_HEADER, "{},0,09:00,17:00"),
        (TIMEZONES_HEADER, "{},Europe/Paris"),
    ],
    ids=["polls", "hours", "timezones"],
)
def test_store_ids_that_cannot_be_stored_are_named_bad_rows_and_the_rest_is_loaded(write_csv, header, row):
    # given: the good store last, after every bad one
    lines = [row.format(cell) for cell, _ in BAD_STORE_IDS] + [row.format(A)]
    path = write_csv("f.csv", header, *lines)
    reported: list[RowError] = []
    # when
    services.data_load(**{_kind_of(header): path}, on_reject=reported.append)
    # then
    first_lines = [2, 3, 4, 5, 7]  # the quoted newline takes a line
    assert [str(e) for e in reported] == [
        f"{path}:{line}: store_id: {reason}" for line, (_, reason) in zip(first_lines, BAD_STORE_IDS, strict=True)
    ]
    assert list(Store.objects.values_list("store_id", flat=True)) == [A]


def _kind_of(header: str) -> str:
    return {POLLS_HEADER: "polls", HOURS_HEADER: "hours", TIMEZONES_HEADER: "timezones"}[header]


# --- POST /api/polls ----------------------------------------------------------------------


@pytest.mark.django_db
def test_pushed_awkward_store_ids_are_stored_byte_for_byte(api):
    batch = [{"store_id": i, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"} for i in AWKWARD_STORE_IDS]
    response = api.post("/api/polls", data=json.dumps(batch), content_type="application/json")
    assert response.status_code == 200, response.content
    csv_ids = ["q\\N", "q\\/", "q\\\\"]
    body = POLLS_HEADER + "\n" + "".join(f"{i},active,2024-10-07 10:14:42 UTC\n" for i in csv_ids)
    response = api.post("/api/polls", data=body, content_type="text/csv")
    assert response.status_code == 200, response.content
    assert sorted(Store.objects.values_list("store_id", flat=True)) == sorted(AWKWARD_STORE_IDS + csv_ids)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "store_id, reason",
    [
        ("8" * 65, "longer than 64 characters"),
        ("a\tb", "contains control characters"),
        ("a\x00b", "contains control characters"),
        ("\ud800", "contains control characters"),
    ],
    ids=["long", "tab", "nul", "surrogate"],
)
def test_a_pushed_store_id_that_cannot_be_stored_is_a_named_bad_row(api, store_id, reason):
    batch = [
        {"store_id": A, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
        {"store_id": store_id, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
    ]
    response = api.post("/api/polls", data=json.dumps(batch), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 1, "field": "store_id", "reason": reason}]
    assert not Store.objects.exists()


# --- One bad file never aborts the others -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("cell", ["Europe\x00Paris", "\\N", '"a\tb"', "Europe\\/Paris", "Not/A_Zone" * 20])
def test_a_bad_timezone_row_never_aborts_the_other_files_of_a_dir_load(input_dir: Path, cell, capsys):
    # given: the sample folder, its timezones file with one awkward row more
    with open(input_dir / "timezones.csv", "a") as file:
        file.write(f"{store(9)},{cell}\n")
    # when
    call_command("load_data", "--dir", str(input_dir))
    # then: the polls and hours files are stored
    assert polls_of(A) == [("2023-01-22T12:09:39.388884+00:00", True), ("2023-01-22T13:09:39.300000+00:00", False)]
    assert hours_of(A) == [(0, "09:00:00", "17:00:00"), (1, "09:00:00", "17:00:00")]
    assert timezone_of(A) == "America/New_York"
    assert "timezones.csv:4: timezone_str: " in capsys.readouterr().err


@pytest.mark.django_db
def test_strict_refuses_a_dir_load_with_a_nul_timezone_and_stores_nothing(input_dir: Path):
    with open(input_dir / "timezones.csv", "a") as file:
        file.write(f"{store(9)},a\x00\n")
    with pytest.raises(CommandError) as refused:
        call_command("load_data", "--dir", str(input_dir), "--strict")
    assert refused.value.returncode == 1
    assert not Store.objects.exists()
