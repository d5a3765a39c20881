"""One report, one moment: every shard reads the polls received up to the report's data cutoff.

Polls pushed while a report's shards run land in all of its shards or in none; the
cutoff is recorded (admin, list API, `X-Report-Data-Cutoff`) and, given back as
`received_before`, computes the same bytes after late polls arrived; two simultaneous
triggers of one report make one report.
"""

import datetime as dt
import io
import json
import threading
import time
import urllib.request
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from reports import fleet, selectors, services
from reports.models import Report
from stores import services as store_services
from stores import staging
from stores.models import Poll, Store

UTC = dt.UTC
SHARDS = 8


def _http(method: str, url: str, body: dict | None = None, *, key: str) -> tuple[int, dict, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Token {key}"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def _complete(url: str, *, key: str, timeout: float = 120) -> tuple[dict, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, headers, body = _http("GET", url, key=key)
        if headers.get("X-Report-Status") == "Complete":
            return headers, body.decode()
        assert json.loads(body)["status"] == "Running", body
        time.sleep(0.1)
    raise TimeoutError(f"report never completed: {url}")


def _report_csv(*, as_of: dt.datetime, received_before: dt.datetime | None = None) -> str:
    out = io.StringIO()
    services.report_write_csv(as_of=as_of, out=out, received_before=received_before)
    return out.getvalue()


def _late_polls(as_of: dt.datetime) -> list[dict]:
    """Inactive polls at or before T for every store, every 3 hours over the week: new instants
    (17 s past), so they change the numbers of nearly every store in every shard."""
    instants = [as_of - dt.timedelta(hours=3 * k, seconds=17) for k in range(56)]
    return [
        {"store_id": store_id, "timestamp_utc": t.strftime("%Y-%m-%d %H:%M:%S UTC"), "status": "inactive"}
        for store_id in Store.objects.values_list("store_id", flat=True)
        for t in instants
    ]


@pytest.fixture
def sample_data(db):
    """The committed data/ sample: ~300 stores in the real shapes."""
    call_command("load_data", "--dir", "data", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.queue
@pytest.mark.django_db(transaction=True)
def test_polls_pushed_during_an_8_shard_report_land_in_all_its_shards_or_in_none(
    live_server, start_worker, sample_data, api_key
):
    # given a worker that plans 8 shards and takes its time over each
    start_worker(env={"REPORT_MIN_SHARDS": str(SHARDS), "REPORT_SHARD_STORES": "40"}, shard_delay=1.0)
    as_of = selectors.default_as_of()
    _, _, body = _http("POST", f"{live_server.url}/trigger_report", {"as_of": as_of.isoformat()}, key=api_key)
    report_id = json.loads(body)["report_id"]

    # when polls at or before T are pushed after a shard finished and before the last two started
    deadline = time.monotonic() + 60
    while Report.objects.get(pk=report_id).shards_done < 1:
        assert time.monotonic() < deadline, "no shard finished"
        time.sleep(0.05)
    before_push = staging.polls_received_cutoff()
    pushed = store_services.polls_push(items=_late_polls(as_of))
    done_when_pushed = Report.objects.get(pk=report_id).shards_done

    # then the report is the report of the data before the push, or of the data after it: never a mix
    headers, report_csv = _complete(f"{live_server.url}/get_report/{report_id}", key=api_key)
    report = Report.objects.get(pk=report_id)
    assert pushed.inserted > 10_000
    assert report.shards_total == SHARDS
    assert done_when_pushed <= SHARDS - 2, "the push came too late to fall between the shards"
    before, after = _report_csv(as_of=as_of, received_before=before_push), _report_csv(as_of=as_of)
    assert before != after  # the pushed polls change the numbers
    assert report_csv in (before, after)
    assert report.data_cutoff is not None
    assert headers["X-Report-Data-Cutoff"] == report.data_cutoff.isoformat()

    # and computed again with its cutoff, after the late polls, it is the same bytes
    again = {"as_of": as_of.isoformat(), "received_before": headers["X-Report-Data-Cutoff"]}
    _, _, answer = _http("POST", f"{live_server.url}/trigger_report", again, key=api_key)
    again_id = json.loads(answer)["report_id"]
    again_headers, again_csv = _complete(f"{live_server.url}/get_report/{again_id}", key=api_key)
    assert again_id != report_id
    assert again_csv == report_csv
    assert again_headers["X-Report-Data-Cutoff"] == headers["X-Report-Data-Cutoff"]
    _, _, listed = _http("GET", f"{live_server.url}/api/reports/", key=api_key)
    by_id = {r["id"]: r for r in json.loads(listed)["results"]}
    assert by_id[again_id]["received_before"] == by_id[again_id]["data_cutoff"] == by_id[report_id]["data_cutoff"]


@pytest.mark.django_db
def test_a_report_run_again_with_its_data_cutoff_ignores_late_polls_at_or_before_t(
    api, example_fleet, eager_tasks, admin_client
):
    # given a complete report as of T
    as_of = example_fleet
    first_id = api.post("/trigger_report", {"as_of": as_of.isoformat()}, format="json").json()["report_id"]
    first = api.get(f"/get_report/{first_id}")
    cutoff = first["X-Report-Data-Cutoff"]

    # when polls at or before T arrive late (one of a store already in the report, one of a new store)
    store_services.polls_push(
        items=[
            {"store_id": "1481966498820158979", "timestamp_utc": "2023-01-23 16:50:00 UTC", "status": "active"},
            {"store_id": "late-store", "timestamp_utc": "2023-01-23 16:00:00 UTC", "status": "active"},
        ]
    )

    # then the same report with its cutoff is the same bytes, and one without is not
    body = {"as_of": as_of.isoformat(), "received_before": cutoff}
    again_id = api.post("/trigger_report", body, format="json").json()["report_id"]
    fresh_id = api.post("/trigger_report", {"as_of": as_of.isoformat()}, format="json").json()["report_id"]
    again, fresh = api.get(f"/get_report/{again_id}"), api.get(f"/get_report/{fresh_id}")
    assert b"".join(again.streaming_content) == b"".join(first.streaming_content)
    assert b"late-store" in b"".join(fresh.streaming_content)
    assert again["X-Report-Data-Cutoff"] == cutoff
    assert dt.datetime.fromisoformat(fresh["X-Report-Data-Cutoff"]) > dt.datetime.fromisoformat(cutoff)

    # and the list API and the admin show each report's cutoff
    listed = {r["id"]: r for r in api.get("/api/reports/").json()["results"]}
    assert dt.datetime.fromisoformat(listed[again_id]["data_cutoff"]) == dt.datetime.fromisoformat(cutoff)
    assert dt.datetime.fromisoformat(listed[again_id]["received_before"]) == dt.datetime.fromisoformat(cutoff)
    assert listed[first_id]["received_before"] is None
    changelist = admin_client.get(reverse("admin:reports_report_changelist")).content.decode()
    change = admin_client.get(reverse("admin:reports_report_change", args=[again_id])).content.decode()
    assert "data cutoff" in changelist.lower() and "data cutoff" in change.lower()
    assert "Received before" in change


@pytest.mark.django_db
def test_the_admin_runs_a_report_again_with_its_data_cutoff(api, example_fleet, eager_tasks, admin_client):
    first_id = api.post("/trigger_report", {"as_of": example_fleet.isoformat()}, format="json").json()["report_id"]
    first = Report.objects.get(pk=first_id)
    Poll.objects.create(store=Store.objects.get(store_id="99"), observed_at_utc=example_fleet, active=True)

    admin_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "run_again_same_data", "_selected_action": [first_id]},
    )

    again = Report.objects.exclude(pk=first_id).get()
    assert (again.as_of, again.received_before, again.data_cutoff) == (
        first.as_of,
        first.data_cutoff,
        first.data_cutoff,
    )
    assert again.file.open("rb").read() == first.file.open("rb").read()


