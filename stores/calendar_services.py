"""Write a store's calendar over HTTP: one weekly version, one special date, a batch of special days
(docs/numbers.md rules 10 and 11).

Each service validates everything first (with `stores.calendar_rows`, as the files are
validated) and then writes in ONE transaction, so a request is stored whole or not at
all. Writers take the loads' turn (`staging.loads_serialize`) like every load, so an
API write never interleaves with a file load's replacement of the same rows.

- `business_hours_version_replace`: the rows of one version (one `effective_from`, None
  = the undated version) become exactly the given rows; the other versions stay.
- `special_days_replace` / `special_day_delete`: the rows of one (store, date).
- `special_days_push`: a batch (JSON list or CSV text with the special_hours.csv
  header); for every (store, date) it mentions, that date's rows become the batch's
  rows for it. Unknown stores are created, as a polls batch does.

Who may write which store is `stores.ownership`'s: the one-store services take the
caller, the batch a `PushScope`.

Bad input raises `FieldError` (one named request field), `RowsInvalid` (every bad row,
by index or CSV line, and field) or `BadFile` (a CSV body that is not a special hours
CSV); an unknown store, or one the caller may not see, `Store.DoesNotExist` (except in a
batch), and one it sees without the operator role `ownership.StoreReadOnly`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from brands.access import Caller
from loopmonitor.api import unknown_fields
from stores import ownership, staging
from stores.calendar_rows import (
    FieldError,
    SpecialRow,
    WeeklyRow,
    date_parse,
    effective_from_parse,
    special_row_parse,
    special_times_parse,
    weekly_row_parse,
)
from stores.csv_rows import BadFile, RowError
from stores.models import BusinessHours, SpecialHours
from stores.ownership import EVERY_STORE, PushScope
from stores.signals import hours_changed_on_commit

SPECIAL_COLUMNS = ("store_id", "date", "start_time_local", "end_time_local")
_SPECIAL_TIMES = ("start_time_local", "end_time_local")
_WEEKLY_FIELDS = ("day_of_week", "start_time_local", "end_time_local")
_BATCH = 5_000  # rows per INSERT
_DELETE_STORES = 500  # stores per DELETE of a batch's dates


class FieldsInvalid(Exception):
    """Several fields of a request body are bad (unknown keys among them), so nothing was stored:
    `fields` says why of each, by key, and `rows` lists the bad rows met beside them."""

    def __init__(self, fields: dict[str, str], rows: list[RowError] | None = None) -> None:
        super().__init__("; ".join(f"{key}: {reason}" for key, reason in fields.items()))
        self.fields = fields
        self.rows = rows or []


class RowsInvalid(Exception):
    """Some rows of a request are bad, so nothing was stored. `errors` lists every bad row
    (`line`: the 0-based item index of a JSON list, or the CSV line; `field`: as named in the input)."""

    def __init__(self, errors: list[RowError], *, unit: str = "item") -> None:
        super().__init__(f"{len(errors)} bad row(s); nothing was stored")
        self.errors = errors
        self.unit = unit  # what `line` counts: "item" (a JSON list) or "line" (CSV)


@dataclass
class VersionReplaceResult:
    """One weekly version after `business_hours_version_replace`: its rows as stored, and
    how many rows it had before (`deleted`) and has now (`inserted`)."""

    store_id: str
    effective_from: dt.date | None
    deleted: int
    inserted: int
    rows: list[BusinessHours]
    brand_id: int | None = None  # the store's brand (None: none)


@dataclass
class SpecialDay:
    """The special-hours rows of one store on one local date (rule 11), as stored."""

    store_id: str
    date: dt.date
    rows: list[SpecialHours]
    brand_id: int | None = None  # the store's brand (None: none)

    @property
    def closed(self) -> bool:
        """True when no row has times: no period starts on the date (rule 11)."""
        return all(row.start_time_local is None for row in self.rows)


@dataclass
class SpecialPushResult:
    """What a batch did: `received` rows, `dates_replaced` distinct (store, date) pairs,
    `deleted` rows those dates had, `inserted` rows stored, `stores_touched` distinct
    stores, `stores_created` of them new; `stores_by_brand` and `rows_by_brand` split the
    stores and rows by brand (None: no brand)."""

    received: int = 0
    dates_replaced: int = 0
    deleted: int = 0
    inserted: int = 0
    stores_touched: int = 0
    stores_created: int = 0
    stores_by_brand: dict[int | None, int] = field(default_factory=dict)
    rows_by_brand: dict[int | None, int] = field(default_factory=dict)


# --- Reading request bodies ----------------------------------------------------------------


def _text(item: Mapping[str, Any], name: str, *, required: bool) -> str:
    """The JSON string at `name` ("" for a missing key or null unless `required`)."""
    raw = item.get(name)
    if raw is None:
        if required:
            raise FieldError(name, "missing")
        return ""
    if not isinstance(raw, str):
        raise FieldError(name, "not a JSON string")
    return raw


def _unknown_keys_check(item: Mapping[str, Any], known: Iterable[str]) -> None:
    # A misspelt time key would otherwise read as an empty time, i.e. a closed day. A row has one
    # error, its first; a body's fields are checked all at once (FieldsInvalid).
    for key, reason in unknown_fields(item, known).items():
        raise FieldError(key, reason)


def _items_check(items: Any, name: str) -> list[Any]:
    if not isinstance(items, list):
        raise FieldError(name, "not a JSON list")
    return items


def weekly_items_read(items: Any, *, file: str = "rows") -> tuple[list[WeeklyRow], list[RowError]]:
    """Weekly rows from a JSON list of `{"day_of_week", "start_time_local", "end_time_local"}` (all
    required), with every bad item as a RowError (0-based index, field)."""
    rows: list[WeeklyRow] = []
    errors: list[RowError] = []
    for index, item in enumerate(_items_check(items, file)):
        try:
            if not isinstance(item, dict):
                raise FieldError("item", "not a JSON object")
            _unknown_keys_check(item, _WEEKLY_FIELDS)
            day = item.get("day_of_week")
            if day is None:
                raise FieldError("day_of_week", "missing")
            rows.append(
                weekly_row_parse(
                    day,
                    _text(item, "start_time_local", required=True),
                    _text(item, "end_time_local", required=True),
                )
            )
        except FieldError as exc:
            errors.append(RowError(file, index, exc.field, exc.reason))
    return rows, errors


# What a batch reader gives: the valid rows, the line (CSV) or index (JSON) of each, and every bad row.
SpecialBatch = tuple[list[SpecialRow], list[int], list[RowError]]


def special_items_read(items: Any, *, file: str = "request") -> SpecialBatch:
    """Special rows from a JSON list of `{"store_id", "date", "start_time_local", "end_time_local"}`
    (a time missing or null reads as empty; both empty = closed), with each one's index, and
    every bad item a RowError."""
    rows: list[SpecialRow] = []
    indexes: list[int] = []
    errors: list[RowError] = []
    for index, item in enumerate(_items_check(items, "body")):
        try:
            if not isinstance(item, dict):
                raise FieldError("item", "not a JSON object")
            _unknown_keys_check(item, SPECIAL_COLUMNS)
            rows.append(
                special_row_parse(
                    _text(item, "store_id", required=True),
                    _text(item, "date", required=True),
                    _text(item, "start_time_local", required=False),
                    _text(item, "end_time_local", required=False),
                )
            )
            indexes.append(index)
        except FieldError as exc:
            errors.append(RowError(file, index, exc.field, exc.reason))
    return rows, indexes, errors


def special_csv_read(text: str, *, file: str = "request") -> SpecialBatch:
    """Special rows from CSV text with the special_hours.csv header (columns by name, any order,
    any case), with each one's physical line (the header is line 1), and every bad row. Blank
    lines are no rows. Raises BadFile when the text has no such header or is not a readable CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns = _special_header_read(reader, file)
        rows: list[SpecialRow] = []
        lines: list[int] = []
        errors: list[RowError] = []
        for line, record in _records(reader):
            cells = [record[columns[name]] if columns[name] < len(record) else "" for name in SPECIAL_COLUMNS]
            try:
                rows.append(special_row_parse(*cells))
                lines.append(line)
            except FieldError as exc:
                errors.append(RowError(file, line, exc.field, exc.reason))
    except csv.Error as exc:
        raise BadFile(file, f"not a readable CSV at line {reader.line_num} ({exc})") from None
    return rows, lines, errors


