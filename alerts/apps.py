from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"

    def ready(self) -> None:
        # stores never imports alerts: it announces its writes (stores.signals) and we listen.
        from alerts import receivers

        receivers.connect()
