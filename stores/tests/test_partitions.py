"""The poll table by month and the polls' retention (stores.partitions, issue 17 "Keep it small").

On PostgreSQL: loads create the months of their polls, the default partition catches the rest and
retention moves its rows out, whole months past the horizon are dropped and nothing else; the
migration's round trip on a loaded table is in test_partition_migration.py.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from stores import partitions, services, staging
from stores.conftest import POLLS_HEADER, make_store
from stores.models import Poll
from stores.tasks import polls_retention_task

pytestmark = pytest.mark.django_db

UTC = dt.UTC
A = "1481966498820158979"
B = "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the poll table is partitioned on PostgreSQL only (SQLite: test_partition_migration.py)")


def where_polls_are() -> dict[str, int]:
    """The partition each stored poll is in: {partition: polls}."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM stores_poll GROUP BY 1")
        return dict(cursor.fetchall())


def leaf_indexes() -> dict[str, int]:
    """{partition: the number of valid indexes it has}, every partition of stores_poll."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, count(i.indexrelid) FILTER (WHERE i.indisvalid)
            FROM pg_partition_tree('stores_poll') AS t JOIN pg_class AS c ON c.oid = t.relid
            LEFT JOIN pg_index AS i ON i.indrelid = t.relid
            WHERE t.isleaf GROUP BY 1
            """
        )
        return dict(cursor.fetchall())


def polls_csv(write_csv, name: str, *instants: str, store: str = A):
    return write_csv(name, POLLS_HEADER, *[f"{store},active,{instant} UTC" for instant in instants])


def test_the_poll_table_is_partitioned_by_month_with_a_default_partition():
    assert partitions.partitioned()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_partkeydef('stores_poll'::regclass)")
        assert cursor.fetchone()[0] == "RANGE (observed_at_utc)"
    this_month = partitions.month_of(dt.datetime.now(UTC))
    present = partitions.months_present()
    # the migration made this month and the next ones
    assert {this_month, partitions.month_next(this_month)} <= set(present)
    assert partitions.DEFAULT in leaf_indexes()


def test_a_first_load_creates_the_months_of_its_polls_and_puts_each_poll_in_its_own(write_csv):
    # given: an empty poll table (the held path: polls written by one COPY)
    assert not Poll.objects.exists()
    # when
    services.polls_load(
        polls_csv(write_csv, "p.csv", "2021-03-31 23:59:59.999999", "2021-04-01 00:00:00", "2021-06-15 12:00:00")
    )
    # then: March, April and June 2021, not May; nothing in the default partition
    assert where_polls_are() == {"stores_poll_p202103": 1, "stores_poll_p202104": 1, "stores_poll_p202106": 1}
    assert "stores_poll_p202105" not in {partitions.month_name(m) for m in partitions.months_present()}


def test_a_later_load_creates_its_months_too_only_those_that_hold_a_poll(write_csv):
    # given: polls stored already (the merge path)
    services.polls_load(polls_csv(write_csv, "first.csv", "2021-03-10 10:00:00"))
    # when: polls years apart (more than three months: only the months that hold a poll)
    services.polls_load(
        polls_csv(write_csv, "second.csv", "2019-01-05 10:00:00", "2021-03-10 11:00:00", "2024-07-01 00:00:00")
    )
    # then
    assert where_polls_are() == {"stores_poll_p201901": 1, "stores_poll_p202103": 2, "stores_poll_p202407": 1}
    assert not {"stores_poll_p201902", "stores_poll_p202406"} & {
        partitions.month_name(m) for m in partitions.months_present()
    }


def test_a_pushed_batch_creates_its_month():
    services.polls_push(
        items=[
            {"store_id": A, "timestamp_utc": "2022-08-07T10:14:42Z", "status": "active"},
            {"store_id": B, "timestamp_utc": "2022-09-01T00:00:00Z", "status": "inactive"},
        ]
    )

    assert where_polls_are() == {"stores_poll_p202208": 1, "stores_poll_p202209": 1}


def test_a_big_load_rebuilds_the_indexes_on_every_partition(write_csv, monkeypatch):
    # given: thresholds low enough for this file to count as big (indexes dropped, rebuilt)
    services.polls_load(polls_csv(write_csv, "first.csv", "2021-03-10 10:00:00"))
    monkeypatch.setattr(staging, "BULK_MIN_ROWS", 2)
    monkeypatch.setattr(staging, "BULK_MAX_GROWTH", 10**9)
    # when: the load also creates two months while the indexes are down
    result = services.polls_load(
        polls_csv(write_csv, "big.csv", *[f"2021-0{m}-0{d} 10:00:00" for m in (3, 4, 5) for d in range(1, 8)])
    )
    # then: every partition has the three indexes (key, unique, time), all valid
    assert result.inserted == 21
    indexes = leaf_indexes()
    assert {"stores_poll_p202104", "stores_poll_p202105"} <= set(indexes)
    assert set(indexes.values()) == {3}
    with connection.cursor() as cursor:  # and the rebuilt foreign key holds
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_poll_saved_one_by_one_lands_in_the_default_partition_and_retention_moves_it():
    # given: a poll saved through the ORM (the admin) in a month without a partition
    store = make_store(A)
    poll = Poll.objects.create(store=store, observed_at_utc=dt.datetime(2019, 7, 4, 12, tzinfo=UTC), active=True)
    assert where_polls_are() == {partitions.DEFAULT: 1}
    # when
    result = partitions.polls_retention(days=36500)
    # then: July 2019 exists and holds it, the same row
    assert "stores_poll_p201907" in result.created
    assert where_polls_are() == {"stores_poll_p201907": 1}
    moved = Poll.objects.get()
    assert (moved.pk, moved.observed_at_utc, moved.active) == (poll.pk, poll.observed_at_utc, True)


