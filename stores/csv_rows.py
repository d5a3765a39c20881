"""Read the input CSVs into validated rows (docs/numbers.md "Inputs, as they come in the wild").

A reader yields *chunks* (lists of at most `CHUNK_ROWS` row tuples), so a file of
any size is read in bounded memory. Rows are plain tuples, already in the text
form both databases store (a full polls file has ~2 million rows, and each
extra object or call per row costs ~0.2-0.5 s of load time):

- polls: `(store_id, observed_at_utc, active)`, `observed_at_utc` being the
  UTC instant as `YYYY-MM-DD HH:MM:SS[.ffffff]` (Django's own text form of a
  naive UTC datetime, so SQLite compares it as text; PostgreSQL gets `+00`);
- business hours: `(store_id, day_of_week, start_time_local, end_time_local,
  effective_from)`, times as `HH:MM:SS`, `effective_from` a local date
  `YYYY-MM-DD` or None (the optional column missing or empty: the undated
  version, docs/numbers.md rule 10);
- special hours: `(store_id, date, start_time_local, end_time_local)`, `date`
  as `YYYY-MM-DD`, both times `HH:MM:SS` or both None (closed that date; rule 11);
- timezones: `(line, store_id, timezone_str)`; the line orders repeated stores
  (the last row of a store wins);
- stores: `(line, store_id, brand, name)`, `brand` a brand's slug, `name` None
  when the file has no name column (names then stay as they are).

A bad row is reported to `on_error` as a `RowError` and skipped; a file that
cannot be read as this kind of CSV at all raises `BadFile`. So does a quoted
field that never closes: one that runs to the end of the file, or a record that
spans more than `MAX_RECORD_LINES` physical lines (no real input has a line
break inside a field, so a longer record is a stray quote swallowing the rows
after it). Every line number is the physical line of a record's first
character (the header is line 1).

Every instant (a poll's timestamp, pushed or in a file, and a report's
`as_of`) is read by `instant_parse`. Store ids, weekly rows (day, times,
`effective_from`) and special rows are read by `stores.calendar_rows`, as the
API and the admin read them: one definition of a valid row.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import itertools
import os
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from stores import calendar_rows
from stores.calendar_rows import FieldError

CHUNK_ROWS = 50_000
# Store.store_id and Store.timezone_str are varchar(64): a longer value would
# fail the whole load in the database instead of being reported as a bad row.
MAX_TEXT_LENGTH = 64
# The most physical lines one record may span (its quoted fields hold at most
# MAX_RECORD_LINES - 1 line breaks in all). Real inputs have none; the limit only
# tells a stray quote, which takes in every line up to the next quote, from a field
# that was meant to hold a few lines.
MAX_RECORD_LINES = 5
# The instants an input may hold, in UTC: reports start at 1971 (as_of) and
# PostgreSQL has no year 10000 (and strftime's %Y writes year 1 as "1", which
# PostgreSQL reads as 2001).
INSTANT_EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)

# A row as the databases store it (see the module docstring for each kind's fields).
Row = tuple[Any, ...]

POLLS = "polls"
HOURS = "hours"
TIMEZONES = "timezones"
SPECIAL = "special"
STORES = "stores"
# Store.name is varchar(200).
MAX_NAME_LENGTH = 200


class BadFile(Exception):
    """The file is not a CSV of the expected kind (empty, binary, a required column missing).

    Nothing of a load that meets one is kept; `str()` names the file.
    """

    def __init__(self, file: str, reason: str) -> None:
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
    """A questionable value that is still stored (an unknown timezone name: docs/numbers.md
    rule 4 defines its meaning). Reported like a bad row; `--strict` refuses it."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


class NotAnInstant(ValueError):
    """Raised by `instant_parse` for a text not in any accepted form (rather than an
    impossible or out-of-range instant, or one written with other digits than 0-9)."""


