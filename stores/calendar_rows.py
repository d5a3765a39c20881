"""Validate one row of a store's calendar: a special-hours row, a weekly row (docs/numbers.md rules 10, 11).

Pure functions of the text (or JSON value) given, the standard library only, so that every
way a calendar row comes in reads it alike: the `special_hours.csv` file reader, the
`POST /api/special-days` batch, `PUT /api/stores/{id}/special-days/{date}` and
`PUT /api/stores/{id}/hours`, and the admin's forms. A row comes back in the text form
both databases store (`HH:MM:SS`, `YYYY-MM-DD`); a bad one raises `FieldError`, a
ValueError that names the field (the canonical column name), so a file reader can
report `file:line: field: reason`.

`version_spans` says which local dates each weekly version supplies (rule 10), for
showing a store's versions; the engine applies the same rule to compute.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import NamedTuple

# Store.store_id is varchar(64): a longer id would fail in the database, not as a bad row.
MAX_STORE_ID_LENGTH = 64
# The local dates a calendar row may name. No poll or report is before 1971 (the
# instants' lower bound), and the upper bound keeps a day of margin below the last
# date Python can name: a period may run into D + 1, and D + 1 in a zone behind UTC
# is later still in UTC.
DATE_EARLIEST = dt.date(1971, 1, 1)
DATE_LATEST = dt.date(9998, 12, 31)

# docs/numbers.md "Inputs": an id a spreadsheet would read as a formula is a bad row.
# Tabs and carriage returns are looked for in the id as given (trimming removes them);
# =, +, - and @ in the trimmed id, the one stored and written into reports.
_FORMULA_STARTS = "=+-@"
_FORMULA_STARTS_RAW = {"\t": "a tab", "\r": "a carriage return"}
# re.ASCII: `\d` is 0-9 only, never another script's digits.
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII)
_DAYS = {str(day): day for day in range(7)}
# brands.Brand.slug: a SlugField of 64 characters (Django's validate_slug, ASCII).
_SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+", re.ASCII)
MAX_SLUG_LENGTH = 64
_SHOWN = 40  # characters of a bad value quoted in a message


class FieldError(ValueError):
    """A bad value: `field` is the column (or JSON key) it came in, `reason` says what is wrong.

    `str()` is `field: reason`."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class SpecialRow(NamedTuple):
    """A valid special-hours row (rule 11): both times None = closed that date."""

    store_id: str
    date: str  # YYYY-MM-DD, the store's local date
    start_time_local: str | None  # HH:MM:SS
    end_time_local: str | None


class WeeklyRow(NamedTuple):
    """A valid row of one weekly version (rules 5 and 10): 0 = Monday ... 6 = Sunday, local `HH:MM:SS`."""

    day_of_week: int
    start_time_local: str
    end_time_local: str


class VersionSpan(NamedTuple):
    """The local dates a weekly version supplies periods to (rule 10): [applies_from, applies_until).

    `applies_from` None: every date before `applies_until` (the undated version, or the
    earliest version of a store without one); `applies_until` None: every later date."""

    effective_from: dt.date | None
    applies_from: dt.date | None
    applies_until: dt.date | None


def _shown(raw: str) -> str:
    return repr(raw.strip()[:_SHOWN])


def store_id_parse(raw: str, *, field: str = "store_id") -> str:
    """The trimmed store id, as text (never an int: docs/numbers.md "Inputs").

    Refused: empty after trimming, beginning with a tab or carriage return (as given) or
    with =, +, - or @ (trimmed), longer than 64 characters, or holding control characters.
    """
    value = raw.strip()
    if not value:
        raise FieldError(field, "empty")
    if raw[0] in _FORMULA_STARTS_RAW:
        raise FieldError(field, f"begins with {_FORMULA_STARTS_RAW[raw[0]]}: a spreadsheet would read it as a formula")
    if value[0] in _FORMULA_STARTS:
        raise FieldError(field, f"begins with {value[0]!r}: a spreadsheet would read it as a formula")
    if len(value) > MAX_STORE_ID_LENGTH:
        raise FieldError(field, f"longer than {MAX_STORE_ID_LENGTH} characters")
    if not value.isprintable():
        raise FieldError(field, "contains control characters")
    return value


def brand_slug_parse(raw: str, *, field: str = "brand") -> str:
    """The trimmed slug of a brand (stores.csv's `brand`): ASCII letters, digits, `-` and `_`,
    at most 64 characters, as brands.Brand.slug holds them."""
    value = raw.strip()
    if not value:
        raise FieldError(field, "empty (every store of the file names its brand's slug)")
    if len(value) > MAX_SLUG_LENGTH:
        raise FieldError(field, f"longer than {MAX_SLUG_LENGTH} characters")
    if not _SLUG_RE.fullmatch(value):
        raise FieldError(field, f"not a slug (letters, digits, '-' and '_' only): {_shown(raw)}")
    return value


