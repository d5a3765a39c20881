"""Set-based merges of a staging table into the real tables (SQL shared by both databases).

Each merge reads the staging table `stores.staging` filled for its kind and
makes the stored rows what the file says, in a few statements whatever the
number of rows (see `stores.services` for what a load means), and returns
what it changed. Only rows that change are written, so a repeated load
writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from brands.models import Brand
from brands.services import brand_get_or_create
from stores import partitions
from stores.csv_rows import HOURS, POLLS, SPECIAL, STORES, TIMEZONES
from stores.models import Store
from stores.staging import Backend

_timezone_max_length = Store._meta.get_field("timezone_str").max_length
if _timezone_max_length is None:  # the staging checks truncate to it: the model must give one
    raise ImproperlyConfigured("Store.timezone_str needs a max_length")
TIMEZONE_MAX_LENGTH: int = _timezone_max_length


@dataclass
class MergeCounts:
    """What one merge did, in rows (the meanings of `services.FileLoadResult`)."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    stores_touched: int = 0
    stores_created: int = 0
    # Of the stores touched, how many each brand has (None: no brand), for the audit log.
    stores_by_brand: dict[int | None, int] = field(default_factory=dict)
    # The primary keys of the stores the staged rows mention (`stores.signals.polls_stored`).
    store_pks: list[int] = field(default_factory=list)


def stores_create(backend: Backend, stage_table: str) -> MergeCounts:
    """Create the stores the staged rows mention (one statement); the counts carry
    the distinct stores mentioned, how many of them are new, their brands and their primary keys."""
    backend.table_create_as("lm_touched", f"SELECT DISTINCT store_ext FROM {{t}}{stage_table}")
    counts = MergeCounts()
    counts.stores_touched = backend.scalar("SELECT count(*) FROM {t}lm_touched")
    counts.stores_created = backend.execute(
        """
        INSERT INTO stores_store (store_id, timezone_str, created_at)
        SELECT store_ext, NULL, %s FROM {t}lm_touched WHERE true
        ON CONFLICT (store_id) DO NOTHING
        """,
        [backend.now()],
    ).rowcount
    counts.stores_by_brand = _brand_counts(backend, "lm_touched")
    rows = backend.execute("SELECT s.id FROM {t}lm_touched AS t JOIN stores_store AS s ON s.store_id = t.store_ext")
    counts.store_pks = [pk for (pk,) in rows.fetchall()]
    backend.table_drop("lm_touched")
    return counts


def _brand_counts(backend: Backend, table: str) -> dict[int | None, int]:
    """How many of the stores named in `table` (a temp table with `store_ext`) each brand has:
    one grouped join over the distinct stores a file mentions."""
    rows = backend.execute(
        f"""
        SELECT s.brand_id, count(*) FROM {{t}}{table} AS n JOIN stores_store AS s ON s.store_id = n.store_ext
        GROUP BY s.brand_id
        """
    ).fetchall()
    return {brand_id: int(count) for brand_id, count in rows}


def brands_of_stores() -> set[int | None]:
    """Every brand that owns a store, and None when some store has no brand."""
    return set(Store.objects.order_by().values_list("brand_id", flat=True).distinct())


def _months_prepare(backend: Backend) -> None:
    """Give the months of the polls about to be inserted (`lm_write`) their partitions
    (`stores.partitions`; PostgreSQL only, nothing to do on SQLite)."""
    if connection.vendor != "postgresql":
        return
    first, last = backend.execute("SELECT min(ts), max(ts) FROM {t}lm_write WHERE NOT present").fetchone()
    months = partitions.months_of_range(first, last)
    if len(months) > 3:  # far apart: only the months that hold a poll
        months = [
            month
            for (month,) in backend.execute(
                "SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC')::date FROM {t}lm_write WHERE NOT present"
            ).fetchall()
        ]
    partitions.partitions_ensure(months)


