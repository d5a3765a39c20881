"""Report use cases: create, generate (plan shards), compute a shard, merge, fail.

The flow of one report:

    report_create   -> Report(Pending), then report_generate_task on the queue
    report_generate -> the data cutoff, ReportShard rows (slices of stores), status
                       Running, then queues one report_shard_task per shard (a Celery group)
    report_shard_run-> engine over the shard's stores; its CSV rows are stored
                       on the shard and the report's shard counter goes up
    report_finalize -> (by whichever shard finishes last) merges the shards'
                       rows into one CSV file, status Complete

The services queue the work; the tasks (reports/tasks.py) only fetch by id,
call one service and adapt to the queue (acknowledgement, retries).

Every step may run twice (a worker killed after doing the work but before
acknowledging its message): planning happens once under a row lock, a shard
is counted only when its `done` flag flips, and a finished report is left
alone. The progress of a report is shards_done / shards_total.

One report, one moment: the report's `data_cutoff` is fixed once, at planning,
and every shard reads only the polls received at or before it (`selectors`), so
polls arriving while the shards run land in none of them, whichever shard runs
when. Given again as `received_before`, the cutoff reads the same polls later
(the CSV's bytes again, unless stored polls were since changed or deleted:
Poll.received_at).
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from brands.access import Caller
from brands.models import Brand, Role
from brands.selectors import brand_visible_by_slug
from loopmonitor.observability import metrics
from reports import engine, fleet, replica, selectors, signals
from reports.fleet import CSV_HEADER, to_us
from reports.models import Report, ReportShard, scope_key_of
from reports.status_rows import status_rows_text
from stores import partitions, staging

log = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    """The task queue could not take the work: a new report was marked Failed (nothing left
    Pending), a planned report's shards were left to `reports_reap_stale`. `report_id`: the
    report it concerns."""

    def __init__(self, message: str, *, report_id=None):
        super().__init__(message)
        self.report_id = report_id


class UnknownStores(ValueError):
    """Store ids that name no store: `store_ids` lists the first LISTED of them, `count` says how many.

    Bounded, since the ids come from a request: 100,000 unknown ids are an error of a few kB.
    """

    LISTED = 100

    def __init__(self, store_ids: list[str]):
        self.count = len(store_ids)
        self.store_ids = store_ids[: self.LISTED]
        more = f" (the first {self.LISTED} of {self.count})" if self.count > self.LISTED else ""
        super().__init__(f"unknown store_ids: {', '.join(self.store_ids)}{more}")


class BrandChoiceError(ValueError):
    """The brand a trigger names is none the caller may report on, or it names none and must."""


def report_brand_choose(*, caller: Caller, slug: str | None) -> int | None:
    """The brand (its id) a report triggered by `caller` is of: the one `slug` names, else the
    caller's only brand where it is operator or higher; None (the whole fleet) for platform staff.

    Raises BrandChoiceError for a slug of no brand where the caller is operator, with the same
    message whether that brand does not exist or is another's (or one it only views), and for
    no slug from a caller that is operator of several brands.
    """
    if slug is not None:
        try:
            return brand_visible_by_slug(caller, slug=slug, role=Role.OPERATOR).pk
        except Brand.DoesNotExist:
            raise BrandChoiceError(f"unknown brand {slug!r}") from None
    if caller.is_staff:
        return None
    if (brand_id := caller.only_brand(Role.OPERATOR)) is not None:
        return brand_id
    if caller.brand_ids(Role.OPERATOR):
        raise BrandChoiceError("required: you are an operator of several brands; give the slug of the one to report on")
    raise BrandChoiceError("you are an operator of no brand, so you may not trigger reports")


# A report's instant T must lie in the past (docs/numbers.md rule 2: a report as of T never
# changes as new polls arrive, which a T in the future could not promise), allowing for
# clocks a few minutes apart, and after the engine's epoch-based arithmetic has room.
AS_OF_EARLIEST = dt.datetime(1971, 1, 1, tzinfo=dt.UTC)
AS_OF_CLOCK_SKEW = dt.timedelta(minutes=5)
# The longest window a report reads back from as_of (rule 1: the last week).
REPORT_WEEK = dt.timedelta(days=7)


def as_of_problem(as_of: dt.datetime) -> str | None:
    """Why `as_of` cannot be a report's instant, or None if it can."""
    if as_of < AS_OF_EARLIEST:
        return f"must be after {AS_OF_EARLIEST:%Y-%m-%d}"
    if as_of > timezone.now() + AS_OF_CLOCK_SKEW:
        return "must not be in the future: a report as of a future instant would change as polls arrive"
    # No report reads polls that retention may have deleted (stores.partitions): its week,
    # (as_of - 7 days, as_of], starts at or after the horizon.
    horizon = partitions.polls_horizon()
    if horizon is not None and as_of - REPORT_WEEK < horizon:
        return (
            f"is past the polls' retention: polls are kept {settings.POLLS_RETENTION_DAYS} days "
            f"(POLLS_RETENTION_DAYS), so the earliest as_of is {(horizon + REPORT_WEEK).isoformat()}"
        )
    return None


