"""Incidents (docs/numbers.md rule 12), kept up to date from the stored polls and hours.

The rows are derived data: `alerts.services.incidents_refresh` recomputes a store's
incidents from its polls and hours (alerts/incidents.py) and makes the rows match, so
they depend only on what is stored, whatever order polls arrived in. What is not
derived is an incident's identity (its id) and what was already said about it
(`notified_*`): a refresh keeps the row of an incident whose run keeps any observation
it had, so that "opened" and "resolved" are announced once per incident.
"""

from django.db import models
from django.db.models import F, Q

from stores.models import Store


class Incident(models.Model):
    """One stretch during which a store was offline: a maximal run of inactive observations (rule 12)."""

    class State(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="incidents", db_index=False)
    # The run's first and last inactive observations (polls inside business hours, rule 6).
    first_observed_at = models.DateTimeField()
    last_observed_at = models.DateTimeField()
    # NULL: no observation before the run, so rule 7 holds its status since before all time.
    started_at = models.DateTimeField(null=True, blank=True)
    # NULL: still open (no active observation after the run yet).
    ended_at = models.DateTimeField(null=True, blank=True)
    # Business hours inside [started_at, ended_at), in minutes, unrounded; from first_observed_at
    # when the start is unknown, up to `open_minutes_until` (the store's latest poll) while open.
    open_minutes = models.FloatField()
    open_minutes_until = models.DateTimeField()
    # When incident.opened / incident.resolved were sent (the notifications, a later part of
    # issue 15); NULL: not yet. A refresh never sets them.
    notified_opened_at = models.DateTimeField(null=True, blank=True)
    notified_resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_observed_at", "-id"]
        constraints = [
            # Two incidents of a store never share an observation, let alone the first one. Also
            # the index of a store's incidents, newest first (scanned backwards).
            models.UniqueConstraint(fields=["store", "first_observed_at"], name="incident_store_first_uniq"),
            models.CheckConstraint(
                condition=Q(last_observed_at__gte=F("first_observed_at")), name="incident_run_order"
            ),
            models.CheckConstraint(
                condition=Q(started_at__isnull=True) | Q(started_at__lte=F("first_observed_at")),
                name="incident_starts_before_its_run",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("last_observed_at")),
                name="incident_ends_after_its_run",
            ),
            models.CheckConstraint(condition=Q(open_minutes__gte=0), name="incident_open_minutes_not_negative"),
        ]
        indexes = [
            # GET /api/incidents/ pages the caller's incidents newest first.
            models.Index(F("first_observed_at").desc(), F("id").desc(), name="incident_newest_idx"),
            # A refresh rewrites a store's incidents whose run ends at or after a given observation.
            models.Index(fields=["store", "last_observed_at"], name="incident_store_last_idx"),
            # The open incidents, few among many: state=open, and the Now panel to come.
            models.Index(fields=["store"], condition=Q(ended_at__isnull=True), name="incident_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.state} from {self.started_at or self.first_observed_at:%Y-%m-%d %H:%M:%S}"

    @property
    def state(self) -> str:
        """`open` while `ended_at` is NULL, else `resolved`."""
        return self.State.OPEN if self.ended_at is None else self.State.RESOLVED

    @property
    def start_known(self) -> bool:
        return self.started_at is not None


class IncidentRefresh(models.Model):
    """The last refresh of one store's incidents: what it read, so that the repair task finds the
    stores whose polls changed since (alerts.services.incidents_repair)."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="incident_refresh")
    # Every poll received at or before this instant had been committed when the refresh read
    # the store's polls (stores.staging.polls_received_cutoff): a poll received later is new to it.
    polls_received_until = models.DateTimeField()
    # The store's T: its latest poll not later than the refresh's clock, give or take five minutes
    # of skew (NULL: none). A poll dated later, in the future then, counts once the clock nears it.
    as_of = models.DateTimeField(null=True, blank=True)
    # The active observation the listing started after (alerts/incidents.py); NULL: the whole history.
    since = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.store_id} refreshed at {self.refreshed_at:%Y-%m-%d %H:%M:%S}"
