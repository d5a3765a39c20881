"""One webhook request: a Standard Webhooks signed POST to the address that was checked.

The signature is the `standardwebhooks` package's (HMAC-SHA256 of "id.timestamp.body" with the
subscription's `whsec_` secret, `v1,<base64>`), so a receiver verifies it with the same package
(README "Notifications"). The request goes to one of the addresses `notifications.addresses`
checked, with the URL's host name in `Host` and, for https, in TLS (SNI and the certificate
check): a DNS answer that changed since the check cannot send it anywhere else. Redirects are
not followed (a 3xx is a failed attempt: it could point inside our network), proxies from the
environment are not used, and connect and read each wait at most `timeout` seconds.

No Django here: the caller passes the secret, the clock and the timeout.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from notifications.addresses import Target

USER_AGENT = "loopmonitor-webhooks/1"
# At most this many of a host's addresses are tried, the next one only when the previous refused
# the connection (not when it timed out), so that an attempt ends within 2 x (connect + read) timeouts.
MAX_ADDRESSES = 2
# How much of a failed answer's body the delivery log keeps, in bytes.
BODY_EXCERPT_BYTES = 200


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: `ok` for a 2xx answer; `status_code` None when none came; `error` in words."""

    ok: bool
    status_code: int | None = None
    duration_ms: int | None = None
    error: str = ""


def body_of(payload: dict[str, Any]) -> str:
    """The request body for an event's envelope: compact JSON, the exact text that is signed."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(*, secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of `body` sent at `at` (an aware instant; whole seconds are signed)."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=event_id, timestamp=at, data=body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def post(target: Target, *, body: str, headers: dict[str, str], timeout: float) -> Outcome:
    """POST `body` to `target`'s checked addresses in turn (see MAX_ADDRESSES); never raises for
    what the network or the receiver does: every failure is an Outcome with its reason."""
    url = httpx.URL(target.url)
    host_header = url.netloc.decode("ascii")
    extensions = {"sni_hostname": url.raw_host.decode("ascii")} if target.scheme == "https" else {}
    started = time.monotonic()
    outcome = Outcome(ok=False, error="no address to connect to")
    with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False) as client:
        for address in target.addresses[:MAX_ADDRESSES]:
            request = client.build_request(
                "POST",
                url.copy_with(host=address),
                content=body.encode(),
                headers={**headers, "host": host_header},
                extensions=extensions,
            )
            try:
                outcome = _exchange(client, request, started)
            except httpx.ConnectError as exc:
                outcome = _failure(f"could not connect to {address}: {exc}", started)
                continue
            except httpx.TimeoutException as exc:
                kind = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for the answer"
                outcome = _failure(f"timed out after {timeout:g} s {kind} ({address})", started)
            except httpx.HTTPError as exc:
                outcome = _failure(f"{type(exc).__name__}: {exc} ({address})", started)
            break
    return outcome


def _exchange(client: httpx.Client, request: httpx.Request, started: float) -> Outcome:
    response = client.send(request, stream=True)
    try:
        elapsed = _ms_since(started)
        if response.is_success:
            return Outcome(ok=True, status_code=response.status_code, duration_ms=elapsed)
        excerpt = _excerpt(response)
        reason = f"HTTP {response.status_code}"
        if response.is_redirect:
            reason += f" (a redirect to {response.headers.get('location', '?')!r}: not followed)"
        return Outcome(
            ok=False,
            status_code=response.status_code,
            duration_ms=elapsed,
            error=f"{reason}: {excerpt}" if excerpt else reason,
        )
    finally:
        response.close()


def _excerpt(response: httpx.Response) -> str:
    """The first bytes of a failed answer's body, as text; "" when it has none or it does not come in time."""
    try:
        for chunk in response.iter_raw(BODY_EXCERPT_BYTES):
            return chunk[:BODY_EXCERPT_BYTES].decode("utf-8", "replace").strip()
    except httpx.HTTPError:
        pass
    return ""


def _failure(error: str, started: float) -> Outcome:
    return Outcome(ok=False, duration_ms=_ms_since(started), error=error)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
