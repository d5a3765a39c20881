"""Hours rows per store are capped at load (hardening issue: 49,000 hours rows of one store made
every answer about it huge): a store with more than HOURS_ROWS_PER_STORE_MAX rows in a file is a
named bad row and none of its rows are stored; `--strict` refuses the whole load."""

import datetime as dt

import pytest

from stores import services
from stores.conftest import HOURS_HEADER, hours_of
from stores.csv_rows import RowError
from stores.models import Store

pytestmark = pytest.mark.django_db

A = "1481966498820158979"
B = "0c4f6b02-8a2e-4d0b-9f4e-0d4a3f0c9e11"


def many_rows(store_id: str, count: int) -> list[str]:
    """`count` distinct hours rows of one store: one-minute spans spread over the week."""
    return [
        f"{store_id},{i % 7},{dt.time(i // 7 // 60 % 24, i // 7 % 60)},{dt.time(i // 7 // 60 % 24, i // 7 % 60, 30)}"
        for i in range(count)
    ]


def test_a_store_over_the_cap_is_a_named_bad_row_and_none_of_its_rows_are_stored(write_csv, settings):
    # given: the default cap, B before and after 1,001 rows of A
    cap = settings.HOURS_ROWS_PER_STORE_MAX
    assert cap == 1_000
    path = write_csv("h.csv", HOURS_HEADER, f"{B},0,09:00,17:00", *many_rows(A, cap + 1), f"{B},1,09:00,17:00")
    rejected: list[RowError] = []

    # when
    result = services.business_hours_load(path, on_reject=rejected.append)

    # then: line 2 is B's, A's rows are lines 3..1003, so its 1,001st is line 1003
    assert [str(e) for e in rejected] == [
        f"{path}:1003: store_id: more than 1000 business-hours rows for store {A!r} in this file; "
        "none of its rows are stored"
    ]
    assert hours_of(B) == [(0, "09:00:00", "17:00:00"), (1, "09:00:00", "17:00:00")]
    assert hours_of(A) == []
    assert (result.rows_read, result.rejected, result.inserted) == (cap + 3, cap + 1, 2)


def test_a_store_over_the_cap_keeps_the_hours_it_had(write_csv, settings):
    # given
    settings.HOURS_ROWS_PER_STORE_MAX = 3
    services.business_hours_load(write_csv("h0.csv", HOURS_HEADER, f"{A},0,09:00,17:00"))

    # when
    result = services.business_hours_load(write_csv("h1.csv", HOURS_HEADER, *many_rows(A, 4), *many_rows(B, 3)))

    # then
    assert hours_of(A) == [(0, "09:00:00", "17:00:00")]
    assert len(hours_of(B)) == 3
    assert result.rejected == 4 and result.duplicates == 0
    assert "more than 3 business-hours rows" in str(result.first_rejects[0])


def test_strict_refuses_the_whole_load_for_a_store_over_the_cap(write_csv, settings):
    settings.HOURS_ROWS_PER_STORE_MAX = 3

    with pytest.raises(services.RowsRejected) as refused:
        services.data_load(
            hours=write_csv("h.csv", HOURS_HEADER, *many_rows(B, 1), *many_rows(A, 5)),
            timezones=write_csv("t.csv", "store_id,timezone_str", f"{B},Europe/Paris"),
            strict=True,
        )

    assert "more than 3 business-hours rows" in str(refused.value.errors[0])
    assert Store.objects.count() == 0
