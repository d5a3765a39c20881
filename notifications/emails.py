"""The email of one event: subject, plain text and HTML from templates, and the report's CSV when small.

Templates live in notifications/templates/notifications/email/, three per event type:
`<type>_subject.txt`, `<type>.txt` and `<type>.html` (the type's "." becomes "_"). They read the
event's `data` as the caller sent it; times are shown as the caller gave them, in the store's
local time (`started_at_local`, `ended_at_local`), with a link to the store page.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from notifications.models import REPORT_COMPLETED, Event


def local_time(text: Any) -> str:
    """An ISO 8601 instant with its offset as people read it ("Mon 23 Jan 2023 11:15 (UTC-05:00)"),
    anything else as it is."""
    if not isinstance(text, str) or not text:
        return "" if text is None else str(text)
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if instant.tzinfo is None:
        return f"{instant:%a %d %b %Y %H:%M}"
    offset = instant.strftime("%z")
    return f"{instant:%a %d %b %Y %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def site_link(path: str) -> str:
    """An absolute link to `path` on this service (settings SITE_URL)."""
    return f"{settings.SITE_URL}/{path.lstrip('/')}"


def context_of(event: Event) -> dict[str, Any]:
    """What every template gets: the event, its brand, its data, and the derived links and local times."""
    data: dict[str, Any] = event.payload.get("data", {})
    store_id = data.get("store_id")
    return {
        "event": event,
        "type": event.type,
        "brand": event.brand,
        "data": data,
        "store_id": store_id,
        "store_name": data.get("store_name") or store_id,
        "store_url": site_link(f"/stores/{store_id}") if store_id is not None else "",
        "started_local": local_time(data.get("started_at_local")),
        "ended_local": local_time(data.get("ended_at_local")),
        "site_url": settings.SITE_URL,
    }


def attachment_of(event: Event) -> tuple[str, bytes] | None:
    """(file name, bytes) of the event's file when it may go in the email: a report.completed event's
    CSV of at most REPORT_EMAIL_ATTACH_MAX_BYTES; None otherwise (the email then carries the link)."""
    if event.type != REPORT_COMPLETED or not event.attachment_name:
        return None
    limit = settings.REPORT_EMAIL_ATTACH_MAX_BYTES
    if event.attachment_content is not None:
        content = bytes(event.attachment_content)
        return (event.attachment_name, content) if len(content) <= limit else None
    if event.attachment_path:
        try:
            if os.path.getsize(event.attachment_path) > limit:
                return None
            with open(event.attachment_path, "rb") as file:
                content = file.read(limit + 1)
        except OSError:
            return None  # gone or unreadable: the link still works
        return (event.attachment_name, content) if len(content) <= limit else None
    return None


def message_of(event: Event, *, to: str) -> EmailMultiAlternatives:
    """The email of `event` to `to`: plain text with an HTML alternative, and the CSV if attached."""
    attachment = attachment_of(event)
    context = {**context_of(event), "attached": attachment is not None}
    name = event.type.replace(".", "_")
    subject = " ".join(render_to_string(f"notifications/email/{name}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"notifications/email/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"notifications/email/{name}.html", context), "text/html")
    if attachment is not None:
        message.attach(attachment[0], attachment[1], "text/csv")
    return message
