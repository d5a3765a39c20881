"""The poll table's months, and poll retention (README "Retention of polls").

On PostgreSQL `stores_poll` is partitioned by range of `observed_at_utc`, one partition a
calendar month in UTC (`stores_poll_p202301` holds [2023-01-01, 2023-02-01)), plus a DEFAULT
partition (`stores_poll_default`) that takes a row of any month without its own partition, so
an insert never fails for want of one. Migration 0006 moved the plain table into that layout.

- Loads (`stores.merges.polls_merge`, the held first load, POST /api/polls) create the months
  of the rows they insert before inserting them (`partitions_ensure`), under the loads lock.
- Beat's `polls-retention` entry (and `manage.py polls_retention`) creates the current and the
  next MONTHS_AHEAD months, moves rows that reached the default partition (a row saved by the
  admin or the ORM) into their month's partition, and drops the months past retention.
- Retention: polls older than POLLS_RETENTION_DAYS days before the *horizon's reference*, the
  latest stored poll or now, whichever is earlier, go away (`polls_horizon`). Measured from
  the latest poll so that a fleet whose polls stopped arriving (a paused integration, the
  sample data of `make run`) keeps its last weeks instead of losing them all to the clock.
  A month goes once all of it is past the horizon: its partition is dropped whole, nothing is
  deleted row by row, so up to one month more than the retention stays readable on disk.
  Rows past the horizon in the default partition are deleted. SQLite keeps one plain table
  and deletes the rows past the horizon.
- A report whose week starts before the horizon is refused (`reports.services.as_of_problem`):
  no report reads a month that retention may have dropped.

Every change of partitions runs under the loads lock (`staging.LOADS_LOCK_KEY`), so it never
races a load, and in the caller's transaction: a failed load leaves no month behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from stores.models import Poll
from stores.staging import LOADS_LOCK_KEY

log = logging.getLogger(__name__)

PARENT = "stores_poll"
DEFAULT = "stores_poll_default"
# The months beat keeps ready ahead of the current one, so live polls never meet a missing month.
MONTHS_AHEAD = 2
# SQLite's retention deletes this many rows per statement (short write locks).
SQLITE_BATCH = 50_000
_NAME = re.compile(r"^stores_poll_p(\d{4})(\d{2})$")


def month_of(instant: dt.datetime) -> dt.date:
    """The first day of `instant`'s calendar month in UTC."""
    utc = instant.astimezone(dt.UTC)
    return dt.date(utc.year, utc.month, 1)


