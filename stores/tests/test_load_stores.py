"""stores.csv (issue 14): `load_data` gives stores their brands and names, with the other files' rules
(bad rows named by file, line and field; --strict; one transaction), and every load is on record."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from brands.models import AuditEvent, Brand
from brands.services import brand_get_or_create
from stores.conftest import POLLS_HEADER, polls_of, tables_dump
from stores.models import Poll, Store

pytestmark = pytest.mark.django_db

A = "1481966498820158979"
B = "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11"
ONLY_HERE = "7000000000000000001"  # a store of stores.csv alone


def stores() -> list[tuple[str, str | None, str]]:
    """(store_id, brand slug, name) of every store."""
    return sorted(
        (store_id, slug, name) for store_id, slug, name in Store.objects.values_list("store_id", "brand__slug", "name")
    )


def brands() -> list[tuple[str, str]]:
    return list(Brand.objects.order_by("slug").values_list("slug", "name"))


def everything() -> tuple:
    return tables_dump(), stores(), brands(), AuditEvent.objects.count()


def test_a_folders_stores_csv_gives_each_store_its_brand_and_name(load_data, input_dir, write_csv):
    # given: the three files and a stores.csv with its columns in another order, a BOM and spaces
    write_csv(
        "stores.csv",
        " name ,Brand,store_id",
        f"Main Street, demo ,{A}",
        f",other,{B}",
        f"Depot,demo,{ONLY_HERE}",
        bom=True,
    )
    # when
    status, out, err = load_data("--dir", input_dir)
    # then
    assert (status, err) == (0, "")
    assert stores() == sorted([(A, "demo", "Main Street"), (B, "other", ""), (ONLY_HERE, "demo", "Depot")])
    assert brands() == [("demo", "demo"), ("other", "other")]  # made by slug, named by it
    assert len(polls_of(A)) == 2  # the other files loaded as ever
    row = next(line.split() for line in out.splitlines() if "stores.csv" in line)
    # file, rows read, inserted, updated, deleted, duplicates, rejected, warnings, stores
    assert row[1:9] == ["3", "3", "0", "0", "0", "0", "0", "3"]


def test_stores_csv_alone_moves_stores_and_names_them_and_a_second_load_changes_nothing(load_data, write_csv):
    # given: A of brand a, named; B of no brand
    first = write_csv("s1.csv", "store_id,brand,name", f"{A},a,Old name")
    assert load_data("--stores", first)[0] == 0
    Store.objects.create(store_id=B)
    # when: A moves to brand b; a file without names leaves names alone
    moved = write_csv("s2.csv", "store_id,brand", f"{A},b", f"{B},b")
    status, out, _ = load_data("--stores", moved)
    again, out_again, _ = load_data("--stores", moved)
    # then
    assert status == again == 0
    assert stores() == sorted([(A, "b", "Old name"), (B, "b", "")])
    counts = next(line.split() for line in out.splitlines() if "s2.csv" in line)[1:6]
    assert counts == ["2", "0", "2", "0", "0"]  # rows, inserted, updated (A moved, B given a brand), deleted, dups
    assert next(line.split() for line in out_again.splitlines() if "s2.csv" in line)[1:6] == ["2", "0", "0", "0", "2"]


def test_bad_rows_are_named_by_file_line_and_field_and_skipped(load_data, write_csv):
    # given
    path = write_csv(
        "stores.csv",
        "store_id,brand,name",
        f"{A},good,Fine",
        "=1+1,good,formula id",
        f"{B},not a slug,x",
        f"{ONLY_HERE},,empty brand",
        f"8000000000000000001,good,{'n' * 201}",
        f"{A},other,Moved again",
        f"{A},good,Fine",
        f"9000000000000000001,{'s' * 65},long slug",
    )
    # when
    status, _, err = load_data("--stores", path)
    # then
    assert status == 0
    printed = [line.removeprefix("bad row: ") for line in err.splitlines() if line.startswith("bad row: ")]
    assert printed == [
        f"{path}:3: store_id: begins with '=': a spreadsheet would read it as a formula",
        f"{path}:4: brand: not a slug (letters, digits, '-' and '_' only): 'not a slug'",
        f"{path}:5: brand: empty (every store of the file names its brand's slug)",
        f"{path}:6: name: longer than 200 characters",
        f"{path}:7: store_id: store '{A}' again, with another brand or name (brand 'good', name 'Fine' on line 2)",
        f"{path}:9: brand: longer than 64 characters",
    ]
    assert "6 bad row(s) skipped" in err
    assert stores() == [(A, "good", "Fine")]  # line 8 repeats line 2 exactly: a duplicate
    assert brands() == [("good", "good")]


def test_strict_with_a_bad_stores_row_loads_nothing_of_any_file_and_records_nothing(load_data, input_dir, write_csv):
    # given
    write_csv("stores.csv", "store_id,brand", f"{A},demo", f"{B},bad slug!")
    before = everything()
    # when
    status, _, err = load_data("--dir", input_dir, "--strict")
    # then
    assert status == 1
    assert "stores.csv:3: brand: not a slug" in err
    assert everything() == before


def test_a_bad_polls_file_mid_load_undoes_the_stores_file_too(load_data, write_csv, tmp_path):
    # given: a good stores.csv, and a polls file that turns binary after its first thousand rows
    stores_csv = write_csv("stores.csv", "store_id,brand", f"{A},demo")
    polls = tmp_path / "store_status.csv"
    polls.write_bytes(
        POLLS_HEADER.encode() + b"\n" + f"{A},active,2023-01-22 12:00:00 UTC\n".encode() * 1000 + b"\x80\x81"
    )
    before = everything()
    # when
    status, _, err = load_data("--stores", stores_csv, "--polls", polls)
    # then
    assert status == 2
    assert "not UTF-8 text" in err
    assert everything() == before


@pytest.mark.parametrize(
    "header, message",
    [("store_id,name", "missing column brand in the header"), ("id,brand", "missing column store_id")],
)
def test_a_stores_file_without_its_columns_is_a_bad_file(load_data, write_csv, header, message):
    path = write_csv("stores.csv", header, "1,x")
    status, _, err = load_data("--stores", path)
    assert status == 2
    assert f"{path}: " in err and message in err
    assert Store.objects.count() == 0 and not Brand.objects.exists()


def test_replace_with_a_stores_file_takes_brand_and_name_from_stores_not_in_it(load_data, write_csv):
    load_data("--stores", write_csv("s1.csv", "store_id,brand,name", f"{A},a,Named", f"{B},b,Other"))
    status, out, _ = load_data("--replace", "--stores", write_csv("s2.csv", "store_id,brand", f"{A},a"))
    assert status == 0
    assert stores() == sorted([(A, "a", "Named"), (B, None, "")])
    assert next(line.split() for line in out.splitlines() if "s2.csv" in line)[4] == "1"  # deleted: B's


# --- The audit log --------------------------------------------------------------------------


def test_each_load_is_recorded_once_per_brand_with_that_brands_stores_only(load_data, input_dir, write_csv):
    # given: A of brand demo, B of brand other
    write_csv("stores.csv", "store_id,brand", f"{A},demo", f"{B},other")
    # when
    assert load_data("--dir", input_dir)[0] == 0
    # then: one event per brand, by the command and the person who ran it
    events = {e.brand_slug: e for e in AuditEvent.objects.all()}
    assert sorted(events) == ["demo", "other"]
    demo = events["demo"]
    assert (demo.action, demo.actor, demo.ip, demo.brand_id) == (
        "data.loaded",
        f"manage.py load_data ({getpass.getuser()})",
        None,
        Brand.objects.get(slug="demo").pk,
    )
    assert demo.target == "4 file(s): stores.csv, timezones.csv, menu_hours.csv, store_status.csv"
    # each brand's event counts its own stores per file, and no row counts (they are the whole files')
    assert demo.detail == {
        "files": [
            {"file": "stores.csv", "kind": "stores", "stores_touched": 1},
            {"file": "timezones.csv", "kind": "timezones", "stores_touched": 1},
            {"file": "menu_hours.csv", "kind": "hours", "stores_touched": 1},
            {"file": "store_status.csv", "kind": "polls", "stores_touched": 1},
        ],
        "replace": False,
    }


def test_a_load_of_one_brand_records_the_files_counts(load_data, input_dir):
    # given: every store of the files is of brand demo
    demo = brand_get_or_create(slug="demo")
    Store.objects.bulk_create([Store(store_id=A, brand=demo), Store(store_id=B, brand=demo)])
    # when
    load_data("--polls", Path(input_dir, "store_status.csv"))
    # then
    (event,) = AuditEvent.objects.all()
    assert event.brand_slug == "demo"
    assert event.detail["files"] == [
        {
            "file": "store_status.csv",
            "kind": "polls",
            "stores_touched": 2,
            "rows_read": 3,
            "inserted": 3,
            "updated": 0,
            "deleted": 0,
            "duplicates": 0,
            "rejected": 0,
            "stores_created": 0,
        }
    ]


def test_a_load_of_stores_of_no_brand_is_staffs_record_and_a_move_is_both_brands(load_data, input_dir, write_csv):
    # given: a load before brands
    load_data("--dir", input_dir)
    assert list(AuditEvent.objects.values_list("brand_slug", flat=True)) == [""]
    # when: A joins brand a, then moves to brand b
    load_data("--stores", write_csv("s1.csv", "store_id,brand", f"{A},a"))
    AuditEvent.objects.all().delete()
    load_data("--stores", write_csv("s2.csv", "store_id,brand", f"{A},b"))
    # then: a, which lost the store, reads it too
    assert sorted(AuditEvent.objects.values_list("brand_slug", flat=True)) == ["a", "b"]


def test_replacing_is_recorded_for_every_brand_that_owns_a_store(load_data, input_dir, write_csv):
    load_data("--stores", write_csv("s.csv", "store_id,brand", f"{A},a", f"{B},b"))
    AuditEvent.objects.all().delete()
    load_data("--replace", "--timezones", write_csv("t.csv", "store_id,timezone_str", f"{A},Asia/Beirut"))
    assert sorted(AuditEvent.objects.values_list("brand_slug", flat=True)) == ["a", "b"]
    assert Poll.objects.count() == 0