def received_before_problem(received_before: dt.datetime) -> str | None:
    """Why `received_before` cannot be a report's data cutoff, or None if it can."""
    if received_before < AS_OF_EARLIEST:
        return f"must be after {AS_OF_EARLIEST:%Y-%m-%d}"
    if received_before > timezone.now() + AS_OF_CLOCK_SKEW:
        return "must not be in the future: polls not received yet cannot be read"
    return None


# Rounds of "look for the report in flight, else insert it" before giving up: a round is
# lost only when the report in flight finished between our failed insert and our look.
_CREATE_ROUNDS = 5


def report_create(
    *,
    as_of: dt.datetime | None = None,
    store_ids: list[str] | None = None,
    received_before: dt.datetime | None = None,
    brand_id: int | None = None,
) -> Report:
    """A new Pending report as of `as_of` (default per docs/numbers.md rule 2), queued for the workers.

    `brand_id`: a report of that brand's stores only (`store_ids` then name some of them:
    another brand's store is as unknown as one that does not exist), its default as_of the
    latest poll of those stores; None: the whole fleet's (platform staff).
    `received_before`: read only the polls received at or before it (a past report's
    `data_cutoff`, to compute it again); default: what is stored when the report is planned.
    If a report of the same as_of, scope and received_before is still Pending or Running,
    that one is returned, also to a trigger racing on another process (the database's
    `report_one_in_flight` constraint lets one of them in).
    """
    from reports.tasks import report_generate_task

    if store_ids is not None:
        store_ids = sorted(set(store_ids))
        _check_store_ids(store_ids, brand_id=brand_id)
    if received_before is not None and (problem := received_before_problem(received_before)):
        raise ValueError(f"received_before {received_before.isoformat()} {problem}")
    as_of = as_of or selectors.default_as_of(received_before=received_before, brand_id=brand_id)
    if problem := as_of_problem(as_of):
        raise ValueError(f"as_of {as_of.isoformat()} {problem}")
    same = Report.objects.filter(
        as_of=as_of,
        scope_key=scope_key_of(store_ids, brand_id),
        received_before=received_before,
        status__in=Report.IN_FLIGHT,
    )
    for _ in range(_CREATE_ROUNDS):
        # The same report already on its way: hand out its id instead of computing it twice.
        if report := same.order_by("created_at").first():
            return report
        try:
            with transaction.atomic():  # a savepoint: a caller's transaction survives the refusal
                report = Report.objects.create(
                    as_of=as_of,
                    brand_id=brand_id,
                    store_ids=store_ids,
                    received_before=received_before,
                    tzdata_version=engine.tz_database_version(),
                    code_version=settings.CODE_VERSION,
                )
        except IntegrityError:
            continue  # another trigger inserted it first: the next round returns it
        break
    else:
        raise RuntimeError(f"could not create or find the report as of {as_of.isoformat()} in flight")
    # Sent now rather than on commit: the row above is already committed (autocommit, no
    # transaction around it), and the caller's 503 needs the broker's answer here and now.
    try:
        report_generate_task.apply_async(args=(str(report.id),), retry=False)
    except Exception as exc:  # kombu raises many kinds: all mean "not queued"
        report_fail(report_id=report.id, reason=f"The task queue is unreachable: {exc}")
        raise BrokerUnavailable(str(exc), report_id=report.id) from exc
    return report


