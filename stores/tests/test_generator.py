"""The synthetic data generator writes the real files' shapes (docs/numbers.md "Inputs"). No database."""

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from stores import csv_rows
from stores.generator import generate

START = date(2023, 1, 18)
DAYS = 2.0
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})? UTC$")
HMS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")
INT_ID = re.compile(r"^[1-9]\d{0,18}$")
UUID_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """300 stores over 2 days: big enough for every special case, ~0.1 s to make."""
    out = tmp_path_factory.mktemp("generated")
    summary = generate(out, stores=300, days=DAYS, seed=7, start=START)
    return {
        "out": out,
        "summary": summary,
        "polls": _read(out / "store_status.csv"),
        "hours": _read(out / "menu_hours.csv"),
        "timezones": _read(out / "timezones.csv"),
    }


def _parse_utc(text):
    return datetime.strptime(text.removesuffix(" UTC"), "%Y-%m-%d %H:%M:%S" + (".%f" if "." in text else "")).replace(
        tzinfo=UTC
    )


def test_same_arguments_give_identical_bytes_and_another_seed_differs(tmp_path, run):
    # when
    generate(tmp_path / "again", stores=300, days=DAYS, seed=7, start=START)
    generate(tmp_path / "other", stores=300, days=DAYS, seed=8, start=START)
    # then
    for name in ("store_status.csv", "menu_hours.csv", "timezones.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (run["out"] / name).read_bytes()
        assert (tmp_path / "other" / name).read_bytes() != (run["out"] / name).read_bytes()


def test_headers_are_those_of_the_real_2023_files(run):
    assert run["polls"][0] == ["store_id", "status", "timestamp_utc"]
    assert run["hours"][0] == ["store_id", "day", "start_time_local", "end_time_local"]
    assert run["timezones"][0] == ["store_id", "timezone_str"]


def test_every_row_is_valid_per_the_input_shapes(run):
    end = datetime(2023, 1, 18, tzinfo=UTC) + timedelta(days=DAYS)
    for row in run["polls"][1:]:
        store_id, status, stamp = row
        assert status in ("active", "inactive")
        assert TIMESTAMP.match(stamp), stamp
        assert datetime(2023, 1, 18, tzinfo=UTC) <= _parse_utc(stamp) < end
    for _store_id, day, start, finish in run["hours"][1:]:
        assert day in {"0", "1", "2", "3", "4", "5", "6"}
        assert HMS.match(start) and HMS.match(finish), (start, finish)
    for row in run["polls"][1:] + run["hours"][1:] + run["timezones"][1:]:
        assert INT_ID.match(row[0]) or UUID_ID.match(row[0]), row


def test_store_ids_are_int63_decimals_and_uuids_both(run):
    ids = {row[0] for name in ("polls", "hours", "timezones") for row in run[name][1:]}
    uuids = {i for i in ids if UUID_ID.match(i)}
    nineteen = {i for i in ids if re.fullmatch(r"\d{19}", i)}
    assert len(ids) == 300
    assert 0.15 < len(uuids) / len(ids) < 0.45
    assert len(nineteen) > len(ids) / 2
    assert all(int(i) < 2**63 for i in ids - uuids)


def test_timestamps_have_microseconds_with_trailing_zeros_dropped(run):
    digits = Counter(len(stamp.split(".")[1].removesuffix(" UTC")) for _, _, stamp in run["polls"][1:])
    assert digits[6] > 0.8 * sum(digits.values())
    assert digits[5] > 0  # .465440 is written .46544, as the real export does


def test_inactive_polls_are_a_few_percent_and_come_in_runs(run):
    polls = run["polls"][1:]
    inactive = sum(status == "inactive" for _, status, _ in polls)
    assert 0.03 <= inactive / len(polls) <= 0.15
    by_store = defaultdict(list)
    for store_id, status, stamp in polls:
        by_store[store_id].append((_parse_utc(stamp), status))
    longest = 0
    for rows in by_store.values():
        run_length = 0
        for _, status in sorted(rows):
            run_length = run_length + 1 if status == "inactive" else 0
            longest = max(longest, run_length)
    assert longest >= 3


def test_polls_are_about_hourly_and_spread_through_the_file(run):
    polls = run["polls"][1:]
    per_store_day = len(polls) / 300 / DAYS
    assert 13 <= per_store_day <= 21  # the real fleet: 1.85 M / 14k stores / 7.75 days = 17
    position = defaultdict(list)
    for at, (store_id, _, _) in enumerate(polls):
        position[store_id].append(at)
    busiest = max(position.values(), key=len)
    assert busiest[-1] - busiest[0] + 1 > 10 * len(busiest)


def test_a_fifth_of_the_stores_have_no_hours_and_a_few_no_timezone(run):
    with_hours = {row[0] for row in run["hours"][1:]}
    with_timezone = {row[0] for row in run["timezones"][1:]}
    assert 0.10 <= 1 - len(with_hours) / 300 <= 0.30
    assert 0.005 <= 1 - len(with_timezone) / 300 <= 0.08
    names = [name for _, name in run["timezones"][1:]]
    assert "" in names
    assert any(name and not _loads(name) for name in names)
    assert Counter(names).most_common(1)[0][0] == "America/New_York"
    assert "Asia/Beirut" in names


def _loads(name):
    try:
        ZoneInfo(name.strip())
        return True
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False


def test_some_stores_are_in_one_file_only(run):
    polled = {row[0] for row in run["polls"][1:]}
    with_hours = {row[0] for row in run["hours"][1:]}
    with_timezone = {row[0] for row in run["timezones"][1:]}
    assert with_timezone - polled - with_hours
    assert polled - with_timezone - with_hours
    assert with_hours - polled - with_timezone


def test_odd_business_hours_and_duplicate_polls_occur(run):
    rows = run["hours"][1:]
    assert any(start > end for _, _, start, end in rows)  # past midnight
    assert any(start == end for _, _, start, end in rows)  # the whole day
    per_day = defaultdict(list)
    for store_id, day, start, end in rows:
        per_day[store_id, day].append((start, end))
    assert any(len(spans) >= 2 for spans in per_day.values())  # split shifts
    assert any(_overlapping(spans) for spans in per_day.values())
    polls = [tuple(row) for row in run["polls"][1:]]
    assert len(polls) - len(set(polls)) >= 1  # exact duplicate rows


def _overlapping(spans):
    plain = sorted((start, end) for start, end in spans if start < end)
    return any(b_start < a_end for (_, a_end), (b_start, _) in zip(plain, plain[1:], strict=False))


def test_summary_counts_what_was_written(run):
    summary = run["summary"]
    assert summary.polls == len(run["polls"]) - 1
    assert summary.hours_rows == len(run["hours"]) - 1
    assert summary.timezone_rows == len(run["timezones"]) - 1
    assert summary.inactive_polls == sum(status == "inactive" for _, status, _ in run["polls"][1:])
    assert summary.file_bytes["store_status.csv"] == (run["out"] / "store_status.csv").stat().st_size


def test_several_chunks_still_make_one_fleet_of_unique_stores(tmp_path):
    # given: more stores than one chunk holds, over a short window to stay fast
    # when
    generate(tmp_path, stores=2100, days=0.5, seed=3, start=START)
    # then
    ids = {
        row[0] for name in ("store_status.csv", "menu_hours.csv", "timezones.csv") for row in _read(tmp_path / name)[1:]
    }
    assert len(ids) == 2100
    assert {name for name in tmp_path.iterdir()} == {
        tmp_path / n for n in ("store_status.csv", "menu_hours.csv", "timezones.csv")
    }


def test_the_command_writes_the_files_and_prints_one_line(tmp_path):
    out = io.StringIO()
    call_command("generate_data", "--out", str(tmp_path), "--stores", "50", "--days", "1", "--seed", "5", stdout=out)
    assert out.getvalue().count("\n") == 1
    assert out.getvalue().startswith("50 stores, ")
    assert _read(tmp_path / "store_status.csv")[0] == ["store_id", "status", "timestamp_utc"]


# --- Real calendars (docs/numbers.md rules 10, 11): off by default ------------------------------


@pytest.fixture(scope="module")
def calendars(tmp_path_factory, run):
    """The fleet of `run` again, with special days and dated versions for 30% of the stores."""
    out = tmp_path_factory.mktemp("calendars")
    summary = generate(out, stores=300, days=DAYS, seed=7, start=START, special_share=0.3, versions_share=0.3)
    return {
        "out": out,
        "summary": summary,
        "hours": _read(out / "menu_hours.csv"),
        "special": _read(out / "special_hours.csv"),
    }


def test_without_the_shares_no_special_file_is_written_and_a_stale_one_is_removed(tmp_path, run):
    # given: a special_hours.csv of an earlier run
    (tmp_path / "special_hours.csv").write_text("store_id,date,start_time_local,end_time_local\n1,2023-01-18,,\n")
    # when
    generate(tmp_path, stores=300, days=DAYS, seed=7, start=START)
    # then
    assert not (tmp_path / "special_hours.csv").exists()
    assert (run["out"] / "menu_hours.csv").read_bytes() == (tmp_path / "menu_hours.csv").read_bytes()


def test_calendars_change_no_poll_timezone_or_weekly_row_that_was_there(run, calendars):
    # then: polls and timezones byte for byte; the original weekly rows kept, now with a fifth column
    for name in ("store_status.csv", "timezones.csv"):
        assert (calendars["out"] / name).read_bytes() == (run["out"] / name).read_bytes()
    assert calendars["hours"][0] == ["store_id", "day", "start_time_local", "end_time_local", "effective_from"]
    before = 90  # days: the original rows of some versioned stores are dated this long before the window
    dated_base = (START - timedelta(days=before)).isoformat()
    originals = [row[:4] for row in calendars["hours"][1:] if row[4] in ("", dated_base)]
    assert originals == run["hours"][1:]


def test_calendars_are_deterministic_by_seed(tmp_path, calendars):
    generate(tmp_path, stores=300, days=DAYS, seed=7, start=START, special_share=0.3, versions_share=0.3)
    for name in ("menu_hours.csv", "special_hours.csv"):
        assert (tmp_path / name).read_bytes() == (calendars["out"] / name).read_bytes()


def test_special_days_are_valid_rows_of_every_kind_inside_the_window(calendars):
    # given
    errors: list[csv_rows.RowError] = []
    with open(calendars["out"] / "special_hours.csv", encoding="utf-8", newline="") as stream:
        rows = [
            row
            for chunk in csv_rows.rows_read(stream, csv_rows.SPECIAL, file="s", on_error=errors.append)
            for row in chunk
        ]
    # then: the loader reads every row; each date in the window; every kind is there
    assert errors == []
    assert calendars["special"][0] == ["store_id", "date", "start_time_local", "end_time_local"]
    assert len(rows) == len(calendars["special"]) - 1 == calendars["summary"].special_hours_rows
    window = {(START + timedelta(days=d)).isoformat() for d in range(int(DAYS))}
    assert {day for _, day, _, _ in rows} <= window
    assert any(start is None for _, _, start, _ in rows)  # closed
    assert any(start is not None and start < end for _, _, start, end in rows)  # short
    assert any(start is not None and start > end for _, _, start, end in rows)  # past midnight
    assert any(start is not None and start == end for _, _, start, end in rows)  # whole day
    per_date = Counter((store_id, day) for store_id, day, start, _ in rows if start is not None)
    assert max(per_date.values()) == 2  # a split day
    assert calendars["summary"].special["special_stores"] == len({store_id for store_id, *_ in rows})


def test_versioned_stores_have_a_dated_version_that_takes_effect_inside_the_window(calendars):
    # given
    window = {(START + timedelta(days=d)).isoformat() for d in range(1, int(DAYS) + 1)}
    versions = defaultdict(set)
    for store_id, _, start, end, effective_from in calendars["hours"][1:]:
        assert HMS.match(start) and HMS.match(end)
        versions[store_id].add(effective_from)
        if effective_from:
            assert date.fromisoformat(effective_from)
    # then
    changing = {store_id for store_id, dates in versions.items() if dates & window}
    assert len(changing) == calendars["summary"].special["versioned_stores"] > 0
    assert any(len(dates) >= 3 for dates in versions.values())  # a future version too
    assert any("" not in dates for dates in versions.values())  # no undated version (rule 10)


def test_the_command_takes_the_shares(tmp_path):
    out = io.StringIO()
    call_command(
        "generate_data", "--out", str(tmp_path), "--stores", "100", "--days", "2", "--seed", "5",
        "--special-share", "0.2", "--versions-share", "0.2", stdout=out,
    )  # fmt: skip
    assert "special-hours rows" in out.getvalue() and "stores with dated versions" in out.getvalue()
    assert _read(tmp_path / "special_hours.csv")[0] == ["store_id", "date", "start_time_local", "end_time_local"]
    with pytest.raises(CommandError, match="special_share must be between 0 and 1"):
        call_command("generate_data", "--out", str(tmp_path), "--stores", "5", "--special-share", "1.5")


# --- Brands (issue 14): off by default --------------------------------------------------------


def test_brands_put_every_store_in_a_brand_and_change_no_other_byte(tmp_path, run):
    # given: a stores.csv of an earlier run where no brands are asked for
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "stores.csv").write_text("store_id,brand\n1,x\n")
    # when
    summary = generate(tmp_path / "branded", stores=300, days=DAYS, seed=7, start=START, brands=3)
    generate(tmp_path / "plain", stores=300, days=DAYS, seed=7, start=START)
    # then
    assert not (tmp_path / "plain" / "stores.csv").exists()
    for name in ("store_status.csv", "menu_hours.csv", "timezones.csv"):
        assert (tmp_path / "branded" / name).read_bytes() == (run["out"] / name).read_bytes()
    header, *rows = _read(tmp_path / "branded" / "stores.csv")
    assert header == ["store_id", "brand", "name"]
    mentioned = {row[0] for kind in ("polls", "hours", "timezones") for row in run[kind][1:]}
    assert {store_id for store_id, _, _ in rows} == mentioned and len(rows) == 300
    assert Counter(brand for _, brand, _ in rows) == {"demo": 100, "other": 100, "brand-3": 100}
    assert rows[:4] == [[rows[0][0], "demo", "Demo 1"], [rows[1][0], "other", "Other 1"],
                        [rows[2][0], "brand-3", "Brand 3 1"], [rows[3][0], "demo", "Demo 2"]]  # fmt: skip
    assert summary.brands == 3 and summary.line().endswith(", 3 brands")


def test_the_command_takes_brands_and_the_loader_reads_its_stores_csv(tmp_path):
    call_command("generate_data", "--out", str(tmp_path), "--stores", "20", "--days", "1", "--brands", "2",
                 stdout=io.StringIO())  # fmt: skip
    errors: list[csv_rows.RowError] = []
    with open(tmp_path / "stores.csv", encoding="utf-8", newline="") as stream:
        rows = [row for chunk in csv_rows.rows_read(stream, csv_rows.STORES, file="s", on_error=errors.append)
                for row in chunk]  # fmt: skip
    assert errors == [] and len(rows) == 20
    with pytest.raises(CommandError, match="brands must be 0 or more"):
        call_command("generate_data", "--out", str(tmp_path), "--stores", "5", "--brands", "-1")
