"""Synthetic store data in the shapes of the real 2023 files (docs/numbers.md "Inputs").

`generate(out_dir, stores=..., days=..., seed=..., start=...)` writes
`store_status.csv`, `menu_hours.csv` and `timezones.csv` (and, on request,
`special_hours.csv` and dated schedule versions: "Real calendars" below) and
returns a `GeneratedSummary`. Pure: the standard library and numpy, never Django, so
`python -c "import stores.generator"` works without settings. The same
arguments always give byte-identical files: the store-level draws come from
one random stream, and each chunk of stores from its own stream seeded by
(seed, chunk number); the chunk size depends only on the arguments. Memory
is bounded by one chunk (at most 2,000 stores), whatever the fleet size.

Shapes, as in ../shared/data/loop-2023-sample/
-----------------------------------------------
- Headers `store_id,status,timestamp_utc` (that order),
  `store_id,day,start_time_local,end_time_local` and `store_id,timezone_str`.
- Timestamps `2023-01-22 12:09:39.388884 UTC`: microseconds with the
  trailing zeros dropped, as the real export does (so ~10% of them have 5
  fraction digits, ~1% 4, and a poll on a whole second would have none).
- Rows in no particular order: the polls of each chunk of stores are
  shuffled as one block, so a store's polls are spread through its chunk's
  block rather than adjacent. menu_hours rows are grouped by store with the days
  in random order, except for ~30% of the stores whose rows are scattered
  through the chunk, as in the real file.

Stores
------
- store_id is an opaque string: ~70% decimal integers drawn uniformly from
  [1, 2**63) exactly like the real ids (so ~89% of them have 19 digits and
  the rest 15-18: a string sort orders them differently from a numeric one),
  ~30% lowercase UUID4s as in the 2024 data. Ids are unique.
- ~80% of the stores have menu_hours rows (real: 11,116 of ~13.8k); the
  rest are open 24x7 (rule 5). ~98% have a timezones.csv row; ~1% have no
  polls at all.
- Special stores, each a share of the fleet with a small minimum once there
  are 100 stores, so that a sample of a few hundred has them all: only in
  timezones.csv, only in store_status.csv, only in menu_hours.csv, an empty
  timezone_str, an invalid name (`America/Chicgo`, `GMT-5`, ...; rule 4
  falls back to America/Chicago), a valid alias (`US/Eastern`) or a name
  with surrounding spaces, and "dead" stores whose every poll is inactive.
- Timezones weighted like the real timezones.csv: America/New_York 60%,
  Los_Angeles 24%, Chicago 11%, Phoenix 3%, Denver 1%, Detroit 0.5%,
  Indianapolis 0.1%, plus a few rare and non-US zones (Asia/Beirut,
  Pacific/Honolulu, America/Edmonton, America/Toronto, ...). With 100 stores
  or more, Asia/Beirut, Pacific/Honolulu and America/Edmonton each have at
  least one store.

Business hours (local time, day 0 = Monday)
-------------------------------------------
Opening and closing times follow the real file's frequencies (opening
11:00, 10:00, 06:00, 07:00, 08:00, 10:30 ...; closing 22:00, 21:00, 23:00,
20:00, 21:30 ...; at least 5 hours apart). Days: 80% of the stores open 7
days, 13% 6 days (mostly closed on Sunday or Monday), 3.5% 5 days, 1.5% a
single day, 2% 2-4 days. A third close later on Friday and Saturday, a
quarter open an hour later on Sunday. Kinds of store:
- 62% one row per open day, `O-C`;
- 13% "all day": `00:00:00-23:59:00` or `00:00:00-23:59:59`;
- 12% past midnight written the way the real data does, as two rows on one
  day, `00:00:00-02:00:00` (the night before) plus `11:00:00-23:59:59`,
  every night or only on Thursday-Saturday nights;
- 4% past midnight as one row with start > end, e.g. `17:00:00-02:00:00`;
- 3% a lunch break: two rows such as `11:00-15:00` and `17:00-22:30`;
- 3% overlapping rows on every open day: partly overlapping, one containing
  the other, or an exact duplicate row;
- 2% whole-day rows (start == end, e.g. `00:00:00-00:00:00`), every open day
  or only at the weekend;
- 1% the real data's odd `00:00:00-00:10:00` on every day.

Polls
-----
The poller runs in hourly rounds from `start` 00:00 UTC for `days` days.
Within a round a store's poll lands 0-60 minutes after the hour: 85% in the
first minutes (gamma, mean ~5 min), 15% uniformly over the hour, like the
real minute histogram. Each round is missed with probability 1.5%. Per store:
- stores without hours (open 24x7) are polled in every round;
- of the stores with hours, 18% are polled around the clock (so also while
  closed), 82% only while open, plus 40% of the rounds within 45 minutes of
  opening or closing and 3% of the other closed rounds;
- 3% of the stores are polled twice per round (every ~30 minutes);
- 1% start being polled part-way through the window (onboarded) and 0.7%
  stop part-way (churned).
That makes ~17 polls per store-day: ~1.85 M polls for the default 14,000
stores over 7.75 days, the size of the real data; the count scales linearly
with stores and days. About 12% of the polls fall outside business hours.

Status: each store has outages, a Poisson process in time (per hour: 0.005
for 55% of the stores, 0.02 for 35%, 0.07 for 10%) lasting a log-normal
time (median 1.5 h, 0.2 h to 2 days), so that outages show as runs of
consecutive inactive polls; 0.6% of the polls are lone inactive blips; 20%
of the stores with hours that are polled around the clock switch their
device off while closed (their closed-time polls are inactive). Overall ~7%
of the polls are inactive. About 0.03% of the polls are repeated as exact
duplicate rows (at least one per chunk), and 0.005% get a second row at the
same instant with the opposite status (rule 7: one inactive observation).

Real calendars (docs/numbers.md rules 10, 11), off unless asked for
-----------------------------------------------------------------
Each draws from streams of its own (per chunk, seeded by (seed, chunk
number, 1) for versions and (seed, chunk number, 2) for special days), so
turning one on changes no poll, no timezone, no weekly row that was there
without it, and nothing the other one writes; with both shares 0 (the default) the files
are byte for byte those of a generator without them, and no
`special_hours.csv` is written (one left by an earlier run is removed).
- `versions_share`: that share of the stores with hours gets a dated version
  of its weekly schedule, effective from a local date inside the poll window:
  closing an hour earlier, opening an hour later, or one open day fewer
  (a third each). A quarter of them also have a version dated 60 days after
  the window (a change announced ahead: never in a report of the window), and
  a fifth have their original rows dated 90 days before the window instead of
  undated (rule 10: the earliest version then also covers the dates before it).
  `menu_hours.csv` then has a fifth column, `effective_from` (empty: undated);
  the dated rows follow each chunk's rows, in random order.
- `special_share`: that share of the plain stores (no odd role above, with or
  without hours) gets one to three special dates inside the window, in
  `special_hours.csv` (`store_id,date,start_time_local,end_time_local`, rows
  in random order within a chunk): closed (40%), a short day `10:00-14:00`
  and the like (25%), a split day of two rows (10%), past midnight
  `18:00-02:00` (15%), a whole day `06:00-06:00` (10%).
Polls do not follow these calendars: the pollers keep their weekly rounds, so
polls on a closed holiday are simply not observations (rule 6).

Brands (issue 14), off unless asked for
---------------------------------------
`brands` N >= 1 writes `stores.csv` (`store_id,brand,name`): every store of the
fleet, in fleet order, goes to brand `i mod N` (slugs `demo`, `other`, then
`brand-3`, `brand-4`, ...), named after its brand and its number in it
(`Demo 1`, `Other 1`, ...). No random draw is spent on it, so turning it on
changes no byte of the other files; with 0 (the default) no `stores.csv` is
written (one left by an earlier run is removed). Brands change no number.
"""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

