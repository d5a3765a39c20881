"""PUT hours and PUT special day name every bad field of their JSON object at once, unknown keys
with the field they most likely meant (issue 16, "No dead ends")."""

import pytest

from stores.conftest import make_store
from stores.models import BusinessHours, SpecialHours

pytestmark = pytest.mark.django_db

A = "1481966498820158979"


@pytest.fixture
def store():
    return make_store(A, timezone_str="America/New_York", hours=[(0, "09:00", "12:00")])


def test_put_hours_names_a_misspelt_key_and_the_missing_field_together(api, store):
    response = api.put(f"/api/stores/{A}/hours", {"effectiv_from": "2023-01-23", "rows": [], "row": []}, format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["effectiv_from"] == ["unknown field 'effectiv_from' (did you mean 'effective_from'?)"]
    assert answer["row"] == ["unknown field 'row' (did you mean 'rows'?)"]
    assert answer["effective_from"] == ["missing (null for the undated version)"]
    assert answer["detail"] == (
        "effectiv_from: unknown field 'effectiv_from' (did you mean 'effective_from'?); "
        "row: unknown field 'row' (did you mean 'rows'?); effective_from: missing (null for the undated version)"
    )
    assert BusinessHours.objects.count() == 1  # nothing changed


def test_put_hours_lists_bad_fields_and_bad_rows_in_one_answer(api, store):
    body = {
        "effective_from": "2023-02-30",
        "rows": [
            {"day_of_week": 9, "start_time_local": "09:00", "end_time_local": "10:00"},
            {"day_of_week": 1, "start": "09:00", "end_time_local": "10:00"},
        ],
    }

    response = api.put(f"/api/stores/{A}/hours", body, format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["effective_from"] == ["2023-02-30 is not a date"]
    assert [(e["index"], e["field"]) for e in answer["errors"]] == [(0, "day_of_week"), (1, "start")]
    assert answer["errors"][1]["reason"] == "unknown field 'start' (did you mean 'start_time_local'?)"
    assert answer["detail"].startswith("effective_from: 2023-02-30 is not a date; 2 bad row(s); nothing was stored")


def test_put_special_day_names_a_misspelt_closed(api, store):
    response = api.put(f"/api/stores/{A}/special-days/2023-02-06", {"closd": True}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "closd: unknown field 'closd' (did you mean 'closed'?); closed: must be true "
        '(send {"closed": true}, or a list of rows with times)',
        "closd": ["unknown field 'closd' (did you mean 'closed'?)"],
        "closed": ['must be true (send {"closed": true}, or a list of rows with times)'],
    }
    assert not SpecialHours.objects.exists()
