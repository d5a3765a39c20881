"""What every log line carries, and the JSON formatter of LOG_FORMAT=json.

The context is a few context variables: the request id (set by the middleware for a
request, and by the task hooks for a task, from the header its publisher stamped), and
in a task its name, id, report id and shard number. `ContextFilter`, on the handler
(settings.LOGGING), copies them onto every record that passes, so any line logged while
a report is computed (a warning of the service, Celery's own) names its request and report.

Imported by the logging configuration itself, before Django's apps are ready: nothing but
the standard library and python-json-logger.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

REQUEST_ID: ContextVar[str | None] = ContextVar("loopmonitor_request_id", default=None)
TASK: ContextVar[dict[str, Any] | None] = ContextVar("loopmonitor_task", default=None)

# A request id given by the client (or a proxy) is kept when it looks like one: short, and no
# character that could break a log line or a header. Anything else is replaced, not cleaned.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_from(given: str | None) -> str:
    """`given` (an X-Request-ID header) if it is a sane id, else a new one (32 hex digits)."""
    if given and REQUEST_ID_PATTERN.fullmatch(given):
        return given
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds the request id and the task's fields to every record (those the record lacks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = dict(TASK.get() or {})
        if (request_id := REQUEST_ID.get()) is not None:
            fields["request_id"] = request_id
        for name, value in fields.items():
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, then every field
    the record carries (the context above, a line's own `extra`, an exception's traceback)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(**kwargs)
