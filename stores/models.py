"""What we know about each store: its polls, weekly business hours and timezone.

Rows are stored as given (local times, raw timezone names); the rules that
turn them into numbers (defaults, DST, merging) live in reports/engine.py so
that there is exactly one place that interprets them (docs/numbers.md).
"""

from django.db import models
from django.db.models.functions import Now


class Store(models.Model):
    """A store, known from any of the three inputs.

    `store_id` is the external, opaque id (19-digit integers in one year of
    data, UUIDs in another): always a string. The integer primary key is what
    polls point at, so the hot report query reads 4-byte keys, not strings.
    """

    store_id = models.CharField(max_length=64, unique=True)
    # As given in timezones.csv. NULL: the file never mentioned the store;
    # "" or an invalid name: mentioned, but the engine falls back to
    # America/Chicago (docs/numbers.md rule 4).
    # NULL and "" mean different things (above), so null=True is deliberate.
    timezone_str = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The brand that owns the store; NULL: none, visible to platform staff only. PROTECT:
    # deleting a brand that still owns stores is refused, since SET_NULL would quietly
    # hide those stores from everyone but staff; move or delete the stores first.
    brand = models.ForeignKey("brands.Brand", on_delete=models.PROTECT, null=True, blank=True, related_name="stores")
    # A display name (stores.csv's optional `name`); "" when none was given. The database's
    # default too: the loads insert stores by raw SQL (stores/staging.py), naming no name.
    name = models.CharField(max_length=200, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_id"]

    def __str__(self) -> str:
        return self.store_id


class BusinessHours(models.Model):
    """One row of a store's local weekly schedule (docs/numbers.md rules 5 and 10).

    The rows of one store with the same `effective_from` are one *version* of
    its weekly schedule; NULL is the version effective since always (rule 10).
    """

    class Day(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="business_hours")
    day_of_week = models.PositiveSmallIntegerField(choices=Day.choices)
    start_time_local = models.TimeField()
    end_time_local = models.TimeField()
    # A local calendar date; NULL, not a sentinel date, for the undated version,
    # so "since always" can never collide with a real date (rule 10).
    effective_from = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["store", "effective_from", "day_of_week", "start_time_local"]
        verbose_name_plural = "business hours"
        constraints = [
            models.CheckConstraint(condition=models.Q(day_of_week__lte=6), name="business_hours_day_0_6"),
        ]

    def __str__(self) -> str:
        return f"{self.get_day_of_week_display()} {self.start_time_local}-{self.end_time_local}"


class SpecialHours(models.Model):
    """One row of a store's special hours for one local date (docs/numbers.md rule 11).

    Both times NULL: closed that date. The rows of a (store, date) replace every
    weekly period that starts on that date; a date may have several rows.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="special_hours", db_index=False)
    date = models.DateField()
    start_time_local = models.TimeField(null=True, blank=True)
    end_time_local = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["store", "date", "start_time_local"]
        verbose_name_plural = "special hours"
        constraints = [
            # Exactly one of the two times empty is invalid (rule 11): loading rejects it.
            models.CheckConstraint(
                condition=models.Q(start_time_local__isnull=True, end_time_local__isnull=True)
                | models.Q(start_time_local__isnull=False, end_time_local__isnull=False),
                name="special_hours_both_times_or_none",
            ),
        ]
        indexes = [
            # The report reads a store range's special days for a date range.
            models.Index(fields=["store", "date"], name="special_hours_store_date_idx"),
        ]

    def __str__(self) -> str:
        if self.closed:
            return f"{self.date} closed"
        return f"{self.date} {self.start_time_local}-{self.end_time_local}"

    @property
    def closed(self) -> bool:
        return self.start_time_local is None


class Poll(models.Model):
    """One observation of a store: active or not, at an instant in UTC.

    Keyed by (store, observed_at_utc): loading the same poll twice keeps one
    row, and two polls of one instant with different statuses are kept as one
    inactive poll (docs/numbers.md rule 7), so ingestion can be repeated freely.

    `received_at` is when the row took its current value: a report reads only
    the polls received at or before its data cutoff, so all its shards read the
    same polls however many arrive meanwhile (`stores.staging.polls_received_cutoff`).
    """

    # No separate index on store: the unique (store, time) index serves it.
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="polls", db_index=False)
    observed_at_utc = models.DateTimeField()
    active = models.BooleanField()
    # Loads and POST /api/polls stamp every row they insert or change with one instant
    # read while they hold the loads lock (`stores.staging.received_stamp`), so that a
    # cutoff handed out under that lock is never undercut by a load still in flight. A
    # poll turned inactive by a conflicting one gets the new stamp: its earlier state is
    # not kept, so a report re-run with a cutoff before that change no longer sees the
    # poll at all. Other writers (the ORM, fixtures) get the database's clock.
    received_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        constraints = [
            # Also the report's index. On PostgreSQL, migrations 0002 and 0004 rebuild
            # it with `active` and `received_at` INCLUDEd, so a report reads its polls
            # up to its cutoff in (store, time) order by an index-only scan (SQLite has
            # no INCLUDE).
            models.UniqueConstraint(fields=["store", "observed_at_utc"], name="poll_store_time_uniq"),
        ]
        indexes = [
            # The default `as_of` is the latest poll: max() over this index.
            models.Index(fields=["observed_at_utc"], name="poll_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.observed_at_utc:%Y-%m-%d %H:%M:%S} {'active' if self.active else 'inactive'}"

    def save(self, *args, **kwargs) -> None:
        # A row saved one by one (the admin) takes a new value: stamped like a new row.
        self.received_at = Now()
        super().save(*args, **kwargs)

    @property
    def status(self) -> str:
        return "active" if self.active else "inactive"
