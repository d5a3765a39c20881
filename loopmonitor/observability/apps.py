from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "loopmonitor.observability"
    label = "observability"

    def ready(self) -> None:
        from loopmonitor.observability import multiproc, signals

        signals.connect()
        # A process killed since the last start of one on this host left files behind.
        multiproc.sweep()
