"""Read the three input CSVs into validated rows (SEMANTICS.md "Inputs, as they come in the wild").

A reader yields *chunks* (lists of at most `CHUNK_ROWS` row tuples), so a file of
any size is read in bounded memory. Rows are plain tuples, already in the text
form both databases store (a full polls file has ~2 million rows, and each
extra object or call per row costs ~0.2-0.5 s of load time):

- polls: `(store_id, observed_at_utc, active)`, `observed_at_utc` being the
  UTC instant as `YYYY-MM-DD HH:MM:SS[.ffffff]` (Django's own text form of a
  naive UTC datetime, so SQLite compares it as text; PostgreSQL gets `+00`);
- business hours: `(store_id, day_of_week, start_time_local, end_time_local)`,
  times as `HH:MM:SS`;
- timezones: `(line, store_id, timezone_str)`; the line orders repeated stores
  (the last row of a store wins).

A bad row is reported to `on_error` as a `RowError` and skipped; a file that
cannot be read as this kind of CSV at all raises `BadFile`.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

CHUNK_ROWS = 50_000
# Store.store_id and Store.timezone_str are varchar(64): a longer value would
# fail the whole load in the database instead of being reported as a bad row.
MAX_TEXT_LENGTH = 64

POLLS = "polls"
HOURS = "hours"
TIMEZONES = "timezones"


class BadFile(Exception):
    """The file is not a CSV of the expected kind (empty, binary, a required column missing).

    Nothing of a load that meets one is kept; `str()` names the file.
    """

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad row: `line` is the physical line in the file (the header is line 1),
    or the 0-based item index of a pushed JSON batch; `field` is the column as named
    in the input."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RowWarning(RowError):
    """A questionable value that is still stored (an unknown timezone name: SEMANTICS.md
    rule 4 defines its meaning). Reported like a bad row; `--strict` refuses it."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


class KeptValue(ValueError):
    """Raised by a cleaner for a value that is reported but kept (see RowWarning)."""

    def __init__(self, value, reason: str):
        super().__init__(reason)
        self.value = value