def test_retention_drops_the_months_wholly_before_the_horizon_and_nothing_else(write_csv):
    # given: polls from January to April 2022, the latest on 2022-04-20 12:00
    instants = ["2022-01-15 10:00:00", "2022-02-15 10:00:00", "2022-02-28 23:59:59", "2022-03-01 00:00:00"]
    services.polls_load(polls_csv(write_csv, "p.csv", *instants, "2022-04-20 12:00:00"))
    store = Poll.objects.earliest("pk").store
    Poll.objects.create(store=store, observed_at_utc=dt.datetime(2022, 3, 2, tzinfo=UTC), active=False)  # default
    Poll.objects.create(store=store, observed_at_utc=dt.datetime(2018, 3, 2, tzinfo=UTC), active=False)  # default
    # when: 40 days: the horizon is 2022-03-11 12:00
    dry = partitions.polls_retention(days=40, dry_run=True)
    assert Poll.objects.count() == 7  # a dry run changes nothing
    result = partitions.polls_retention(days=40)
    # then: January and February are dropped whole; March stays whole, its polls before the
    # horizon too (a month goes once all of it is past); the default partition's old poll is deleted
    assert result.horizon == dt.datetime(2022, 3, 11, 12, tzinfo=UTC)
    assert result.dropped == dry.dropped == ["stores_poll_p202201", "stores_poll_p202202"]
    assert result.polls == dry.polls == 4  # 3 in the dropped months, 1 in the default partition
    assert sorted(p.observed_at_utc for p in Poll.objects.all()) == [
        dt.datetime(2022, 3, 1, tzinfo=UTC),
        dt.datetime(2022, 3, 2, tzinfo=UTC),
        dt.datetime(2022, 4, 20, 12, tzinfo=UTC),
    ]
    assert where_polls_are() == {"stores_poll_p202203": 2, "stores_poll_p202204": 1}
    assert "deleted 4 poll(s) observed before 2022-03-11T12:00:00+00:00" in result.summary()
    # and again: nothing more to do
    assert partitions.polls_retention(days=40).dropped == []


def test_the_horizon_counts_from_the_latest_poll_or_now_whichever_is_earlier():
    store = make_store(A)
    Poll.objects.create(store=store, observed_at_utc=dt.datetime(2022, 4, 20, tzinfo=UTC), active=True)

    assert partitions.polls_horizon(days=10, now=dt.datetime(2026, 1, 1, tzinfo=UTC)) == dt.datetime(
        2022, 4, 10, tzinfo=UTC
    )
    assert partitions.polls_horizon(days=10, now=dt.datetime(2022, 4, 15, tzinfo=UTC)) == dt.datetime(
        2022, 4, 5, tzinfo=UTC
    )


def test_no_poll_no_horizon_and_retention_only_makes_the_coming_months():
    result = partitions.polls_retention(days=90, now=dt.datetime(2031, 5, 20, tzinfo=UTC))

    assert result.horizon is None
    assert result.created == ["stores_poll_p203105", "stores_poll_p203106", "stores_poll_p203107"]
    assert result.summary() == (
        "no polls stored: nothing to delete; created partition(s) "
        "stores_poll_p203105, stores_poll_p203106, stores_poll_p203107"
    )


def test_beat_runs_the_retention_with_the_setting(write_csv, settings):
    services.polls_load(polls_csv(write_csv, "p.csv", "2022-01-15 10:00:00", "2022-04-20 12:00:00"))
    settings.POLLS_RETENTION_DAYS = 40
    assert settings.CELERY_BEAT_SCHEDULE["polls-retention"]["task"] == "stores.tasks.polls_retention_task"

    polls_retention_task.apply().get()

    assert where_polls_are() == {"stores_poll_p202204": 1}


def test_the_command_says_what_it_did_and_dry_run_changes_nothing(write_csv, capsys):
    services.polls_load(polls_csv(write_csv, "p.csv", "2022-01-15 10:00:00", "2022-04-20 12:00:00"))

    call_command("polls_retention", "--dry-run", "--days", "40")
    dry = capsys.readouterr().out
    call_command("polls_retention", "--days", "40")
    done = capsys.readouterr().out

    assert dry.startswith(
        "would delete 1 poll(s) observed before 2022-03-11T12:00:00+00:00; would drop partition(s) stores_poll_p202201"
    )
    assert done.startswith(
        "deleted 1 poll(s) observed before 2022-03-11T12:00:00+00:00; dropped partition(s) stores_poll_p202201"
    )
    assert Poll.objects.count() == 1
    assert settings.POLLS_RETENTION_DAYS == 90  # the default


def test_a_year_of_polls_never_grows_past_the_retention_and_a_month():
    # given: a store polled every other day for fourteen months, retention run each time by "beat"
    store = make_store(A)
    day = dt.datetime(2024, 1, 1, 12, tzinfo=UTC)
    most_months = 0
    for _ in range(14 * 15):
        services.polls_push(items=[{"store_id": A, "timestamp_utc": day.isoformat(), "status": "active"}])
        partitions.polls_retention(days=90, now=day + dt.timedelta(hours=1))
        months = [m for m in partitions.months_present() if m <= partitions.month_of(day)]
        most_months = max(most_months, len(months))
        day += dt.timedelta(days=2)
    # then: at most the 90 days' months plus the one the horizon is in, and the oldest poll kept
    # is at most a month older than the horizon
    assert most_months <= 5
    oldest = Poll.objects.filter(store=store).earliest("observed_at_utc").observed_at_utc
    horizon = day - dt.timedelta(days=2) - dt.timedelta(days=90)
    assert horizon - dt.timedelta(days=31) <= oldest <= horizon + dt.timedelta(days=2)
