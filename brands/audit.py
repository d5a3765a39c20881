"""The audit log: every write on record (`AuditEvent`), one call per write.

A view calls `audit_request` once its write has succeeded (a refused write writes nothing and
is not recorded); a management command calls `audit_record` with `actor` naming the command.
A write that touches several brands (a staff key pushing polls for stores of two brands) is
one event per brand, so that each brand's admins read it in their own log.
"""

import getpass
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from brands.access import Caller, caller_of, client_ip
from brands.models import ApiKey, AuditEvent, Brand, Membership

Action = AuditEvent.Action


def audit_record(
    *,
    action: str,
    brand_ids: Iterable[int | None],
    caller: Caller | None = None,
    actor: str = "",
    target: str = "",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> list[AuditEvent]:
    """One event per brand of `brand_ids` (None: stores of no brand, staff's log only), by
    `caller` (its name, person and key) or by `actor` in words (a command)."""
    ids = sorted(set(brand_ids), key=lambda b: (b is not None, b or 0)) or [None]
    slugs = dict(Brand.objects.filter(pk__in=[b for b in ids if b is not None]).values_list("pk", "slug"))
    now = timezone.now()
    who = actor or (caller.name if caller is not None else "") or (str(caller) if caller is not None else "system")
    events = [
        AuditEvent(
            at=now,
            brand_id=brand_id,
            brand_slug=slugs.get(brand_id, "") if brand_id is not None else "",
            action=action,
            actor=who[:200],
            user_id=caller.user_id if caller is not None else None,
            api_key_id=caller.key_id if caller is not None else None,
            target=target[:300],
            detail=detail or {},
            ip=ip,
        )
        for brand_id in ids
    ]
    return AuditEvent.objects.bulk_create(events)


def audit_request(
    request: HttpRequest,
    *,
    action: str,
    brand_ids: Iterable[int | None],
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> list[AuditEvent]:
    """`audit_record` for a write made by `request`'s caller, from its client address."""
    return audit_record(
        action=action,
        brand_ids=brand_ids,
        caller=caller_of(request),
        target=target,
        detail=detail,
        ip=client_ip(request),
    )


def command_actor(command: str) -> str:
    """The actor of a management command's writes: "manage.py <command> (<OS user>)", the OS user
    being whoever ran it (unknown when the process has no user name, as in some containers)."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):
        who = "unknown user"
    return f"manage.py {command} ({who})"


def key_event(api_key: ApiKey) -> dict[str, Any]:
    """`brand_ids`, `target` and `detail` of an event about `api_key`: what it is, never the key."""
    expiry = api_key.expiry_date.isoformat() if api_key.expiry_date is not None else None
    return {
        "brand_ids": [api_key.brand_id],
        "target": f"key {api_key.prefix} ({api_key.name})",
        "detail": {"prefix": api_key.prefix, "name": api_key.name, "role": api_key.role, "expires_at": expiry},
    }


def member_event(membership: Membership, **detail: Any) -> dict[str, Any]:
    """`brand_ids`, `target` and `detail` of an event about `membership` (its person and role, and
    `detail`, e.g. the role it had)."""
    username = membership.user.get_username()
    return {
        "brand_ids": [membership.brand_id],
        "target": f"member {username}",
        "detail": {"username": username, "role": membership.role, **detail},
    }
