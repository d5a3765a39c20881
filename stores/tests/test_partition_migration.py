"""Migration stores 0006 moves a loaded plain poll table into the monthly layout and back without
losing or changing a row, and the polls' retention of a plain table deletes rows (SQLite's way,
run here on the plain table the migration gives back)."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from stores import partitions, services
from stores.conftest import POLLS_HEADER
from stores.models import Poll

UTC = dt.UTC
STORES = [f"store-{n}" for n in range(30)]


def migrate(target: str) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("stores", target)])


def rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, store_id, observed_at_utc, active, received_at FROM stores_poll ORDER BY id")
        return cursor.fetchall()


def catalog() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'stores_poll'::regclass
            UNION ALL
            SELECT indexrelid::regclass::text, replace(pg_get_indexdef(indexrelid), ' ON ONLY ', ' ON ')
            FROM pg_index WHERE indrelid = 'stores_poll'::regclass
            ORDER BY 1
            """
        )
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_a_loaded_table_and_back_row_for_row(write_csv):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps a plain table")
    try:
        # given: the plain table of 0005, loaded with polls over four months (and ids with a gap)
        migrate("0005_store_brand_name")
        assert not partitions.partitioned()
        plain = catalog()
        lines = [
            f"{store},{'active' if (n + h) % 4 else 'inactive'},2023-0{m}-{d:02d} {h:02d}:17:00 UTC"
            for n, store in enumerate(STORES)
            for m in (1, 2, 3, 4)
            for d in (1, 15, 28)
            for h in (3, 11, 19)
        ]
        services.polls_load(write_csv("p.csv", POLLS_HEADER, *lines))
        Poll.objects.filter(pk__in=list(Poll.objects.order_by("pk").values_list("pk", flat=True)[:5])).delete()
        before = rows()
        assert len(before) == len(lines) - 5
        # when
        migrate("0006_poll_partitions")
        # then: every row as it was, each in its month; the same constraints and indexes, but the key
        assert partitions.partitioned()
        assert rows() == before
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT tableoid::regclass::text FROM stores_poll ORDER BY 1")
            assert [name for (name,) in cursor.fetchall()] == [f"stores_poll_p20230{m}" for m in (1, 2, 3, 4)]
        partitioned = catalog()
        assert [c for c in partitioned if c[0] != "stores_poll_pkey"] == [
            c for c in plain if c[0] != "stores_poll_pkey"
        ]
        assert ("stores_poll_pkey", "PRIMARY KEY (id, observed_at_utc)") in partitioned
        # new rows take ids after the old ones, through the model as before
        store = Poll.objects.earliest("pk").store
        new = Poll.objects.create(store=store, observed_at_utc=dt.datetime(2023, 4, 29, tzinfo=UTC), active=True)
        assert new.pk > before[-1][0]
        new_pk = new.pk
        new.delete()

        # when: back to the plain table
        migrate("0005_store_brand_name")
        # then: the same rows, constraints and indexes as before the round trip, identity id again
        assert not partitions.partitioned()
        assert rows() == before
        assert catalog() == plain
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attidentity FROM pg_attribute WHERE attrelid = 'stores_poll'::regclass AND attname = 'id'"
            )
            assert cursor.fetchone()[0] == "d"
        again = Poll.objects.create(store=store, observed_at_utc=dt.datetime(2023, 4, 29, tzinfo=UTC), active=True)
        assert again.pk > new_pk

        # and the plain table's retention deletes rows: 40 days before 2023-04-29 is 2023-03-20
        result = partitions.polls_retention(days=40)
        assert result.horizon == dt.datetime(2023, 3, 20, tzinfo=UTC)
        assert result.dropped == []
        assert result.polls == len([r for r in before if r[2] < result.horizon])
        assert not Poll.objects.filter(observed_at_utc__lt=result.horizon).exists()
        assert Poll.objects.filter(observed_at_utc__gte=result.horizon).count() == 1 + len(
            [r for r in before if r[2] >= result.horizon]
        )
    finally:
        migrate("0006_poll_partitions")
