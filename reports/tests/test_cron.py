"""A schedule's cron line and timezone (reports/cron.py): what is refused and why, and when it
runs next, checked against a brute force that walks the clock minute by minute. No database."""

import datetime as dt
import zoneinfo

import pytest

from reports import cron

UTC = dt.UTC


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("0 6 * *", "cron", "needs 5 fields"),
        ("0 6 * * * *", "cron", "needs 5 fields"),
        ("61 6 * * *", "cron", "the minute field '61' is not valid"),
        ("0 24 * * *", "cron", "the hour field '24' is not valid"),
        ("0 6 0 * *", "cron", "the day of the month field '0' is not valid"),
        ("0 6 * 13 *", "cron", "the month field '13' is not valid"),
        ("0 6 * * 7", "cron", "the day of the week field '7' is not valid"),
        ("0 6 ? * *", "cron", "holds characters no cron field has"),
        ("*/15 * * * *", "cron", "must be one minute"),
        ("* 6 * * *", "cron", "must be one minute"),
        ("0 0 31 2 *", "cron", "never runs"),
        ("0 6 * * " + "1," * 60 + "2", "cron", "longer than 100 characters"),
    ],
)
def test_a_bad_cron_line_is_refused_saying_which_field(line, field, message):
    with pytest.raises(cron.CronError) as refused:
        cron.cron_parse(line)

    assert refused.value.field == field
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("line", "stored"),
    [
        ("0 6 * * *", "0 6 * * *"),
        ("  30   7 * *  MON ", "30 7 * * mon"),
        ("0 6 1-5 jan *", "0 6 1-5 jan *"),
        ("0 6,18 * * mon-fri", "0 6,18 * * mon-fri"),
        ("0 */4 * * *", "0 */4 * * *"),
        ("0 0 29 2 *", "0 0 29 2 *"),  # runs every four years: still a schedule
    ],
)
def test_a_good_cron_line_is_stored_as_celery_reads_it(line, stored):
    assert str(cron.cron_parse(line)) == stored


@pytest.mark.parametrize(
    ("every", "at", "line"),
    [
        ("day", "06:00", "0 6 * * *"),
        ("Monday", "07:00", "0 7 * * 1"),
        ("sunday", "23:59", "59 23 * * 0"),
        ("weekday", "7:30", "30 7 * * 1-5"),
    ],
)
def test_the_friendly_form_is_a_cron_line(every, at, line):
    assert str(cron.cron_of_every(every, at)) == line


@pytest.mark.parametrize(
    ("every", "at", "field"),
    [("fortnight", "06:00", "every"), ("day", "24:00", "at"), ("day", "6", "at"), ("day", "06:60", "at")],
)
def test_a_bad_friendly_form_names_its_field(every, at, field):
    with pytest.raises(cron.CronError) as refused:
        cron.cron_of_every(every, at)

    assert refused.value.field == field


@pytest.mark.parametrize("name", ["Asia/Kolkata", "UTC", "America/Argentina/Buenos_Aires"])
def test_an_iana_timezone_is_accepted(name):
    assert cron.timezone_check(name) == name


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "asia/kolkata", "../../etc/passwd", "+05:30", "IST"])
def test_anything_else_is_no_timezone(name):
    with pytest.raises(cron.CronError) as refused:
        cron.timezone_check(name)

    assert refused.value.field == "timezone"


def test_0600_in_kolkata_is_0030_utc():
    # given a daily 06:00 schedule in Asia/Kolkata (UTC+05:30), asked on 1 March 2026 before 00:30 UTC
    daily = cron.cron_parse("0 6 * * *")

    # when its next run is computed
    at = cron.next_run(daily, "Asia/Kolkata", after=dt.datetime(2026, 3, 1, 0, 10, tzinfo=UTC))

    # then it is 06:00 there, 00:30 UTC the same day
    assert at.isoformat() == "2026-03-01T06:00:00+05:30"
    assert at.astimezone(UTC) == dt.datetime(2026, 3, 1, 0, 30, tzinfo=UTC)


def test_the_next_run_after_a_run_is_the_next_slot_not_the_same_one():
    daily = cron.cron_parse("0 6 * * *")

    at = cron.next_run(daily, "Asia/Kolkata", after=dt.datetime(2026, 3, 1, 0, 30, 2, tzinfo=UTC))

    assert at.isoformat() == "2026-03-02T06:00:00+05:30"


def test_local_times_stay_local_across_daylight_saving():
    # 06:00 in New York is 11:00 UTC in winter and 10:00 UTC in summer: DST began at 02:00 on
    # 8 March 2026, so asked on the 7th at noon, the next run (the 8th) is already summer's.
    daily = cron.cron_parse("0 6 * * *")

    winter = cron.next_run(daily, "America/New_York", after=dt.datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    across = cron.next_run(daily, "America/New_York", after=dt.datetime(2026, 3, 7, 12, 0, tzinfo=UTC))

    assert winter.astimezone(UTC) == dt.datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    assert across.isoformat() == "2026-03-08T06:00:00-04:00"
    assert across.astimezone(UTC) == dt.datetime(2026, 3, 8, 10, 0, tzinfo=UTC)


# --- Against a brute force ------------------------------------------------------------------

_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """An independent reading of one cron field: lists, ranges, steps, names."""
    out: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-")
            start, end = (names or {}).get(a, None) or int(a), (names or {}).get(b, None) or int(b)
        else:
            start = end = names[base] if names and base in names else int(base)
        out |= set(range(start, end + 1, int(step) if step else 1))
    return out


def brute_next_run(line: str, zone_name: str, *, after: dt.datetime) -> dt.datetime:
    """Walk the UTC clock a minute at a time from the minute after `after` until the local time
    matches every field (day of month AND day of week, as Celery reads them).

    Outside a matching local hour it strides to the next UTC quarter hour: every offset and
    every change of offset is a multiple of 15 minutes, so no local hour starts inside a stride.
    """
    minute, hour, dom, month, dow = line.split()
    sets = (
        _values(minute, 0, 59),
        _values(hour, 0, 23),
        _values(dom, 1, 31),
        _values(month, 1, 12, _MONTHS),
        _values(dow, 0, 6, _DAYS),
    )
    zone = zoneinfo.ZoneInfo(zone_name)
    t = after.astimezone(UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    for _ in range(60 * 24 * 400):
        local = t.astimezone(zone)
        fields = (local.minute, local.hour, local.day, local.month, local.isoweekday() % 7)
        matches = [value in allowed for value, allowed in zip(fields, sets, strict=True)]
        if all(matches):
            return local
        t += dt.timedelta(minutes=1 if all(matches[1:]) else 15 - t.minute % 15)
    raise AssertionError("no run within 400 days")


@pytest.mark.parametrize(
    "line",
    [
        "0 6 * * *",
        "30 7 * * mon",
        "15 */4 * * *",
        "0 9 1,15 * *",
        "45 23 * * sat,sun",
        "0 6 1-7 * mon",
        "5 0 1 jan,jul *",
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "America/New_York"])
@pytest.mark.parametrize(
    "after",
    [
        dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
        dt.datetime(2026, 6, 15, 6, 0, tzinfo=UTC),
        dt.datetime(2026, 12, 31, 18, 29, tzinfo=UTC),
    ],
)
def test_the_next_run_is_the_first_matching_local_minute(line, zone, after):
    # The lines name no hour that a change of offset skips or repeats (Chatham's clocks move at
    # 02:45 and 03:45 local, New York's at 02:00), so each local minute they name happens once.
    assert cron.next_run(cron.cron_parse(line), zone, after=after) == brute_next_run(line, zone, after=after)
