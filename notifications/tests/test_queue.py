"""The deliveries end to end: a real Celery worker on the configured broker (Redis in CI) and database,
real receivers on 127.0.0.1 checking every signature with the `standardwebhooks` package, a real SMTP
server. The worker's schedule is shrunk by its settings (1 s between attempts) so that a retry
shows within seconds; the test waits for what arrives, it never times anything."""

import time

import pytest

from notifications import services
from notifications.models import EmailDelivery, EmailRecipient, WebhookDelivery
from notifications.tests.conftest import INCIDENT

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]

FAST = {"WEBHOOK_RETRY_DELAYS_SECONDS": "1,1,1,1,1,1,1", "WEBHOOK_TIMEOUT_SECONDS": "1"}


def _settled(model, pk: int, *, statuses=("succeeded", "gave_up"), timeout: float = 60):
    """The delivery once its status is one of `statuses` (by default a final one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = model.objects.get(pk=pk)
        if delivery.status in statuses:
            return delivery
        time.sleep(0.1)
    raise TimeoutError(f"delivery {pk} is still {model.objects.get(pk=pk).status}")


def test_the_worker_delivers_signed_retries_a_500_and_emails(
    acme, receiver, smtp_server, private_allowed, start_worker
):
    # given: a worker that may reach 127.0.0.1 and sends mail through the test's SMTP server
    start_worker(env={**FAST, "WEBHOOK_ALLOW_PRIVATE": "1", "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}"})
    flaky = receiver(codes=[500, 200])
    flaky.subscribe(acme)
    EmailRecipient.objects.create(brand=acme, email="ops@acme.example", events=["incident.opened"])

    # when
    event = services.notify(brand_id=acme.pk, event="incident.opened", data=INCIDENT, idempotency_key="incident:42")

    # then: the webhook failed once, was retried and succeeded, every attempt signed with one webhook-id
    assert event is not None
    (delivery,) = WebhookDelivery.objects.all()
    done = _settled(WebhookDelivery, delivery.pk)
    assert (done.status, done.attempts, done.last_response_code) == ("succeeded", 2, 200)
    first, second = flaky.wait_for(2)
    assert first.verified and second.verified, (first.error, second.error)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event.event_id
    assert second.payload["data"]["store_id"] == INCIDENT["store_id"]
    # and the email arrived
    ((to, message),) = smtp_server.wait_for(1)
    assert to == ["ops@acme.example"]
    assert message["Subject"].startswith("[loopmonitor] Incident opened: store Acme Main Street")
    assert "Mon 23 Jan 2023 11:15 (UTC-05:00)" in message.get_body(("plain",)).get_content()
    (mail,) = EmailDelivery.objects.all()
    assert _settled(EmailDelivery, mail.pk).status == "succeeded"


def test_a_receiver_that_never_answers_does_not_block_the_worker(acme, other, receiver, private_allowed, start_worker):
    # given: one worker process with one slot, a receiver that never answers and a good one
    start_worker(env={**FAST, "WEBHOOK_ALLOW_PRIVATE": "1"}, concurrency=1)
    silent, good = receiver(hang=True), receiver()
    silent.subscribe(acme)
    good.subscribe(other)

    # when: the silent one's delivery is queued first
    services.notify(brand_id=acme.pk, event="incident.opened", data=INCIDENT)
    silent.wait_for(1)
    services.notify(brand_id=other.pk, event="incident.opened", data=INCIDENT)

    # then: the good receiver still gets its delivery, and the silent one's attempt timed out
    (got,) = good.wait_for(1)
    assert got.verified
    stuck = WebhookDelivery.objects.get(subscription__brand=acme)
    delivered = _settled(WebhookDelivery, WebhookDelivery.objects.get(subscription__brand=other).pk)
    assert delivered.status == "succeeded"
    stuck.refresh_from_db()
    assert stuck.attempts >= 1
    assert "timed out after 1 s" in stuck.last_error


def test_the_worker_refuses_a_private_address_without_webhook_allow_private(
    acme, receiver, private_allowed, start_worker
):
    # given: a subscription to 127.0.0.1 (made while allowed), and a worker that does not allow it
    start_worker(env=FAST)
    hooked = receiver()
    hooked.subscribe(acme)

    # when
    services.notify(brand_id=acme.pk, event="incident.opened", data=INCIDENT)

    # then: its attempts fail without sending, saying why, and nothing reaches the receiver
    (delivery,) = WebhookDelivery.objects.all()
    done = _settled(WebhookDelivery, delivery.pk, statuses=("failed", "gave_up"))
    assert done.attempts >= 1
    assert "not sent: the host '127.0.0.1' resolves to 127.0.0.1, a loopback address" in done.last_error
    assert hooked.received == []