def _check_store_ids(store_ids: list[str], *, brand_id: int | None = None) -> None:
    """Raises UnknownStores naming the ids that are no store (of brand `brand_id`, when given)."""
    from stores.models import Store

    stores = Store.objects.filter(store_id__in=store_ids)
    if brand_id is not None:
        stores = stores.filter(brand_id=brand_id)
    known = set(stores.values_list("store_id", flat=True))
    missing = [s for s in store_ids if s not in known]
    if missing:
        raise UnknownStores(missing)


def report_get(*, report_id) -> Report:
    return Report.objects.get(pk=report_id)


def report_generate(*, report: Report) -> list[int]:
    """Plan the report's shards (once), mark it Running and queue its unfinished shards.

    Returns the numbers of the shards queued; none for a finished report, and none
    once every shard is done (the report is then merged here). Raises BrokerUnavailable
    if the queue cannot take the shards: they are planned and committed, and
    `reports_reap_stale` queues them again once the report stalls.
    """
    # The cutoff is read before the planning transaction, in its own: it may wait for a
    # load in flight to commit, and the planning then does not hold the report's row lock
    # meanwhile, nor the loads lock afterwards. A cutoff read earlier than it is used is
    # still safe: no load can later commit a poll stamped at or before it.
    cutoff = staging.polls_received_cutoff() if report.status == Report.Status.PENDING else None
    # durable: the shards must be committed before their tasks are queued, or a worker
    # could look for a shard that it cannot see yet; so this never runs inside a caller's
    # transaction (the same guarantee as on_commit, but checked).
    with transaction.atomic(durable=True):
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.status in (Report.Status.COMPLETE, Report.Status.FAILED):
            return []
        if report.status == Report.Status.PENDING:
            report.data_cutoff = data_cutoff(received_before=report.received_before, cutoff=cutoff)
            # After the cutoff: every poll the report reads was committed before this position.
            report.wal_lsn = replica.primary_position() or ""
            shards = selectors.report_shards(
                as_of=report.as_of,
                store_ids=report.store_ids,
                shard_size=settings.REPORT_SHARD_STORES,
                min_shards=settings.REPORT_MIN_SHARDS,
                received_before=report.data_cutoff,
                brand_id=report.brand_id,
            )
            ReportShard.objects.bulk_create(
                ReportShard(report=report, number=i, store_pk_first=s.pk_first, store_pk_last=s.pk_last)
                for i, s in enumerate(shards)
            )
            report.status = Report.Status.RUNNING
            report.started_at = timezone.now()
            report.shards_total = len(shards)
            report.save(update_fields=["status", "started_at", "shards_total", "data_cutoff", "wal_lsn"])
        pending = list(report.shards.filter(done=False).values_list("number", flat=True))
    if not pending:
        report_finalize(report_id=report.pk)
        return []
    report_shards_enqueue(report_id=report.pk, numbers=pending)
    return pending


def data_cutoff(*, received_before: dt.datetime | None, cutoff: dt.datetime | None = None) -> dt.datetime:
    """The instant a report reads the polls received up to (UTC): `received_before` if given,
    else a fresh `staging.polls_received_cutoff()` (or `cutoff`, one read already).

    A `received_before` later than the cutoff (allowed for clock skew, or one in the near
    future) is cut back to it: polls stamped after it may still be on their way in, and a
    shard reading them would read a different moment than a shard that ran earlier.
    """
    cutoff = cutoff or staging.polls_received_cutoff()
    return cutoff if received_before is None else min(received_before, cutoff)


def report_shards_enqueue(*, report_id, numbers: list[int]) -> None:
    """Queue one report_shard_task per shard number, as one Celery group.

    Raises BrokerUnavailable if the queue cannot take them.
    """
    from celery import group

    from reports.tasks import report_shard_task

    try:
        group(report_shard_task.s(str(report_id), n) for n in numbers).apply_async()
    except Exception as exc:  # kombu raises many kinds: all mean "not queued"
        raise BrokerUnavailable(str(exc)) from exc


