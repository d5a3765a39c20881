"""Signed, expiring download links (reports/links.py): the CSV without a key, for one report, until it expires."""

import time

import pytest

from reports import links
from reports.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def complete_report(api, example_fleet, eager_tasks) -> Report:
    report_id = api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json").json()["report_id"]
    report = Report.objects.get(pk=report_id)
    assert report.status == Report.Status.COMPLETE
    return report


def test_a_signed_link_downloads_the_csv_without_a_key(client, api, complete_report):
    link = links.download_link(complete_report.id)
    answer = client.get(link)  # no Authorization header, no session
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv"
    assert b"".join(answer.streaming_content) == b"".join(
        api.get(f"/get_report/{complete_report.id}").streaming_content
    )


@pytest.mark.parametrize("tamper", ["signature", "expires", "report"])
def test_a_changed_link_is_refused(client, complete_report, api, tamper):
    other = api.post("/trigger_report", {"store_ids": ["99"]}, format="json").json()["report_id"]
    link = links.download_link(complete_report.id)
    path, query = link.split("?")
    params = dict(pair.split("=") for pair in query.split("&"))
    if tamper == "signature":
        params["signature"] = params["signature"][:-1] + ("A" if params["signature"][-1] != "A" else "B")
    elif tamper == "expires":
        params["expires"] = str(int(params["expires"]) + 3600)  # a longer life is not for the holder to choose
    else:
        path = path.replace(str(complete_report.id), other)
    answer = client.get(path + "?" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert answer.status_code == 403
    assert answer.json() == {"detail": "The link is not valid."}


def test_an_expired_link_is_refused_and_says_so(client, complete_report):
    link = links.download_link(complete_report.id, ttl_seconds=60, now=time.time() - 120)
    answer = client.get(link)
    assert answer.status_code == 403
    assert "expired" in answer.json()["detail"]


def test_a_link_without_its_parameters_or_to_a_report_not_complete_gets_no_file(client, complete_report):
    assert client.get(f"/reports/{complete_report.id}/download").status_code == 403
    assert client.get("/reports/not-a-uuid/download?expires=1&signature=x").status_code == 403
    pending = Report.objects.create(as_of=complete_report.as_of, store_ids=["99"])
    answer = client.get(links.download_link(pending.id))
    assert answer.status_code == 404