OnError = Callable[[RowError], None]


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file: canonical name -> header names accepted (lower case)."""

    kind: str
    columns: dict[str, tuple[str, ...]]


LAYOUTS = {
    POLLS: Layout(
        POLLS,
        {"store_id": ("store_id",), "timestamp_utc": ("timestamp_utc",), "status": ("status",)},
    ),
    HOURS: Layout(
        HOURS,
        {
            "store_id": ("store_id",),
            "day_of_week": ("dayofweek", "day", "day_of_week"),
            "start_time_local": ("start_time_local",),
            "end_time_local": ("end_time_local",),
        },
    ),
    TIMEZONES: Layout(TIMEZONES, {"store_id": ("store_id",), "timezone_str": ("timezone_str",)}),
}


# --- Field parsers: a clean value, or ValueError(reason) ---------------------------------

_TIMESTAMP_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?"
    r" ?(Z|UTC|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_STATUSES = {"active": True, "inactive": False}
_DAYS = {str(d): d for d in range(7)}
_fromisoformat = datetime.fromisoformat


def store_id_clean(raw: str) -> str:
    """The trimmed store id, kept as text (never an int: SEMANTICS.md, inputs)."""
    value = raw.strip()
    if not value:
        raise ValueError("empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValueError(f"longer than {MAX_TEXT_LENGTH} characters")
    if not value.isprintable():
        raise ValueError("contains control characters")
    return value


def timestamp_utc_clean(raw: str) -> str:
    """The instant as UTC text `YYYY-MM-DD HH:MM:SS[.ffffff]` (no fraction when it is zero).

    Accepts `2023-01-22 12:09:39.388884 UTC` (0-6 fraction digits) and ISO 8601
    (`T` or space, `Z`, `+00:00`, `+0530`, or no zone, which means UTC).
    """
    match = _TIMESTAMP_RE.fullmatch(raw.strip())
    if match is None:
        raise ValueError("not a timestamp (expected e.g. '2023-01-22 12:09:39.388884 UTC' or ISO 8601)")
    day, hh, mm, ss, fraction, zone = match.groups()
    fraction = (fraction or "").ljust(6, "0")
    text = f"{day} {hh}:{mm}:{ss or '00'}"
    try:
        moment = _fromisoformat(f"{text}.{fraction}")
    except ValueError as exc:
        raise ValueError(f"not a valid date or time ({exc})") from None
    offset = _offset(zone)
    if offset:
        try:
            moment -= offset
        except OverflowError:
            raise ValueError("out of range") from None
        text = f"{moment:%Y-%m-%d %H:%M:%S}"
        fraction = f"{moment.microsecond:06d}"
    return text if fraction == "000000" else f"{text}.{fraction}"


def _offset(zone: str | None) -> timedelta | None:
    if zone is None or zone.upper() in ("Z", "UTC"):
        return None
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a UTC offset: {zone!r}")
    return sign * timedelta(hours=hours, minutes=minutes)


def status_clean(raw: str) -> bool:
    """True for `active`, False for `inactive`, in any case, spaces around allowed."""
    active = _STATUSES.get(raw.strip().lower())
    if active is None:
        raise ValueError(f"not 'active' or 'inactive': {raw.strip()[:40]!r}")
    return active


def day_of_week_clean(raw: str) -> int:
    """0 = Monday ... 6 = Sunday."""
    day = _DAYS.get(raw.strip())
    if day is None:
        raise ValueError(f"not a day of the week 0-6: {raw.strip()[:40]!r}")
    return day


def time_local_clean(raw: str) -> str:
    """A wall time as `HH:MM:SS`; `HH:MM` and a one-digit hour are accepted."""
    match = _TIME_RE.fullmatch(raw.strip())
    if match is None:
        raise ValueError(f"not a time (expected HH:MM:SS): {raw.strip()[:40]!r}")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"not a time of day 00:00:00-23:59:59: {raw.strip()!r}")
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def timezone_clean(raw: str) -> str:
    """The trimmed name; "" is kept as is (the store was mentioned without a zone).

    A name zoneinfo cannot load is reported (KeptValue) but still stored: SEMANTICS.md
    rule 4 reads such a store's hours in America/Chicago, and rule 1 gives the store a
    row in every report. Dropping the row would drop the store.
    """
    name = raw.strip()
    if name and not _zone_loads(name):
        if len(name) > MAX_TEXT_LENGTH:
            raise ValueError(f"unknown timezone name longer than {MAX_TEXT_LENGTH} characters")
        raise KeptValue(name, f"unknown timezone name {name!r}: stored; reports use America/Chicago (rule 4)")
    return name


@functools.lru_cache(maxsize=4096)
def _zone_loads(name: str) -> bool:
    if len(name) > MAX_TEXT_LENGTH:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


# --- Reading a file -----------------------------------------------------------------------


def csv_open(path) -> TextIO:
    """Open `path` for `rows_read`: UTF-8 with or without a BOM, any line ends."""
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise BadFile(str(path), f"cannot open: {exc.strerror or exc}") from None


def header_read(reader, layout: Layout, *, file: str) -> dict[str, tuple[int, str]]:
    """Map each canonical column to (index, name as written) from the header (blank lines before it are skipped)."""
    for record in reader:
        if any(cell.strip() for cell in record):
            break
    else:
        raise BadFile(file, "empty file (no header line)")
    names = [cell.strip().lstrip("\ufeff").strip() for cell in record]
    found: dict[str, tuple[int, str]] = {}
    for index, name in enumerate(names):
        for column, accepted in layout.columns.items():
            if name.lower() in accepted:
                if column in found:
                    raise BadFile(
                        file, f"columns {found[column][1]!r} and {name!r} both give {column} (line {reader.line_num})"
                    )
                found[column] = (index, name)
    expected = ", ".join(layout.columns)
    if not found:
        shown = ",".join(names)[:80]
        raise BadFile(
            file,
            f"not a {layout.kind} CSV: no recognizable header (expected {expected}; line {reader.line_num} is {shown!r})",
        )
    missing = [column for column in layout.columns if column not in found]
    if missing:
        raise BadFile(file, f"missing column {', '.join(missing)} in the header (expected {expected})")
    return found


def header_check(path, kind: str) -> None:
    """Raise BadFile unless `path` opens and starts with a usable header of `kind`."""
    with csv_open(path) as stream:
        reader = csv.reader(stream)
        with _unreadable_as_bad_file(reader, str(path)):
            header_read(reader, LAYOUTS[kind], file=str(path))


def rows_read(
    stream: Iterable[str],
    kind: str,
    *,
    file: str,
    on_error: OnError,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[list[tuple]]:
    """Chunks of valid rows of `kind` from CSV text; every bad row goes to `on_error`.

    Raises BadFile (possibly after some chunks) if the text is not CSV at all.
    Blank lines are skipped silently; they are not rows.
    """
    reader = csv.reader(stream)
    with _unreadable_as_bad_file(reader, file):
        columns = header_read(reader, LAYOUTS[kind], file=file)
        body = {POLLS: _poll_chunks, HOURS: _hours_chunks, TIMEZONES: _timezone_chunks}[kind]
        yield from body(reader, columns, file, on_error, chunk_rows)


@contextlib.contextmanager
def _unreadable_as_bad_file(reader, file: str) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError as exc:
        # Text is decoded ahead of the rows in blocks: the line is a lower bound.
        raise BadFile(file, f"not UTF-8 text: {exc.reason} after line {reader.line_num}") from None
    except csv.Error as exc:
        raise BadFile(file, f"not a readable CSV at line {reader.line_num} ({exc})") from None


def _records(reader, width: int) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells padded to `width`) of each non-blank record."""
    line = reader.line_num
    for record in reader:
        first, line = line + 1, reader.line_num
        if len(record) < width:
            if not any(cell.strip() for cell in record):
                continue
            record = record + [""] * (width - len(record))
        yield first, record


