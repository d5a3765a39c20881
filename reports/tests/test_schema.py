"""The OpenAPI schema: valid by drf-spectacular's own checks, and every documented path answers as documented."""

import io
import re

import pytest
import yaml
from django.core.management import call_command

from brands.services import brand_get_or_create
from reports.schedule_services import schedule_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema() -> dict:
    out = io.StringIO()
    # --fail-on-warn: an undocumented view or an unresolvable serializer fails the test.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=io.StringIO())
    return yaml.safe_load(out.getvalue())


def test_the_schema_documents_every_endpoint_with_a_description(schema):
    paths = schema["paths"]

    for path in [
        "/trigger_report",
        "/get_report",
        "/get_report/{report_id}",
        "/api/reports/",
        "/healthz",
        "/api/polls",
        "/api/stores/",
        "/api/stores/{store_id}",
        "/api/stores/{store_id}/uptime",
        "/api/stores/{store_id}/timeline.svg",
        "/api/incidents/",
        "/api/stores/{store_id}/incidents/",
        "/api/brands/",
        "/api/brands/{slug}/keys/",
        "/api/brands/{slug}/keys/{prefix}",
        "/api/brands/{slug}/members/",
        "/api/brands/{slug}/members/{username}",
        "/api/brands/{slug}/audit/",
        "/api/schedules/",
        "/api/schedules/{schedule_id}",
    ]:
        assert path in paths, path
        for operation in paths[path].values():
            assert operation.get("description") or operation.get("summary"), path


def test_every_documented_get_answers_with_a_documented_status(schema, api, example_fleet, eager_tasks):
    report_id = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]
    acme = brand_get_or_create(slug="acme")
    schedule = schedule_create(brand_id=acme.pk, name="daily", cron_line="0 6 * * *", timezone_name="UTC")
    values = {
        "report_id": report_id,
        "store_id": "1481966498820158979",
        "date": "2023-01-23",
        "slug": "acme",
        "webhook_id": "1",  # none exists: the documented 404
        "recipient_id": "1",
        "schedule_id": schedule.id,
    }

    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        url = path.format(**values)
        if path == "/get_report":
            url += f"?report_id={report_id}"
        response = api.get(url)
        documented = set(operations["get"]["responses"])
        assert str(response.status_code) in documented, (url, response.status_code, documented)
        content_type = response["Content-Type"].split(";")[0]
        media = {m for r in operations["get"]["responses"].values() for m in r.get("content", {})}
        assert not media or content_type in media, (url, content_type, media)


def test_the_docs_page_works_without_internet(client):
    page = client.get("/api/docs/").content.decode()

    assert "swagger-ui" in page
    # Every script, style sheet and image is served from this host: no absolute URL to another
    # one (the page also holds a random CSRF token, so a bare substring such as "cdn" may occur).
    assert not re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", page, flags=re.IGNORECASE)
    assert not re.findall(r"https?://(?!testserver)[\w.-]*(?:cdn|unpkg|jsdelivr)", page, flags=re.IGNORECASE)


def test_every_operation_that_takes_a_body_documents_415(schema):
    with_body = [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]

    assert {("/api/schedules/", "post"), ("/api/webhooks/", "post"), ("/api/email-recipients/", "post")} <= {
        (path, method) for path, method, _ in with_body
    }
    for path, method, operation in with_body:
        assert "415" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/schedules/"),
        ("post", "/api/webhooks/"),
        ("post", "/api/email-recipients/"),
        ("post", "/trigger_report"),
    ],
)
def test_a_body_of_another_media_type_is_the_documented_415(api, method, path):
    answer = getattr(api, method)(path, data="name: x", content_type="text/plain")

    assert answer.status_code == 415, answer.content
    assert "detail" in answer.json()