def _special_header_read(reader: Any, file: str) -> dict[str, int]:
    for record in reader:
        if any(cell.strip() for cell in record):
            break
    else:
        raise BadFile(file, "empty (no header line)")
    expected = ", ".join(SPECIAL_COLUMNS)
    columns: dict[str, int] = {}
    for index, cell in enumerate(record):
        name = cell.strip().lstrip("\ufeff").strip().lower()
        if name in SPECIAL_COLUMNS:
            if name in columns:
                raise BadFile(file, f"column {name} twice in the header")
            columns[name] = index
    missing = [name for name in SPECIAL_COLUMNS if name not in columns]
    if missing:
        raise BadFile(file, f"missing column {', '.join(missing)} in the header (expected {expected})")
    return columns


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of each non-blank record."""
    last = reader.line_num
    for record in reader:
        first, last = last + 1, reader.line_num
        if any(cell.strip() for cell in record):
            yield first, record


def special_day_items_read(body: Any) -> list[tuple[str | None, str | None]]:
    """The (start, end) times of one date's rows from a PUT body: a JSON list of
    `{"start_time_local", "end_time_local"}` (both empty or null = a closed row) or
    `{"closed": true}` (one closed row). Raises FieldError or RowsInvalid."""
    if isinstance(body, dict):
        problems = unknown_fields(body, ("closed",))
        if body.get("closed") is not True:
            problems["closed"] = 'must be true (send {"closed": true}, or a list of rows with times)'
        if problems:
            raise FieldsInvalid(problems)
        return [(None, None)]
    if not isinstance(body, list):
        raise FieldError("body", 'expected a JSON list of {"start_time_local", "end_time_local"} or {"closed": true}')
    if not body:
        raise FieldError("body", 'an empty list: send {"closed": true} to close the date, or DELETE its special hours')
    times: list[tuple[str | None, str | None]] = []
    errors: list[RowError] = []
    for index, item in enumerate(body):
        try:
            if not isinstance(item, dict):
                raise FieldError("item", "not a JSON object")
            _unknown_keys_check(item, _SPECIAL_TIMES)
            times.append(
                special_times_parse(
                    _text(item, "start_time_local", required=False), _text(item, "end_time_local", required=False)
                )
            )
        except FieldError as exc:
            errors.append(RowError("request", index, exc.field, exc.reason))
    if errors:
        raise RowsInvalid(errors)
    return times


# --- Services -------------------------------------------------------------------------------


def business_hours_version_replace(*, caller: Caller, store_id: str, body: Any) -> VersionReplaceResult:
    """Make the rows of one weekly version of a store exactly those given (rule 10), in one transaction.

    `body` is the JSON `{"effective_from": "YYYY-MM-DD" | null, "rows": [...]}`; null is the
    undated version, an empty `rows` removes the version. Raises Store.DoesNotExist (also for a
    store `caller` cannot see), ownership.StoreReadOnly, FieldError (effective_from, rows) or
    RowsInvalid (every bad row: index, field).
    """
    effective_from, rows = _version_body_read(body)
    with transaction.atomic():
        staging.loads_serialize()
        store = ownership.store_for_write(caller, store_id)
        # effective_from=None is Django's IS NULL: the undated version.
        version = BusinessHours.objects.filter(store=store, effective_from=effective_from)
        deleted, _ = version.delete()
        stored = BusinessHours.objects.bulk_create(
            BusinessHours(
                store=store,
                day_of_week=row.day_of_week,
                start_time_local=dt.time.fromisoformat(row.start_time_local),
                end_time_local=dt.time.fromisoformat(row.end_time_local),
                effective_from=effective_from,
            )
            for row in rows
        )
        hours_changed_on_commit([store.pk])
    stored.sort(key=lambda h: (h.day_of_week, h.start_time_local, h.end_time_local))
    return VersionReplaceResult(store.store_id, effective_from, deleted, len(stored), stored, store.brand_id)


def _version_body_read(body: Any) -> tuple[dt.date | None, list[WeeklyRow]]:
    """The version (`effective_from`) and rows of a PUT hours body. Raises FieldError when it is no
    JSON object, FieldsInvalid naming every bad field at once (with the bad rows, if any), or
    RowsInvalid when only rows are bad."""
    if not isinstance(body, dict):
        raise FieldError("body", 'expected a JSON object {"effective_from", "rows"}')
    problems = unknown_fields(body, ("effective_from", "rows"))
    effective_from = None
    if "effective_from" not in body:
        problems["effective_from"] = "missing (null for the undated version)"
    elif body["effective_from"] is not None and not isinstance(body["effective_from"], str):
        problems["effective_from"] = "not a JSON string or null"
    else:
        try:
            effective_text = effective_from_parse(body["effective_from"])
            effective_from = dt.date.fromisoformat(effective_text) if effective_text else None
        except FieldError as exc:
            problems["effective_from"] = exc.reason
    rows: list[WeeklyRow] = []
    errors: list[RowError] = []
    if "rows" not in body:
        problems["rows"] = "missing (a list of rows; an empty list removes the version)"
    else:
        try:
            rows, errors = weekly_items_read(body["rows"])
        except FieldError as exc:
            problems["rows"] = exc.reason
    if problems:
        raise FieldsInvalid(problems, errors)
    if errors:
        raise RowsInvalid(errors)
    return effective_from, rows


def special_days_replace(*, caller: Caller, store_id: str, date: str, body: Any) -> SpecialDay:
    """Make the special-hours rows of one store on local date `date` (`YYYY-MM-DD`, from the URL)
    exactly those of `body` (`special_day_items_read`), in one transaction (rule 11).

    Raises FieldError (date, body, closed), RowsInvalid, Store.DoesNotExist (also for a store
    `caller` cannot see) or ownership.StoreReadOnly.
    """
    day = date_parse(date)
    times = special_day_items_read(body)
    with transaction.atomic():
        staging.loads_serialize()
        store = ownership.store_for_write(caller, store_id)
        SpecialHours.objects.filter(store=store, date=day).delete()
        stored = SpecialHours.objects.bulk_create(
            SpecialHours(store=store, date=day, start_time_local=_time(start), end_time_local=_time(end))
            for start, end in times
        )
        hours_changed_on_commit([store.pk])
    return SpecialDay(store.store_id, day, sorted(stored, key=_special_order), store.brand_id)


@dataclass
class SpecialDayDeleted:
    """What `special_day_delete` removed: `deleted` rows (0: none, nothing changed) of one store's date."""

    store_id: str
    date: dt.date
    deleted: int
    brand_id: int | None = None


