"""alerts listens to the stores app's writes (stores never imports alerts): `stores.signals.polls_stored`
and `hours_changed` (new hours decide anew which polls are observations, so which are incidents)."""

from typing import Any

from alerts import services
from stores.signals import hours_changed, polls_stored


def on_polls_stored(sender: Any, *, store_pks: list[int] | None, **kwargs: Any) -> None:
    """A load or pushed batch committed: queue the refresh of the incidents of the stores it changed."""
    services.incidents_refresh_enqueue(store_pks=store_pks)


def connect() -> None:
    polls_stored.connect(on_polls_stored, dispatch_uid="alerts.incidents_refresh")
    hours_changed.connect(on_polls_stored, dispatch_uid="alerts.incidents_refresh.hours")