@pytest.mark.parametrize("value", ["yesterday", 12, "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
@pytest.mark.django_db
def test_trigger_with_a_bad_received_before_is_400_naming_the_field(api, example_fleet, value):
    response = api.post("/trigger_report", {"received_before": value}, format="json")

    assert response.status_code == 400
    assert "received_before" in response.json()
    assert response.json()["detail"].startswith("received_before:")
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_the_in_flight_report_of_an_as_of_and_scope_is_per_received_before(example_fleet):
    cutoff = dt.datetime(2023, 2, 1, tzinfo=UTC)

    plain = [services.report_create(as_of=example_fleet).id for _ in range(2)]
    cut = [services.report_create(as_of=example_fleet, received_before=cutoff).id for _ in range(2)]

    assert plain[0] == plain[1]
    assert cut[0] == cut[1] != plain[0]
    assert Report.objects.count() == 2


def _in_threads(*targets) -> list:
    """Run each target in its own thread (its own database connection); their results, in order."""
    results: list = [None] * len(targets)
    errors: list = []

    def run(i, target):
        try:
            results[i] = target()
        except Exception as exc:  # handed to the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_triggers_of_one_report_create_one(example_fleet):
    # given two triggers of the same as_of and scope, released at the same instant, ten times over
    for round_ in range(10):
        as_of = example_fleet - dt.timedelta(minutes=round_)
        start = threading.Barrier(2)

        def trigger(as_of=as_of, start=start) -> str:
            start.wait()
            return str(services.report_create(as_of=as_of, store_ids=["99"]).id)

        # when they race, each on its own connection
        ids = _in_threads(trigger, trigger)

        # then they got one report
        assert ids[0] == ids[1]
        assert Report.objects.filter(as_of=as_of).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_trigger_that_lost_the_race_to_insert_returns_the_winners_report(example_fleet):
    # given a trigger whose insert is not committed yet when the other one looks (and finds nothing)
    inserted, looked = threading.Event(), threading.Event()

    def first() -> str:
        with transaction.atomic():
            report = services.report_create(as_of=example_fleet)
            inserted.set()
            looked.wait(10)
            time.sleep(0.5)  # the other trigger's insert now waits on this one's row
        return str(report.id)

    def second() -> str:
        inserted.wait(10)
        looked.set()
        return str(services.report_create(as_of=example_fleet).id)

    # when both commit
    ids = _in_threads(first, second)

    # then the database let one in, and the other trigger answers with its id
    assert ids[0] == ids[1]
    assert Report.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_data_cutoff_waits_for_the_load_in_flight_and_later_loads_are_stamped_after_it():
    # given a push whose transaction holds the loads lock, not committed yet
    pushed = threading.Event()
    cut: dict[str, Any] = {}  # "at": the cutoff (datetime), "waited": seconds (float)
    item = {"store_id": "s1", "timestamp_utc": "2023-01-23 16:00:00 UTC", "status": "active"}

    def load() -> None:
        with transaction.atomic():
            store_services.polls_push(items=[item])
            pushed.set()
            time.sleep(0.5)

    def cutoff() -> None:
        pushed.wait(10)
        began = time.monotonic()
        cut["at"] = staging.polls_received_cutoff()
        cut["waited"] = time.monotonic() - began

    # when a report takes its cutoff meanwhile
    _in_threads(load, cutoff)
    store_services.polls_push(items=[{**item, "timestamp_utc": "2023-01-23 15:00:00 UTC"}])

    # then it waited for the push to commit, which it includes, and the next push is after it
    first, second = Poll.objects.order_by("-observed_at_utc").values_list("received_at", flat=True)
    assert cut["waited"] > 0.3
    assert first <= cut["at"] < second


@pytest.mark.django_db
def test_a_poll_turned_inactive_after_a_cutoff_is_not_read_with_that_cutoff(example_fleet):
    # given a cutoff taken after an active poll was stored
    store = Store.objects.get(store_id="0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11")
    t = example_fleet - dt.timedelta(minutes=30)
    cutoff = staging.polls_received_cutoff()

    # when a conflicting poll of the same instant turns it inactive (rule 7)
    store_services.polls_push(
        items=[{"store_id": store.store_id, "timestamp_utc": t.isoformat(), "status": "inactive"}]
    )

    # then the stored row carries the new stamp: read with the old cutoff, the poll is gone, not active
    def read(received_before):
        bounds = {"pk_first": store.pk, "pk_last": store.pk, "lo_us": 0, "hi_us": fleet.to_us(example_fleet)}
        return selectors.polls_read(**bounds, received_before=received_before)[2].tolist()

    assert read(None) == [False]
    assert read(cutoff) == []