POLLS_FILE = "store_status.csv"
HOURS_FILE = "menu_hours.csv"
TIMEZONES_FILE = "timezones.csv"
POLLS_HEADER = "store_id,status,timestamp_utc\n"
HOURS_HEADER = "store_id,day,start_time_local,end_time_local\n"
TIMEZONES_HEADER = "store_id,timezone_str\n"
SPECIAL_FILE = "special_hours.csv"
SPECIAL_HEADER = "store_id,date,start_time_local,end_time_local\n"
STORES_FILE = "stores.csv"
STORES_HEADER = "store_id,brand,name\n"
BRAND_SLUGS = ("demo", "other")  # then brand-3, brand-4, ...
VERSIONED_HOURS_HEADER = "store_id,day,start_time_local,end_time_local,effective_from\n"

DEFAULT_START = date(2023, 1, 18)  # a Wednesday, the first day of the real polls
FALLBACK_ZONE = "America/Chicago"  # docs/numbers.md rule 4

# Weighted like the real timezones.csv (13,559 rows), with a little more
# weight on the rare zones so that they show up in mid-sized sets.
ZONE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("America/New_York", 60.4),
    ("America/Los_Angeles", 23.8),
    ("America/Chicago", 11.2),
    ("America/Phoenix", 3.08),
    ("America/Denver", 0.94),
    ("America/Detroit", 0.46),
    ("America/Indiana/Indianapolis", 0.11),
    ("America/Boise", 0.05),
    ("America/Edmonton", 0.04),
    ("America/Toronto", 0.04),
    ("America/Anchorage", 0.03),
    ("America/Puerto_Rico", 0.03),
    ("Pacific/Honolulu", 0.04),
    ("Asia/Beirut", 0.04),
)
RARE_ZONES_GUARANTEED = ("Asia/Beirut", "Pacific/Honolulu", "America/Edmonton")
INVALID_ZONE_NAMES = ("America/Chicgo", "Eastern Standard Time", "GMT-5", "N/A", "America/New York", "PST")
ALIAS_ZONE_NAMES = ("US/Eastern", "US/Pacific", "US/Central")
SPACED_ZONE_NAMES = (" America/New_York", "America/Los_Angeles ", " America/Chicago ")

# (role, share of the fleet, minimum count once there are >= 100 stores)
SPECIAL_ROLES: tuple[tuple[str, float, int], ...] = (
    ("only_timezones", 0.003, 2),
    ("only_polls", 0.003, 2),
    ("only_hours", 0.0005, 1),
    ("empty_timezone", 0.002, 1),
    ("invalid_timezone", 0.0015, 1),
    ("alias_timezone", 0.002, 1),
    ("spaced_timezone", 0.001, 1),
    ("dead", 0.003, 1),
)
_ROLE_NAMES = {
    "empty_timezone": ("",),
    "invalid_timezone": INVALID_ZONE_NAMES,
    "alias_timezone": ALIAS_ZONE_NAMES,
    "spaced_timezone": SPACED_ZONE_NAMES,
}

UUID_SHARE = 0.30
HOURS_SHARE = 0.80
TIMEZONE_SHARE = 0.98
POLLED_SHARE = 0.99