def polls_merge(backend: Backend, *, replace: bool) -> MergeCounts:
    """Add the new polls and turn stored polls inactive where the file says so
    (rule 7: one instant with both statuses is one inactive poll); a poll already
    stored as the file has it is not written at all, so a reload writes nothing.
    With `replace`, stored polls not in the file are deleted."""
    if backend.polls_held is not None:
        # Into an empty table (`staging.PostgresBackend.writer`): nothing to update or
        # delete, and the rows are deduplicated as they are written.
        counts = stores_create(backend, "lm_held_stores")
        partitions.partitions_ensure(backend.polls_held.months())
        counts.inserted = backend.polls_held_insert(backend.received_stamp())
        return counts
    counts = stores_create(backend, "lm_stage_polls")
    backend.polls_lock()
    # Every row written below, new or turned inactive, carries this one stamp (read under
    # the loads lock: `staging.received_stamp`), so a report's cutoff sees all of this
    # load or none of it. A changed row loses its earlier stamp and state (Poll.received_at).
    received_at = backend.received_stamp()
    # Only what has to be written: polls not stored yet, and stored polls whose
    # status changes (active -> inactive; with replace, either way).
    changes = "p.active <> g.active" if replace else "p.active AND NOT g.active"
    with backend.sorted_grouping():
        backend.table_create_as(
            "lm_write",
            f"""
            SELECT g.store_pk, g.ts, g.active, p.store_id IS NOT NULL AS present
            FROM (SELECT s.id AS store_pk, st.ts, {backend.all_true}(st.active) AS active
                  FROM {{t}}lm_stage_polls AS st JOIN stores_store AS s ON s.store_id = st.store_ext
                  GROUP BY s.id, st.ts) AS g
            LEFT JOIN stores_poll AS p ON p.store_id = g.store_pk AND p.observed_at_utc = g.ts
            WHERE p.store_id IS NULL OR ({changes})
            """,
        )
    inserted, updated = backend.execute(
        "SELECT coalesce(sum(CASE WHEN present THEN 0 ELSE 1 END), 0),"
        " coalesce(sum(CASE WHEN present THEN 1 ELSE 0 END), 0) FROM {t}lm_write"
    ).fetchone()
    counts.inserted, counts.updated = int(inserted), int(updated)
    if counts.updated:
        backend.temp_index("lm_write", "store_pk, ts")
        backend.execute(
            """
            UPDATE stores_poll SET active = w.active, received_at = %s FROM {t}lm_write AS w
            WHERE w.present AND stores_poll.store_id = w.store_pk AND stores_poll.observed_at_utc = w.ts
            """,
            [received_at],
        )
    if counts.inserted:
        _months_prepare(backend)
        with backend.polls_bulk(counts.inserted):
            # In key order: the unique index then grows at the right of each store.
            backend.execute(
                """
                INSERT INTO stores_poll (store_id, observed_at_utc, active, received_at)
                SELECT store_pk, ts, active, %s FROM {t}lm_write WHERE NOT present ORDER BY store_pk, ts
                """,
                [received_at],
            )
    backend.table_drop("lm_write")
    if replace:
        backend.temp_index("lm_stage_polls", "store_ext, ts")
        counts.deleted = backend.execute(
            """
            DELETE FROM stores_poll
            WHERE NOT EXISTS (
                SELECT 1 FROM {t}lm_stage_polls AS st JOIN stores_store AS s ON s.store_id = st.store_ext
                WHERE s.id = stores_poll.store_id AND st.ts = stores_poll.observed_at_utc
            )
            """
        ).rowcount
    return counts


def business_hours_merge(backend: Backend, *, replace: bool) -> MergeCounts:
    """Make each weekly version the file mentions, a (store, effective_from) pair (NULL: the
    undated version, docs/numbers.md rule 10), exactly the file's distinct rows of it; the other
    versions of a mentioned store stay. Rows that stay are not rewritten, so a repeated load
    changes nothing (not even ids). With `replace`, every weekly row not in the file is deleted,
    of any version and store."""
    counts = stores_create(backend, "lm_stage_hours")
    same = backend.same
    backend.table_create_as(
        "lm_new_hours",
        """
        SELECT DISTINCT s.id AS store_pk, st.day, st.start_t, st.end_t, st.effective_from
        FROM {t}lm_stage_hours AS st JOIN stores_store AS s ON s.store_id = st.store_ext
        """,
    )
    backend.temp_index("lm_new_hours", "store_pk, day, start_t, end_t")
    backend.table_create_as("lm_versions", "SELECT DISTINCT store_pk, effective_from FROM {t}lm_new_hours")
    backend.temp_index("lm_versions", "store_pk")
    kept = f"""
        SELECT 1 FROM {{t}}lm_new_hours AS n
        WHERE n.store_pk = b.store_id AND n.day = b.day_of_week
          AND n.start_t = b.start_time_local AND n.end_t = b.end_time_local
          AND n.effective_from {same} b.effective_from
    """
    mentioned = (
        ""
        if replace
        else f"""EXISTS (
            SELECT 1 FROM {{t}}lm_versions AS v
            WHERE v.store_pk = b.store_id AND v.effective_from {same} b.effective_from
        ) AND"""
    )
    deleted = backend.execute(
        f"""
        DELETE FROM stores_businesshours WHERE id IN (
            SELECT b.id FROM stores_businesshours AS b WHERE {mentioned} NOT EXISTS ({kept})
        )
        """
    ).rowcount
    # Rows repeated in the table itself (stored by something other than this
    # loader) would survive the diff above; keep one of each (GROUP BY takes
    # NULLs as one value: the undated version's repeats are found too).
    deleted += backend.execute(
        """
        DELETE FROM stores_businesshours
        WHERE store_id IN (SELECT store_pk FROM {t}lm_versions)
          AND id NOT IN (
            SELECT min(id) FROM stores_businesshours
            WHERE store_id IN (SELECT store_pk FROM {t}lm_versions)
            GROUP BY store_id, day_of_week, start_time_local, end_time_local, effective_from
          )
        """
    ).rowcount
    counts.deleted = deleted
    counts.inserted = backend.execute(
        f"""
        INSERT INTO stores_businesshours (store_id, day_of_week, start_time_local, end_time_local, effective_from)
        SELECT n.store_pk, n.day, n.start_t, n.end_t, n.effective_from FROM {{t}}lm_new_hours AS n
        WHERE NOT EXISTS (
            SELECT 1 FROM stores_businesshours AS b
            WHERE n.store_pk = b.store_id AND n.day = b.day_of_week
              AND n.start_t = b.start_time_local AND n.end_t = b.end_time_local
              AND n.effective_from {same} b.effective_from
        )
        """
    ).rowcount
    backend.table_drop("lm_versions")
    backend.table_drop("lm_new_hours")
    return counts


