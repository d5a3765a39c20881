"""manage.py report: the same CSV as the API, clear errors on bad input."""

import pytest
from django.core.management import CommandError, call_command

from reports.conftest import EXAMPLE_A_ROW
from reports.fleet import CSV_HEADER

pytestmark = pytest.mark.django_db


UUID_ROW = "0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11,60.0,24.0,168.0,0.0,0.0,0.0"  # 24x7, one active poll
TZ_ONLY_ROW = "99,0.0,0.0,0.0,60.0,24.0,168.0"  # known only from timezones.csv: all downtime (example D)


def test_report_writes_the_csv_to_stdout(example_fleet, capsys):
    call_command("report", "--as-of", "2023-01-23T17:00:00Z")

    out = capsys.readouterr()
    assert out.out.splitlines() == [CSV_HEADER, UUID_ROW, EXAMPLE_A_ROW, TZ_ONLY_ROW]
    assert "3 stores" in out.err


def test_report_rows_are_sorted_by_store_id_as_a_string(example_fleet, capsys):
    call_command("report", "--as-of", "2023-01-23T17:00:00Z")

    ids = [line.split(",")[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert ids == ["0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11", "1481966498820158979", "99"]


def test_report_writes_to_a_file(example_fleet, tmp_path):
    target = tmp_path / "report.csv"

    call_command("report", "--as-of", "2023-01-23T17:00:00Z", "--out", str(target))

    assert target.read_text().splitlines()[2] == EXAMPLE_A_ROW


def test_report_as_of_in_the_past_ignores_newer_polls(example_fleet, capsys):
    # given T = 11:00 New York: the 10:14 poll (active) is seen, the 11:15 one (inactive) is not yet
    call_command("report", "--as-of", "2023-01-23T16:00:00Z")

    rows = {line.split(",")[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    # then all open time is active: today 09:00-11:00, and in the week also
    # the previous Monday's 11:00-12:00 (the window starts Monday 11:00)
    assert rows["1481966498820158979"] == "1481966498820158979,60.0,2.0,3.0,0.0,0.0,0.0"
    # and a store known only from a poll after T has no row (rule 1)
    assert "0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11" not in rows


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2023-13-45T00:00:00Z",
        "2999-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        # the input files' parser (stores.csv_rows.instant_parse): no year 1 read as 2001, only 0-9 digits
        "0001-01-01T05:00+05:00",
        "\uff12023-01-23T17:00:00Z",
    ],
)
def test_report_rejects_a_bad_as_of(example_fleet, value):
    with pytest.raises(CommandError, match="--as-of"):
        call_command("report", "--as-of", value)


def test_report_fails_clearly_when_the_output_cannot_be_written(example_fleet, tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        call_command("report", "--out", str(tmp_path / "missing-dir" / "r.csv"))


def test_report_for_unknown_store_fails_clearly(example_fleet):
    with pytest.raises(CommandError, match="unknown store_ids: nope"):
        call_command("report", "--store", "nope")


def test_ensure_superuser_prints_a_working_key_and_keeps_it(capsys):
    from rest_framework.test import APIClient

    call_command("ensure_superuser")
    first = capsys.readouterr().out
    call_command("ensure_superuser")
    second = capsys.readouterr().out

    key = next(line.split()[-1] for line in first.splitlines() if "API key" in line)
    assert first == second  # same password, same key: nothing is reset
    assert f"curl -X POST -H 'Authorization: Token {key}' http://127.0.0.1:8000/trigger_report" in first
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/reports/").status_code == 200


def test_a_report_as_of_years_after_the_last_poll_uses_that_poll(example_fleet, capsys):
    # Example A's store was last seen (in hours) on 2023-01-23, inactive at 11:15 local: as of Monday
    # 2026-11-23 noon New York, that observation still holds over the day's 09:00-12:00 (rule 7).
    call_command("report", "--as-of", "2026-11-23T17:00:00Z")

    rows = {line.split(",")[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["1481966498820158979"] == "1481966498820158979,0.0,0.0,0.0,60.0,3.0,3.0"
    assert (
        rows["0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11"]
        == "0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11,60.0,24.0,168.0,0.0,0.0,0.0"
    )


def test_ensure_superuser_gives_each_sample_brand_an_owner_and_a_key_that_see_only_their_brand(capsys):
    """`make run`'s two brands side by side: each key and each owner's session see their own
    brand's store, and the other brand's store answers 404, as one that does not exist."""
    from rest_framework.test import APIClient

    from brands.models import Brand
    from stores.models import Store

    call_command("ensure_superuser")
    first = capsys.readouterr().out
    call_command("ensure_superuser")
    assert capsys.readouterr().out == first  # kept: nothing is reset
    brands = {line.split()[1].rstrip(":"): line.split() for line in first.splitlines() if "  brand  " in line}
    assert set(brands) == {"demo", "other"}
    for slug in brands:
        Store.objects.create(store_id=f"{slug}-store", brand=Brand.objects.get(slug=slug), timezone_str="")
    for slug, words in brands.items():
        other = ({"demo", "other"} - {slug}).pop()
        by_key = APIClient()
        by_key.credentials(HTTP_AUTHORIZATION=f"Token {words[-1]}")
        by_owner = APIClient()
        logged_in = by_owner.post("/login/", {"username": words[3].rstrip(","), "password": words[5].rstrip(";")})
        assert logged_in.status_code == 302  # the page's own login, with the printed password
        for client in (by_key, by_owner):
            listed = [s["store_id"] for s in client.get("/api/stores/").json()["results"]]
            assert listed == [f"{slug}-store"]
            assert client.get(f"/api/stores/{other}-store").status_code == 404


def test_report_of_a_brand_has_its_stores_rows_only(example_fleet, capsys):
    from brands.services import brand_get_or_create
    from stores.models import Store

    brand = brand_get_or_create(slug="acme")
    Store.objects.filter(store_id="1481966498820158979").update(brand=brand)
    call_command("report", "--as-of", "2023-01-23T17:00:00Z")
    fleet = capsys.readouterr().out.splitlines()
    call_command("report", "--as-of", "2023-01-23T17:00:00Z", "--brand", "acme")
    acme = capsys.readouterr().out.splitlines()

    assert acme == [fleet[0], *[row for row in fleet[1:] if row.startswith("1481966498820158979,")]]
    assert len(fleet) > len(acme) == 2
    with pytest.raises(CommandError, match="--brand 'nope': no brand with that slug"):
        call_command("report", "--brand", "nope")
