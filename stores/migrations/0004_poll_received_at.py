"""Polls carry the instant they were stored (`received_at`), covered by the report's index.

Existing rows get the instant of this migration (PostgreSQL stores the default
once, no table rewrite). On PostgreSQL the (store, time) unique index is then
rebuilt with `received_at` INCLUDEd beside `active` (0002): a report filters its
polls by its data cutoff inside the index-only scan, without visiting the table.
"""

from django.db import migrations, models
from django.db.models.functions import Now

FORWARD = """
ALTER TABLE stores_poll DROP CONSTRAINT poll_store_time_uniq;
ALTER TABLE stores_poll ADD CONSTRAINT poll_store_time_uniq UNIQUE (store_id, observed_at_utc)
    INCLUDE (active, received_at);
"""
BACKWARD = """
ALTER TABLE stores_poll DROP CONSTRAINT poll_store_time_uniq;
ALTER TABLE stores_poll ADD CONSTRAINT poll_store_time_uniq UNIQUE (store_id, observed_at_utc) INCLUDE (active);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("stores", "0003_calendar")]
    operations = [
        migrations.AddField(
            model_name="poll", name="received_at", field=models.DateTimeField(db_default=Now(), editable=False)
        ),
        # Backwards, the index loses the column before the column goes.
        migrations.RunPython(forward, backward),
    ]