class KeptValue(ValueError):
    """Raised by a cleaner for a value that is reported but kept (see RowWarning)."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(reason)
        self.value = value


OnError = Callable[[RowError], None]


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file: canonical name -> header names accepted (lower case).

    A column in `optional` may be missing from the header (its rows then read it as empty)."""

    kind: str
    columns: dict[str, tuple[str, ...]]
    optional: tuple[str, ...] = ()


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
            "effective_from": ("effective_from",),
        },
        optional=("effective_from",),
    ),
    TIMEZONES: Layout(TIMEZONES, {"store_id": ("store_id",), "timezone_str": ("timezone_str",)}),
    SPECIAL: Layout(
        SPECIAL,
        {
            "store_id": ("store_id",),
            "date": ("date",),
            "start_time_local": ("start_time_local",),
            "end_time_local": ("end_time_local",),
        },
    ),
    STORES: Layout(
        STORES,
        {"store_id": ("store_id",), "brand": ("brand",), "name": ("name",)},
        optional=("name",),
    ),
}


# --- Field parsers: a clean value, or ValueError(reason) ---------------------------------

# re.ASCII: `\d` is 0-9 only. Python's \d, int() and float() also take other scripts'
# digits ("٢٠٢٣"), which no input should carry and which would be read as some number.
_DATE_TIME = r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?"
_TIMESTAMP_RE = re.compile(_DATE_TIME + r" ?(Z|UTC|[+-]\d{2}(?::?\d{2})?)?", re.IGNORECASE | re.ASCII)
_ISO_INSTANT_RE = re.compile(_DATE_TIME + r"(Z|[+-]\d{2}(?::?\d{2})?)?", re.IGNORECASE | re.ASCII)
_STATUSES = {"active": True, "inactive": False}
_fromisoformat = datetime.fromisoformat
_EARLIEST_NAIVE = INSTANT_EARLIEST.replace(tzinfo=None)
_BEFORE_EARLIEST = f"before {INSTANT_EARLIEST:%Y-%m-%d} UTC (no poll or report can be that early)"
_AFTER_LATEST = "after 9999-12-31 UTC (no date has more than 4 digits of year)"
# The characters the polls' fast path sends to store_id_clean when a trimmed id begins
# with one (docs/numbers.md "Inputs": a spreadsheet would read it as a formula).
_FORMULA_STARTS = "=+-@"


def store_id_clean(raw: str) -> str:
    """The trimmed store id, kept as text (never an int: docs/numbers.md, inputs); an id
    a spreadsheet would read as a formula is refused (docs/numbers.md, inputs). The rules
    are `calendar_rows.store_id_parse`'s, the one definition for every input."""
    try:
        return calendar_rows.store_id_parse(raw)
    except FieldError as exc:
        raise ValueError(exc.reason) from None


def instant_parse(text: str, *, iso_only: bool = False) -> datetime:
    """The instant `text` names, as an aware UTC datetime, between 1971-01-01 and 9999-12-31 UTC.

    Accepts `2023-01-22 12:09:39.388884 UTC` (0-6 fraction digits) and ISO 8601
    (`T` or space, `Z`, `+00:00`, `+0530`, `+05`, or no zone, which means UTC:
    docs/numbers.md "Inputs" and rule 2), surrounding spaces allowed; `iso_only`
    refuses the `UTC` word and a space before the zone. Raises ValueError naming
    what is wrong: not an instant (NotAnInstant), a date or time that does not
    exist, digits other than 0-9, or an instant outside the range (checked in UTC).
    """
    pattern = _ISO_INSTANT_RE if iso_only else _TIMESTAMP_RE
    match = pattern.fullmatch(text.strip())
    if match is None:
        if any(char.isdigit() and not char.isascii() for char in text):
            raise ValueError(f"has a non-ASCII digit (only 0-9 are read): {text.strip()[:40]!r}")
        if iso_only:
            raise NotAnInstant("not an ISO 8601 instant (expected e.g. '2023-01-22T12:09:39Z' or '...+05:30')")
        raise NotAnInstant("not a timestamp (expected e.g. '2023-01-22 12:09:39.388884 UTC' or ISO 8601)")
    day, hh, mm, ss, fraction, zone = match.groups()
    try:
        moment = _fromisoformat(f"{day} {hh}:{mm}:{ss or '00'}.{(fraction or '').ljust(6, '0')}")
    except ValueError:
        raise ValueError(_no_such_instant(day, f"{hh}:{mm}:{ss or '00'}")) from None
    offset = _offset(zone)
    if offset:
        try:
            moment -= offset
        except OverflowError:
            raise ValueError(_BEFORE_EARLIEST if offset > timedelta(0) else _AFTER_LATEST) from None
    if moment < _EARLIEST_NAIVE:
        raise ValueError(_BEFORE_EARLIEST)
    return moment.replace(tzinfo=UTC)


