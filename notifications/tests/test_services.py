"""notify() and the deliveries, in this process on PostgreSQL: real receivers on 127.0.0.1 (every
signature checked with the `standardwebhooks` package) and a real SMTP server. Time is driven through
the deliveries' own timestamps (next_attempt_at, failing_since), never by sleeping."""

import datetime as dt

import pytest
from django.utils import timezone

from brands.models import AuditEvent
from notifications import services
from notifications.models import (
    EmailDelivery,
    EmailRecipient,
    Event,
    WebhookDelivery,
    WebhookSubscription,
)
from notifications.tests.conftest import INCIDENT, free_port

pytestmark = pytest.mark.django_db


def _make_due(delivery: WebhookDelivery | EmailDelivery) -> None:
    """Its next attempt is now: as if the wait the schedule set had passed."""
    type(delivery).objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def _notify_incident(brand, key="incident:42:opened", **data):
    return services.notify(brand_id=brand.pk, event="incident.opened", data={**INCIDENT, **data}, idempotency_key=key)


# --- notify ------------------------------------------------------------------------------------


def test_notify_records_one_delivery_per_matching_subscription_and_recipient(
    acme, other, receiver, private_allowed, django_capture_on_commit_callbacks
):
    # given: acme has two subscriptions to incidents, one to reports, one turned off; other has one
    hooked = receiver()
    wanted = [hooked.subscribe(acme, path="/a"), hooked.subscribe(acme, ["incident.opened"], path="/b")]
    hooked.subscribe(acme, ["report.completed"], path="/c")
    off = hooked.subscribe(acme, path="/d")
    services.subscription_update(subscription=off, active=False)
    hooked.subscribe(other, path="/e")
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["incident.opened"])
    EmailRecipient.objects.create(brand=acme, email="reports@acme.example", events=["report.completed"])

    # when
    with django_capture_on_commit_callbacks() as queued:
        event = _notify_incident(acme)

    # then
    assert event is not None
    assert sorted(d.subscription_id for d in WebhookDelivery.objects.all()) == sorted(s.pk for s in wanted)
    assert list(EmailDelivery.objects.values_list("to", flat=True)) == ["ops@acme.example"]
    assert len(queued) == 3  # one task per delivery, queued once the transaction committed
    assert all(d.status == "pending" and d.max_attempts == 8 for d in WebhookDelivery.objects.all())


def test_the_payload_is_the_standard_webhooks_envelope(acme):
    event = services.notify(
        brand_id=acme.pk,
        event="report.completed",
        data={"report_id": "6f1c", "as_of": dt.datetime(2023, 1, 23, 17, tzinfo=dt.UTC)},
    )

    assert event is not None
    assert set(event.payload) == {"type", "timestamp", "data"}
    assert event.payload["type"] == "report.completed"
    assert event.payload["timestamp"].endswith("Z")
    assert event.payload["data"] == {"report_id": "6f1c", "as_of": "2023-01-23T17:00:00Z"}
    assert event.event_id.startswith("msg_")


def test_notify_twice_with_the_same_key_delivers_once(
    acme, receiver, private_allowed, django_capture_on_commit_callbacks
):
    hooked = receiver()
    hooked.subscribe(acme)
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["incident.opened"])

    with django_capture_on_commit_callbacks() as queued:
        first = _notify_incident(acme)
        second = _notify_incident(acme, open_minutes=5)  # a repeat, even with other data

    assert first == second
    assert Event.objects.count() == 1
    assert WebhookDelivery.objects.count() == EmailDelivery.objects.count() == 1
    assert len(queued) == 2
    # another key, or no key, is another event
    _notify_incident(acme, key="incident:42:resolved")
    _notify_incident(acme, key=None)
    _notify_incident(acme, key=None)
    assert Event.objects.count() == 4


def test_the_same_key_in_another_brand_is_another_event(acme, other):
    assert _notify_incident(acme) != _notify_incident(other)


def test_notify_refuses_an_unknown_event_and_ignores_stores_of_no_brand(acme):
    with pytest.raises(ValueError, match="unknown event 'incident.exploded'"):
        services.notify(brand_id=acme.pk, event="incident.exploded", data={})
    assert services.notify(brand_id=None, event="incident.opened", data=INCIDENT) is None
    assert Event.objects.count() == 0


