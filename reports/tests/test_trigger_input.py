"""POST /trigger_report says what is wrong, all at once, in words; store ids come as a list or as
text; a report that read no polls says so in its provenance (issue 16, "No dead ends")."""

import datetime as dt

import pytest

from reports.models import Report

pytestmark = pytest.mark.django_db

UTC = dt.UTC
STORE = "1481966498820158979"  # example A's store
ISO_FORMAT = "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"


def test_a_misspelt_key_is_400_naming_the_field_it_meant_and_nothing_is_made(api, example_fleet):
    response = api.post("/trigger_report", {"asof": "2023-01-23T17:00:00Z"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "asof: unknown field 'asof' (did you mean 'as_of'?)",
        "asof": ["unknown field 'asof' (did you mean 'as_of'?)"],
    }
    assert not Report.objects.exists()


def test_every_bad_field_is_listed_in_one_answer(api, example_fleet):
    body = {"as_of": "2023-02-30T10:00:00Z", "received_before": "yesterday", "store_ids": "", "brand": "nope"}

    response = api.post("/trigger_report", {**body, "stores": [STORE]}, format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["stores"] == ["unknown field 'stores' (did you mean 'store_ids'?)"]
    assert answer["as_of"] == ["2023-02-30 is not a date"]
    assert answer["received_before"] == [
        "'yesterday' is not an ISO 8601 instant (e.g. 2023-01-25T18:00:00Z; UTC when it has no offset)"
    ]
    assert answer["store_ids"] == ["no store ids: give a list, or ids separated by commas, spaces or new lines"]
    assert answer["brand"] == ["unknown brand 'nope'"]  # the brand's choice, beside the fields' errors
    for field in ("stores", "as_of", "received_before", "store_ids", "brand"):
        assert f"{field}: " in answer["detail"]
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "as_of, reason",
    [
        ("2023-02-30T10:00:00Z", "2023-02-30 is not a date"),
        ("2023-13-01T10:00:00Z", "2023-13-01 is not a date"),
        ("2023-01-23T25:00:00Z", "25:00:00 is not a time of day (00:00:00 to 23:59:59)"),
        ("2023-01-23T10:61Z", "10:61:00 is not a time of day (00:00:00 to 23:59:59)"),
        (20230123, "not a JSON string: an instant is text in the format " + ISO_FORMAT),
    ],
)
def test_a_date_or_time_that_does_not_exist_is_named_in_words(api, example_fleet, as_of, reason):
    triggered = api.post("/trigger_report", {"as_of": as_of}, format="json")
    cutoff = api.post("/trigger_report", {"received_before": as_of}, format="json")

    assert triggered.status_code == cutoff.status_code == 400
    assert triggered.json()["as_of"] == [reason]
    assert cutoff.json()["received_before"] == [reason]


@pytest.mark.parametrize(
    "store_ids",
    [
        [STORE, "99"],
        f"{STORE},99",
        f"{STORE}, 99",
        f"{STORE} 99",
        f"{STORE}\n99\n",
        f"  {STORE}\r\n\t99 ,, ",
    ],
)
def test_store_ids_are_a_list_or_text_separated_by_commas_spaces_or_new_lines(
    api, example_fleet, eager_tasks, store_ids
):
    response = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z", "store_ids": store_ids}, format="json")

    assert response.status_code == 202, response.json()
    report = Report.objects.get(pk=response.json()["report_id"])
    assert report.store_ids == sorted([STORE, "99"])
    assert report.row_count == 2


def test_unknown_store_ids_given_as_text_are_named(api, example_fleet):
    response = api.post("/trigger_report", {"store_ids": f"{STORE} nope, gone"}, format="json")

    assert response.status_code == 400
    assert response.json()["unknown_store_ids"] == ["gone", "nope"]


# --- A report that read no polls -------------------------------------------------------------


def _warnings_of(api, report_id: str) -> tuple[list[str], str | None]:
    listed = next(r for r in api.get("/api/reports/").json()["results"] if r["id"] == report_id)
    download = api.get(f"/get_report/{report_id}")
    assert download.status_code == 200 and download["X-Report-Status"] == "Complete"
    return listed["warnings"], download.headers.get("X-Report-Warnings")


def test_a_report_as_of_before_every_poll_completes_with_a_warning(api, example_fleet, eager_tasks):
    response = api.post("/trigger_report", {"as_of": "2022-12-01T00:00:00Z"}, format="json")

    report_id = response.json()["report_id"]
    listed, header = _warnings_of(api, report_id)
    expected = (
        "read no polls: as_of 2022-12-01T00:00:00Z is before every poll (the first is 2023-01-23T13:30:00Z), "
        "so all open time counts as down (rules 2, 7)"
    )
    assert listed == [expected]
    assert header == expected
    assert Report.objects.get(pk=report_id).warnings == [expected]


def test_a_report_long_after_the_last_poll_warns_that_it_read_none(api, example_fleet, eager_tasks):
    response = api.post("/trigger_report", {"as_of": "2023-03-01T00:00:00Z"}, format="json")

    listed, header = _warnings_of(api, response.json()["report_id"])

    assert listed == [
        "read no polls in the 8 days before as_of 2023-03-01T00:00:00Z: the last poll is 2023-01-23T16:30:00Z, "
        "and each store's latest status before as_of holds since (rule 7)"
    ]
    assert header == listed[0]


def test_a_report_of_stores_without_any_poll_warns_so(api, eager_tasks):
    from stores.conftest import make_store

    make_store("no-polls-1", timezone_str="America/New_York", hours=[(0, "09:00", "12:00")])

    response = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json")

    listed, header = _warnings_of(api, response.json()["report_id"])
    assert listed == ["read no polls: the report's stores have none, so all their open time counts as down (rule 7)"]
    assert header == listed[0]


def test_a_report_that_read_polls_has_no_warning(api, example_fleet, eager_tasks):
    response = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json")

    listed, header = _warnings_of(api, response.json()["report_id"])

    assert (listed, header) == ([], None)


def test_a_brands_warning_speaks_of_its_own_stores_only(brand_api, two_brands, eager_tasks):
    """acme's first poll, not the fleet's: a brand's warning never tells another brand's data."""
    from reports.conftest import LATEST_POLL

    acme = brand_api("acme", "operator")
    response = acme.post("/trigger_report", {"as_of": "2022-12-01T00:00:00Z"}, format="json")

    [warning] = Report.objects.get(pk=response.json()["report_id"]).warnings
    first_acme_poll = LATEST_POLL["acme"] - dt.timedelta(minutes=(53 + 5) * 199)  # store-5's oldest: the brand's first
    assert f"(the first is {first_acme_poll:%Y-%m-%dT%H:%M:%S}Z)" in warning