def special_day_delete(*, caller: Caller, store_id: str, date: str) -> SpecialDayDeleted:
    """Remove every special-hours row of one store on local date `date`, so the weekly schedule
    applies again (rules 10, 11). Raises FieldError (date), Store.DoesNotExist (also for a store
    `caller` cannot see) or ownership.StoreReadOnly."""
    day = date_parse(date)
    with transaction.atomic():
        staging.loads_serialize()
        store = ownership.store_for_write(caller, store_id)
        deleted, _ = SpecialHours.objects.filter(store=store, date=day).delete()
        if deleted:
            hours_changed_on_commit([store.pk])
    return SpecialDayDeleted(store.store_id, day, deleted, store.brand_id)


def special_days_push(
    *, items: Any = None, csv_text: str | None = None, file: str = "request", scope: PushScope = EVERY_STORE
) -> SpecialPushResult:
    """Store a batch of special-hours rows, all or nothing, in one transaction (rule 11), into
    the stores `scope` allows.

    `items`: a JSON list of `{"store_id", "date", "start_time_local", "end_time_local"}`
    (errors carry the 0-based index); `csv_text`: CSV text with the special_hours.csv
    header (errors carry the line). For each (store, date) in the batch, that date's
    stored rows are replaced by the batch's rows for it; other dates stay. Stores not
    known yet are created in the scope's brand (`ownership.stores_claim`). Raises
    RowsInvalid listing every bad row (a row of a store outside the scope is one:
    `scope.refusal`), BadFile, or ownership.BrandNeeded.
    """
    unit = "item" if csv_text is None else "line"
    if csv_text is not None:
        rows, lines, errors = special_csv_read(csv_text, file=file)
    else:
        rows, lines, errors = special_items_read(items if items is not None else [], file=file)
    if errors:
        raise RowsInvalid(errors, unit=unit)
    result = SpecialPushResult(received=len(rows))
    dates: dict[str, set[dt.date]] = {}
    for row in rows:
        dates.setdefault(row.store_id, set()).add(dt.date.fromisoformat(row.date))
    result.stores_touched = len(dates)
    result.dates_replaced = sum(len(days) for days in dates.values())
    if not rows:
        return result
    try:
        with transaction.atomic():
            staging.loads_serialize()
            claimed = ownership.stores_claim(dates, scope)
            result.deleted, result.inserted = _special_days_write(rows, dates, claimed.pks)
            hours_changed_on_commit(sorted(claimed.pks.values()))
    except ownership.StoresRefused as refused:
        bad = [
            RowError(file, line, "store_id", scope.refusal)
            for row, line in zip(rows, lines, strict=True)
            if row.store_id in refused.store_ids
        ]
        raise RowsInvalid(bad, unit=unit) from None
    result.stores_created = claimed.created
    result.stores_by_brand = dict(Counter(claimed.brands.values()))
    result.rows_by_brand = dict(Counter(claimed.brands[row.store_id] for row in rows))
    return result