class _NotCommon(Exception):
    """A poll row the fast path does not handle: the general parsers take it."""


def _poll_chunks(reader, columns, file, on_error, chunk_rows):
    # The hot loop of a 2-million-row load. The common shapes are accepted by
    # a few slicing checks and datetime.fromisoformat (C); anything else (spaces,
    # other timestamp forms, short or bad rows) goes to _poll_row, which applies
    # the general parsers and reports errors. Both give the same row for the
    # same input; the fast path tracks no line numbers (measured: 0.25 s).
    i_store, i_time, i_status = columns["store_id"][0], columns["timestamp_utc"][0], columns["status"][0]
    statuses = _STATUSES
    fromisoformat = _fromisoformat
    chunk: list[tuple] = []
    for record in reader:
        try:
            store_id = record[i_store].strip()
            raw = record[i_time]
            active = statuses[record[i_status]]
            if not store_id or len(store_id) > MAX_TEXT_LENGTH or not store_id.isprintable():
                raise _NotCommon
            # `2023-01-22 12:09:39.388884 UTC`, 0-6 fraction digits, as the 2023 files write every poll
            if (
                raw[-4:] == " UTC"
                and 23 <= len(raw) <= 30
                and raw[10] == " "
                and raw[7] == "-"
                and raw[13] == ":"
                and raw[16] == ":"
            ):
                parsed = fromisoformat(raw[:-4])
                if parsed.tzinfo is not None:
                    raise _NotCommon
                if not parsed.microsecond:
                    moment = raw[:19]
                elif len(raw) == 30:
                    moment = raw[:26]
                else:
                    moment = f"{raw[:19]}.{parsed.microsecond:06d}"
            # `2024-10-07T10:14:42Z`
            elif (
                raw[-1:] == "Z"
                and 20 <= len(raw) <= 27
                and raw[10] == "T"
                and raw[7] == "-"
                and raw[13] == ":"
                and raw[16] == ":"
            ):
                parsed = fromisoformat(raw[:-1])
                if parsed.tzinfo is not None:
                    raise _NotCommon
                moment = f"{raw[:10]} {raw[11:19]}"
                if parsed.microsecond:
                    moment = f"{moment}.{parsed.microsecond:06d}"
            else:
                raise _NotCommon
        except (_NotCommon, IndexError, KeyError, ValueError):
            row = _poll_row(record, columns, file, reader.line_num, on_error)
            if row is None:
                continue
            store_id, moment, active = row
        chunk.append((store_id, moment, active))
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_POLL_CLEANERS = (("store_id", store_id_clean), ("timestamp_utc", timestamp_utc_clean), ("status", status_clean))