def _weighted(table: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """{"HH:MM": weight} -> (minutes after midnight, probabilities)."""
    minutes = np.array([int(hhmm[:2]) * 60 + int(hhmm[3:]) for hhmm in table])
    weights = np.array(list(table.values()), dtype=float)
    return minutes, weights / weights.sum()


# Local times weighted by how often the real menu_hours.csv has them (17:00 and
# 16:00 openings are mostly the evening half of split days there, so less here).
_OPEN_TIMES = _weighted({
    "11:00": 20666, "10:00": 8013, "06:00": 7955, "07:00": 5083, "08:00": 3963, "10:30": 2782,
    "12:00": 2545, "11:30": 2437, "09:00": 2244, "17:00": 700, "16:00": 600, "06:30": 787,
    "07:30": 699, "15:00": 300, "09:30": 446, "05:00": 444, "14:00": 343, "08:30": 314,
    "13:00": 267, "17:30": 254, "10:15": 162, "18:00": 140, "05:30": 129, "12:30": 120,
})  # fmt: skip
_CLOSE_TIMES = _weighted({
    "22:00": 6627, "21:00": 6218, "23:00": 5017, "20:00": 3723, "21:30": 3555, "20:30": 2680,
    "19:00": 2239, "22:30": 1931, "23:30": 1675, "15:00": 1391, "20:45": 1382, "19:30": 1207,
    "21:45": 1091, "14:00": 1065, "18:00": 868, "14:30": 814, "16:00": 807, "23:45": 701,
    "17:00": 603, "22:45": 528, "23:59": 2500,
})  # fmt: skip
# End of the `00:00:00-X` row that carries a late night past midnight.
_NIGHT_END_TIMES = _weighted({
    "01:00": 2611, "02:00": 2293, "01:30": 480, "01:45": 388, "02:30": 385, "03:00": 1000, "00:29": 313,
    "00:30": 179, "02:15": 112, "04:00": 300, "04:45": 200, "05:00": 250, "06:00": 220,
})  # fmt: skip
_MIN_OPEN_MINUTES = 300

_KINDS = ("regular", "all_day", "midnight_split", "overnight", "lunch_split", "overlap", "whole_day", "tiny")
_KIND_WEIGHTS = np.array([62.0, 13.0, 12.0, 4.0, 3.0, 3.0, 2.0, 1.0])
_LAST_SECOND = 86_399  # 23:59:59

AROUND_THE_CLOCK_SHARE = 0.18  # of the stores with hours
TWICE_PER_ROUND_SHARE = 0.03
ROUND_MISSED_PROBABILITY = 0.015
EDGE_ROUND_PROBABILITY = 0.40
EDGE_SECONDS = 45 * 60
CLOSED_ROUND_PROBABILITY = 0.03
ONBOARDED_SHARE = 0.01
CHURNED_SHARE = 0.007
NIGHT_OFF_SHARE = 0.20  # of the stores with hours polled around the clock
BLIP_PROBABILITY = 0.006
DUPLICATE_SHARE = 0.0003
CONFLICT_SHARE = 0.00005
_OUTAGE_RATES_PER_HOUR = np.array([0.005, 0.02, 0.07])
_OUTAGE_RATE_WEIGHTS = np.array([0.55, 0.35, 0.10])
_OUTAGE_MEDIAN_S = 1.5 * 3600
_OUTAGE_SIGMA = 1.0
_OUTAGE_CLIP_S = (0.2 * 3600, 48 * 3600)

# Real calendars (module docstring): the kinds of special date and their weights,
# and the shares of the versioned stores with a future or a dated original version.
_SPECIAL_KINDS = ("closed", "short", "split", "past_midnight", "whole_day")
_SPECIAL_KIND_WEIGHTS = np.array([0.40, 0.25, 0.10, 0.15, 0.10])
_SHORT_DAYS = ((10 * 3600, 14 * 3600), (9 * 3600, 13 * 3600), (12 * 3600, 17 * 3600))
_VERSION_VARIANTS = ("closes_earlier", "opens_later", "day_fewer")
FUTURE_VERSION_SHARE = 0.25
FUTURE_VERSION_DAYS = 60
DATED_BASE_SHARE = 0.20
DATED_BASE_DAYS = 90

_MAX_STORES_PER_CHUNK = 2000
_MAX_CANDIDATES_PER_CHUNK = 400_000  # stores x rounds held at once
_DAY_S = 86_400
_US = 1_000_000
_WEEK_MINUTES = 7 * 1440
_KEY_SPAN = 1 << 34  # seconds per store in the outage search keys
_KEY_PAD = 4 * _DAY_S  # keeps keys positive for outages that begin before the window


@dataclass(frozen=True)
class GeneratedSummary:
    """What `generate` wrote: rows per file, and how many of each special case."""

    stores: int
    polls: int
    inactive_polls: int
    hours_rows: int
    timezone_rows: int
    stores_with_polls: int
    stores_with_hours: int
    special: dict[str, int] = field(default_factory=dict)
    file_bytes: dict[str, int] = field(default_factory=dict)
    special_hours_rows: int = 0  # rows of special_hours.csv (0: not written)
    brands: int = 0  # brands of stores.csv (0: not written)

    def line(self) -> str:
        """One line for a terminal."""
        inactive = self.inactive_polls / self.polls if self.polls else 0.0
        text = (
            f"{self.stores} stores, {self.polls} polls ({inactive:.1%} inactive), "
            f"{self.hours_rows} hours rows ({self.stores_with_hours} stores), {self.timezone_rows} timezones"
        )
        if "versioned_stores" in self.special:
            text += f", {self.special['versioned_stores']} stores with dated versions"
        if self.special_hours_rows:
            text += f", {self.special_hours_rows} special-hours rows ({self.special['special_stores']} stores)"
        if self.brands:
            text += f", {self.brands} brands"
        return text


@dataclass(frozen=True)
class _Fleet:
    """Store-level draws for the whole fleet: a few arrays of length `stores`."""

    ids: list[str]
    has_hours: np.ndarray
    has_timezone: np.ndarray
    has_polls: np.ndarray
    timezone_str: list[str]  # as written to timezones.csv
    zone: np.ndarray  # index into zone_names: where the store's local hours really are
    zone_names: list[str]
    roles: dict[str, np.ndarray]


@dataclass
class _Schedule:
    """A chunk's menu_hours rows, as parallel arrays, plus counts of the odd cases."""

    store: np.ndarray  # position in the chunk
    day: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    counts: dict[str, int]

    def rows(self, order: np.ndarray | slice = slice(None)):
        """(store position, day, start second, end second) per row, as Python ints."""
        columns = (self.store, self.day, self.start_s, self.end_s)
        return zip(*(column[order].tolist() for column in columns), strict=True)


@dataclass(frozen=True)
class _Polls:
    """A chunk's polls in file order, with how many rows were added as duplicates."""

    store: np.ndarray  # position in the chunk
    t_us: np.ndarray  # UTC microseconds since the epoch
    inactive: np.ndarray
    duplicates: int  # exact copies of another row
    conflicts: int  # copies with the opposite status


def generate(
    out_dir: Path,
    *,
    stores: int,
    days: float,
    seed: int,
    start: date = DEFAULT_START,
    special_share: float = 0.0,
    versions_share: float = 0.0,
    brands: int = 0,
) -> GeneratedSummary:
    """Write the three CSVs (four with `special_share`, one more with `brands`) into `out_dir`
    and say what was written.

    Polls cover [start 00:00 UTC, start + days). `special_share` and `versions_share`
    (0 to 1) turn on the real calendars of the module docstring, `brands` its stores.csv.
    The files are written as `*.tmp` and renamed at the end, so a failed run leaves no
    half data set.
    """
    if stores < 1:
        raise ValueError("stores must be at least 1")
    if brands < 0:
        raise ValueError("brands must be 0 or more")
    if not days > 0:
        raise ValueError("days must be positive")
    for name, share in (("special_share", special_share), ("versions_share", versions_share)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    window_start_s = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
    window_s = int(round(days * _DAY_S))
    rounds = math.ceil(window_s / 3600)
    fleet = _fleet(np.random.default_rng([seed, 0]), stores)
    offsets_s = _zone_offsets(fleet.zone_names, window_start_s, rounds)
    per_chunk = max(1, min(_MAX_STORES_PER_CHUNK, _MAX_CANDIDATES_PER_CHUNK // rounds))

    special = {role: int(mask.sum()) for role, mask in fleet.roles.items()}
    special["no_hours"] = int((~fleet.has_hours).sum())
    special["no_timezone_row"] = int((~fleet.has_timezone).sum())
    totals = dict.fromkeys(("polls", "inactive", "hours", "timezones", "polled_stores", "special_rows"), 0)
    names = (
        (POLLS_FILE, HOURS_FILE, TIMEZONES_FILE)
        + ((SPECIAL_FILE,) if special_share else ())
        + ((STORES_FILE,) if brands else ())
    )
    if versions_share:
        special.update(versioned_stores=0, dated_versions=0)
    if special_share:
        special.update(special_stores=0, special_dates=0, closed_dates=0)
    plain = ~np.logical_or.reduce(list(fleet.roles.values()))
    window_days = max(1, math.ceil(days))
    tmp = {name: out_dir / f"{name}.tmp" for name in names}
    try:
        with (
            open(tmp[POLLS_FILE], "w", encoding="utf-8", newline="") as polls_f,
            open(tmp[HOURS_FILE], "w", encoding="utf-8", newline="") as hours_f,
            open(tmp[TIMEZONES_FILE], "w", encoding="utf-8", newline="") as tz_f,
            open(tmp.get(SPECIAL_FILE, os.devnull), "w", encoding="utf-8", newline="") as special_f,
        ):
            polls_f.write(POLLS_HEADER)
            hours_f.write(VERSIONED_HOURS_HEADER if versions_share else HOURS_HEADER)
            tz_f.write(TIMEZONES_HEADER)
            special_f.write(SPECIAL_HEADER)
            for chunk_no, lo in enumerate(range(0, stores, per_chunk)):
                chunk = np.arange(lo, min(lo + per_chunk, stores))
                rng = np.random.default_rng([seed, 1 + chunk_no])
                ids = [fleet.ids[i] for i in chunk]

                schedule = _schedule(rng, fleet.has_hours[chunk])
                versions_rng = np.random.default_rng([seed, 1 + chunk_no, 1])
                versions = (
                    _versions(versions_rng, schedule, fleet.has_hours[chunk], versions_share, start, window_days)
                    if versions_share
                    else None
                )
                hours_f.write(_hours_text(rng, ids, schedule, None if versions is None else versions.base))
                if versions is not None:
                    hours_f.write(versions.text(versions_rng, ids))
                    special["versioned_stores"] += versions.stores
                    special["dated_versions"] += versions.dated
                    totals["hours"] += len(versions.rows)
                if special_share:
                    days_text, counts = _special_days(
                        np.random.default_rng([seed, 1 + chunk_no, 2]),
                        ids,
                        plain[chunk],
                        special_share,
                        start,
                        window_days,
                    )
                    special_f.write(days_text)
                    for key, value in counts.items():
                        special[key] += value
                    totals["special_rows"] += days_text.count("\n")
                for key, value in schedule.counts.items():
                    special[key] = special.get(key, 0) + value

                polls = _polls(rng, chunk, fleet, schedule, offsets_s, window_start_s, window_s, rounds)
                polls_f.write(_polls_text(ids, polls))
                special["duplicate_polls"] = special.get("duplicate_polls", 0) + polls.duplicates
                special["conflicting_polls"] = special.get("conflicting_polls", 0) + polls.conflicts

                tz_lines = [f"{fleet.ids[i]},{fleet.timezone_str[i]}\n" for i in chunk if fleet.has_timezone[i]]
                tz_f.write("".join(tz_lines))

                totals["polls"] += len(polls.store)
                totals["inactive"] += int(polls.inactive.sum())
                totals["polled_stores"] += len(np.unique(polls.store))
                totals["hours"] += len(schedule.day)
                totals["timezones"] += len(tz_lines)
        if brands:
            tmp[STORES_FILE].write_text(_stores_text(fleet.ids, brands), encoding="utf-8", newline="")
        for name in names:
            os.replace(tmp[name], out_dir / name)
        # The folder holds what this run made: a file of an earlier run would be loaded with it.
        if not special_share:
            (out_dir / SPECIAL_FILE).unlink(missing_ok=True)
        if not brands:
            (out_dir / STORES_FILE).unlink(missing_ok=True)
    finally:
        for path in tmp.values():
            path.unlink(missing_ok=True)

    return GeneratedSummary(
        stores=stores,
        polls=totals["polls"],
        inactive_polls=totals["inactive"],
        hours_rows=totals["hours"],
        timezone_rows=totals["timezones"],
        stores_with_polls=totals["polled_stores"],
        stores_with_hours=int(fleet.has_hours.sum()),
        special=special,
        file_bytes={name: (out_dir / name).stat().st_size for name in names},
        special_hours_rows=totals["special_rows"],
        brands=brands,
    )


def _stores_text(ids: list[str], brands: int) -> str:
    """stores.csv: store i in brand i mod `brands`, named after the brand and its number there."""
    slugs = [BRAND_SLUGS[k] if k < len(BRAND_SLUGS) else f"brand-{k + 1}" for k in range(brands)]
    lines = [STORES_HEADER]
    for i, store_id in enumerate(ids):
        slug = slugs[i % brands]
        lines.append(f"{store_id},{slug},{slug.replace('-', ' ').title()} {i // brands + 1}\n")
    return "".join(lines)


# --- the fleet ---------------------------------------------------------------


def _fleet(rng: np.random.Generator, n: int) -> _Fleet:
    """Ids, which files each store is in, and its timezone."""
    ids = _store_ids(rng, n)
    has_hours = rng.random(n) < HOURS_SHARE
    has_timezone = rng.random(n) < TIMEZONE_SHARE
    has_polls = rng.random(n) < POLLED_SHARE

    zone_names = [name for name, _ in ZONE_WEIGHTS]
    weights = np.array([weight for _, weight in ZONE_WEIGHTS])
    zone = rng.choice(len(zone_names), size=n, p=weights / weights.sum())

    roles = {role: np.zeros(n, dtype=bool) for role, _, _ in SPECIAL_ROLES}
    wanted = [(role, max(minimum if n >= 100 else 0, round(share * n))) for role, share, minimum in SPECIAL_ROLES]
    chosen = rng.permutation(n)[: sum(count for _, count in wanted)]
    at = 0
    for role, count in wanted:
        roles[role][chosen[at : at + count]] = True
        at += count

    only_tz, only_polls, only_hours = roles["only_timezones"], roles["only_polls"], roles["only_hours"]
    has_hours[only_tz | only_polls] = False
    has_hours[only_hours] = True
    has_timezone[only_polls | only_hours] = False
    has_polls[only_tz | only_hours] = False
    for role in _ROLE_NAMES:
        has_timezone[roles[role]] = True
    for role in (*_ROLE_NAMES, "only_polls", "dead"):
        has_polls[roles[role]] = True
    has_timezone[~(has_hours | has_timezone | has_polls)] = True  # every store is in some file
    if n >= 100:
        plain = np.ones(n, dtype=bool)
        plain[chosen] = False
        candidates = rng.permutation(np.flatnonzero(plain & has_timezone))
        for k, name in enumerate(RARE_ZONES_GUARANTEED):
            if not (has_timezone & (zone == zone_names.index(name))).any():
                zone[candidates[k]] = zone_names.index(name)

    timezone_str = [zone_names[z] for z in zone]
    pick = rng.integers(0, 1 << 30, size=n)
    for role, choices in _ROLE_NAMES.items():
        for i in np.flatnonzero(roles[role]):
            timezone_str[i] = choices[pick[i] % len(choices)]

    # Where the store really is, which decides when its local hours happen in
    # UTC: a missing, empty or invalid name is read as America/Chicago by the
    # service (rule 4), so such stores are placed there; aliases and padded
    # names are valid and mean what they say.
    misplaced = ~has_timezone | roles["empty_timezone"] | roles["invalid_timezone"]
    zone[misplaced] = zone_names.index(FALLBACK_ZONE)
    for i in np.flatnonzero(roles["alias_timezone"] | roles["spaced_timezone"]):
        name = timezone_str[i].strip()
        if name not in zone_names:
            zone_names.append(name)
        zone[i] = zone_names.index(name)
    return _Fleet(ids, has_hours, has_timezone, has_polls, timezone_str, zone, zone_names, roles)


def _store_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Unique opaque ids: int63 decimals like the 2023 data, or UUID4s like 2024's."""
    is_uuid = rng.random(n) < UUID_SHARE
    ints = rng.integers(1, np.iinfo(np.int64).max, size=n, dtype=np.int64).tolist()
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    ids: list[str] = []
    seen: set[str] = set()
    for i in range(n):
        store_id = str(uuid.UUID(bytes=raw[i].tobytes(), version=4)) if is_uuid[i] else str(ints[i])
        while store_id in seen:  # practically never; keeps ids unique and the output deterministic
            store_id = str(int(rng.integers(1, np.iinfo(np.int64).max, dtype=np.int64)))
        seen.add(store_id)
        ids.append(store_id)
    return ids


def _zone_offsets(zone_names: list[str], window_start_s: int, rounds: int) -> np.ndarray:
    """UTC offset in seconds of each zone at the start of each round, (zones, rounds).

    Offsets are taken per hour: the zones used here change offset on whole UTC
    hours, so a poll is placed in local time exactly.
    """
    offsets = np.empty((len(zone_names), rounds), dtype=np.int64)
    for z, name in enumerate(zone_names):
        tz = ZoneInfo(name)
        for r in range(rounds):
            offset = datetime.fromtimestamp(window_start_s + r * 3600, tz).utcoffset()
            if offset is None:  # an aware datetime always has one; a tzinfo without offsets is a bug
                raise ValueError(f"zone {name} gives no UTC offset")
            offsets[z, r] = int(offset.total_seconds())
    return offsets


# --- business hours ------------------------------------------------------------


def _schedule(rng: np.random.Generator, has_hours: np.ndarray) -> _Schedule:
    """Weekly local schedules for one chunk of stores (module docstring, "Business hours")."""
    n = len(has_hours)
    kind = rng.choice(len(_KINDS), size=n, p=_KIND_WEIGHTS / _KIND_WEIGHTS.sum())
    open_m = rng.choice(_OPEN_TIMES[0], size=n, p=_OPEN_TIMES[1])
    close_m = rng.choice(_CLOSE_TIMES[0], size=n, p=_CLOSE_TIMES[1])
    for _ in range(8):  # redraw the pairs open for less than 5 hours
        short = close_m - open_m < _MIN_OPEN_MINUTES
        if not short.any():
            break
        open_m[short] = rng.choice(_OPEN_TIMES[0], size=short.sum(), p=_OPEN_TIMES[1])
        close_m[short] = rng.choice(_CLOSE_TIMES[0], size=short.sum(), p=_CLOSE_TIMES[1])
    short = close_m - open_m < _MIN_OPEN_MINUTES
    open_m[short], close_m[short] = 660, 1320

    open_days = _open_days(rng, n)
    late_weekend = np.where(rng.random(n) < 0.33, rng.choice([30, 60, 120], size=n), 0)
    late_sunday = np.where(rng.random(n) < 0.25, 60, 0)
    night_end_m = rng.choice(_NIGHT_END_TIMES[0], size=n, p=_NIGHT_END_TIMES[1])
    night_days = rng.choice(3, size=n, p=[0.6, 0.2, 0.2])  # every night, Thu-Sat, Fri-Sat
    all_day_end = np.where(rng.random(n) < 0.65, 1439 * 60, _LAST_SECOND)
    overnight_open_m = rng.choice([960, 1020, 1080, 660, 600], size=n)
    overnight_end_m = rng.choice([60, 120, 180, 30, 240], size=n)
    lunch = np.stack(  # open, break, reopen, close
        [
            rng.choice([630, 660, 690, 720], size=n),
            rng.choice([840, 870, 900], size=n),
            rng.choice([990, 1020, 1050, 1080], size=n),
            rng.choice([1260, 1290, 1320, 1350, 1380], size=n),
        ],
        axis=1,
    )
    overlap_variant = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])  # partial, containing, exact duplicate
    whole_day_m = rng.choice([0, 0, 0, 300, 360, 600, 660], size=n)
    weekend_only = rng.random(n) < 0.35

    rows: list[tuple[int, int, int, int]] = []
    for j in np.flatnonzero(has_hours).tolist():
        o, c = int(open_m[j]) * 60, int(close_m[j]) * 60
        days_open = open_days[j]
        k = _KINDS[kind[j]]
        nights = (range(7), (3, 4, 5), (4, 5))[night_days[j]]
        for d in range(7):
            if k == "midnight_split" and (d - 1) % 7 in nights and days_open[(d - 1) % 7]:
                rows.append((j, d, 0, int(night_end_m[j]) * 60))
            if not days_open[d]:
                continue
            o_d = o + (late_sunday[j] * 60 if d == 6 else 0)
            c_d = min(c + (late_weekend[j] * 60 if d in (4, 5) else 0), 1439 * 60) if c < 1439 * 60 else c
            if k == "regular":
                rows.append((j, d, o_d, c_d))
            elif k == "all_day":
                rows.append((j, d, 0, int(all_day_end[j])))
            elif k == "midnight_split":
                rows.append((j, d, o_d, _LAST_SECOND if d in nights else c_d))
            elif k == "overnight":
                late = not weekend_only[j] or d in (4, 5)
                rows.append((j, d, int(overnight_open_m[j]) * 60, int(overnight_end_m[j]) * 60 if late else 23 * 3600))
            elif k == "lunch_split":
                a, b, e, f = (int(x) * 60 for x in lunch[j])
                rows.append((j, d, a, b))
                rows.append((j, d, e, min(f + (late_weekend[j] * 60 if d in (4, 5) else 0), 1439 * 60)))
            elif k == "overlap":
                if overlap_variant[j] == 0:
                    middle = o + (c - o) * 3 // 5 // 1800 * 1800
                    rows.append((j, d, o, middle))
                    rows.append((j, d, middle - 3600, c))
                elif overlap_variant[j] == 1:
                    rows.append((j, d, 0, _LAST_SECOND))
                    rows.append((j, d, o, c))
                else:
                    rows.append((j, d, o_d, c_d))
                    rows.append((j, d, o_d, c_d))
            elif k == "whole_day":
                if weekend_only[j] and d not in (5, 6):
                    rows.append((j, d, o_d, c_d))
                else:
                    rows.append((j, d, int(whole_day_m[j]) * 60, int(whole_day_m[j]) * 60))
            else:  # tiny
                rows.append((j, d, 0, 600))

    table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    store, day, start_s, end_s = table.T
    return _Schedule(store, day, start_s, end_s, _schedule_counts(store, day, start_s, end_s))


def _open_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 7) bool: which weekdays have rows (real: 81% 7 days, 13% 6, 3.5% 5, 1.4% 1)."""
    days = np.ones((n, 7), dtype=bool)
    pattern = rng.choice(5, size=n, p=[0.80, 0.13, 0.035, 0.015, 0.02])
    missing = rng.choice(7, size=n, p=[0.35, 0.12, 0.05, 0.03, 0.02, 0.03, 0.40])
    six = pattern == 1
    days[six, missing[six]] = False
    five = np.flatnonzero(pattern == 2)
    days[five, 6] = False
    days[five, np.where(rng.random(len(five)) < 0.5, 5, 0)] = False
    one = np.flatnonzero(pattern == 3)
    days[one] = False
    days[one, rng.integers(0, 7, size=len(one))] = True
    few = np.flatnonzero(pattern == 4)
    keep = rng.random((len(few), 7)) < rng.choice([2 / 7, 3 / 7, 4 / 7], size=(len(few), 1))
    keep[np.arange(len(few)), rng.integers(0, 7, size=len(few))] = True
    days[few] = keep
    return days


def _schedule_counts(store: np.ndarray, day: np.ndarray, start_s: np.ndarray, end_s: np.ndarray) -> dict[str, int]:
    """How many overnight and whole-day rows, and store-days with several or overlapping rows."""
    counts = {"overnight_rows": int((start_s > end_s).sum()), "whole_day_rows": int((start_s == end_s).sum())}
    order = np.lexsort((start_s, day, store))
    s, d, a, b = store[order], day[order], start_s[order], end_s[order]
    same_day = (s[1:] == s[:-1]) & (d[1:] == d[:-1])
    prev_end = np.where(b[:-1] > a[:-1], b[:-1], _DAY_S)
    counts["split_days"] = len(np.unique((s[1:] * 7 + d[1:])[same_day]))
    counts["overlapping_days"] = len(np.unique((s[1:] * 7 + d[1:])[same_day & (a[1:] < prev_end)]))
    return counts


def _hours_text(
    rng: np.random.Generator, ids: list[str], schedule: _Schedule, effective_from: list[str] | None = None
) -> str:
    """menu_hours.csv lines: a store's rows together in random day order, 30% of stores scattered.

    `effective_from`: per store of the chunk, the fifth column of its rows ("" for undated);
    None writes four columns."""
    n_rows = len(schedule.day)
    if n_rows == 0:
        return ""
    rank = rng.permutation(len(ids)).astype(float)
    scattered = rng.random(len(ids)) < 0.30
    in_store_order = rank[schedule.store] + rng.random(n_rows) * 0.999
    key = np.where(scattered[schedule.store], rng.random(n_rows) * len(ids), in_store_order)
    hms = _hms_table()
    order = np.argsort(key, kind="stable")
    if effective_from is not None:
        return "".join(f"{ids[j]},{d},{hms[a]},{hms[b]},{effective_from[j]}\n" for j, d, a, b in schedule.rows(order))
    return "".join(f"{ids[j]},{d},{hms[a]},{hms[b]}\n" for j, d, a, b in schedule.rows(order))


@cache
def _hms_table() -> list[str]:
    return [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]


# --- real calendars ----------------------------------------------------------------


@dataclass
class _Versions:
    """A chunk's dated weekly versions (module docstring, "Real calendars")."""

    base: list[str]  # per store of the chunk: the effective_from of its original rows ("" = undated)
    rows: list[tuple[int, int, int, int, str]]  # (store position, day, start s, end s, effective_from)
    stores: int
    dated: int  # dated versions written, the dated originals included

    def text(self, rng: np.random.Generator, ids: list[str]) -> str:
        """The dated rows as menu_hours.csv lines, in random order."""
        hms = _hms_table()
        rows = [self.rows[k] for k in rng.permutation(len(self.rows)).tolist()]
        return "".join(f"{ids[j]},{d},{hms[a]},{hms[b]},{e}\n" for j, d, a, b, e in rows)


def _versions(
    rng: np.random.Generator, schedule: _Schedule, has_hours: np.ndarray, share: float, start: date, window_days: int
) -> _Versions:
    """Dated versions for `share` of the chunk's stores with hours, each a variant of its original rows."""
    n = len(has_hours)
    chosen = has_hours & (rng.random(n) < share)
    variant = rng.integers(0, len(_VERSION_VARIANTS), size=n)
    offset = rng.integers(1, max(2, window_days), size=n)  # days after `start`: inside the window
    future = rng.random(n) < FUTURE_VERSION_SHARE
    dated_base = rng.random(n) < DATED_BASE_SHARE
    pick = rng.integers(0, 1 << 30, size=n)
    base = [""] * n
    rows: list[tuple[int, int, int, int, str]] = []
    dated = stores = 0
    by_store: dict[int, list[tuple[int, int, int]]] = {}
    for j, d, a, b in schedule.rows():
        by_store.setdefault(j, []).append((d, a, b))
    for j in np.flatnonzero(chosen).tolist():
        original = by_store.get(j, [])
        if not original:
            continue
        effective = (start + timedelta(days=int(offset[j]))).isoformat()
        kind = _VERSION_VARIANTS[variant[j]]
        if kind == "closes_earlier":
            changed = [(d, a, b - 3600 if a < b and b - a >= 3 * 3600 else b) for d, a, b in original]
        elif kind == "opens_later":
            changed = [(d, a + 3600 if a < b and b - a >= 3 * 3600 else a, b) for d, a, b in original]
        else:
            open_days = sorted({d for d, _, _ in original})
            gone = open_days[int(pick[j]) % len(open_days)] if len(open_days) > 1 else -1
            changed = [(d, a, b) for d, a, b in original if d != gone]
        rows.extend((j, d, a, b, effective) for d, a, b in changed)
        stores += 1
        dated += 1
        if future[j]:
            later = (start + timedelta(days=window_days + FUTURE_VERSION_DAYS)).isoformat()
            rows.extend((j, d, a, b - 3600 if a < b and b - a >= 3 * 3600 else b, later) for d, a, b in original)
            dated += 1
        if dated_base[j]:
            base[j] = (start - timedelta(days=DATED_BASE_DAYS)).isoformat()
            dated += 1
    return _Versions(base, rows, stores, dated)


def _special_days(
    rng: np.random.Generator, ids: list[str], plain: np.ndarray, share: float, start: date, window_days: int
) -> tuple[str, dict[str, int]]:
    """special_hours.csv lines for `share` of the chunk's plain stores, in random order, and their counts."""
    n = len(ids)
    chosen = plain & (rng.random(n) < share)
    dates_per_store = rng.integers(1, 4, size=n)
    hms = _hms_table()
    lines: list[str] = []
    counts = {"special_stores": int(chosen.sum()), "special_dates": 0, "closed_dates": 0}
    for j in np.flatnonzero(chosen).tolist():
        picked = rng.choice(window_days, size=min(int(dates_per_store[j]), window_days), replace=False)
        kinds = rng.choice(len(_SPECIAL_KINDS), size=len(picked), p=_SPECIAL_KIND_WEIGHTS)
        short = rng.integers(0, len(_SHORT_DAYS), size=len(picked))
        for offset, k, s in zip(picked.tolist(), kinds.tolist(), short.tolist(), strict=True):
            day = (start + timedelta(days=offset)).isoformat()
            kind = _SPECIAL_KINDS[k]
            if kind == "closed":
                spans: list[tuple[int, int]] = []
                counts["closed_dates"] += 1
            elif kind == "short":
                spans = [_SHORT_DAYS[s]]
            elif kind == "split":
                spans = [(11 * 3600, 14 * 3600), (17 * 3600, 21 * 3600)]
            elif kind == "past_midnight":
                spans = [(18 * 3600, 2 * 3600)]
            else:  # whole_day: start == end (rule 5)
                spans = [(6 * 3600, 6 * 3600)]
            if not spans:
                lines.append(f"{ids[j]},{day},,")
            lines.extend(f"{ids[j]},{day},{hms[a]},{hms[b]}" for a, b in spans)
            counts["special_dates"] += 1
    order = rng.permutation(len(lines)).tolist()
    return "".join(f"{lines[k]}\n" for k in order), counts


# --- polls -----------------------------------------------------------------------


def _polls(
    rng: np.random.Generator,
    chunk: np.ndarray,
    fleet: _Fleet,
    schedule: _Schedule,
    offsets_s: np.ndarray,
    window_start_s: int,
    window_s: int,
    rounds: int,
) -> _Polls:
    """A chunk's polls, shuffled (module docstring, "Polls")."""
    n = len(chunk)
    has_hours = fleet.has_hours[chunk]
    around_the_clock = ~has_hours | (rng.random(n) < AROUND_THE_CLOCK_SHARE)
    twice = rng.random(n) < TWICE_PER_ROUND_SHARE
    onboarded_at = rng.integers(int(rounds * 0.2), int(rounds * 0.8) + 1, size=n)
    first_round = np.where(rng.random(n) < ONBOARDED_SHARE, onboarded_at, 0)
    churned_at = rng.integers(int(rounds * 0.3), int(rounds * 0.9) + 1, size=n)
    last_round = np.where(rng.random(n) < CHURNED_SHARE, churned_at, rounds)
    night_off = around_the_clock & has_hours & (rng.random(n) < NIGHT_OFF_SHARE)
    outage_rate = rng.choice(_OUTAGE_RATES_PER_HOUR, size=n, p=_OUTAGE_RATE_WEIGHTS)
    dead = fleet.roles["dead"][chunk]

    # Candidates: one per (polled store, round), plus a second per round for `twice` stores.
    polled = np.flatnonzero(fleet.has_polls[chunk])
    store = np.concatenate([np.repeat(polled, rounds), np.repeat(polled[twice[polled]], rounds)])
    rnd = np.concatenate(
        [np.tile(np.arange(rounds), len(polled)), np.tile(np.arange(rounds), int(twice[polled].sum()))]
    )
    slot = np.zeros(len(store), dtype=np.int64)
    slot[len(polled) * rounds :] = 1
    late = rng.gamma(1.6, 200.0, size=len(store))
    offset_s = np.where(rng.random(len(store)) < 0.85, late, rng.random(len(store)) * 3600.0)
    offset_us = (offset_s * _US).astype(np.int64)
    offset_us = np.where(twice[store], slot * 1800 * _US + offset_us % (1800 * _US), offset_us % (3600 * _US))
    rel_us = rnd.astype(np.int64) * 3600 * _US + offset_us

    keep = (rnd >= first_round[store]) & (rnd < last_round[store]) & (rel_us < window_s * _US)
    keep &= rng.random(len(store)) >= ROUND_MISSED_PROBABILITY
    store, rnd, rel_us = store[keep], rnd[keep], rel_us[keep]

    week = _open_week(schedule, n, has_hours)
    local_s = window_start_s + rel_us // _US + offsets_s[fleet.zone[chunk][store], rnd]
    is_open = week[store, _minute_of_week(local_s)]
    near_edge = (
        week[store, _minute_of_week(local_s + EDGE_SECONDS)] | week[store, _minute_of_week(local_s - EDGE_SECONDS)]
    )
    u = rng.random(len(store))
    keep = (
        around_the_clock[store] | is_open | (near_edge & (u < EDGE_ROUND_PROBABILITY)) | (u < CLOSED_ROUND_PROBABILITY)
    )
    store, rel_us, is_open = store[keep], rel_us[keep], is_open[keep]

    inactive = _in_outage(rng, store, rel_us // _US, outage_rate, rounds)
    inactive |= rng.random(len(store)) < BLIP_PROBABILITY
    inactive |= dead[store] | (night_off[store] & ~is_open)

    duplicates = max(1, round(len(store) * DUPLICATE_SHARE)) if len(store) else 0
    conflicts = round(len(store) * CONFLICT_SHARE)
    dup = (
        rng.choice(len(store), size=duplicates + conflicts, replace=False)
        if len(store)
        else np.zeros(0, dtype=np.int64)
    )
    flip = np.zeros(len(dup), dtype=bool)
    flip[duplicates:] = True
    store = np.concatenate([store, store[dup]])
    rel_us = np.concatenate([rel_us, rel_us[dup]])
    inactive = np.concatenate([inactive, inactive[dup] ^ flip])

    order = rng.permutation(len(store))
    return _Polls(store[order], window_start_s * _US + rel_us[order], inactive[order], duplicates, conflicts)


def _open_week(schedule: _Schedule, n: int, has_hours: np.ndarray) -> np.ndarray:
    """(n, minutes of the week) bool: open per docs/numbers.md rule 5, to the minute."""
    week = np.zeros((n, _WEEK_MINUTES), dtype=bool)
    week[~has_hours] = True  # no rows at all: open 24x7
    for j, d, a, b in schedule.rows():
        base = d * 1440
        first, last = a // 60, -(-b // 60)
        if a < b:
            week[j, base + first : base + last] = True
        elif a > b:
            week[j, base + first : base + 1440] = True
            nxt = (d + 1) % 7 * 1440
            week[j, nxt : nxt + last] = True
        else:
            week[j, base : base + 1440] = True
    return week


def _minute_of_week(local_s: np.ndarray) -> np.ndarray:
    """Minute of the local week, Monday 00:00 = 0 (1970-01-01 was a Thursday)."""
    return (local_s // _DAY_S + 3) % 7 * 1440 + local_s % _DAY_S // 60


def _in_outage(
    rng: np.random.Generator, store: np.ndarray, rel_s: np.ndarray, rate: np.ndarray, rounds: int
) -> np.ndarray:
    """Whether each poll falls inside one of its store's outages (a Poisson process in time).

    Outages of all stores are searched at once with keys `store * span + t`,
    which keep every store's instants in a private, ordered key range.
    """
    hours = rounds + 48  # outages may begin up to two days before the window
    counts = rng.poisson(rate * hours)
    owner = np.repeat(np.arange(len(rate)), counts)
    begin = (rng.random(len(owner)) * hours - 48) * 3600
    length = np.clip(rng.lognormal(math.log(_OUTAGE_MEDIAN_S), _OUTAGE_SIGMA, size=len(owner)), *_OUTAGE_CLIP_S)
    begin_key = owner * _KEY_SPAN + (begin.astype(np.int64) + _KEY_PAD)
    end_key = begin_key + length.astype(np.int64)
    order = np.argsort(begin_key, kind="stable")
    if len(order) == 0:
        return np.zeros(len(store), dtype=bool)
    # Outages of one store may overlap: compare with the latest end so far.
    begin_key, end_key = begin_key[order], np.maximum.accumulate(end_key[order])
    poll_key = store * _KEY_SPAN + (rel_s + _KEY_PAD)
    at = np.searchsorted(begin_key, poll_key, side="right") - 1
    return (at >= 0) & (poll_key < end_key[np.maximum(at, 0)])


def _polls_text(ids: list[str], polls: _Polls) -> str:
    """store_status.csv lines: `id,status,2023-01-22 12:09:39.388884 UTC`, trailing zeros dropped."""
    if len(polls.store) == 0:
        return ""
    store, t_us, inactive = polls.store, polls.t_us, polls.inactive
    seconds = t_us // _US
    day = seconds // _DAY_S
    epoch = date(1970, 1, 1)
    dates = {d: (epoch + timedelta(days=d)).isoformat() for d in np.unique(day).tolist()}
    hms = _hms_table()
    status = ("active", "inactive")
    columns = zip(
        store.tolist(), inactive.tolist(), day.tolist(), (seconds % _DAY_S).tolist(), (t_us % _US).tolist(), strict=True
    )
    return "".join(
        f"{ids[j]},{status[off]},{dates[d]} {hms[s]}{('.' + f'{us:06d}'.rstrip('0')) if us else ''} UTC\n"
        for j, off, d, s, us in columns
    )
