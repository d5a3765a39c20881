"""Fixtures of the notifications tests: real receivers on 127.0.0.1 that check every signature with the
`standardwebhooks` package, a real SMTP server (aiosmtpd), brands with admins, and the real Celery
worker of the reports tests (`start_worker`; the tests may import other apps, the app may not)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from standardwebhooks import Webhook, WebhookVerificationError

from brands.models import Brand, Membership, Role
from brands.services import brand_get_or_create
from notifications import services
from notifications.models import WebhookSubscription
from reports.conftest import start_worker  # noqa: F401  the one real-worker fixture, shared

# This helper's port range (COMMON.md): the SMTP server's port; the HTTP receivers take any free port.
PORTS = range(18700, 18800)


@dataclass
class Received:
    """One request a receiver got: its headers (names in lower case), body, and whether its signature verified."""

    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str = ""

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: answers each request with the next code of `codes` (the
    last one again once they run out), or never answers when `hang` is set."""

    codes: list[int] = field(default_factory=lambda: [200])
    hang: bool = False
    redirect_to: str = ""
    secret: str = ""
    received: list[Received] = field(default_factory=list)
    got_one: threading.Condition = field(default_factory=threading.Condition)
    released: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def record(self, headers: dict[str, str], body: bytes) -> int:
        try:
            Webhook(self.secret).verify(body, headers)
            verified, error = True, ""
        except (WebhookVerificationError, ValueError) as exc:
            verified, error = False, f"{type(exc).__name__}: {exc}"
        with self.got_one:
            self.received.append(Received(headers=headers, body=body, verified=verified, error=error))
            self.got_one.notify_all()
            return self.codes[min(len(self.received), len(self.codes)) - 1]

    def wait_for(self, count: int, *, timeout: float = 30) -> list[Received]:
        """The first `count` requests, waiting for them (TimeoutError naming what came instead)."""
        with self.got_one:
            if not self.got_one.wait_for(lambda: len(self.received) >= count, timeout=timeout):
                raise TimeoutError(f"the receiver got {len(self.received)} request(s), not {count}")
            return self.received[:count]

    def subscribe(self, brand: Brand, events: list[str] | None = None, *, path: str = "/hook") -> WebhookSubscription:
        """A subscription of `brand` to this receiver (the settings must allow private addresses)."""
        subscription = services.subscription_create(
            brand=brand, url=self.url + path, events=events or ["incident.opened", "incident.resolved"]
        )
        self.secret = subscription.secret
        return subscription


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if receiver.hang:
                receiver.record({k.lower(): v for k, v in self.headers.items()}, body)
                receiver.released.wait(60)
                return
            code = receiver.record({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(code)
            if receiver.redirect_to:
                self.send_header("Location", receiver.redirect_to)
            answer = b"ok" if 200 <= code < 300 else b"receiver says no"
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """A factory of receivers, each an http.server in a thread of this process on 127.0.0.1 (a free port)."""
    servers: list[tuple[ThreadingHTTPServer, Receiver]] = []

    def start(**kwargs: Any) -> Receiver:
        made = Receiver(**kwargs)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(made))
        server.daemon_threads = True
        made.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append((server, made))
        return made

    yield start
    for server, made in servers:
        made.released.set()
        server.shutdown()
        server.server_close()


class Mailbox:
    """What a real SMTP server (aiosmtpd) received: each message parsed, with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.arrived = threading.Condition()
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.arrived:
            self.messages.append((list(envelope.rcpt_tos), message))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, *, timeout: float = 30) -> list[tuple[list[str], EmailMessage]]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise TimeoutError(f"the SMTP server got {len(self.messages)} message(s), not {count}")
            return self.messages[:count]


def free_port() -> int:
    """A port of this helper's range that nothing listens on now."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread of this process)."""
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server: Mailbox) -> Mailbox:
    """This process sends email through `smtp_server`, as EMAIL_URL=smtp://127.0.0.1:<port> would."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return smtp_server


@pytest.fixture
def private_allowed(settings) -> None:
    """Webhooks may go to 127.0.0.1, where the test's receivers are (WEBHOOK_ALLOW_PRIVATE=1)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def acme(db) -> Brand:
    """Brand "acme" with an admin who has an email (maria), an admin who has none (olga) and a viewer (vic)."""
    brand = brand_get_or_create(slug="acme", name="Acme Burgers")
    User = get_user_model()
    for username, mail, role in [
        ("maria", "maria@acme.example", Role.ADMIN),
        ("olga", "", Role.ADMIN),
        ("vic", "vic@acme.example", Role.VIEWER),
    ]:
        user = User.objects.create_user(username=username, email=mail)
        Membership.objects.create(user=user, brand=brand, role=role)
    return brand


@pytest.fixture
def other(db) -> Brand:
    return brand_get_or_create(slug="other", name="Other Pizza")


INCIDENT = {
    "id": 42,
    "store_id": "1481966498820158979",
    "store_name": "Acme Main Street",
    "state": "open",
    "started_at": "2023-01-23T16:15:00Z",
    "started_at_local": "2023-01-23T11:15:00-05:00",
    "ended_at": None,
    "ended_at_local": None,
    "open_minutes": 0,
}
