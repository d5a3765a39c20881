"""The Celery application. Configuration lives in settings.py (CELERY_* names)."""

import os
from pathlib import Path
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loopmonitor.settings")

app = Celery("loopmonitor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The transport options that name folders of the embedded filesystem:// broker.
BROKER_FOLDER_OPTIONS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def make_folders(sender: Celery, source: Any, **kwargs: Any) -> None:
    """Make the folders this app writes to, when a process first reads the configuration.

    That is the embedded broker's (every producer and worker needs them before the first
    message; kombu makes none but the control folder) and the folder of beat's schedule file.
    On Redis only the latter. Settings themselves create nothing at import.
    """
    folders = [Path(source.beat_schedule_filename).parent]
    if str(source.broker_url).startswith("filesystem://"):
        options = source.broker_transport_options
        folders += [Path(options[name]) for name in BROKER_FOLDER_OPTIONS if name in options]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
