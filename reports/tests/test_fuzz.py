"""Fuzzing the API against its own OpenAPI schema (schemathesis, issue 8).

The schema is the one the service serves at /api/schema/ (drf-spectacular),
fetched from the Django WSGI application in this process; every request then
goes through that same application (schemathesis' WSGI transport, no server)
with a valid API key (platform staff's, then brand "acme"'s admin's), on the test database holding `example_fleet`. Each
operation gets a bounded, reproducible set of inputs (the schema's examples,
schemathesis' coverage cases, then `MAX_EXAMPLES` generated ones, derandomized)
and every answer must:

- not be a server error (5xx);
- have a status code the schema documents for the operation;
- have a content type the schema documents for that status;
- have a body matching the schema for that status and content type.

Path parameters are drawn from generated values *and* the fleet's real ids
(stores "1481966498820158979", "99", a UUID store; reports triggered before
the run; brand "acme"), so the 200 branches are exercised too, not just the 404s; `as_of`
name, valid by the schema and the edge of every range the code computes.
POST /trigger_report runs inline (`eager_tasks`).
"""

from __future__ import annotations

import datetime as dt

import hypothesis
import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from brands.models import Membership, Role
from brands.services import apikey_create, brand_get_or_create
from reports.schedule_services import schedule_create
from stores.models import BusinessHours, SpecialHours, Store

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# The first and the last instant an ISO 8601 date-time (and Python's datetime) can name.
EDGE_INSTANTS = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
STORE_IDS = ["1481966498820158979", "99", "0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11"]
# The special days `fuzz_data` gives the first store (a closed day, then 10:00-11:00).
SPECIAL_DATES = [dt.date(2023, 1, 30), dt.date(2023, 2, 6)]
# The brand `fuzz_data` makes (an admin and a viewer, a key), so /api/brands/{slug}/... answers 200 too.
BRAND_SLUG = "acme"
# Filled per test by the `fuzz_data` fixture (generation happens inside the test, so hooks see it).
_REAL: dict[str, list[str]] = {"report_ids": [], "schedule_ids": []}

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.hook
def flatmap_path_parameters(ctx, path_parameters):
    """Half the time, put a real store / report id (and special date) into the path instead of the generated one."""
    if not path_parameters:
        return st.just(path_parameters)
    choices = []
    if "store_id" in path_parameters:
        choices = STORE_IDS
        key = "store_id"
    elif "report_id" in path_parameters:
        choices = _REAL["report_ids"]
        key = "report_id"
    elif "slug" in path_parameters:
        choices = [BRAND_SLUG]
        key = "slug"
    elif "schedule_id" in path_parameters:
        choices = _REAL["schedule_ids"]
        key = "schedule_id"
    if not choices:
        return st.just(path_parameters)
    strategy = st.one_of(
        st.just(path_parameters),
        st.sampled_from(choices).map(lambda real: {**path_parameters, key: real}),
    )
    if "date" in path_parameters:
        # .../special-days/{date}: sometimes a date with special hours, so the 200 branches run too.
        strategy = strategy.flatmap(
            lambda params: st.one_of(
                st.just(params), st.sampled_from(SPECIAL_DATES).map(lambda day: {**params, "date": day.isoformat()})
            )
        )
    return strategy


@schema.hook
def flatmap_query(ctx, query):
    """GET /get_report?report_id=: sometimes a real report id. `as_of`: sometimes the first or last instant
    a date-time can name (valid by the schema, the edges of every date range the code computes)."""
    if not query:
        return st.just(query)
    strategy = st.just(query)
    if "report_id" in query and _REAL["report_ids"]:
        strategy = st.one_of(
            strategy, st.sampled_from(_REAL["report_ids"]).map(lambda real: {**query, "report_id": real})
        )
    if "as_of" in query:
        strategy = st.one_of(strategy, st.sampled_from(EDGE_INSTANTS).map(lambda edge: {**query, "as_of": edge}))
    return strategy


