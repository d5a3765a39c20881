"""One store's uptime and SVG for a brand's caller (issue 14): another brand's store is a 404
word for word like one that does not exist, and the default T is the caller's brand's own."""

import pytest

from reports.conftest import ACME_STORES, BRANDS_AS_OF, LATEST_POLL

pytestmark = pytest.mark.django_db

PATHS = ["uptime", "timeline.svg"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("query", ["", f"?as_of={BRANDS_AS_OF.isoformat().replace('+00:00', 'Z')}"])
def test_another_brands_store_is_404_exactly_like_one_that_does_not_exist(two_brands, brand_api, path, query):
    acme = brand_api("acme", "viewer")

    assert acme.get(f"/api/stores/store-0/{path}{query}").status_code == 200
    for store_id in ("store-1", "store-4", "no-such-store"):  # globex's, no brand's, nobody's
        answer = acme.get(f"/api/stores/{store_id}/{path}{query}")
        assert answer.status_code == 404
        assert answer["Content-Type"] == "application/json"
        assert answer.json() == {"detail": f"No store with store_id '{store_id}'."}


def test_a_brands_caller_sees_a_store_as_of_its_brands_latest_poll(two_brands, brand_api, api):
    # The default T of the report the caller would trigger: acme's latest poll, not globex's later one.
    acme = brand_api("acme", "viewer")

    ours = acme.get(f"/api/stores/{ACME_STORES[0]}/uptime").json()
    staff = api.get(f"/api/stores/{ACME_STORES[0]}/uptime").json()
    picture = acme.get(f"/api/stores/{ACME_STORES[0]}/timeline.svg").content.decode()

    acme_t, fleet_t = (LATEST_POLL[b].isoformat().replace("+00:00", "Z") for b in ("acme", None))
    assert (ours["as_of"], staff["as_of"]) == (acme_t, fleet_t)
    assert f"week as of {acme_t}" in picture and fleet_t not in picture


def test_a_store_of_the_brand_has_the_numbers_of_its_brand_report_row(two_brands, brand_api, eager_tasks):
    acme = brand_api("acme", "operator")
    report_id = acme.post("/trigger_report", {}, format="json").json()["report_id"]
    rows = b"".join(acme.get(f"/get_report/{report_id}").streaming_content).decode().splitlines()[1:]

    for line in rows:
        store_id, *numbers = line.split(",")
        body = acme.get(f"/api/stores/{store_id}/uptime").json()
        assert [
            body[f]
            for f in (
                "uptime_last_hour_minutes",
                "uptime_last_day_hours",
                "uptime_last_week_hours",
                "downtime_last_hour_minutes",
                "downtime_last_day_hours",
                "downtime_last_week_hours",
            )
        ] == [float(n) for n in numbers], store_id
    assert [line.split(",")[0] for line in rows] == ACME_STORES