def _special_days_write(rows: list[SpecialRow], dates: dict[str, set[dt.date]], pks: dict[str, int]) -> tuple[int, int]:
    """Replace the rows of every (store, date) of `dates` by `rows`; (rows deleted, rows inserted)."""
    deleted = 0
    by_pk = [(pks[store_id], sorted(days)) for store_id, days in dates.items()]
    for first in range(0, len(by_pk), _DELETE_STORES):
        match = Q()
        for pk, days in by_pk[first : first + _DELETE_STORES]:
            match |= Q(store_id=pk, date__in=days)
        count, _ = SpecialHours.objects.filter(match).delete()
        deleted += count
    stored = SpecialHours.objects.bulk_create(
        (
            SpecialHours(
                store_id=pks[row.store_id],
                date=dt.date.fromisoformat(row.date),
                start_time_local=_time(row.start_time_local),
                end_time_local=_time(row.end_time_local),
            )
            for row in rows
        ),
        batch_size=_BATCH,
    )
    return deleted, len(stored)


def _time(text: str | None) -> dt.time | None:
    return None if text is None else dt.time.fromisoformat(text)


def _special_order(row: SpecialHours) -> tuple[bool, dt.time, dt.time]:
    # Closed rows (no times) first, then by start and end.
    return (row.start_time_local is not None, row.start_time_local or dt.time(), row.end_time_local or dt.time())
