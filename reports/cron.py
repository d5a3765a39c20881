"""When a report schedule runs: a five-field cron line in an IANA timezone, read as beat reads it.

Plain code (Celery's crontab and zoneinfo, no Django), so that the API's "next run" comes from
the very code that decides when beat runs a schedule: django-celery-beat's `TzAwareCrontab`,
Celery's crontab evaluated in the schedule's zone (wall-clock times: "06:00" stays 06:00 local
across daylight-saving changes).

Celery's reading of a cron line, which is not quite Vixie cron's: the day of the month and the
day of the week must both match (cron runs when either does), days of the week are 0-6 or
sun..sat (0 is Sunday; 7 is refused), and there are no @daily-style aliases.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass

from celery.utils.time import remaining
from django_celery_beat.tzcrontab import TzAwareCrontab

# In a cron line's order; the names are CrontabSchedule's (and Celery's crontab's) fields.
FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
FIELD_WORDS = {
    "minute": "minute",
    "hour": "hour",
    "day_of_month": "day of the month",
    "month_of_year": "month",
    "day_of_week": "day of the week",
}
CRON_MAX_LENGTH = 100
_FIELD_TEXT = re.compile(r"[0-9a-z*,/-]+")

# The friendly form {"every": ..., "at": "HH:MM"}: its day of the week, as a cron field.
EVERY = {
    "day": "*",
    "weekday": "1-5",
    "monday": "1",
    "tuesday": "2",
    "wednesday": "3",
    "thursday": "4",
    "friday": "5",
    "saturday": "6",
    "sunday": "0",
}
_AT = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


class CronError(ValueError):
    """A cron line (or friendly form) that is no schedule; the message says which part and why,
    `field` which input it was ("cron", "every", "at" or "timezone")."""

    def __init__(self, message: str, *, field: str = "cron"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Cron:
    """A schedule's five cron fields, each as Celery's crontab reads it."""

    minute: str
    hour: str
    day_of_month: str
    month_of_year: str
    day_of_week: str

    def __str__(self) -> str:
        return " ".join(getattr(self, name) for name in FIELDS)

    def fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS}


def cron_parse(text: str) -> Cron:
    """The fields of a five-field cron line ("0 6 * * *": minute, hour, day of month, month, day of
    week), each checked by Celery's crontab parser. Raises CronError naming the field at fault.

    A schedule runs at most once an hour: its minute is one number (a run is a whole report of
    the brand; a busier cadence is an operator's `POST /trigger_report`). A line that can never
    run (31 February) is refused too.
    """
    if len(text) > CRON_MAX_LENGTH:
        raise CronError(f"longer than {CRON_MAX_LENGTH} characters")
    parts = text.lower().split()
    if len(parts) != len(FIELDS):
        raise CronError(
            f"needs 5 fields (minute hour day-of-month month day-of-week, e.g. '0 6 * * *'), got {len(parts)}"
        )
    cron = Cron(*parts)
    for name, value in cron.fields().items():
        _field_check(name, value)
    if not cron.minute.isdigit():
        raise CronError(
            f"the minute field {cron.minute!r} must be one minute (0-59): a schedule runs at most once an hour"
        )
    try:
        next_run(cron, "UTC", after=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    except (ValueError, RuntimeError) as exc:
        raise CronError(f"never runs: {exc}") from None
    return cron


def _field_check(name: str, value: str) -> None:
    word = FIELD_WORDS[name]
    if not _FIELD_TEXT.fullmatch(value):
        raise CronError(f"the {word} field {value!r} holds characters no cron field has")
    try:
        TzAwareCrontab(**{name: value})
    except (ValueError, IndexError, KeyError) as exc:
        raise CronError(f"the {word} field {value!r} is not valid: {exc}") from None


def cron_of_every(every: str, at: str) -> Cron:
    """The cron line of the friendly form: `every` one of EVERY ("day", "weekday", "monday"...),
    `at` a local time "HH:MM" (24-hour). Raises CronError whose `field` says which of the two is wrong."""
    day_of_week = EVERY.get(every.strip().lower())
    if day_of_week is None:
        raise CronError(f"{every!r} is none of {', '.join(EVERY)}", field="every")
    match = _AT.fullmatch(at.strip())
    if match is None:
        raise CronError(f"{at!r} is no time of day HH:MM (24-hour, e.g. '06:00')", field="at")
    hour, minute = (int(part) for part in match.groups())
    return Cron(str(minute), str(hour), "*", "*", day_of_week)


@functools.lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_check(name: str) -> str:
    """`name` if it is an IANA timezone ("Asia/Kolkata", "UTC"), else CronError."""
    if name not in _zone_names():
        raise CronError(
            f"{name!r} is not an IANA timezone name (e.g. 'Europe/Berlin', 'Asia/Kolkata', 'UTC')", field="timezone"
        )
    return name


def crontab_of(cron: Cron, timezone: str) -> TzAwareCrontab:
    """The schedule as beat evaluates it (`CrontabSchedule.schedule` is the same object)."""
    return TzAwareCrontab(tz=zoneinfo.ZoneInfo(timezone), **cron.fields())


def next_run(cron: Cron, timezone: str, *, after: dt.datetime) -> dt.datetime:
    """The first run strictly after `after`'s minute, in `timezone` (an aware datetime there).

    What beat computes after a run at `after`: `after` plus Celery's remaining time to the next
    matching wall-clock minute. Raises ValueError for a line that never runs.
    """
    zone = zoneinfo.ZoneInfo(timezone)
    local = after.astimezone(zone)
    # Celery's remaining_estimate(local), with `local` as the clock instead of the wall clock: the
    # real time (seconds) until the run, added in UTC (in `zone` the addition would be wall-clock,
    # an hour off across a change of offset).
    last, delta, _ = crontab_of(cron, timezone).remaining_delta(local)
    return (after.astimezone(dt.UTC) + remaining(last, delta, now=local)).astimezone(zone)