# --- webhook attempts --------------------------------------------------------------------------


def test_a_delivery_is_signed_and_sent_to_the_checked_address(acme, receiver, private_allowed):
    # given: a subscription by host name (localhost), resolved and checked before sending
    hooked = receiver()
    subscription = services.subscription_create(
        brand=acme, url=hooked.url.replace("127.0.0.1", "localhost") + "/hook?x=1", events=["incident.opened"]
    )
    hooked.secret = subscription.secret
    event = _notify_incident(acme)
    assert event is not None
    (delivery,) = WebhookDelivery.objects.all()

    # when
    done = services.webhook_attempt(delivery_id=delivery.pk)

    # then
    assert done is not None
    (got,) = hooked.wait_for(1)
    assert got.verified, got.error
    assert got.payload == event.payload
    assert got.headers["webhook-id"] == event.event_id
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["host"] == f"localhost:{hooked.url.rsplit(':', 1)[1]}"  # the name, not the address
    assert (done.status, done.attempts, done.last_response_code, done.next_attempt_at) == ("succeeded", 1, 200, None)
    assert done.last_duration_ms is not None
    # a second task for the same delivery finds nothing to do
    assert services.webhook_attempt(delivery_id=delivery.pk) is None
    assert len(hooked.received) == 1


def test_a_failed_attempt_is_retried_on_the_schedule_and_logged(acme, receiver, private_allowed):
    # given: a receiver answering 500, then 200
    hooked = receiver(codes=[500, 200])
    subscription = hooked.subscribe(acme)
    _notify_incident(acme)
    (delivery,) = WebhookDelivery.objects.all()

    # when: the first attempt
    first = services.webhook_attempt(delivery_id=delivery.pk)

    # then: failed, logged, the next attempt 5 s later; not tried before it is due
    assert first is not None and first.last_attempt_at is not None
    assert (first.status, first.attempts, first.last_response_code) == ("failed", 1, 500)
    assert first.last_error == "HTTP 500: receiver says no"
    assert first.next_attempt_at == first.last_attempt_at + dt.timedelta(seconds=5)
    assert services.webhook_attempt(delivery_id=delivery.pk) is None
    subscription.refresh_from_db()
    assert subscription.failing_since == first.last_attempt_at

    # when: it is due
    _make_due(delivery)
    second = services.webhook_attempt(delivery_id=delivery.pk)

    # then: succeeded with the same webhook-id, and the failing streak is over
    assert second is not None
    assert (second.status, second.attempts, second.last_response_code, second.last_error) == ("succeeded", 2, 200, "")
    one, two = hooked.wait_for(2)
    assert one.verified and two.verified
    assert one.headers["webhook-id"] == two.headers["webhook-id"]
    subscription.refresh_from_db()
    assert subscription.failing_since is None


def test_the_schedule_has_at_least_8_attempts_over_at_least_12_hours(settings):
    delays = settings.WEBHOOK_RETRY_DELAYS_SECONDS

    assert services.max_attempts() >= 8
    assert sum(delays) >= 12 * 3600
    assert delays == sorted(delays)  # backing off: never a shorter wait after a longer one


def test_a_delivery_gives_up_after_its_last_attempt(acme, receiver, private_allowed, settings):
    settings.WEBHOOK_RETRY_DELAYS_SECONDS = [1.0, 2.0]
    hooked = receiver(codes=[503])
    hooked.subscribe(acme)
    _notify_incident(acme)
    (delivery,) = WebhookDelivery.objects.all()

    waits = []
    for _ in range(3):
        done = services.webhook_attempt(delivery_id=delivery.pk)
        assert done is not None and done.last_attempt_at is not None
        if done.next_attempt_at is not None:
            waits.append((done.next_attempt_at - done.last_attempt_at).total_seconds())
            _make_due(delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("gave_up", 3, None)
    assert waits == [1.0, 2.0]
    assert services.webhook_attempt(delivery_id=delivery.pk) is None
    assert len(hooked.received) == 3


def test_a_schedule_shortened_since_the_delivery_was_made_waits_its_last_delay(
    acme, receiver, private_allowed, settings
):
    hooked = receiver(codes=[500])
    hooked.subscribe(acme)
    _notify_incident(acme)  # 8 attempts, under the default schedule
    (delivery,) = WebhookDelivery.objects.all()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=3)
    settings.WEBHOOK_RETRY_DELAYS_SECONDS = [2.0]

    done = services.webhook_attempt(delivery_id=delivery.pk)

    assert done is not None and done.last_attempt_at is not None and done.next_attempt_at is not None
    assert (done.status, done.attempts) == ("failed", 4)
    assert (done.next_attempt_at - done.last_attempt_at).total_seconds() == 2.0
    settings.WEBHOOK_RETRY_DELAYS_SECONDS = []  # no retries at all
    _make_due(delivery)
    last = services.webhook_attempt(delivery_id=delivery.pk)
    assert last is not None and last.status == "gave_up"


