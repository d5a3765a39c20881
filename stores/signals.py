"""What the stores app announces about its writes, for apps it must not import (alerts).

`polls_stored` is sent once a load or a pushed batch has committed, with `store_pks`: the
primary keys of the stores the load named (a list), or None when it may have changed any
store's polls (a `replace` load deletes the polls its file lacks, of every store). Its
receivers run after the commit, so they read what was stored; a receiver that fails is
logged, never the writer's failure: its data is stored already.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

polls_stored = Signal()


def polls_stored_on_commit(store_pks: list[int] | None) -> None:
    """Send `polls_stored` with `store_pks` when the current transaction commits (at once outside one)."""

    def send() -> None:
        for receiver, outcome in polls_stored.send_robust(sender=None, store_pks=store_pks):
            if isinstance(outcome, Exception):
                log.error("polls_stored receiver %r failed", receiver, exc_info=outcome)

    transaction.on_commit(send)
