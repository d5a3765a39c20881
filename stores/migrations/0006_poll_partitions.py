"""stores_poll becomes a table partitioned by month of `observed_at_utc` (PostgreSQL only).

Polls never stop arriving: retention (`stores.partitions`) drops whole months instead of
deleting rows. PostgreSQL cannot turn a table into a partitioned one in place, so this
builds the partitioned table beside the old one, one partition per month that has polls plus
the current and next months and a DEFAULT partition, copies every row (ids, stamps and all),
then swaps the two and rebuilds the old table's constraints and indexes on it, with the same
names and definitions, except two things PostgreSQL requires of a partitioned table:

- the primary key is (id, observed_at_utc): a key must hold the partition column. `id` stays
  unique (one sequence numbers every row) and the model still sees `id` as its key;
- `id` takes its numbers from a sequence owned by the column (`stores_poll_id_seq`, carrying on
  from the old identity's last value) rather than an identity column, which PostgreSQL 15 does
  not allow on a partitioned table.

Backwards, the same in reverse: one plain table with an identity `id` again. Both ways run in
the migration's transaction holding stores_poll exclusively: readers and loads wait for it
(about 4 s for 1.85 M polls), and a failure leaves the table as it was. SQLite: nothing to do.
"""

from django.db import migrations

PARENT = "stores_poll"
MONTHS_AHEAD = 2  # as stores.partitions.MONTHS_AHEAD at the time of writing


def _definitions(cursor, table: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The CREATE INDEX statements of `table`'s plain indexes, and (name, definition) of its
    unique, foreign-key and check constraints (not its primary key)."""
    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index AS i
        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
        ORDER BY i.indexrelid::regclass::text
        """,
        [table],
    )
    # A partitioned table's own index reads "ON ONLY": here it is built on every partition.
    indexes = [definition.replace(" ON ONLY ", " ON ", 1) for (definition,) in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'c') ORDER BY contype DESC, conname",
        [table],
    )
    return indexes, cursor.fetchall()


def _sequence_next(cursor) -> int:
    """The next id the poll table's sequence (identity or owned) would hand out."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [PARENT])
    (sequence,) = cursor.fetchone()
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
    last, called = cursor.fetchone()
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {PARENT}")
    (top,) = cursor.fetchone()
    return max(last + 1 if called else last, top + 1)


def _rebuild(cursor, indexes: list[str], constraints: list[tuple[str, str]]) -> None:
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {PARENT} ADD CONSTRAINT "{name}" {definition}')
    for definition in indexes:
        cursor.execute(definition)
    cursor.execute(f"ANALYZE {PARENT}")


def _relkind(cursor) -> str:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [PARENT])
    return cursor.fetchone()[0]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _relkind(cursor) == "p":
            return
        cursor.execute(f"LOCK TABLE {PARENT} IN ACCESS EXCLUSIVE MODE")
        indexes, constraints = _definitions(cursor, PARENT)
        following = _sequence_next(cursor)
        cursor.execute(
            f"CREATE TABLE stores_poll_new (LIKE {PARENT} INCLUDING DEFAULTS) PARTITION BY RANGE (observed_at_utc)"
        )
        cursor.execute(
            f"""
            SELECT DISTINCT date_trunc('month', observed_at_utc AT TIME ZONE 'UTC')::date FROM {PARENT}
            UNION
            SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => n))::date
            FROM generate_series(0, %s) AS n
            ORDER BY 1
            """,
            [MONTHS_AHEAD],
        )
        for (month,) in cursor.fetchall():
            cursor.execute(
                f"CREATE TABLE stores_poll_p{month:%Y%m} PARTITION OF stores_poll_new"
                " FOR VALUES FROM (%s::date::timestamp AT TIME ZONE 'UTC')"
                " TO ((%s::date + interval '1 month')::timestamp AT TIME ZONE 'UTC')",
                [month, month],
            )
        cursor.execute("CREATE TABLE stores_poll_default PARTITION OF stores_poll_new DEFAULT")
        cursor.execute(
            "INSERT INTO stores_poll_new (id, store_id, observed_at_utc, active, received_at)"
            f" SELECT id, store_id, observed_at_utc, active, received_at FROM {PARENT}"
        )
        cursor.execute(f"DROP TABLE {PARENT}")  # no table refers to polls: refused otherwise
        cursor.execute(f"ALTER TABLE stores_poll_new RENAME TO {PARENT}")
        cursor.execute(f"CREATE SEQUENCE {PARENT}_id_seq AS bigint OWNED BY {PARENT}.id")
        cursor.execute(f"SELECT setval('{PARENT}_id_seq', %s, false)", [following])
        cursor.execute(f"ALTER TABLE {PARENT} ALTER id SET DEFAULT nextval('{PARENT}_id_seq')")
        cursor.execute(f"ALTER TABLE {PARENT} ADD CONSTRAINT {PARENT}_pkey PRIMARY KEY (id, observed_at_utc)")
        _rebuild(cursor, indexes, constraints)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _relkind(cursor) != "p":
            return
        cursor.execute(f"LOCK TABLE {PARENT} IN ACCESS EXCLUSIVE MODE")
        indexes, constraints = _definitions(cursor, PARENT)
        following = _sequence_next(cursor)
        cursor.execute(f"CREATE TABLE stores_poll_old (LIKE {PARENT} INCLUDING DEFAULTS)")
        cursor.execute("ALTER TABLE stores_poll_old ALTER id DROP DEFAULT")  # the sequence goes with the table
        cursor.execute(
            "INSERT INTO stores_poll_old (id, store_id, observed_at_utc, active, received_at)"
            f" SELECT id, store_id, observed_at_utc, active, received_at FROM {PARENT} ORDER BY id"
        )
        cursor.execute(f"DROP TABLE {PARENT}")  # and its partitions
        cursor.execute(f"ALTER TABLE stores_poll_old RENAME TO {PARENT}")
        cursor.execute(
            f"ALTER TABLE {PARENT} ALTER id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH %s)", [following]
        )
        cursor.execute(f"ALTER TABLE {PARENT} ADD CONSTRAINT {PARENT}_pkey PRIMARY KEY (id)")
        _rebuild(cursor, indexes, constraints)


class Migration(migrations.Migration):
    dependencies = [("stores", "0005_store_brand_name")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
