from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self) -> None:
        # Connects the workers' heartbeat to Celery's worker signals (they fire in workers only).
        from reports import heartbeat, notify_hooks  # noqa: F401

        notify_hooks.connect()
