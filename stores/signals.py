"""What the stores app announces about its writes, for apps it must not import (alerts).

`polls_stored` is sent once a load or a pushed batch has committed, with `store_pks`: the
primary keys of the stores the load named (a list), or None when it may have changed any
store's polls (a `replace` load deletes the polls its file lacks, of every store).
`hours_changed` is sent the same way once a store's weekly version or special days changed
through the API (the periods that decide which polls are observations, rules 10 and 11).
Their receivers run after the commit, so they read what was stored; a receiver that fails
is logged, never the writer's failure: its data is stored already.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

polls_stored = Signal()
hours_changed = Signal()


def polls_stored_on_commit(store_pks: list[int] | None) -> None:
    """Send `polls_stored` with `store_pks` when the current transaction commits (at once outside one)."""
    _send_on_commit(polls_stored, "polls_stored", store_pks)


def hours_changed_on_commit(store_pks: list[int]) -> None:
    """Send `hours_changed` with `store_pks` when the current transaction commits (at once outside one)."""
    _send_on_commit(hours_changed, "hours_changed", store_pks)


def _send_on_commit(signal: Signal, name: str, store_pks: list[int] | None) -> None:
    def send() -> None:
        for receiver, outcome in signal.send_robust(sender=None, store_pks=store_pks):
            if isinstance(outcome, Exception):
                log.error("%s receiver %r failed", name, receiver, exc_info=outcome)

    transaction.on_commit(send)