def special_hours_merge(backend: Backend, *, replace: bool) -> MergeCounts:
    """Make the special rows of each (store, local date) the file mentions exactly the file's
    distinct rows of it (docs/numbers.md rule 11; a closed row has NULL times); other dates stay.
    Rows that stay are not rewritten, so a repeated load changes nothing. With `replace`, every
    special row not in the file is deleted."""
    counts = stores_create(backend, "lm_stage_special")
    same = backend.same
    backend.table_create_as(
        "lm_new_special",
        """
        SELECT DISTINCT s.id AS store_pk, st.day, st.start_t, st.end_t
        FROM {t}lm_stage_special AS st JOIN stores_store AS s ON s.store_id = st.store_ext
        """,
    )
    backend.temp_index("lm_new_special", "store_pk, day")
    match = f"""
        n.store_pk = b.store_id AND n.day = b.date
        AND n.start_t {same} b.start_time_local AND n.end_t {same} b.end_time_local
    """
    mentioned = (
        ""
        if replace
        else "EXISTS (SELECT 1 FROM {t}lm_new_special AS m WHERE m.store_pk = b.store_id AND m.day = b.date) AND"
    )
    deleted = backend.execute(
        f"""
        DELETE FROM stores_specialhours WHERE id IN (
            SELECT b.id FROM stores_specialhours AS b
            WHERE {mentioned} NOT EXISTS (SELECT 1 FROM {{t}}lm_new_special AS n WHERE {match})
        )
        """
    ).rowcount
    # Repeats stored by something other than this loader: keep one of each.
    deleted += backend.execute(
        """
        DELETE FROM stores_specialhours
        WHERE store_id IN (SELECT store_pk FROM {t}lm_new_special)
          AND id NOT IN (
            SELECT min(id) FROM stores_specialhours
            WHERE store_id IN (SELECT store_pk FROM {t}lm_new_special)
            GROUP BY store_id, date, start_time_local, end_time_local
          )
        """
    ).rowcount
    counts.deleted = deleted
    counts.inserted = backend.execute(
        f"""
        INSERT INTO stores_specialhours (store_id, date, start_time_local, end_time_local)
        SELECT n.store_pk, n.day, n.start_t, n.end_t FROM {{t}}lm_new_special AS n
        WHERE NOT EXISTS (SELECT 1 FROM stores_specialhours AS b WHERE {match})
        """
    ).rowcount
    backend.table_drop("lm_new_special")
    return counts


def timezones_merge(backend: Backend, *, replace: bool) -> MergeCounts:
    """Set each mentioned store's timezone to its last row in the file: `inserted`
    counts stores that had none, `updated` stores whose timezone changed. With
    `replace`, stores not in the file get NULL (`deleted` counts them)."""
    counts = stores_create(backend, "lm_stage_tz")
    # A name longer than the column is never cut (a changed value) nor refused
    # with its row (rule 1: the store gets a row; rule 4: an unusable name reads
    # as America/Chicago): the store is kept with "", mentioned but without a
    # zone, and the reader's warning names the value.
    backend.table_create_as(
        "lm_new_tz",
        f"""
        SELECT store_ext, CASE WHEN length(tz) > {TIMEZONE_MAX_LENGTH} THEN '' ELSE tz END AS tz FROM (
            SELECT store_ext, tz, row_number() OVER (PARTITION BY store_ext ORDER BY line DESC) AS rn
            FROM {{t}}lm_stage_tz
        ) AS ranked WHERE rn = 1
        """,
    )
    backend.temp_index("lm_new_tz", "store_ext")
    inserted, changed = backend.execute(
        """
        SELECT coalesce(sum(CASE WHEN s.timezone_str IS NULL THEN 1 ELSE 0 END), 0),
               coalesce(sum(CASE WHEN s.timezone_str <> n.tz THEN 1 ELSE 0 END), 0)
        FROM stores_store AS s JOIN {t}lm_new_tz AS n ON n.store_ext = s.store_id
        """
    ).fetchone()
    counts.inserted, counts.updated = int(inserted), int(changed)
    backend.execute(
        """
        UPDATE stores_store SET timezone_str = n.tz FROM {t}lm_new_tz AS n
        WHERE stores_store.store_id = n.store_ext
          AND (stores_store.timezone_str IS NULL OR stores_store.timezone_str <> n.tz)
        """
    )
    if replace:
        counts.deleted = backend.execute(
            """
            UPDATE stores_store SET timezone_str = NULL
            WHERE timezone_str IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {t}lm_new_tz AS n WHERE n.store_ext = stores_store.store_id)
            """
        ).rowcount
    backend.table_drop("lm_new_tz")
    return counts