def test_a_redirect_is_not_followed(acme, receiver, private_allowed):
    elsewhere = receiver()
    hooked = receiver(codes=[307], redirect_to=elsewhere.url + "/internal")
    hooked.subscribe(acme)
    _notify_incident(acme)
    (delivery,) = WebhookDelivery.objects.all()

    done = services.webhook_attempt(delivery_id=delivery.pk)

    assert done is not None
    assert (done.status, done.last_response_code) == ("failed", 307)
    assert "not followed" in done.last_error
    assert elsewhere.received == []


def test_a_receiver_that_never_answers_times_out(acme, receiver, private_allowed, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    silent = receiver(hang=True)
    silent.subscribe(acme)
    _notify_incident(acme)
    (delivery,) = WebhookDelivery.objects.all()

    done = services.webhook_attempt(delivery_id=delivery.pk)

    assert done is not None
    assert (done.status, done.last_response_code) == ("failed", None)
    assert "timed out after 0.5 s waiting for the answer" in done.last_error
    assert len(silent.received) == 1


def test_a_receiver_that_refuses_the_connection_is_a_failed_attempt(acme, receiver, private_allowed):
    hooked = receiver()
    hooked.subscribe(acme)
    _notify_incident(acme)
    (delivery,) = WebhookDelivery.objects.all()

    WebhookSubscription.objects.update(url=f"http://127.0.0.1:{free_port()}/nobody-listens")
    done = services.webhook_attempt(delivery_id=delivery.pk)

    assert done is not None
    assert done.status == "failed"
    assert done.last_error.startswith("could not connect to 127.0.0.1")


def test_the_address_is_checked_again_at_delivery(acme, receiver, settings):
    # given: a subscription to 127.0.0.1 made while private addresses were allowed
    settings.WEBHOOK_ALLOW_PRIVATE = True
    hooked = receiver()
    hooked.subscribe(acme)
    _notify_incident(acme)
    (delivery,) = WebhookDelivery.objects.all()

    # when: they no longer are (as when a public name starts resolving to a private address)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    done = services.webhook_attempt(delivery_id=delivery.pk)

    # then: nothing was sent, and the log says why
    assert done is not None
    assert done.status == "failed"
    assert done.last_error.startswith("not sent: the host '127.0.0.1' resolves to 127.0.0.1, a loopback address")
    assert hooked.received == []


def test_a_subscription_is_refused_a_private_url_unless_allowed(acme, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    for url in ["http://127.0.0.1:18700/hook", "http://localhost/hook", "http://10.0.0.7/", "http://[::1]/"]:
        with pytest.raises(services.SubscriptionRefused) as refused:
            services.subscription_create(brand=acme, url=url, events=["incident.opened"])
        assert refused.value.field == "url"
    assert services.subscription_create(brand=acme, url="https://93.184.215.14/hook", events=["incident.opened"])

    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert services.subscription_create(brand=acme, url="http://127.0.0.1:18700/hook", events=["incident.opened"])


# --- disabling ---------------------------------------------------------------------------------


def _failing_for(subscription: WebhookSubscription, hours: float) -> None:
    """As if every attempt since `hours` ago had failed: a failed delivery then, and the streak."""
    since = timezone.now() - dt.timedelta(hours=hours)
    event = Event.objects.create(brand_id=subscription.brand_id, type="incident.opened", payload={"data": {}})
    WebhookDelivery.objects.create(
        event=event, subscription=subscription, status="gave_up", attempts=8, max_attempts=8, last_attempt_at=since
    )
    WebhookDelivery.objects.filter(event=event).update(created_at=since)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=since)


def test_a_day_of_failures_disables_the_subscription_and_emails_the_admins(
    acme, receiver, private_allowed, smtp_settings, django_capture_on_commit_callbacks
):
    # given: a subscription whose deliveries have failed for 25 hours, and two deliveries open
    hooked = receiver(codes=[500])
    subscription = hooked.subscribe(acme)
    _failing_for(subscription, hours=25)
    _notify_incident(acme)
    _notify_incident(acme, key="incident:43:opened")
    first, waiting = WebhookDelivery.objects.filter(status="pending").order_by("id")

    # when: one more attempt fails
    with django_capture_on_commit_callbacks(execute=False):
        services.webhook_attempt(delivery_id=first.pk)

    # then: the subscription is off, the other delivery given up, the audit log says so
    subscription.refresh_from_db()
    assert subscription.active is False
    assert subscription.disabled_at is not None
    assert subscription.disabled_reason.startswith("every delivery failed since ")
    assert subscription.disabled_reason.endswith("the last: HTTP 500: receiver says no")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.last_error) == ("gave_up", "the subscription was disabled")
    (audit,) = AuditEvent.objects.filter(action="webhook.updated")
    assert (audit.brand_id, audit.detail["active"]) == (acme.pk, False)
    assert services.notify(brand_id=acme.pk, event="incident.opened", data=INCIDENT) is not None
    assert WebhookDelivery.objects.filter(status="pending").count() == 0  # nothing more for it

    # and: the brand's admin with an email (not the one without, not the viewer) gets one
    (mail,) = EmailDelivery.objects.filter(event__type="webhook.disabled")
    assert mail.to == "maria@acme.example"
    sent = services.email_attempt(delivery_id=mail.pk)
    assert sent is not None and sent.status == "succeeded", sent and sent.last_error
    ((to, message),) = smtp_settings.wait_for(1)
    assert to == ["maria@acme.example"]
    assert message["Subject"] == f"[loopmonitor] Webhook disabled: {subscription.url}"
    text = message.get_body(("plain",)).get_content()
    assert "HTTP 500: receiver says no" in text
    assert f"/api/webhooks/{subscription.pk}" in text


