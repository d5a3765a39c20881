"""Every request: a request id (echoed in X-Request-ID), its metrics, and one log line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from brands.access import Caller
from loopmonitor.observability import logs, metrics

log = logging.getLogger("loopmonitor.request")

HEADER = "X-Request-ID"


class RequestObserverMiddleware:
    """First of all middleware, so that its time is the whole answer's and its request id is set
    before anything logs. The id comes from X-Request-ID when that is a sane one (a proxy's or a
    client's), else it is new; the Celery tasks the request queues carry it (signals.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = logs.request_id_from(request.headers.get(HEADER))
        token = logs.REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[HEADER] = request_id
            view = request.resolver_match.view_name if request.resolver_match else "none"
            metrics.request_observed(
                view=view, method=request.method or "", status=response.status_code, seconds=seconds
            )
            if log.isEnabledFor(logging.INFO):  # LOG_FORMAT=json; text leaves it to the server's access log
                log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "view": view,
                        "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 3),
                        **caller_fields(request),
                    },
                )
            return response
        finally:
            logs.REQUEST_ID.reset(token)


def caller_fields(request: HttpRequest) -> dict[str, Any]:
    """Who asked, for the log line: `user` (a key's name and prefix, or a person's username) and,
    for a brand's key, `brand_id` (a person's brands would cost a query: not logged)."""
    user = getattr(request, "user", None)
    if isinstance(user, Caller):
        brand_ids = user.brand_ids()
        brand_id = next(iter(brand_ids)) if brand_ids and len(brand_ids) == 1 else None
        return {"user": user.name, "brand_id": brand_id, "staff": user.is_staff}
    if user is not None and user.is_authenticated:
        return {"user": user.get_username(), "staff": bool(getattr(user, "is_staff", False))}
    return {}
