"""Django's SQLite backend, which makes the database file's folder when it first connects.

The embedded default keeps its database in LOOPMONITOR_VAR_DIR (var/ unless set). The folder
is made by the code that writes the file, so that importing settings creates nothing.
"""

from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        if not self.is_in_memory_db():
            Path(conn_params["database"]).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
