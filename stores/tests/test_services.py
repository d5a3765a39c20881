"""Loading into the database: idempotence, rule 7 merging, replacing, strict mode, one transaction."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection

from stores import services, staging
from stores.conftest import HOURS_HEADER, POLLS_HEADER, TIMEZONES_HEADER, hours_of, polls_of, tables_dump, timezone_of
from stores.csv_rows import BadFile, RowError
from stores.models import BusinessHours, Poll, Store

A = "1481966498820158979"
B = "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11"
C = "054515546588432327"


def load_dir(folder: Path, **options) -> services.DataLoadResult:
    return services.data_load(
        polls=folder / "store_status.csv",
        hours=folder / "menu_hours.csv",
        timezones=folder / "timezones.csv",
        **options,
    )


def by_kind(result: services.DataLoadResult) -> dict[str, services.FileLoadResult]:
    return {f.kind: f for f in result.files}


@pytest.mark.django_db
def test_a_first_load_stores_every_row_with_string_store_ids(input_dir):
    # when
    result = by_kind(load_dir(input_dir))
    # then
    assert sorted(Store.objects.values_list("store_id", flat=True)) == sorted([A, B])
    assert polls_of(A) == [("2023-01-22T12:09:39.388884+00:00", True), ("2023-01-22T13:09:39.300000+00:00", False)]
    assert polls_of(B) == [("2023-01-22T12:00:00+00:00", True)]
    assert hours_of(A) == [(0, "09:00:00", "17:00:00"), (1, "09:00:00", "17:00:00")]
    assert hours_of(B) == [(4, "18:00:00", "02:00:00")]
    assert (timezone_of(A), timezone_of(B)) == ("America/New_York", "America/Chicago")
    polls = result["polls"]
    assert (polls.rows_read, polls.inserted, polls.duplicates, polls.rejected, polls.stores_touched) == (3, 3, 0, 0, 2)
    assert (result["hours"].inserted, result["timezones"].inserted) == (3, 2)
    assert result["timezones"].stores_created == 2


@pytest.mark.django_db
def test_loading_the_same_files_twice_changes_nothing(input_dir):
    # given
    first = by_kind(load_dir(input_dir))
    before = tables_dump()
    # when
    second = by_kind(load_dir(input_dir))
    # then
    assert tables_dump() == before
    for kind in ("polls", "hours", "timezones"):
        assert second[kind].rows_read == first[kind].rows_read
        assert (second[kind].inserted, second[kind].updated, second[kind].deleted) == (0, 0, 0)
        assert second[kind].duplicates == second[kind].rows_read
        assert second[kind].stores_created == 0


@pytest.mark.django_db
def test_the_repository_sample_loads_idempotently_with_only_timezone_names_rejected():
    # given: the committed sample, in the real shapes (ids of both kinds, invalid zone names)
    folder = Path(settings.BASE_DIR) / "data"
    if not (folder / "store_status.csv").exists():
        pytest.skip("no data/ sample in this checkout")
    rejected: list[RowError] = []
    # when
    first = by_kind(load_dir(folder, on_reject=rejected.append))
    before = tables_dump()
    second = by_kind(load_dir(folder))
    # then
    assert tables_dump() == before
    for kind, name in (("polls", "store_status.csv"), ("hours", "menu_hours.csv"), ("timezones", "timezones.csv")):
        lines = (folder / name).read_text().count("\n")
        assert first[kind].rows_read == lines - 1
        assert second[kind].inserted == 0
    assert Poll.objects.count() == first["polls"].inserted
    assert {e.field for e in rejected} <= {"timezone_str"}
    assert first["polls"].rejected == first["hours"].rejected == 0


@pytest.mark.django_db
def test_a_file_of_newer_polls_adds_exactly_those(write_csv):
    # given
    services.polls_load(
        write_csv("old.csv", POLLS_HEADER, f"{A},active,2023-01-22 12:00:00 UTC", f"{A},active,2023-01-22 13:00:00 UTC")
    )
    before = tables_dump()
    # when: the old polls again, plus two newer ones
    result = services.polls_load(
        write_csv(
            "new.csv",
            POLLS_HEADER,
            f"{A},active,2023-01-22 13:00:00 UTC",
            f"{A},inactive,2023-01-22 14:00:00 UTC",
            f"{C},active,2023-01-22 14:00:00 UTC",
        )
    )
    # then
    assert (result.inserted, result.updated, result.duplicates, result.stores_created) == (2, 0, 1, 1)
    after = tables_dump()
    assert after[2][: len(before[2])] == before[2]  # the old rows, untouched
    assert polls_of(A)[-1] == ("2023-01-22T14:00:00+00:00", False)
    assert polls_of(C) == [("2023-01-22T14:00:00+00:00", True)]
    assert Store.objects.get(store_id=C).timezone_str is None


@pytest.mark.django_db
def test_two_statuses_at_one_instant_in_one_file_are_one_inactive_poll(write_csv):
    # given: the same instant written three ways, with both statuses, and an exact duplicate
    path = write_csv(
        "s.csv",
        POLLS_HEADER,
        f"{A},active,2023-01-22 12:09:39 UTC",
        f"{A},inactive,2023-01-22T12:09:39Z",
        f"{A},active,2023-01-22T14:09:39+02:00",
        f"{B},active,2023-01-22 12:09:39.000000 UTC",
        f"{B},active,2023-01-22 12:09:39 UTC",
    )
    # when
    result = services.polls_load(path)
    # then
    assert polls_of(A) == [("2023-01-22T12:09:39+00:00", False)]
    assert polls_of(B) == [("2023-01-22T12:09:39+00:00", True)]
    assert (result.rows_read, result.inserted, result.duplicates) == (5, 2, 3)


@pytest.mark.django_db
def test_an_inactive_poll_at_a_stored_active_instant_turns_it_inactive_and_never_back(write_csv):
    # given
    active = write_csv("a.csv", POLLS_HEADER, f"{A},active,2023-01-22 12:00:00 UTC")
    inactive = write_csv("i.csv", POLLS_HEADER, f"{A},inactive,2023-01-22 12:00:00 UTC")
    services.polls_load(active)
    poll_id = Poll.objects.get().id
    # when
    flipped = services.polls_load(inactive)
    again = services.polls_load(active)
    dump = tables_dump()
    reloaded = services.polls_load(inactive)
    # then
    assert (flipped.inserted, flipped.updated, flipped.duplicates) == (0, 1, 0)
    assert (again.inserted, again.updated, again.duplicates) == (0, 0, 1)
    assert (reloaded.updated, reloaded.duplicates) == (0, 1)
    assert list(Poll.objects.values_list("id", "active")) == [(poll_id, False)]
    assert tables_dump() == dump


@pytest.mark.django_db
def test_business_hours_replace_those_of_the_stores_in_the_file_only(write_csv):
    # given
    services.business_hours_load(
        write_csv("h1.csv", HOURS_HEADER, f"{A},0,09:00:00,17:00:00", f"{A},1,09:00:00,17:00:00", f"{B},2,10:00,20:00")
    )
    kept_id = BusinessHours.objects.get(store__store_id=A, day_of_week=0).id
    b_rows = list(BusinessHours.objects.filter(store__store_id=B).values_list("id", "day_of_week"))
    # when: A's Monday stays, Tuesday goes, Wednesday comes (twice in the file); B is not mentioned
    result = services.business_hours_load(
        write_csv(
            "h2.csv",
            "store_id,dayOfWeek,start_time_local,end_time_local",
            f"{A},0,09:00:00,17:00:00",
            f"{A},2,08:00:00,12:00:00",
            f"{A},2,08:00:00,12:00:00",
        )
    )
    # then
    assert hours_of(A) == [(0, "09:00:00", "17:00:00"), (2, "08:00:00", "12:00:00")]
    assert BusinessHours.objects.get(store__store_id=A, day_of_week=0).id == kept_id
    assert list(BusinessHours.objects.filter(store__store_id=B).values_list("id", "day_of_week")) == b_rows
    assert (result.rows_read, result.inserted, result.deleted, result.duplicates, result.stores_touched) == (
        3,
        1,
        1,
        2,
        1,
    )


@pytest.mark.django_db
def test_repeated_hours_rows_already_in_the_table_are_collapsed(write_csv):
    # given: a row stored twice by something other than the loader
    store = Store.objects.create(store_id=A)
    for _ in range(2):
        BusinessHours.objects.create(store=store, day_of_week=0, start_time_local="09:00", end_time_local="17:00")
    # when
    services.business_hours_load(write_csv("h.csv", HOURS_HEADER, f"{A},0,09:00:00,17:00:00"))
    # then
    assert hours_of(A) == [(0, "09:00:00", "17:00:00")]


@pytest.mark.django_db
def test_timezones_replace_those_of_the_stores_in_the_file_and_the_last_row_wins(write_csv):
    # given
    services.timezones_load(write_csv("t1.csv", TIMEZONES_HEADER, f"{A},America/New_York", f"{B},America/Denver"))
    # when
    rejected: list[RowError] = []
    result = services.timezones_load(
        write_csv(
            "t2.csv",
            "timezone_str,store_id",
            f"America/Chicago,{A}",
            f" Asia/Beirut ,{A}",
            f",{C}",
            "Mars/Olympus_Mons,D",
        ),
        on_reject=rejected.append,
    )
    # then
    assert (timezone_of(A), timezone_of(B), timezone_of(C)) == ("Asia/Beirut", "America/Denver", "")
    # an unknown name is reported but stored: the store keeps its report row, read as America/Chicago (rules 1, 4)
    assert timezone_of("D") == "Mars/Olympus_Mons"
    assert [str(e) for e in rejected] == [
        f"{result.file}:5: timezone_str: unknown timezone name 'Mars/Olympus_Mons': "
        "stored; reports use America/Chicago (rule 4)"
    ]
    assert (result.rows_read, result.rejected, result.warnings) == (4, 0, 1)
    assert (result.inserted, result.updated, result.duplicates) == (2, 1, 1)


@pytest.mark.django_db
def test_replace_makes_the_given_files_the_whole_truth(input_dir, write_csv):
    # given
    load_dir(input_dir)
    # when: files that mention only store A, one poll of which changes status
    result = by_kind(
        services.data_load(
            polls=write_csv("p.csv", POLLS_HEADER, f"{A},inactive,2023-01-22 12:09:39.388884 UTC"),
            hours=write_csv("h.csv", HOURS_HEADER, f"{A},0,09:00:00,17:00:00"),
            timezones=write_csv("t.csv", TIMEZONES_HEADER, f"{A},America/New_York"),
            replace=True,
        )
    )
    # then
    assert polls_of(A) == [("2023-01-22T12:09:39.388884+00:00", False)]
    assert polls_of(B) == []
    assert (hours_of(A), hours_of(B)) == ([(0, "09:00:00", "17:00:00")], [])
    assert (timezone_of(A), timezone_of(B)) == ("America/New_York", None)
    assert Store.objects.count() == 2  # stores are never deleted
    assert (result["polls"].updated, result["polls"].deleted) == (1, 2)
    assert (result["hours"].deleted, result["timezones"].deleted) == (2, 1)


@pytest.mark.django_db
def test_replace_with_one_kind_leaves_the_other_kinds_alone(input_dir, write_csv):
    # given
    load_dir(input_dir)
    polls, timezones = tables_dump()[2], list(Store.objects.values_list("store_id", "timezone_str"))
    # when
    services.data_load(hours=write_csv("h.csv", HOURS_HEADER, f"{B},3,09:00:00,17:00:00"), replace=True)
    # then
    assert hours_of(A) == []
    assert hours_of(B) == [(3, "09:00:00", "17:00:00")]
    assert tables_dump()[2] == polls
    assert list(Store.objects.values_list("store_id", "timezone_str")) == timezones


@pytest.mark.django_db
def test_bad_rows_are_skipped_counted_and_each_reported(write_csv):
    # given: 25 bad rows among good ones
    lines = [POLLS_HEADER, f"{A},active,2023-01-22 12:00:00 UTC"]
    lines += [f"{A},maybe,2023-01-22 12:{i:02d}:00 UTC" for i in range(25)]
    lines += [f"{B},inactive,2023-01-22 12:00:00 UTC"]
    rejected: list[RowError] = []
    # when
    result = services.polls_load(write_csv("s.csv", *lines), on_reject=rejected.append)
    # then
    assert (result.rows_read, result.inserted, result.rejected) == (27, 2, 25)
    assert [e.line for e in rejected] == list(range(3, 28))
    assert result.first_rejects == rejected[: services.FIRST_REJECTS_KEPT]
    assert Poll.objects.count() == 2


@pytest.mark.django_db
def test_strict_mode_stores_nothing_and_reports_every_bad_row_of_every_file(input_dir, write_csv):
    # given
    load_dir(input_dir)
    before = tables_dump()
    rejected: list[RowError] = []
    # when
    with pytest.raises(services.RowsRejected) as raised:
        services.data_load(
            polls=write_csv(
                "p.csv", POLLS_HEADER, f"{A},active,2023-01-23 12:00:00 UTC", f"{A},up,2023-01-23 13:00:00 UTC"
            ),
            hours=write_csv("h.csv", HOURS_HEADER, f"{C},0,09:00:00,17:00:00"),
            timezones=write_csv("t.csv", TIMEZONES_HEADER, f"{C},Nowhere/City", f"{A},UTC"),
            strict=True,
            on_reject=rejected.append,
        )
    # then
    assert tables_dump() == before
    assert raised.value.rejected == 2
    assert sorted((Path(e.file).name, e.line, e.field) for e in rejected) == [
        ("p.csv", 3, "status"),
        ("t.csv", 2, "timezone_str"),
    ]


@pytest.mark.django_db
def test_strict_mode_with_good_files_loads_them(input_dir):
    result = load_dir(input_dir, strict=True)
    assert result.rejected == 0
    assert Poll.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad_kind, content",
    [
        ("timezones", b""),
        ("timezones", b"store_id,zone\n1,UTC\n"),
        ("hours", b"\x89PNG\r\n\x1a\n\x00\x00"),
        # readable header and rows, binary garbage further down: found while loading
        (
            "polls",
            POLLS_HEADER.encode()
            + b"\n"
            + f"{C},active,2023-01-23 12:00:00 UTC\n".encode() * 1000
            + b"\xff\xfe\x00\x81",
        ),
    ],
)
def test_a_bad_file_aborts_the_whole_load_with_nothing_changed(input_dir, write_csv, tmp_path, bad_kind, content):
    # given
    load_dir(input_dir)
    before = tables_dump()
    files = {
        "polls": write_csv("p.csv", POLLS_HEADER, f"{C},active,2023-01-22 12:00:00 UTC"),
        "hours": write_csv("h.csv", HOURS_HEADER, f"{C},0,09:00:00,17:00:00"),
        "timezones": write_csv("t.csv", TIMEZONES_HEADER, f"{C},UTC"),
    }
    files[bad_kind] = tmp_path / "bad.csv"
    files[bad_kind].write_bytes(content)
    # when
    with pytest.raises(BadFile) as raised:
        services.data_load(**files)
    # then
    assert str(files[bad_kind]) in str(raised.value)
    assert tables_dump() == before


@pytest.mark.django_db
def test_a_missing_file_is_a_bad_file(tmp_path):
    with pytest.raises(BadFile, match="absent.csv: cannot open"):
        services.polls_load(tmp_path / "absent.csv")


@pytest.mark.django_db
def test_a_header_only_file_loads_nothing(write_csv):
    result = services.polls_load(write_csv("s.csv", POLLS_HEADER))
    assert (result.rows_read, result.inserted, result.stores_touched) == (0, 0, 0)
    assert Store.objects.count() == 0


@pytest.mark.django_db
def test_store_ids_with_backslashes_and_unicode_survive_the_copy(write_csv):
    ids = ["a\\b", "\\N", "straße-7", "x\\\\y"]
    services.polls_load(write_csv("s.csv", POLLS_HEADER, *(f"{i},active,2023-01-22 12:00:00 UTC" for i in ids)))
    assert sorted(Store.objects.values_list("store_id", flat=True)) == sorted(ids)
    assert Poll.objects.count() == 4


@pytest.mark.django_db
def test_progress_is_reported_per_file_in_bytes(input_dir):
    seen = []
    load_dir(input_dir, progress=lambda name, done, total: seen.append((Path(name).name, done, total)))
    size = (input_dir / "store_status.csv").stat().st_size
    assert ("store_status.csv", size, size) in seen


# --- The bulk path on PostgreSQL ----------------------------------------------------------


def polls_catalog() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indrelid = 'stores_poll'::regclass
            UNION ALL
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'stores_poll'::regclass
            ORDER BY 1
            """
        )
        return cursor.fetchall()


