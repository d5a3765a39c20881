"""Loads into an empty poll table (PostgreSQL): the polls are held in memory, sorted and
deduplicated there, and written by one binary COPY (`stores.staging.PollsHeld`). Every way
through it stores exactly what the staged path (the SQL merge) stores for the same file."""

import random

import pytest
from django.db import connection

from stores import csv_rows, services, staging
from stores.conftest import POLLS_HEADER
from stores.models import Poll


def polls_dump() -> list[tuple]:
    """Every poll, with its id order, store, instant, status and stamp."""
    return list(Poll.objects.order_by("id").values_list("store__store_id", "observed_at_utc", "active", "received_at"))


def fleet_lines(*, stores: int, wide: bool, seed: int = 7) -> list[str]:
    """Polls of `stores` stores with repeated instants, some of them conflicting (rule 7), in
    shuffled order, written in the forms the reader accepts; `wide`: instants from 1971 to 9999."""
    rng = random.Random(seed)
    lines = []
    for s in range(stores):
        store_id = f"{10**17 + 7919 * s}" if s % 3 else f"store-{s}\\x"  # a backslash: COPY escaping
        for h in range(12):
            year = rng.choice([1971, 2023, 9999]) if wide else 2023
            at = f"{year}-01-{1 + h % 28:02d} {h:02d}:{rng.randrange(60):02d}:07"
            fraction = rng.choice(["", ".5", ".123456"])
            status = rng.choice(["active", "active", "inactive"])
            lines.append(f"{store_id},{status},{at}{fraction} UTC")
            if h % 4 == 0:  # the same instant again, in another form, maybe with the other status
                lines.append(f"{store_id},{rng.choice(['active', 'inactive'])},{at.replace(' ', 'T')}{fraction}Z")
    rng.shuffle(lines)
    return lines


def load_both_ways(write_csv, monkeypatch, lines: list[str]) -> tuple[list, list, services.FileLoadResult]:
    """(polls stored by the held path, by the staged path, the held load's result), each into an empty table."""
    path = write_csv("polls.csv", POLLS_HEADER, *lines)
    held = []

    def spy(self, received_at):
        held.append(self.polls_held.rows)
        return real(self, received_at)

    real = staging.PostgresBackend.polls_held_insert
    monkeypatch.setattr(staging.PostgresBackend, "polls_held_insert", spy)
    result = services.polls_load(path)
    assert held == [result.rows_read]  # the held path did write them
    by_held = polls_dump()
    Poll.objects.all().delete()
    monkeypatch.setattr(staging, "POLLS_HELD_MAX_ROWS", 0)  # staged at once
    staged = services.polls_load(path)
    assert held == [result.rows_read]
    assert (staged.inserted, staged.duplicates) == (result.inserted, result.duplicates)
    return by_held, polls_dump(), result


def without_stamps_and_ids(polls: list[tuple]) -> list[tuple]:
    return [row[:3] for row in polls]


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")


@pytest.mark.django_db
@pytest.mark.parametrize("block_rows", [1 << 20, 5, 1])
@pytest.mark.parametrize("wide", [False, True], ids=["one-key", "lexsort"])
def test_held_polls_are_stored_as_the_staged_path_stores_them(
    postgresql_only, write_csv, monkeypatch, block_rows, wide
):
    # given: blocks small enough that repeated instants straddle them; with `wide`, instants
    # too far apart for the one-int64 sort key (the lexsort way)
    monkeypatch.setattr(staging, "BLOCK_ROWS", block_rows)
    lines = fleet_lines(stores=40, wide=wide)
    # when
    by_held, staged, result = load_both_ways(write_csv, monkeypatch, lines)
    # then: the same polls in the same (store, time) order of ids, one stamp per load
    assert without_stamps_and_ids(by_held) == without_stamps_and_ids(staged)
    assert len({row[3] for row in by_held}) == 1
    assert result.inserted == len(by_held) < result.rows_read
    ordered = sorted(by_held, key=lambda row: (row[0], row[1]))
    assert [row[:2] for row in ordered] == sorted(row[:2] for row in by_held)


@pytest.mark.django_db
def test_a_conflicting_instant_is_one_inactive_poll_whatever_the_order(postgresql_only, write_csv):
    # given: one instant active, inactive, active (rule 7), and an instant only active
    path = write_csv(
        "p.csv",
        POLLS_HEADER,
        "s1,active,2023-01-22 12:00:00 UTC",
        "s1,inactive,2023-01-22T12:00:00Z",
        "s1,active,2023-01-22 12:00:00.000000 UTC",
        "s1,active,2023-01-22 13:00:00 UTC",
        "s1,active,2023-01-22 13:00:00 UTC",
    )
    # when
    result = services.polls_load(path)
    # then
    assert (result.inserted, result.duplicates) == (2, 3)
    assert [(p.observed_at_utc.hour, p.active) for p in Poll.objects.order_by("id")] == [(12, False), (13, True)]


@pytest.mark.django_db
def test_polls_past_the_memory_cap_are_staged_and_stored_alike(postgresql_only, write_csv, monkeypatch):
    # given: a cap below the file's rows, and chunks smaller than it, so that the load holds
    # some chunks, then stages them and the rest
    lines = fleet_lines(stores=30, wide=False)
    path = write_csv("polls.csv", POLLS_HEADER, *lines)
    services.polls_load(path)
    expected = without_stamps_and_ids(polls_dump())
    Poll.objects.all().delete()
    monkeypatch.setattr(staging, "POLLS_HELD_MAX_ROWS", len(lines) // 2)
    monkeypatch.setitem(csv_rows.rows_read.__kwdefaults__, "chunk_rows", 50)
    called = []
    monkeypatch.setattr(staging.PostgresBackend, "polls_held_insert", lambda self, at: called.append(at))
    # when
    result = services.polls_load(path)
    # then
    assert called == []  # staged: the SQL merge wrote them
    assert without_stamps_and_ids(polls_dump()) == expected
    assert result.inserted == len(expected)


@pytest.mark.django_db
def test_a_load_into_a_table_with_polls_stages_them(postgresql_only, write_csv, monkeypatch):
    # given: a poll stored already
    services.polls_load(write_csv("a.csv", POLLS_HEADER, "s1,active,2023-01-22 12:00:00 UTC"))
    called = []
    monkeypatch.setattr(staging.PostgresBackend, "polls_held_insert", lambda self, at: called.append(at))
    # when: the same instant turned inactive, and a new one
    result = services.polls_load(
        write_csv("b.csv", POLLS_HEADER, "s1,inactive,2023-01-22 12:00:00 UTC", "s1,active,2023-01-22 13:00:00 UTC")
    )
    # then: the merge updated one and inserted one
    assert called == []
    assert (result.inserted, result.updated) == (1, 1)