def _no_such_instant(day: str, clock: str) -> str:
    """Why a date and time of the right shape name no instant, in the words a person uses."""
    try:
        _fromisoformat(day)
    except ValueError:
        return f"{day} is not a date"
    return f"{clock} is not a time of day (00:00:00 to 23:59:59)"


def timestamp_utc_clean(raw: str) -> str:
    """The instant (`instant_parse`) as UTC text `YYYY-MM-DD HH:MM:SS[.ffffff]`, no fraction when it is zero."""
    moment = instant_parse(raw)
    text = f"{moment:%Y-%m-%d %H:%M:%S}"  # 4 digits of year: instant_parse allows no year before 1971
    return f"{text}.{moment.microsecond:06d}" if moment.microsecond else text


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


def effective_from_clean(raw: str) -> str | None:
    """A weekly version's `effective_from` (docs/numbers.md rule 10) as `YYYY-MM-DD`, or None when it is
    empty after trimming (the undated version, effective since always): `calendar_rows.effective_from_parse`."""
    try:
        return calendar_rows.effective_from_parse(raw)
    except FieldError as exc:
        raise ValueError(exc.reason) from None


def timezone_clean(raw: str) -> str:
    """The trimmed name; "" is kept as is (the store was mentioned without a zone).

    A name zoneinfo cannot load is reported (KeptValue) but still stored: docs/numbers.md
    rule 4 reads such a store's hours in America/Chicago, and rule 1 gives the store a
    row in every report. Dropping the row would drop the store.
    """
    name = raw.strip()
    if "\x00" in name:
        raise ValueError("contains a NUL character, which the database cannot store")
    if name and not _zone_loads(name):
        if len(name) > MAX_TEXT_LENGTH:
            # Rules 1 and 4: the store keeps its row and reads as America/Chicago; the name
            # is never cut (stores.merges stores "" for it: mentioned, without a zone).
            raise KeptValue(
                name,
                f"unknown timezone name longer than {MAX_TEXT_LENGTH} characters ({name[:40]!r}...): "
                "the store is kept without a zone; reports use America/Chicago (rule 4)",
            )
        raise KeptValue(name, f"unknown timezone name {name!r}: stored; reports use America/Chicago (rule 4)")
    return name


def brand_slug_clean(raw: str) -> str:
    """A brand's slug, trimmed (`calendar_rows.brand_slug_parse`: letters, digits, - and _)."""
    try:
        return calendar_rows.brand_slug_parse(raw)
    except FieldError as exc:
        raise ValueError(exc.reason) from None


def store_name_clean(raw: str) -> str:
    """A store's display name, trimmed; "" is kept (the store then has no name). Refused: longer
    than the column, or holding control characters (a NUL no PostgreSQL text can hold)."""
    name = raw.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"longer than {MAX_NAME_LENGTH} characters")
    if not name.isprintable():
        raise ValueError("contains control characters")
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


def csv_open(path: str | os.PathLike[str]) -> TextIO:
    """Open `path` for `rows_read`: UTF-8 with or without a BOM, any line ends."""
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise BadFile(str(path), f"cannot open: {exc.strerror or exc}") from None