def report_shard_get(*, report_id, number: int) -> ReportShard:
    """Shard `number` of the report, its report fetched with it."""
    return ReportShard.objects.select_related("report").get(report_id=report_id, number=number)


def report_shard_run(*, shard: ReportShard) -> None:
    """Compute one shard and store its rows; the last shard to finish merges the report."""
    report = shard.report
    if report.status != Report.Status.RUNNING:
        return
    if not shard.done:
        ReportShard.objects.filter(pk=shard.pk).update(attempts=F("attempts") + 1)
        with replica.shard_reads(report.wal_lsn, label=f"report {report.pk} shard {shard.number}") as read_from:
            text, rows, polls, status = shard_csv_compute(
                as_of=report.as_of,
                pk_first=shard.store_pk_first,
                pk_last=shard.store_pk_last,
                store_ids=report.store_ids,
                received_before=report.data_cutoff,
                brand_id=report.brand_id,
                status=True,
            )
        with transaction.atomic():
            flipped = ReportShard.objects.filter(pk=shard.pk, done=False).update(
                done=True, rows_csv=text, row_count=rows, polls_read=polls, status_rows=status, read_from=read_from
            )
            if flipped:
                Report.objects.filter(pk=report.pk).update(shards_done=F("shards_done") + 1)
    if not ReportShard.objects.filter(report_id=report.pk, done=False).exists():
        report_finalize(report_id=report.pk)


def shard_csv_compute(
    *,
    as_of: dt.datetime,
    pk_first: int,
    pk_last: int,
    store_ids: list[str] | None,
    received_before: dt.datetime | None = None,
    brand_id: int | None = None,
    status: bool = False,
) -> tuple[str, int, int, str]:
    """The CSV rows (no header, sorted by store_id: rule 1) of one slice of stores (of brand
    `brand_id` only, when given), with row and poll counts, from the polls received at or before
    `received_before` (None: every stored poll); with `status`, also each store's status at T
    (`reports.status_rows`, what the fleet overview shows), else "" in its place."""
    fleet = selectors.fleet_input(
        as_of=as_of,
        pk_first=pk_first,
        pk_last=pk_last,
        store_ids=store_ids,
        received_before=received_before,
        brand_id=brand_id,
        overlap=True,
    )
    result = engine.compute_fleet(fleet, as_of_us=to_us(as_of), status=status)
    out = io.StringIO()
    rows = engine.write_csv(result, out, header=False)
    status_text = "" if result.status is None else status_rows_text(result.store_ids, result.status)
    return out.getvalue(), rows, result.polls_read, status_text


def shard_rows_merge(parts: Iterable[str]) -> Iterator[str]:
    """One stream of CSV lines sorted by store_id, from shards that are each sorted (rule 1)."""
    return heapq.merge(*(part.splitlines(keepends=True) for part in parts), key=_store_id_of_line)


def _store_id_of_line(line: str) -> str:
    if line.startswith('"'):
        import csv

        return next(csv.reader([line]))[0]
    return line.split(",", 1)[0]


def report_csv_merge(parts: Iterable[str], out: TextIO) -> None:
    """Write a report's CSV to `out`: the header, then the shards' rows (`parts`, each sorted) merged by store_id."""
    out.write(CSV_HEADER + "\n")
    out.writelines(shard_rows_merge(parts))