def date_parse(raw: str, *, field: str = "date") -> dt.date:
    """The local calendar date written `YYYY-MM-DD` (spaces around allowed), from 1971-01-01 to 9998-12-31."""
    text = raw.strip()
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise FieldError(field, f"not a date (expected YYYY-MM-DD): {_shown(raw)}")
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise FieldError(field, f"{text} is not a date") from None
    return date_check(day, field=field)


def date_check(day: dt.date, *, field: str = "date") -> dt.date:
    """`day` itself if a calendar row may name it (DATE_EARLIEST to DATE_LATEST), else FieldError."""
    if not DATE_EARLIEST <= day <= DATE_LATEST:
        raise FieldError(field, f"{day.isoformat()} is outside {DATE_EARLIEST} to {DATE_LATEST}")
    return day


def time_parse(raw: str, *, field: str) -> str:
    """A local wall time as `HH:MM:SS` (`HH:MM` and a one-digit hour are read too, as in the files)."""
    text = raw.strip()
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise FieldError(field, f"not a time (expected HH:MM:SS): {_shown(raw)}")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise FieldError(field, f"{text} is not a time of day 00:00:00-23:59:59")
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def effective_from_parse(raw: str | None, *, field: str = "effective_from") -> str | None:
    """A weekly version's `effective_from` (rule 10): None for missing or empty (the undated
    version), else the trimmed date as `YYYY-MM-DD`."""
    if raw is None or not raw.strip():
        return None
    return date_parse(raw, field=field).isoformat()


def special_times_parse(start_time_local: str, end_time_local: str) -> tuple[str | None, str | None]:
    """The two times of a special-hours row (rule 11) as `HH:MM:SS`, or (None, None) when both are
    empty after trimming (closed). Exactly one empty is invalid: the FieldError names the empty one."""
    start_empty, end_empty = not start_time_local.strip(), not end_time_local.strip()
    if start_empty and end_empty:
        return None, None
    if start_empty or end_empty:
        empty, given = ("start_time_local", "end_time_local") if start_empty else ("end_time_local", "start_time_local")
        raise FieldError(empty, f"empty while {given} is given: give both times, or neither for a closed day")
    return time_parse(start_time_local, field="start_time_local"), time_parse(end_time_local, field="end_time_local")


def special_row_parse(store_id: str, date: str, start_time_local: str, end_time_local: str) -> SpecialRow:
    """One special-hours row from its four fields as text (rule 11), checked in column order (the
    first bad field raises FieldError); times as `special_times_parse` reads them."""
    row_store = store_id_parse(store_id)
    row_date = date_parse(date).isoformat()
    start, end = special_times_parse(start_time_local, end_time_local)
    return SpecialRow(row_store, row_date, start, end)


def weekly_row_parse(day_of_week: str | int, start_time_local: str, end_time_local: str) -> WeeklyRow:
    """One row of a weekly version (rules 5 and 10): the day as text "0".."6" (a file) or an int 0..6
    (JSON; not a bool), both times required."""
    if isinstance(day_of_week, bool) or not isinstance(day_of_week, int | str):
        raise FieldError("day_of_week", "not a day of the week 0-6")
    day = _DAYS.get(str(day_of_week).strip())
    if day is None:
        raise FieldError("day_of_week", f"not a day of the week 0-6: {_shown(str(day_of_week))}")
    times = []
    for name, raw in (("start_time_local", start_time_local), ("end_time_local", end_time_local)):
        if not raw.strip():
            raise FieldError(name, "empty (a weekly row needs both times)")
        times.append(time_parse(raw, field=name))
    return WeeklyRow(day, times[0], times[1])


def version_spans(effective_froms: Sequence[dt.date | None]) -> list[VersionSpan]:
    """For a store's versions (their distinct `effective_from`, None = undated), the dates each
    supplies periods to, undated first, then by date (rule 10).

    A version supplies the dates D from its `effective_from` up to the next version's; the
    undated one every date before the first dated version; with no undated version, the
    earliest dated one also every date before it. (A period that starts on D - 1 runs whole
    into D whatever D's version: spans are about where periods start.)
    """
    dated = sorted({day for day in effective_froms if day is not None})
    has_undated = any(day is None for day in effective_froms)
    starts: list[dt.date | None] = ([None] if has_undated else []) + list(dated)
    spans = []
    for index, effective_from in enumerate(starts):
        applies_from = None if index == 0 else effective_from
        applies_until = starts[index + 1] if index + 1 < len(starts) else None
        spans.append(VersionSpan(effective_from, applies_from, applies_until))
    return spans