def month_next(month: dt.date, months: int = 1) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_name(month: dt.date) -> str:
    return f"stores_poll_p{month.year:04d}{month.month:02d}"


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) in UTC."""
    following = month_next(month)
    return (
        dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC),
        dt.datetime(following.year, following.month, 1, tzinfo=dt.UTC),
    )


def partitioned() -> bool:
    """True when stores_poll is a partitioned table (PostgreSQL after migration 0006)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def months_present() -> list[dt.date]:
    """The months that have a partition of their own, in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s)",
            [PARENT],
        )
        names = [name for (name,) in cursor.fetchall()]
    months = []
    for name in names:
        if match := _NAME.match(name):
            months.append(dt.date(int(match[1]), int(match[2]), 1))
    return sorted(months)


def _loads_lock(cursor) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOADS_LOCK_KEY])


def partitions_ensure(months: Iterable[dt.date]) -> list[str]:
    """Give each of `months` its partition if it has none yet; return the names created.

    Runs in the caller's transaction (a savepoint inside it), under the loads lock. A month whose
    rows went to the default partition meanwhile gets them moved into its own: the new partition
    is made empty beside the table, filled from the default partition, and then attached, which
    locks out writers for a moment but never readers (ATTACH PARTITION: SHARE UPDATE EXCLUSIVE).
    No-op (returns []) when stores_poll is not partitioned.
    """
    wanted = sorted(set(months))
    if not wanted or not partitioned():
        return []
    names = [month_name(month) for month in wanted]
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NULL", [names])
        missing = {name for (name,) in cursor.fetchall()}
    if not missing:
        return []
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        _loads_lock(cursor)
        for month in wanted:
            name = month_name(month)
            if name not in missing:
                continue
            cursor.execute("SELECT to_regclass(%s) IS NULL", [name])
            if not cursor.fetchone()[0]:
                continue  # created meanwhile by a load that held the lock before us
            _partition_attach(cursor, month)
            created.append(name)
    if created:
        log.info("created poll partitions %s", ", ".join(created))
    return created


def _partition_attach(cursor, month: dt.date) -> None:
    name = month_name(month)
    lo, hi = month_bounds(month)
    quote = connection.ops.quote_name
    cursor.execute(f"CREATE TABLE {quote(name)} (LIKE {PARENT} INCLUDING DEFAULTS)")
    if _default_exists(cursor):
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE observed_at_utc >= %s AND observed_at_utc < %s RETURNING *)"
            f" INSERT INTO {quote(name)} SELECT * FROM moved",
            [lo, hi],
        )
        if cursor.rowcount:
            log.info("moved %d poll(s) from %s into %s", cursor.rowcount, DEFAULT, name)
    cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {quote(name)} FOR VALUES FROM (%s) TO (%s)", [lo, hi])


def _default_exists(cursor) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [DEFAULT])
    return bool(cursor.fetchone()[0])


def months_of_range(first: dt.datetime | None, last: dt.datetime | None) -> list[dt.date]:
    """Every month from `first`'s to `last`'s (none when either is None)."""
    if first is None or last is None:
        return []
    months, month, end = [], month_of(first), month_of(last)
    while month <= end:
        months.append(month)
        month = month_next(month)
    return months


# --- Retention ------------------------------------------------------------------------


def polls_horizon(*, days: int | None = None, now: dt.datetime | None = None) -> dt.datetime | None:
    """The instant before which polls are past retention: `days` (POLLS_RETENTION_DAYS) before
    the latest stored poll or `now`, whichever is earlier; None when no poll is stored."""
    days = settings.POLLS_RETENTION_DAYS if days is None else days
    now = now or timezone.now()
    latest = Poll.objects.aggregate(latest=Max("observed_at_utc"))["latest"]
    if latest is None:
        return None
    return min(latest, now) - dt.timedelta(days=days)


@dataclass
class PollsRetentionResult:
    """What one run did (with `dry_run`: would do)."""

    horizon: dt.datetime | None
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    polls: int = 0  # the rows the dropped partitions held, plus the rows deleted one by one

    def summary(self) -> str:
        if self.horizon is None:
            return "no polls stored: nothing to delete" + (
                f"; created partition(s) {', '.join(self.created)}" if self.created else ""
            )
        verb = "would delete" if self.dry_run else "deleted"
        parts = [f"{verb} {self.polls} poll(s) observed before {self.horizon.isoformat()}"]
        if self.dropped:
            parts.append(f"{'would drop' if self.dry_run else 'dropped'} partition(s) {', '.join(self.dropped)}")
        if self.created:
            parts.append(f"{'would create' if self.dry_run else 'created'} partition(s) {', '.join(self.created)}")
        return "; ".join(parts)


def polls_retention(*, days: int, now: dt.datetime | None = None, dry_run: bool = False) -> PollsRetentionResult:
    """Keep the poll table to its retention: on PostgreSQL create the months ahead, move the
    rows of the default partition into their months, drop every month wholly before the
    horizon and delete the default partition's rows before it; on SQLite delete the rows
    before the horizon. With `dry_run`, count the same and change nothing."""
    if days < 1:
        raise ValueError(f"days must be 1 or more, not {days}")
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                _loads_lock(cursor)
        horizon = polls_horizon(days=days, now=now)
        result = PollsRetentionResult(horizon=horizon, dry_run=dry_run)
        if partitioned():
            _partitioned_retention(result, now=now)
        elif horizon is not None:
            result.polls = _rows_delete(horizon, dry_run=dry_run)
    log.info("polls retention: %s", result.summary())
    return result


def _partitioned_retention(result: PollsRetentionResult, *, now: dt.datetime) -> None:
    horizon = result.horizon
    with connection.cursor() as cursor:
        # The months ahead of the clock (and of the latest poll, for a fleet ahead of it), and
        # the months of the rows sitting in the default partition.
        months = set(months_of_range(now, now + dt.timedelta(days=31 * MONTHS_AHEAD)))
        if _default_exists(cursor):
            cursor.execute(
                f"SELECT DISTINCT date_trunc('month', observed_at_utc AT TIME ZONE 'UTC')::date FROM {DEFAULT}"
                + (" WHERE observed_at_utc >= %s" if horizon is not None else ""),
                [horizon] if horizon is not None else [],
            )
            months |= {month for (month,) in cursor.fetchall()}
        present = set(months_present())
        if result.dry_run:
            result.created = [month_name(m) for m in sorted(months - present)]
        else:
            result.created = partitions_ensure(months)
        if horizon is None:
            return
        expired = [m for m in sorted(present) if month_bounds(m)[1] <= horizon]
        if expired and not result.dry_run:
            # A table with deferred foreign-key checks still pending in this transaction cannot
            # be dropped (only when the caller wrote polls in it: beat's run never has): check
            # them now, and defer them again after (every foreign key here is INITIALLY DEFERRED).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for month in expired:
            name = connection.ops.quote_name(month_name(month))
            cursor.execute(f"SELECT count(*) FROM {name}")
            result.polls += cursor.fetchone()[0]
            result.dropped.append(month_name(month))
            if not result.dry_run:
                cursor.execute(f"DROP TABLE {name}")
        if _default_exists(cursor):
            if result.dry_run:
                cursor.execute(f"SELECT count(*) FROM {DEFAULT} WHERE observed_at_utc < %s", [horizon])
                result.polls += cursor.fetchone()[0]
            else:
                cursor.execute(f"DELETE FROM {DEFAULT} WHERE observed_at_utc < %s", [horizon])
                result.polls += cursor.rowcount


def _rows_delete(horizon: dt.datetime, *, dry_run: bool) -> int:
    """Delete the polls observed before `horizon` from the plain table (SQLite), in batches."""
    expired = Poll.objects.filter(observed_at_utc__lt=horizon)
    if dry_run:
        return expired.count()
    deleted = 0
    while pks := list(expired.values_list("pk", flat=True)[:SQLITE_BATCH]):
        deleted += Poll.objects.filter(pk__in=pks).delete()[0]
    return deleted