class _Reader:
    """csv.reader over a text stream that knows the physical line each record starts on
    and refuses a quoted field that never closes (module docstring).

    The stream is followed by one blank line of our own: csv.reader (not strict)
    returns a field still open at the end of the text as if it had closed, but
    that field takes the blank line in, so its record spans lines past the end.
    """

    def __init__(self, stream: Iterable[str], file: str) -> None:
        self.file = file
        self.past_end = False
        self.csv = csv.reader(itertools.chain(stream, self._end()))

    def _end(self) -> Iterator[str]:
        self.past_end = True
        yield "\n"

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(first physical line, cells) of each record left, blank lines included (as [])."""
        reader = self.csv
        last = reader.line_num
        try:
            for record in reader:
                first, last = last + 1, reader.line_num
                if last != first:
                    self.span_check(record, first, last)
                yield first, record
        except csv.Error as exc:
            raise self.unreadable(exc, last + 1) from None

    def span_check(self, record: list[str], first: int, last: int) -> None:
        """Raise BadFile if the record on lines first-last has a quoted field that runs to
        the end of the file, or past MAX_RECORD_LINES."""
        if not self.past_end and last - first < MAX_RECORD_LINES:
            return
        # A line break inside a record is in a quoted field, kept as written: so
        # each field's first line is `first` plus the breaks in the fields before it.
        line = first
        for index, cell in enumerate(record):
            breaks = cell.count("\n") + cell.count("\r") - cell.count("\r\n")
            if self.past_end and index == len(record) - 1:
                # Reading stopped inside this field: the last one.
                raise BadFile(
                    self.file,
                    f"a quoted field opened on line {line} runs to the end of the file (a quote that never closes)",
                )
            if line + breaks >= first + MAX_RECORD_LINES:
                raise BadFile(self.file, _too_long(line, line + breaks))
            line += breaks

    def unreadable(self, exc: csv.Error, first: int) -> BadFile:
        """The BadFile for a csv.Error met in the record that starts on line `first`."""
        if self.csv.line_num - first >= MAX_RECORD_LINES:
            # The reader gave up inside a field (longer than csv.field_size_limit):
            # an unclosed quote with more text after it. Which field it was cannot
            # be seen; it opened on the record's first line unless an earlier
            # field of the same record spans lines too.
            return BadFile(self.file, _too_long(first, self.csv.line_num))
        return BadFile(self.file, f"not a readable CSV at line {first} ({exc})")


def _too_long(opened: int, reached: int) -> str:
    return (
        f"a quoted field opened on line {opened} runs on to line {reached}, but a record may span at most "
        f"{MAX_RECORD_LINES} lines (a quote that never closes?)"
    )


def _header_read(source: _Reader, layout: Layout) -> dict[str, tuple[int, str]]:
    """Map each canonical column to (index, name as written) from the header (blank lines before it are skipped)."""
    file = source.file
    header = next(((line, record) for line, record in source.records() if any(cell.strip() for cell in record)), None)
    if header is None:
        raise BadFile(file, "empty file (no header line)")
    line, record = header
    names = [cell.strip().lstrip("\ufeff").strip() for cell in record]
    found: dict[str, tuple[int, str]] = {}
    for index, name in enumerate(names):
        for column, accepted in layout.columns.items():
            if name.lower() in accepted:
                if column in found:
                    raise BadFile(file, f"columns {found[column][1]!r} and {name!r} both give {column} (line {line})")
                found[column] = (index, name)
    expected = ", ".join(f"{c} (optional)" if c in layout.optional else c for c in layout.columns)
    if not found:
        shown = ",".join(names)[:80]
        raise BadFile(
            file,
            f"not a {layout.kind} CSV: no recognizable header (expected {expected}; line {line} is {shown!r})",
        )
    missing = [column for column in layout.columns if column not in found and column not in layout.optional]
    if missing:
        raise BadFile(file, f"missing column {', '.join(missing)} in the header (expected {expected})")
    return found


def header_check(path: str | os.PathLike[str], kind: str) -> None:
    """Raise BadFile unless `path` opens and starts with a usable header of `kind`."""
    with csv_open(path) as stream:
        source = _Reader(stream, str(path))
        with _unreadable_as_bad_file(source):
            _header_read(source, LAYOUTS[kind])


def rows_read(
    stream: Iterable[str],
    kind: str,
    *,
    file: str,
    on_error: OnError,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[list[Row]]:
    """Chunks of valid rows of `kind` from CSV text; every bad row goes to `on_error`.

    Raises BadFile (possibly after some chunks) if the text is not CSV at all, or
    has a quoted field that never closes (module docstring).
    Blank lines are skipped silently; they are not rows.
    """
    source = _Reader(stream, file)
    with _unreadable_as_bad_file(source):
        columns = _header_read(source, LAYOUTS[kind])
        body = {
            POLLS: _poll_chunks,
            HOURS: _hours_chunks,
            TIMEZONES: _timezone_chunks,
            SPECIAL: _special_chunks,
            STORES: _store_chunks,
        }[kind]
        yield from body(source, columns, on_error, chunk_rows)


@contextlib.contextmanager
def _unreadable_as_bad_file(source: _Reader) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError as exc:
        # Text is decoded ahead of the rows in blocks: the line is a lower bound.
        raise BadFile(source.file, f"not UTF-8 text: {exc.reason} after line {source.csv.line_num}") from None


Columns = dict[str, tuple[int, str]]
Cleaner = Callable[[str], Any]


class _NotCommon(Exception):
    """A poll row the fast path does not handle: the general parsers take it."""


def _poll_chunks(source: _Reader, columns: Columns, on_error: OnError, chunk_rows: int) -> Iterator[list[Row]]:
    # The hot loop of a 2-million-row load. The common shapes are accepted by
    # a few slicing checks and datetime.fromisoformat (C); anything else (spaces,
    # other timestamp forms, short or bad rows) goes to _poll_row, which applies
    # the general parsers and reports errors. Both give the same row for the
    # same input. Lines are tracked inline (two integers per row), not through
    # _Reader.records: a generator step per row costs ~0.25 s.
    i_store, i_time, i_status = columns["store_id"][0], columns["timestamp_utc"][0], columns["status"][0]
    statuses = _STATUSES
    fromisoformat = _fromisoformat
    formula_starts = _FORMULA_STARTS
    earliest_year = INSTANT_EARLIEST.year
    file = source.file
    reader = source.csv
    chunk: list[Row] = []
    last = reader.line_num
    try:
        for record in reader:
            first = last + 1
            last = reader.line_num
            if last != first:
                source.span_check(record, first, last)
            try:
                raw_id = record[i_store]
                store_id = raw_id.strip()
                raw = record[i_time]
                active = statuses[record[i_status]]
                # A padded id (strip() returns the very same string when there is
                # nothing to trim) goes to store_id_clean, which looks at its first
                # character as given (a tab); the rest are checked here.
                if (
                    store_id is not raw_id
                    or not store_id
                    or len(store_id) > MAX_TEXT_LENGTH
                    or not store_id.isprintable()
                    or store_id[0] in formula_starts
                ):
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
                    if parsed.tzinfo is not None or parsed.year < earliest_year:
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
                    if parsed.tzinfo is not None or parsed.year < earliest_year:
                        raise _NotCommon
                    moment = f"{raw[:10]} {raw[11:19]}"
                    if parsed.microsecond:
                        moment = f"{moment}.{parsed.microsecond:06d}"
                else:
                    raise _NotCommon
            except (_NotCommon, IndexError, KeyError, ValueError):
                row = _poll_row(record, columns, file, first, on_error)
                if row is None:
                    continue
                store_id, moment, active = row
            chunk.append((store_id, moment, active))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    except csv.Error as exc:
        raise source.unreadable(exc, last + 1) from None
    if chunk:
        yield chunk


_POLL_CLEANERS = (("store_id", store_id_clean), ("timestamp_utc", timestamp_utc_clean), ("status", status_clean))


def _poll_row(record: list[str], columns: Columns, file: str, line: int, on_error: OnError) -> Row | None:
    """The row, or None for a blank line or a bad row (reported with `line`, the one it starts on)."""
    if not any(cell.strip() for cell in record):
        return None
    short = min((columns[column] for column, _ in _POLL_CLEANERS if columns[column][0] >= len(record)), default=None)
    if short is not None:  # the first column the row does not reach, in the file's order
        on_error(RowError(file, line, short[1], missing_cell(record)))
        return None
    values: list[Any] = []
    for column, clean in _POLL_CLEANERS:
        index, name = columns[column]
        try:
            values.append(clean(record[index]))
        except ValueError as exc:
            on_error(RowError(file, line, name, str(exc)))
            return None
    return tuple(values)


def missing_cell(record: list[str]) -> str:
    """The reason of a row that ends before one of its columns: the column is missing, not empty."""
    return f"missing: the row ends after {len(record)} column(s)"


def _hours_chunks(source: _Reader, columns: Columns, on_error: OnError, chunk_rows: int) -> Iterator[list[Row]]:
    fields: list[tuple[tuple[int, str] | None, Cleaner]] = [
        (columns["store_id"], store_id_clean),
        (columns["day_of_week"], str),
        (columns["start_time_local"], str),
        (columns["end_time_local"], str),
        # Optional (rule 10): a file without the column is all the undated version.
        (columns.get("effective_from"), effective_from_clean),
    ]

    def weekly(values: list[Any]) -> list[Any]:
        # The day and times as every way in reads a weekly row (the API, the admin).
        values[1:4] = calendar_rows.weekly_row_parse(values[1], values[2], values[3])
        return values

    yield from _generic_chunks(
        source, columns, fields, on_error, chunk_rows, with_line=False, row_clean=weekly, optional=("effective_from",)
    )


def _timezone_chunks(source: _Reader, columns: Columns, on_error: OnError, chunk_rows: int) -> Iterator[list[Row]]:
    fields: list[tuple[tuple[int, str] | None, Cleaner]] = [
        (columns["store_id"], store_id_clean),
        (columns["timezone_str"], timezone_clean),
    ]
    yield from _generic_chunks(source, columns, fields, on_error, chunk_rows, with_line=True)


def _store_chunks(source: _Reader, columns: Columns, on_error: OnError, chunk_rows: int) -> Iterator[list[Row]]:
    name = columns.get("name")
    fields: list[tuple[tuple[int, str] | None, Cleaner]] = [
        (columns["store_id"], store_id_clean),
        (columns["brand"], brand_slug_clean),
        # Optional: without the column, names are not the file's business (None).
        (name, store_name_clean if name is not None else _absent),
    ]
    yield from _generic_chunks(source, columns, fields, on_error, chunk_rows, with_line=True, optional=("name",))


def _absent(_raw: str) -> None:
    return None


def store_id_lines(stream: Iterable[str], kind: str, store_ids: set[str], *, file: str) -> Iterator[int]:
    """The lines (of each record's first character) of the rows of a `kind` CSV whose store id,
    read as `store_id_clean` reads it, is one of `store_ids`: to name the rows of stores a
    write may not touch, after the rows themselves were read."""
    source = _Reader(stream, file)
    with _unreadable_as_bad_file(source):
        index = _header_read(source, LAYOUTS[kind])["store_id"][0]
        for line, record in source.records():
            try:
                if index < len(record) and store_id_clean(record[index]) in store_ids:
                    yield line
            except ValueError:
                continue


def _special_chunks(source: _Reader, columns: Columns, on_error: OnError, chunk_rows: int) -> Iterator[list[Row]]:
    # The whole row is read by calendar_rows.special_row_parse: the file, the API and the
    # admin agree on what a valid special row is (rule 11: both times or neither).
    fields: list[tuple[tuple[int, str] | None, Cleaner]] = [
        (columns[column], str) for column in ("store_id", "date", "start_time_local", "end_time_local")
    ]

    def special(values: list[Any]) -> list[Any]:
        return list(calendar_rows.special_row_parse(*values))

    yield from _generic_chunks(source, columns, fields, on_error, chunk_rows, with_line=False, row_clean=special)


# Cleans the values of one row together (after each field's own cleaner): the row as stored,
# or FieldError naming the canonical column at fault.
RowClean = Callable[[list[Any]], list[Any]]


def _generic_chunks(
    source: _Reader,
    columns: Columns,
    fields: list[tuple[tuple[int, str] | None, Cleaner]],
    on_error: OnError,
    chunk_rows: int,
    *,
    with_line: bool,
    row_clean: RowClean | None = None,
    optional: tuple[str, ...] = (),
) -> Iterator[list[Row]]:
    """Rows of one cleaned value per field, in order; a field without a column (None: an optional
    column the header lacks) is cleaned from "". `row_clean`, if given, then makes the row from
    those values (the line, `with_line`, is not among them). A row that ends before a column is a
    bad row naming it missing, unless the column is `optional` (its cell then reads as empty)."""
    file = source.file
    width = max(column[0] for column, _ in fields if column is not None) + 1
    optional_indexes = {columns[c][0] for c in optional if c in columns}
    chunk: list[Row] = []
    for line, record in source.records():
        if len(record) < width:
            if not any(cell.strip() for cell in record):
                continue
            short = min(
                (c for c, _ in fields if c is not None and c[0] >= len(record) and c[0] not in optional_indexes),
                default=None,
            )
            if short is not None:
                on_error(RowError(file, line, short[1], missing_cell(record)))
                continue
            record = record + [""] * (width - len(record))
        values: list[Any] = [line] if with_line else []
        for column, clean in fields:
            index, name = column if column is not None else (-1, "")
            try:
                values.append(clean(record[index] if column is not None else ""))
            except KeptValue as kept:
                on_error(RowWarning(file, line, name, str(kept)))
                values.append(kept.value)
            except ValueError as exc:
                on_error(RowError(file, line, name, str(exc)))
                break
        else:
            if row_clean is not None:
                head = values[:1] if with_line else []
                try:
                    values = head + row_clean(values[len(head) :])
                except FieldError as exc:
                    on_error(
                        RowError(file, line, columns[exc.field][1] if exc.field in columns else exc.field, exc.reason)
                    )
                    continue
            chunk.append(tuple(values))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


# --- Rejected rows, as CSV ------------------------------------------------------------------

REJECTS_COLUMNS = ("line", "reason")


def rejects_write(path: str | os.PathLike[str], reasons: dict[int, list[str]], out: TextIO) -> int:
    """Write the rows of the CSV file at `path` that start on a line of `reasons` to `out`, as CSV:
    its header as written plus `line` and `reason` (the row's line in `path`, its reasons joined by
    "; "), then each row's cells as written, in file order. Fixed, the file loads again as the
    original does (a reader takes its columns by name, so `line` and `reason` are ignored).
    Returns the rows written. Raises BadFile if `path` no longer reads as a CSV."""
    # csv's default line end, "\r\n" (RFC 4180): a cell is quoted when it holds a character of it,
    # so a stray carriage return inside a rejected cell is kept, not taken for a line end.
    writer = csv.writer(out)
    written = 0
    with csv_open(path) as stream:
        source = _Reader(stream, str(path))
        with _unreadable_as_bad_file(source):
            records = source.records()
            header = next((record for _, record in records if any(cell.strip() for cell in record)), None)
            if header is None:
                return 0
            width = len(header)
            writer.writerow([*header, *REJECTS_COLUMNS])
            for line, record in records:
                if line in reasons:
                    # Padded to the header, so that line and reason stay in their columns; cells
                    # past the header (a row too long) are kept after them.
                    cells = record[:width] + [""] * (width - len(record))
                    writer.writerow([*cells, line, "; ".join(reasons[line]), *record[width:]])
                    written += 1
    return written


# --- A pushed JSON batch ----------------------------------------------------------------


def poll_items_read(items: list[Any], *, file: str = "request") -> tuple[list[Row], list[RowError]]:
    """Poll rows from a JSON list of `{"store_id", "timestamp_utc", "status"}` objects,
    validated like file rows; errors carry the 0-based item index as `line`."""
    rows: list[Row] = []
    errors: list[RowError] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(RowError(file, index, "item", "not a JSON object"))
            continue
        values: list[Any] = []
        for name, clean in _POLL_CLEANERS:
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
