"""Signed, expiring download links of a report's CSV: what a webhook or an email carries.

A link is `/reports/<id>/download?expires=<unix seconds>&signature=<sig>`, the signature an
HMAC (django.core.signing, keyed by SECRET_KEY with its own salt) of the report id and the
expiry. It needs no key: whoever holds the link may download that one report until it
expires. A changed id, expiry or signature, or an expired link, is refused.
"""

import time
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

_SIGNER = signing.Signer(salt="loopmonitor.reports.download-link")


class LinkRefused(Exception):
    """The link is expired, or its signature does not match its report and expiry."""


def _signature(report_id: uuid.UUID, expires: int) -> str:
    return _SIGNER.signature(f"{report_id}:{expires}")


def download_link(report_id: uuid.UUID, *, ttl_seconds: int | None = None, now: float | None = None) -> str:
    """The path (with its query) of a signed link to the report's CSV, good for `ttl_seconds`
    (default REPORT_LINK_TTL_SECONDS)."""
    ttl = settings.REPORT_LINK_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    expires = int(now if now is not None else time.time()) + ttl
    query = urlencode({"expires": expires, "signature": _signature(report_id, expires)})
    return f"{reverse('report-download-signed', args=[report_id])}?{query}"


def link_check(report_id: uuid.UUID, *, expires: str, signature: str, now: float | None = None) -> None:
    """Raises LinkRefused unless `expires` and `signature` are a live link's for this report."""
    try:
        deadline = int(expires)
    except ValueError:
        raise LinkRefused("The link is not valid.") from None
    if not constant_time_compare(signature, _signature(report_id, deadline)):
        raise LinkRefused("The link is not valid.")
    if deadline < (now if now is not None else time.time()):
        raise LinkRefused("The link has expired: ask for the report again (GET /get_report with a key).")