def _poll_row(record: list[str], columns, file: str, last_line: int, on_error: OnError) -> tuple | None:
    """The row, or None for a blank line or a bad row (reported, with the line it starts on)."""
    if not any(cell.strip() for cell in record):
        return None
    # A quoted field may span lines: the record started that many lines earlier.
    line = last_line - sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in record)
    values = []
    for column, clean in _POLL_CLEANERS:
        index, name = columns[column]
        try:
            values.append(clean(record[index] if index < len(record) else ""))
        except ValueError as exc:
            on_error(RowError(file, line, name, str(exc)))
            return None
    return tuple(values)


def _hours_chunks(reader, columns, file, on_error, chunk_rows):
    fields = [
        (columns["store_id"], store_id_clean),
        (columns["day_of_week"], day_of_week_clean),
        (columns["start_time_local"], time_local_clean),
        (columns["end_time_local"], time_local_clean),
    ]
    yield from _generic_chunks(reader, fields, file, on_error, chunk_rows, with_line=False)


def _timezone_chunks(reader, columns, file, on_error, chunk_rows):
    fields = [(columns["store_id"], store_id_clean), (columns["timezone_str"], timezone_clean)]
    yield from _generic_chunks(reader, fields, file, on_error, chunk_rows, with_line=True)


def _generic_chunks(reader, fields, file, on_error, chunk_rows, *, with_line: bool):
    width = max(index for (index, _), _ in fields) + 1
    chunk: list[tuple] = []
    for line, record in _records(reader, width):
        values: list = [line] if with_line else []
        for (index, name), clean in fields:
            try:
                values.append(clean(record[index]))
            except KeptValue as kept:
                on_error(RowWarning(file, line, name, str(kept)))
                values.append(kept.value)
            except ValueError as exc:
                on_error(RowError(file, line, name, str(exc)))
                break
        else:
            chunk.append(tuple(values))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


# --- A pushed JSON batch ----------------------------------------------------------------


def poll_items_read(items: list, *, file: str = "request") -> tuple[list[tuple], list[RowError]]:
    """Poll rows from a JSON list of `{"store_id", "timestamp_utc", "status"}` objects,
    validated like file rows; errors carry the 0-based item index as `line`."""
    rows: list[tuple] = []
    errors: list[RowError] = []
    cleaners = (("store_id", store_id_clean), ("timestamp_utc", timestamp_utc_clean), ("status", status_clean))
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(RowError(file, index, "item", "not a JSON object"))
            continue
        values = []
        for name, clean in cleaners:
            raw = item.get(name)
            try:
                if raw is None:
                    raise ValueError("missing")
                if not isinstance(raw, str):
                    raise ValueError("not a JSON string")
                values.append(clean(raw))
            except ValueError as exc:
                errors.append(RowError(file, index, name, str(exc)))
                break
        else:
            rows.append(tuple(values))
    return rows, errors