def report_write_csv(
    *,
    as_of: dt.datetime | None,
    out: TextIO,
    store_ids: list[str] | None = None,
    received_before: dt.datetime | None = None,
    brand_id: int | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """Compute a report in this process and write its CSV to `out` (the `report` command).

    Same shards, same engine, same merge and the same one data cutoff for every shard
    (`received_before`, default: now, `data_cutoff`) as the workers, so the bytes are
    those of the API's download (of brand `brand_id`'s report, when given). Returns (rows, polls read);
    `on_warning` gets each of the report's warnings (`report_warnings`), as a worker stores them.
    """
    if store_ids is not None:
        store_ids = sorted(set(store_ids))
        _check_store_ids(store_ids, brand_id=brand_id)
    cutoff = data_cutoff(received_before=received_before)
    as_of = as_of or selectors.default_as_of(received_before=cutoff, brand_id=brand_id)
    shards = selectors.report_shards(
        as_of=as_of,
        store_ids=store_ids,
        shard_size=settings.REPORT_SHARD_STORES,
        received_before=cutoff,
        brand_id=brand_id,
    )
    parts, rows, polls = [], 0, 0
    for s in shards:
        text, n, p, _ = shard_csv_compute(
            as_of=as_of,
            pk_first=s.pk_first,
            pk_last=s.pk_last,
            store_ids=store_ids,
            received_before=cutoff,
            brand_id=brand_id,
        )
        parts.append(text)
        rows, polls = rows + n, polls + p
    report_csv_merge(parts, out)
    if on_warning is not None:
        for warning in report_warnings(
            as_of=as_of, polls_read=polls, store_ids=store_ids, brand_id=brand_id, received_before=cutoff
        ):
            on_warning(warning)
    return rows, polls


def report_warnings(
    *,
    as_of: dt.datetime,
    polls_read: int,
    store_ids: list[str] | None = None,
    brand_id: int | None = None,
    received_before: dt.datetime | None = None,
) -> list[str]:
    """What the reader of a report should know before trusting it, in words: none when it read
    polls; else why it read none (its stores have no poll at all, its as_of is before every poll,
    or its windows lie after the last one), and what its numbers then mean (docs/numbers.md rule 7)."""
    if polls_read:
        return []
    span = selectors.polls_span(store_ids=store_ids, brand_id=brand_id, received_before=received_before)
    if span.first is None or span.last is None:
        return ["read no polls: the report's stores have none, so all their open time counts as down (rule 7)"]
    if as_of < span.first:
        return [
            f"read no polls: as_of {_instant_text(as_of)} is before every poll (the first is "
            f"{_instant_text(span.first)}), so all open time counts as down (rules 2, 7)"
        ]
    return [
        f"read no polls in the {LOOKBACK_DAYS} days before as_of {_instant_text(as_of)}: the last poll is "
        f"{_instant_text(span.last)}, and each store's latest status before as_of holds since (rule 7)"
    ]


LOOKBACK_DAYS = fleet.LOOKBACK_US // fleet.DAY_US  # the polls a report reads in bulk (fleet.poll_range)


def _instant_text(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def report_finalize(*, report_id) -> None:
    """Merge the shards' rows into the report's CSV file and mark it Complete (once).

    The file is written under a temporary name in its own folder and moved into place
    (`os.replace`, atomic within one file system) only once complete and on disk, in the
    transaction that marks the report Complete. Every failure (a full disk included) removes
    what it wrote: no partial temp file, no truncated CSV, and nothing attached.
    """
    report = Report.objects.get(pk=report_id)
    if report.status != Report.Status.RUNNING:
        return
    parts = list(report.shards.order_by("number").values_list("rows_csv", flat=True))
    name = report.file.field.generate_filename(report, f"{report.id}.csv")
    final = Path(report.file.storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _csv_temp_write(parts, folder=final.parent)
    moved = False
    try:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            if report.status != Report.Status.RUNNING:
                return
            os.replace(tmp, final)
            moved = True
            report.file.name = name
            totals = report.shards.values_list("row_count", "polls_read")
            report.row_count = sum(r for r, _ in totals)
            report.polls_read = sum(p for _, p in totals)
            report.read_from = replica.read_from_of(report.shards.values_list("read_from", flat=True))
            report.warnings = report_warnings(
                as_of=report.as_of,
                polls_read=report.polls_read,
                store_ids=report.store_ids,
                brand_id=report.brand_id,
                received_before=report.data_cutoff,
            )
            report.status = Report.Status.COMPLETE
            report.finished_at = timezone.now()
            report.save(
                update_fields=["file", "row_count", "polls_read", "read_from", "warnings", "status", "finished_at"]
            )
            # The rows are in the file now; the statuses stay, for the overview (reports/overview.py).
            report.shards.update(rows_csv="")
            transaction.on_commit(lambda: report_finished_send(report_id=report_id))
    except BaseException:
        if moved:  # the report is not Complete after all: its file goes too
            final.unlink(missing_ok=True)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _csv_temp_write(parts: list[str], *, folder: Path) -> Path:
    """The report's CSV written to a new temporary file in `folder`, flushed to disk; on any
    failure (ENOSPC...) the file is removed and the error raised."""
    fd, name = tempfile.mkstemp(prefix=".", suffix=".csv.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            report_csv_merge(parts, out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def reports_reap_stale(*, stall_seconds: float, max_attempts: int) -> dict[str, int]:
    """Rescue reports whose work was lost: no shard has moved for `stall_seconds`.

    A worker killed mid-shard loses its task on a broker that does not
    redeliver (the embedded filesystem broker, ../shared/QUEUE-NOTES.md), and
    even Redis redelivers only after its visibility timeout. So, run
    periodically by Celery beat: a stalled Pending report is queued again; a
    stalled Running report has its unfinished shards queued again, or is
    marked Failed once a shard has been tried `max_attempts` times. Shards are
    idempotent, so re-queueing one that was merely slow costs time only.
    Returns counts of what was done.
    """
    from reports.tasks import report_generate_task

    cutoff = timezone.now() - dt.timedelta(seconds=stall_seconds)
    done = {"requeued_reports": 0, "requeued_shards": 0, "failed": 0}
    for report in Report.objects.filter(status=Report.Status.PENDING, created_at__lt=cutoff):
        report_generate_task.apply_async(args=(str(report.id),))
        done["requeued_reports"] += 1
    for report in Report.objects.filter(status=Report.Status.RUNNING, started_at__lt=cutoff):
        shards = list(report.shards.all())
        if any(s.updated_at >= cutoff for s in shards):
            continue  # still moving
        stuck = [s for s in shards if not s.done]
        if not stuck:
            report_finalize(report_id=report.id)
            continue
        worn = [s for s in stuck if s.attempts >= max_attempts]
        if worn:
            report_fail(
                report_id=report.id,
                reason=f"Shard {worn[0].number} did not finish after {worn[0].attempts} attempts "
                f"(a worker died or the shard keeps failing); trigger the report again.",
            )
            done["failed"] += 1
            continue
        # Touch the shards so that the next sweep waits a full stall period again.
        ReportShard.objects.filter(pk__in=[s.pk for s in stuck]).update(updated_at=timezone.now())
        report_shards_enqueue(report_id=report.id, numbers=[s.number for s in stuck])
        done["requeued_shards"] += len(stuck)
    return done


def report_fail(*, report_id, reason: str) -> None:
    """Mark a report Failed with a readable reason (never a Complete one; a Failed one gets the
    new reason). `report_finished` goes out once, when the report first becomes Failed."""
    log.warning("report %s failed: %s", report_id, reason)
    fields = {"status": Report.Status.FAILED, "error": reason[:2000], "finished_at": timezone.now()}
    with transaction.atomic():
        # Two failures at once: the second waits for the first's row lock, then finds the
        # report Failed already, so only one of them sends the signal.
        newly = Report.objects.filter(pk=report_id).filter(status__in=Report.IN_FLIGHT).update(**fields)
        if newly:
            metrics.report_failed()
            transaction.on_commit(lambda: report_finished_send(report_id=report_id))
        else:
            Report.objects.filter(pk=report_id, status=Report.Status.FAILED).update(**fields)


def report_finished_send(*, report_id) -> None:
    """Send `signals.report_finished` for the (committed, finished) report; a receiver that raises
    is logged and the others still run: a listener's failure is never the report's."""
    report = Report.objects.select_related("brand").filter(pk=report_id).first()
    if report is None:
        return
    for receiver, outcome in signals.report_finished.send_robust(sender=Report, report=report):
        if isinstance(outcome, Exception):
            log.error("report_finished receiver %r failed for report %s", receiver, report_id, exc_info=outcome)
