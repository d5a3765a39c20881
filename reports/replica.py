"""Which database a report's shard reads: the streaming replica (`REPORTS_DATABASE_URL`) once
it has replayed past the report's WAL position, else the primary.

A report records the primary's WAL position (`Report.wal_lsn`, `primary_position`) when it is
planned, right after its data cutoff (`stores.staging.polls_received_cutoff`): every poll
stamped at or before the cutoff is committed by then, so its commit lies before that
position in the primary's WAL. A replica that has replayed past it (`pg_last_wal_replay_lsn()`)
holds every poll the report reads. Each shard asks (`shard_reads`): the replica if it is
there within `REPLICA_MAX_WAIT_SECONDS`, else the primary (logged and counted:
`loopmonitor_report_shard_reads`). A replica that does not answer is the primary's turn,
never the report's failure.

The choice is made here, once per shard, and nowhere else: `selectors` reads through
`connection` (this module's), which is the chosen database's connection inside
`reading_from(alias)` and the default one everywhere else, and the `ReportReadsRouter` sends
the ORM's reads there too. Everything a shard reads (stores, hours, special days, polls,
older polls) comes from one database. The choice follows the context (`contextvars`): work
handed to another thread reads the primary unless run in a copy of the context.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from loopmonitor.observability import metrics

log = logging.getLogger(__name__)

# The alias of the replica in settings.DATABASES (present only when REPORTS_DATABASE_URL is set).
REPLICA_ALIAS = "reports"
# What a shard and a report record as the database they read (Report.read_from).
PRIMARY, REPLICA = "primary", "replica"
# Seconds between two looks at the replica's replay position while waiting for it.
_POLL_SECONDS = 0.05

_reading: contextvars.ContextVar[str] = contextvars.ContextVar("loopmonitor_reads_alias", default=DEFAULT_DB_ALIAS)


def configured() -> bool:
    """A replica is configured (REPORTS_DATABASE_URL)."""
    return REPLICA_ALIAS in settings.DATABASES


class _ReadConnection:
    """The connection of the database the current context reads (`reading_from`): the default
    one outside it. Stands in for `django.db.connection` where a report reads."""

    def __getattr__(self, item: str):
        return getattr(connections[_reading.get()], item)


connection = _ReadConnection()


@contextlib.contextmanager
def reading_from(alias: str) -> Iterator[None]:
    """Reads in this context (raw `connection` and the ORM's) go to the database `alias`."""
    token = _reading.set(alias)
    try:
        yield
    finally:
        _reading.reset(token)


class ReportReadsRouter:
    """The ORM's reads inside `reading_from` go to its database; nothing ever migrates the replica
    (it is read-only, and a copy of the primary's schema)."""

    def db_for_read(self, model, **hints) -> str | None:
        alias = _reading.get()
        return None if alias == DEFAULT_DB_ALIAS else alias

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        return False if db == REPLICA_ALIAS else None


def primary_position() -> str | None:
    """The primary's WAL position now (`pg_current_wal_lsn()`, as text "16/B374D848"); None on
    SQLite, or on a primary that is itself in recovery (no position to hand out)."""
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor != "postgresql":
        return None
    with primary.cursor() as cursor:
        cursor.execute("SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END")
        return cursor.fetchone()[0]


# The replica's position: what a standby has replayed; a database that is no standby (the
# primary itself, or a promoted replica) has everything it wrote.
_REPLICA_PAST = (
    "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END >= %s::pg_lsn"
)


def replica_caught_up(position: str, *, max_wait: float) -> bool:
    """Whether the replica has replayed past `position`, waiting up to `max_wait` seconds for it.

    Raises DatabaseError if the replica does not answer (its connection is then closed, so that
    the next look connects again)."""
    replica = connections[REPLICA_ALIAS]
    deadline = time.monotonic() + max_wait
    try:
        with replica.cursor() as cursor:
            while True:
                cursor.execute(_REPLICA_PAST, [position])
                if cursor.fetchone()[0]:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(min(_POLL_SECONDS, max(deadline - time.monotonic(), 0)))
    except DatabaseError:
        with contextlib.suppress(Exception):
            replica.close()
        raise


def read_alias(position: str, *, label: str = "") -> tuple[str, str]:
    """(alias, PRIMARY or REPLICA) a shard whose report is at WAL `position` reads: the replica
    once it has replayed past `position` (waiting up to REPLICA_MAX_WAIT_SECONDS), else the primary.
    `label` names the shard in the log."""
    if not configured():
        return DEFAULT_DB_ALIAS, PRIMARY
    if not position:  # planned before positions were recorded, or on a primary in recovery
        log.warning("%s has no WAL position: reading the primary", label)
        metrics.report_shard_read(database=PRIMARY, reason="no_position", wait_seconds=0.0)
        return DEFAULT_DB_ALIAS, PRIMARY
    max_wait = float(settings.REPLICA_MAX_WAIT_SECONDS)
    started = time.monotonic()
    try:
        caught_up = replica_caught_up(position, max_wait=max_wait)
    except DatabaseError as exc:
        log.warning("%s: the replica does not answer (%s): reading the primary", label, str(exc).strip())
        metrics.report_shard_read(database=PRIMARY, reason="unavailable", wait_seconds=time.monotonic() - started)
        return DEFAULT_DB_ALIAS, PRIMARY
    waited = time.monotonic() - started
    if not caught_up:
        log.warning(
            "%s: the replica had not replayed past %s after %.1f s (REPLICA_MAX_WAIT_SECONDS): reading the primary",
            label,
            position,
            waited,
        )
        metrics.report_shard_read(database=PRIMARY, reason="lagging", wait_seconds=waited)
        return DEFAULT_DB_ALIAS, PRIMARY
    metrics.report_shard_read(database=REPLICA, reason="caught_up", wait_seconds=waited)
    return REPLICA_ALIAS, REPLICA


@contextlib.contextmanager
def shard_reads(position: str, *, label: str = "") -> Iterator[str]:
    """Run a shard's reads on the database `read_alias` chooses; yields PRIMARY or REPLICA."""
    alias, name = read_alias(position, label=label)
    with reading_from(alias):
        yield name


def read_from_of(shards: Iterable[str]) -> str:
    """What a report read, from what its shards read: "replica", "primary", "replica and primary"
    (some shards each), "" (none recorded)."""
    names = set(shards) - {""}
    return " and ".join(n for n in (REPLICA, PRIMARY) if n in names)