def test_failures_for_less_than_a_day_leave_the_subscription_on(acme, receiver, private_allowed):
    hooked = receiver(codes=[500])
    subscription = hooked.subscribe(acme)
    _failing_for(subscription, hours=23)
    _notify_incident(acme)
    (delivery,) = WebhookDelivery.objects.filter(status="pending")

    services.webhook_attempt(delivery_id=delivery.pk)

    subscription.refresh_from_db()
    assert subscription.active is True
    assert EmailDelivery.objects.count() == 0


def test_turning_a_disabled_subscription_back_on_starts_a_clean_slate(acme, receiver, private_allowed):
    hooked = receiver()
    subscription = hooked.subscribe(acme)
    _failing_for(subscription, hours=30)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        active=False, disabled_at=timezone.now(), disabled_reason="failing"
    )

    changed = services.subscription_update(subscription=subscription, active=True)

    assert changed == {"active": [False, True]}
    assert (subscription.active, subscription.disabled_at, subscription.failing_since) == (True, None, None)
    assert subscription.disabled_reason == ""


def test_a_ping_is_one_attempt_that_never_counts_towards_disabling(acme, receiver, private_allowed):
    hooked = receiver(codes=[500])
    subscription = hooked.subscribe(acme)
    _failing_for(subscription, hours=30)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=None)

    delivery = services.webhook_ping(subscription=subscription)

    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("gave_up", 1, 500)
    (got,) = hooked.wait_for(1)
    assert got.verified
    assert got.payload["type"] == "webhook.ping"
    subscription.refresh_from_db()
    assert (subscription.active, subscription.failing_since) == (True, None)


# --- the sweeper -------------------------------------------------------------------------------


