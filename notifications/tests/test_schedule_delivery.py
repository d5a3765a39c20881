"""A brand's report on a schedule, told by webhook and email, with real parts only: a real Celery
worker with its embedded beat (loopmonitor/beat.py) on the configured broker (Redis in CI) and
PostgreSQL, a webhook receiver thread on 127.0.0.1 that verifies each signature with the
`standardwebhooks` package, a real SMTP server, and the web app on a live server that serves the
payload's signed download link."""

import datetime as dt
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from notifications.models import EmailRecipient
from reports import schedule_services
from reports.models import Report
from stores.conftest import make_store

pytestmark = [pytest.mark.queue, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The signed link lives this long (the worker makes it): long enough to be used once, short
# enough to see it expire in the test.
LINK_TTL_SECONDS = 20


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_a_scheduled_report_arrives_signed_with_a_link_that_works_then_expires(
    live_server, start_worker, acme, receiver, smtp_server, private_allowed
):
    # given: a store of acme's with polls, a receiver and a recipient of acme's report.completed
    now = timezone.now().replace(microsecond=0)
    store = make_store("scheduled", timezone_str="UTC", polls=[(now - dt.timedelta(minutes=m), True) for m in (90, 30)])
    store.brand = acme
    store.save(update_fields=["brand"])
    hook = receiver()
    hook.subscribe(acme, ["report.completed"])
    EmailRecipient.objects.create(brand=acme, email="owner@acme.example", events=["report.completed"])
    # and acme's daily schedule, twelve hours away, last run three days ago: due as soon as beat looks
    hour = (now.hour + 12) % 24
    schedule = schedule_services.schedule_create(
        brand_id=acme.pk, name="daily", cron_line=f"0 {hour} * * *", timezone_name="UTC"
    )
    task = PeriodicTask.objects.get(report_schedule=schedule)
    task.last_run_at = now - dt.timedelta(days=3)
    task.save()

    # when: a worker with its beat runs, its links pointing at the live server
    start_worker(
        "beat",
        beat=True,
        env={
            "REPORT_REAP_EVERY_SECONDS": "1",
            "WEBHOOK_ALLOW_PRIVATE": "1",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
            "SITE_URL": live_server.url,
            "REPORT_LINK_TTL_SECONDS": str(LINK_TTL_SECONDS),
        },
    )

    # then: report.completed arrives, its signature verified with the standardwebhooks package
    (delivery,) = hook.wait_for(1, timeout=120)
    assert delivery.verified, delivery.error
    assert delivery.payload["type"] == "report.completed"
    data = delivery.payload["data"]
    schedule.refresh_from_db()
    report = Report.objects.get(pk=data["report_id"])
    assert schedule.last_report == report and report.status == Report.Status.COMPLETE
    assert (data["status"], data["brand"], data["row_count"]) == ("Complete", "acme", 1)
    # and its signed link, which needs no key, gives the report's CSV bytes
    link = data["download_url"]
    assert link.startswith(live_server.url + f"/reports/{report.id}/download?")
    status, body = _get(link)
    assert status == 200
    with report.file.open("rb") as stored:
        assert body == stored.read()
    assert body.startswith(b"store_id,uptime_last_hour(in minutes)") and b"\nscheduled," in body
    # and a changed signature is refused
    query = parse_qs(urlsplit(link).query)
    forged = query["signature"][0][:-1] + ("A" if query["signature"][0][-1] != "A" else "B")
    path = link.split("?", 1)[0]
    assert _get(f"{path}?{urlencode({'expires': query['expires'][0], 'signature': forged})}")[0] == 403
    # and so is a later expiry with the old signature
    later = int(query["expires"][0]) + 3600
    assert _get(f"{path}?{urlencode({'expires': later, 'signature': query['signature'][0]})}")[0] == 403
    # and the email came too, with the CSV attached (far under REPORT_EMAIL_ATTACH_MAX_BYTES)
    ((recipients, message),) = smtp_server.wait_for(1, timeout=60)
    assert recipients == ["owner@acme.example"]
    attachments = [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]
    assert [name for name, _ in attachments] == [f"report-{report.id}.csv"]
    attached = attachments[0][1]
    assert (attached.encode() if isinstance(attached, str) else attached).replace(b"\r\n", b"\n") == body

    # when: the link's time is up
    time.sleep(max(0.0, int(query["expires"][0]) - time.time() + 1.5))

    # then: the very link is refused, saying it expired
    status, body = _get(link)
    assert status == 403 and b"expired" in body
