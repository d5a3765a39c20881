"""On PostgreSQL, make the (store, time) unique index cover `active`.

A report reads (store_id, observed_at_utc, active) for a range of stores and
times; with `active` in the index that is an index-only scan, in index order,
without visiting the table (../shared/PERFORMANCE-NOTES.md). SQLite has no
INCLUDE, so there the plain unique index of 0001 stays.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE stores_poll DROP CONSTRAINT poll_store_time_uniq;
ALTER TABLE stores_poll ADD CONSTRAINT poll_store_time_uniq UNIQUE (store_id, observed_at_utc) INCLUDE (active);
"""
BACKWARD = """
ALTER TABLE stores_poll DROP CONSTRAINT poll_store_time_uniq;
ALTER TABLE stores_poll ADD CONSTRAINT poll_store_time_uniq UNIQUE (store_id, observed_at_utc);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("stores", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