def stores_merge(backend: Backend, *, replace: bool) -> MergeCounts:
    """Give each store of a stores file its brand, made by slug when new
    (`brands.services.brand_get_or_create`), and its name when the file has that column
    (NULL: it has none, names stay); stores are created as needed. `inserted` counts new
    stores, `updated` stores whose brand or name changed; a repeated load changes nothing.
    With `replace`, stores not in the file lose their brand and name (`deleted`)."""
    counts = MergeCounts()
    for (slug,) in backend.execute("SELECT DISTINCT brand_slug FROM {t}lm_stage_stores").fetchall():
        brand_get_or_create(slug=slug)
    backend.table_create_as(
        "lm_new_stores",
        f"""
        SELECT DISTINCT st.store_ext, b.id AS brand_id, st.name
        FROM {{t}}lm_stage_stores AS st JOIN {Brand._meta.db_table} AS b ON b.slug = st.brand_slug
        """,
    )
    backend.temp_index("lm_new_stores", "store_ext")
    counts.stores_touched = backend.scalar("SELECT count(*) FROM {t}lm_new_stores")
    # The brands that stores leave count as touched too: their admins read it in their log.
    left: dict[int | None, int] = {}
    moved = backend.execute(
        f"""
        SELECT s.brand_id, count(*) FROM stores_store AS s JOIN {{t}}lm_new_stores AS n ON n.store_ext = s.store_id
        WHERE NOT (s.brand_id {backend.same} n.brand_id) GROUP BY s.brand_id
        """
    ).fetchall()
    left.update((brand_id, int(count)) for brand_id, count in moved)
    counts.inserted = counts.stores_created = backend.execute(
        """
        INSERT INTO stores_store (store_id, timezone_str, brand_id, name, created_at)
        SELECT store_ext, NULL, brand_id, coalesce(name, ''), %s FROM {t}lm_new_stores WHERE true
        ON CONFLICT (store_id) DO NOTHING
        """,
        [backend.now()],
    ).rowcount
    counts.updated = backend.execute(
        f"""
        UPDATE stores_store SET brand_id = n.brand_id, name = coalesce(n.name, stores_store.name)
        FROM {{t}}lm_new_stores AS n
        WHERE stores_store.store_id = n.store_ext
          AND (NOT (stores_store.brand_id {backend.same} n.brand_id)
               OR stores_store.name <> coalesce(n.name, stores_store.name))
        """
    ).rowcount
    if replace:
        outside = "NOT EXISTS (SELECT 1 FROM {t}lm_new_stores AS n WHERE n.store_ext = stores_store.store_id)"
        dropped = backend.execute(
            f"""
            SELECT brand_id, count(*) FROM stores_store
            WHERE (brand_id IS NOT NULL OR name <> '') AND {outside} GROUP BY brand_id
            """
        ).fetchall()
        for brand_id, count in dropped:
            left[brand_id] = left.get(brand_id, 0) + int(count)
        counts.deleted = backend.execute(
            f"""
            UPDATE stores_store SET brand_id = NULL, name = ''
            WHERE (brand_id IS NOT NULL OR name <> '') AND {outside}
            """
        ).rowcount
    counts.stores_by_brand = _brand_counts(backend, "lm_new_stores")
    for brand_id, count in left.items():
        counts.stores_by_brand[brand_id] = counts.stores_by_brand.get(brand_id, 0) + count
    backend.table_drop("lm_new_stores")
    return counts


class Merge(Protocol):
    def __call__(self, backend: Backend, *, replace: bool) -> MergeCounts: ...


# The merge of each kind of file (`stores.csv_rows` kinds).
MERGES: dict[str, Merge] = {
    POLLS: polls_merge,
    HOURS: business_hours_merge,
    TIMEZONES: timezones_merge,
    SPECIAL: special_hours_merge,
    STORES: stores_merge,
}
