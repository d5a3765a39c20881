"""Celery beat's scheduler (settings CELERY_BEAT_SCHEDULER): django-celery-beat's, reading every
enabled entry.

django-celery-beat (2.8 and later) loads a crontab entry only while its hour lies within two
hours of the server's clock, sliding that window every five minutes (django-celery-beat issues
#916 and #956). A run missed while beat was down would then wait for the window to reach its
hour, hours after beat returned, and run again at its next slot soon after; and the window's
arithmetic rounds half-hour zones (Asia/Kolkata) to the wrong hour. A fleet has a few report
schedules per brand, not millions, so this scheduler loads them all: a missed run is due as
soon as beat is back, once (Celery's crontab: due when a slot passed since `last_run_at`).
"""

from django.db.models import QuerySet
from django_celery_beat import schedulers
from django_celery_beat.models import PeriodicTask


class DatabaseScheduler(schedulers.DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler, with every enabled PeriodicTask in its schedule."""

    def enabled_models_qs(self) -> QuerySet[PeriodicTask]:
        return self.Model.objects.enabled()