@schema.hook
def flatmap_body(ctx, body):
    """POST /trigger_report: sometimes the edge instants as `as_of`, as in the query above."""
    if not isinstance(body, dict) or "as_of" not in body:
        return st.just(body)
    return st.one_of(st.just(body), st.sampled_from(EDGE_INSTANTS).map(lambda edge: {**body, "as_of": edge}))


@pytest.fixture
def in_test_transaction(fuzz_data):
    """Requests through the WSGI app share the test's transaction, as with Django's test client.

    Django's WSGI handler closes "old" connections when a request starts and
    ends; inside the test's atomic block that would close the connection the
    test's data lives on. Django's test client disconnects that handler around
    each of its requests and connects it again after, hence this comes after
    `fuzz_data` (whose setup uses the test client). A view's exception is
    logged by `django.request` (pytest shows it with a failure); the answer is
    the JSON 500 a client would get.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_data(api, example_fleet, eager_tasks, django_capture_on_commit_callbacks):
    """The fleet, with a calendar for store "1481966498820158979" (example I's dated version, a closed
    day and a special day), an open incident of that store, brand BRAND_SLUG with two members, a
    key and a report schedule, and complete reports (example A's T; store "99" alone; the brand's),
    their ids for the hooks."""
    store = Store.objects.get(store_id=STORE_IDS[0])
    BusinessHours.objects.create(
        store=store,
        day_of_week=0,
        start_time_local=dt.time(13),
        end_time_local=dt.time(15),
        effective_from=dt.date(2023, 1, 23),
    )
    for date, start, end in [(SPECIAL_DATES[0], None, None), (SPECIAL_DATES[1], dt.time(10), dt.time(11))]:
        SpecialHours.objects.create(store=store, date=date, start_time_local=start, end_time_local=end)
    # Polls inside the dated version's 13:00-15:00 local: an incident, which the push's refresh finds
    # (inline, once the push commits). Both lie after the reports' T below.
    polls = [
        {"store_id": STORE_IDS[0], "timestamp_utc": "2023-01-23T18:15:00Z", "status": "active"},
        {"store_id": STORE_IDS[0], "timestamp_utc": "2023-01-23T18:45:00Z", "status": "inactive"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/polls", polls, format="json").status_code == 200
    assert api.get("/api/incidents/").json()["count"] == 1
    brand = brand_get_or_create(slug=BRAND_SLUG)
    for username, role in [("ann", Role.ADMIN), ("bob", Role.VIEWER)]:
        Membership.objects.create(user=get_user_model().objects.create_user(username), brand=brand, role=role)
    apikey_create(brand=brand, role=Role.OPERATOR, name="till")
    # The brand owns two of the stores; the UUID store has none (a brand's key gets its 404).
    Store.objects.filter(store_id__in=STORE_IDS[:2]).update(brand=brand)
    complete = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]
    scoped = api.post("/trigger_report", {"store_ids": ["99"]}, format="json").json()["report_id"]
    brand_wide = api.post("/trigger_report", {"brand": BRAND_SLUG}, format="json").json()["report_id"]
    _REAL["report_ids"] = [complete, scoped, brand_wide]
    schedule = schedule_create(brand_id=brand.pk, name="daily", cron_line="0 6 * * *", timezone_name="Asia/Kolkata")
    _REAL["schedule_ids"] = [str(schedule.id)]
    yield
    _REAL["report_ids"] = []
    _REAL["schedule_ids"] = []


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["staff", "brand admin"])
def test_every_answer_conforms_to_the_schema(case, in_test_transaction, api_key, caller):
    """With a platform staff key, and with the key of brand "acme"'s admin (which reaches its two
    stores and its report, every brand endpoint, and meets everything else as absent)."""
    if caller == "staff":
        key = api_key
    else:
        key = apikey_create(brand=brand_get_or_create(slug=BRAND_SLUG), role=Role.ADMIN, name="fuzz")[1]
    # Each example is its own client: the per-key trigger throttle (REPORT_TRIGGER_RATE) is
    # not what is being fuzzed, and the number of examples must not decide the answer.
    cache.clear()
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)