def test_the_sweeper_queues_what_is_due_and_nothing_else(acme, receiver, private_allowed):
    hooked = receiver()
    hooked.subscribe(acme)
    _notify_incident(acme)
    _notify_incident(acme, key="incident:43:opened")
    due, later = WebhookDelivery.objects.order_by("id")
    WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + dt.timedelta(hours=1))

    assert services.deliveries_due() == 1
    services.webhook_attempt(delivery_id=due.pk)
    assert services.deliveries_due() == 0
    assert services.deliveries_due(now=timezone.now() + dt.timedelta(hours=2)) == 1


# --- email -------------------------------------------------------------------------------------


def test_an_incident_email_has_subject_text_and_html_in_the_stores_local_time(acme, smtp_settings, settings):
    settings.SITE_URL = "https://loopmonitor.example.com"
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["incident.opened"])
    _notify_incident(acme)
    (delivery,) = EmailDelivery.objects.all()

    sent = services.email_attempt(delivery_id=delivery.pk)

    assert sent is not None and sent.status == "succeeded", sent and sent.last_error
    ((to, message),) = smtp_settings.wait_for(1)
    assert to == ["ops@acme.example"]
    subject = (
        "[loopmonitor] Incident opened: store Acme Main Street is inactive since Mon 23 Jan 2023 11:15 (UTC-05:00)"
    )
    assert message["Subject"] == sent.subject == subject
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Acme Main Street" in body
        assert "1481966498820158979" in body
        assert "Mon 23 Jan 2023 11:15 (UTC-05:00)" in body
        assert "https://loopmonitor.example.com/stores/1481966498820158979" in body
    assert "<h1" in html and "<h1" not in text


def test_an_email_the_server_refuses_is_retried(acme, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["incident.opened"])
    _notify_incident(acme)
    (delivery,) = EmailDelivery.objects.all()

    sent = services.email_attempt(delivery_id=delivery.pk)

    assert sent is not None
    assert (sent.status, sent.attempts) == ("failed", 1)
    assert "ConnectionRefusedError" in sent.last_error
    assert sent.next_attempt_at is not None


def _attachments(message) -> list[tuple[str, str]]:
    """(file name, text) of each attachment; line ends as written (mail carries text lines as CRLF)."""
    return [(p.get_filename(), p.get_content().replace("\r\n", "\n")) for p in message.iter_attachments()]


@pytest.mark.parametrize("size, attached", [(100, True), (101, False)])
def test_a_report_email_attaches_the_csv_up_to_the_limit_else_links_it(acme, smtp_settings, settings, size, attached):
    settings.REPORT_EMAIL_ATTACH_MAX_BYTES = 100
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["report.completed"])
    csv = b"store_id,uptime_last_hour\n" + b"1" * (size - 26)
    data = {"report_id": "6f1c", "status": "Complete", "download_url": "https://lm.example/get_report/6f1c?sig=abc"}
    services.notify(
        brand_id=acme.pk,
        event="report.completed",
        data=data,
        attachment=services.Attachment(filename="report-6f1c.csv", content=csv),
    )
    (delivery,) = EmailDelivery.objects.all()

    services.email_attempt(delivery_id=delivery.pk)

    ((_, message),) = smtp_settings.wait_for(1)
    assert message["Subject"] == "[loopmonitor] Report completed: Acme Burgers"
    assert _attachments(message) == ([("report-6f1c.csv", csv.decode())] if attached else [])
    text = message.get_body(("plain",)).get_content()
    assert "https://lm.example/get_report/6f1c?sig=abc" in text
    assert ("The CSV is attached." in text) is attached


def test_a_report_email_attaches_a_file_by_path(acme, smtp_settings, tmp_path):
    path = tmp_path / "report.csv"
    path.write_bytes(b"store_id\n1\n")
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["report.completed"])
    services.notify(
        brand_id=acme.pk,
        event="report.completed",
        data={"report_id": "6f1c"},
        attachment=services.Attachment(filename="report.csv", path=str(path)),
    )
    (delivery,) = EmailDelivery.objects.all()

    services.email_attempt(delivery_id=delivery.pk)

    ((_, message),) = smtp_settings.wait_for(1)
    assert _attachments(message) == [("report.csv", "store_id\n1\n")]
