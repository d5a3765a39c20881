"""The tasks' names are the ones the beat schedule and the services queue."""

from django.conf import settings

from notifications import tasks


def test_beat_runs_the_sweeper_by_its_registered_name():
    assert settings.CELERY_BEAT_SCHEDULE["send-due-notifications"]["task"] == tasks.deliveries_due_task.name


def test_one_attempt_is_bounded_by_the_tasks_time_limits(settings):
    # connect + read on at most two addresses fit inside the soft limit, which comes before the hard one
    for task in (tasks.webhook_deliver_task, tasks.email_deliver_task):
        soft, hard = task.soft_time_limit, task.time_limit
        assert soft is not None and hard is not None and hard > soft
    assert (tasks.webhook_deliver_task.soft_time_limit or 0) >= 4 * settings.WEBHOOK_TIMEOUT_SECONDS