@pytest.mark.django_db
def test_a_big_load_on_postgresql_rebuilds_the_indexes_and_foreign_key_as_they_were(write_csv, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # given: thresholds low enough for this small file to count as big
    monkeypatch.setattr(staging, "BULK_MIN_ROWS", 2)
    monkeypatch.setattr(staging, "BULK_MAX_GROWTH", 10**9)
    services.polls_load(write_csv("old.csv", POLLS_HEADER, f"{A},active,2023-01-22 11:00:00 UTC"))
    catalog = polls_catalog()
    dropped, rebuilt = [], []
    real_execute = staging.PostgresBackend.execute

    def spying_execute(self, sql, params=()):
        done = real_execute(self, sql, params)  # only statements that succeeded are counted
        if sql.startswith(("DROP INDEX", "ALTER TABLE stores_poll DROP")):
            dropped.append(sql)
        if sql.startswith(("CREATE INDEX", "ALTER TABLE stores_poll ADD")):
            rebuilt.append(sql)
        return done

    monkeypatch.setattr(staging.PostgresBackend, "execute", spying_execute)
    # B is a new store: the load creates it, queueing its brand key's deferred check, which
    # must not keep the load from altering the tables
    lines = [f"{s},{'active' if h % 3 else 'inactive'},2023-01-22 {h:02d}:00:00 UTC" for s in (A, B) for h in range(24)]
    # when
    result = services.polls_load(write_csv("new.csv", POLLS_HEADER, *lines))
    # then
    assert len(dropped) == 3  # the time index, the unique constraint, the foreign key
    assert len(rebuilt) == 3
    assert polls_catalog() == catalog
    assert (result.inserted, result.updated, result.duplicates) == (47, 0, 1)
    assert len(polls_of(A)) == len(polls_of(B)) == 24
    with connection.cursor() as cursor:  # the rebuilt foreign key checks again
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_a_big_load_on_postgresql_leaves_the_other_foreign_keys_deferred(write_csv, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # given: a bulk load, which checks the pending rows of the foreign keys around stores_poll early
    monkeypatch.setattr(staging, "BULK_MIN_ROWS", 2)
    monkeypatch.setattr(staging, "BULK_MAX_GROWTH", 10**9)
    services.polls_load(
        write_csv("new.csv", POLLS_HEADER, *[f"{B},active,2023-01-22 {h:02d}:00:00 UTC" for h in range(3)])
    )
    # when: later in the same transaction, a row breaks one of them
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT broken")
        cursor.execute(
            "INSERT INTO stores_businesshours (store_id, day_of_week, start_time_local, end_time_local)"
            " VALUES (%s, 0, '09:00', '17:00')",
            [10**12],
        )
        # then: the check still waits for the end of the transaction, as the key declares
        with pytest.raises(IntegrityError):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ROLLBACK TO SAVEPOINT broken")


@pytest.mark.django_db
def test_a_big_load_that_cannot_alter_the_table_inserts_row_by_row(write_csv, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # given: bulk thresholds met, and the database refusing the DROP INDEX
    monkeypatch.setattr(staging, "BULK_MIN_ROWS", 2)
    monkeypatch.setattr(staging, "BULK_MAX_GROWTH", 10**9)
    catalog = polls_catalog()
    real_execute = staging.PostgresBackend.execute

    def refusing_execute(self, sql, params=()):
        if sql.startswith("DROP INDEX"):
            sql = "DROP INDEX stores_poll_no_such_index"  # fails in the database, inside the savepoint
        return real_execute(self, sql, params)

    monkeypatch.setattr(staging.PostgresBackend, "execute", refusing_execute)
    lines = [f"{A},active,2023-01-22 {h:02d}:00:00 UTC" for h in range(24)]
    # when
    result = services.polls_load(write_csv("new.csv", POLLS_HEADER, *lines))
    # then
    assert result.inserted == 24
    assert polls_catalog() == catalog
    assert Poll.objects.count() == 24


@pytest.mark.django_db
def test_a_load_leaves_the_planner_settings_of_the_transaction_as_it_found_them(write_csv):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashagg = off")
        services.polls_load(write_csv("p.csv", POLLS_HEADER, f"{A},active,2023-01-22 12:00:00 UTC"))
        cursor.execute("SHOW enable_hashagg")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SET LOCAL enable_hashagg = on")
        services.polls_load(write_csv("p.csv", POLLS_HEADER, f"{A},active,2023-01-22 13:00:00 UTC"))
        cursor.execute("SHOW enable_hashagg")
        assert cursor.fetchone()[0] == "on"


# --- A pushed batch -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pushed_batch_is_stored_like_a_file_and_idempotently():
    items = [
        {"store_id": A, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
        {"store_id": A, "timestamp_utc": "2024-10-07T10:14:42+00:00", "status": "inactive"},
        {"store_id": B, "timestamp_utc": "2024-10-07 11:14:42.5 UTC", "status": "active"},
    ]
    first = services.polls_push(items=items)
    second = services.polls_push(csv_text=f"{POLLS_HEADER}\n{B},active,2024-10-07 11:14:42.500000 UTC\n")
    assert (first.rows_read, first.inserted, first.duplicates, first.stores_touched) == (3, 2, 1, 2)
    assert (second.rows_read, second.inserted, second.duplicates) == (1, 0, 1)
    assert polls_of(A) == [("2024-10-07T10:14:42+00:00", False)]


@pytest.mark.django_db
def test_a_pushed_batch_with_a_bad_row_stores_nothing():
    items = [
        {"store_id": A, "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
        {"store_id": "", "timestamp_utc": "2024-10-07T10:14:42Z", "status": "active"},
    ]
    with pytest.raises(services.RowsRejected) as raised:
        services.polls_push(items=items)
    assert [(e.line, e.field) for e in raised.value.errors] == [(1, "store_id")]
    assert Store.objects.count() == Poll.objects.count() == 0


def test_result_rates():
    result = services.FileLoadResult(file="f", kind="polls", rows_read=10, seconds=2.0)
    assert result.rows_per_second == 5.0
    assert services.FileLoadResult(file="f", kind="polls").rows_per_second == 0.0


def test_data_load_needs_a_file():
    with pytest.raises(ValueError):
        services.data_load()


@pytest.mark.django_db
def test_strict_refuses_an_unknown_timezone_name_and_stores_nothing(write_csv):
    with pytest.raises(services.RowsRejected) as refused:
        services.timezones_load(write_csv("t.csv", TIMEZONES_HEADER, f"{A},America/New_York", f"{B},PST"), strict=True)

    assert refused.value.rejected == 1
    assert not Store.objects.exists()
