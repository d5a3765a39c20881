"""The admin side of the "Real calendars" issue: weekly versions and special days inline on the store,
editable, with validation messages naming the field; a special hours list filtered by date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from stores.conftest import make_store
from stores.models import BusinessHours, SpecialHours, Store

pytestmark = pytest.mark.django_db


def change_form_post(store: Store, *, special: list[dict[str, str]], store_id: str | None = None) -> dict[str, str]:
    """The change form's POST for a store with no weekly rows, adding the `special` rows."""
    data = {
        "store_id": store.store_id if store_id is None else store_id,
        "timezone_str": store.timezone_str or "",
        "business_hours-TOTAL_FORMS": "0",
        "business_hours-INITIAL_FORMS": "0",
        "special_hours-TOTAL_FORMS": str(len(special)),
        "special_hours-INITIAL_FORMS": "0",
    }
    for i, row in enumerate(special):
        data.update({f"special_hours-{i}-{key}": value for key, value in row.items()})
        data[f"special_hours-{i}-store"] = str(store.pk)
    return data


@pytest.fixture
def store(db) -> Store:
    return make_store("1481966498820158979", timezone_str="America/New_York")


def test_the_change_form_has_versions_and_special_days_inline(admin_client, store):
    BusinessHours.objects.create(
        store=store, day_of_week=0, start_time_local=dt.time(9), end_time_local=dt.time(12), effective_from=None
    )
    BusinessHours.objects.create(
        store=store,
        day_of_week=0,
        start_time_local=dt.time(13),
        end_time_local=dt.time(15),
        effective_from=dt.date(2023, 1, 23),
    )
    SpecialHours.objects.create(store=store, date=dt.date(2023, 1, 30))

    page = admin_client.get(reverse("admin:stores_store_change", args=[store.pk])).content.decode()

    assert 'name="business_hours-1-effective_from"' in page
    assert 'value="2023-01-23"' in page
    assert 'name="special_hours-0-date"' in page and 'value="2023-01-30"' in page
    # Which dates each version supplies (rule 10).
    assert "every date before 2023-01-23" in page
    assert "2023-01-23 and after" in page


def test_a_special_day_is_added_through_the_change_form(admin_client, store):
    data = change_form_post(
        store,
        special=[
            {"date": "2023-01-30", "start_time_local": "", "end_time_local": ""},
            {"date": "2023-02-06", "start_time_local": "10:00", "end_time_local": "11:00:00"},
        ],
    )

    response = admin_client.post(reverse("admin:stores_store_change", args=[store.pk]), data)

    assert response.status_code == 302
    assert sorted((r.date.isoformat(), r.start_time_local, r.end_time_local) for r in store.special_hours.all()) == [
        ("2023-01-30", None, None),
        ("2023-02-06", dt.time(10), dt.time(11)),
    ]


@pytest.mark.parametrize(
    "row, field, message",
    [
        (
            {"date": "2023-01-30", "start_time_local": "", "end_time_local": "11:00"},
            "start_time_local",
            "Empty while the end time is given: give both times, or neither for a day closed all day.",
        ),
        (
            {"date": "2023-01-30", "start_time_local": "10:00", "end_time_local": ""},
            "end_time_local",
            "Empty while the start time is given: give both times, or neither for a day closed all day.",
        ),
        ({"date": "1970-12-31", "start_time_local": "", "end_time_local": ""}, "date", "is outside 1971-01-01"),
        ({"date": "2023-02-30", "start_time_local": "", "end_time_local": ""}, "date", "Enter a valid date."),
        ({"date": "2023-01-30", "start_time_local": "25:00", "end_time_local": "11:00"}, "start_time_local", "valid"),
    ],
)
def test_a_bad_special_day_is_a_form_error_on_its_field_and_nothing_is_stored(admin_client, store, row, field, message):
    data = change_form_post(store, special=[row])

    response = admin_client.post(reverse("admin:stores_store_change", args=[store.pk]), data)

    assert response.status_code == 200  # the form again, with its errors
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "special_hours")
    errors = formset.formset.forms[0].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert escape(message) in response.content.decode()  # shown on the page
    assert not SpecialHours.objects.exists()


@pytest.mark.parametrize("store_id", ["=HYPERLINK(1)", " +1", "-1", "@x", "\t1", "   "])
def test_an_unsafe_store_id_is_refused_by_the_store_form(admin_client, store_id):
    data = {
        "store_id": store_id,
        "timezone_str": "",
        "business_hours-TOTAL_FORMS": "0",
        "business_hours-INITIAL_FORMS": "0",
        "special_hours-TOTAL_FORMS": "0",
        "special_hours-INITIAL_FORMS": "0",
    }

    response = admin_client.post(reverse("admin:stores_store_add"), data)

    assert response.status_code == 200
    assert "store_id" in response.context["adminform"].form.errors
    assert not Store.objects.exists()


def test_an_existing_store_keeps_its_id_when_edited(admin_client, store):
    data = change_form_post(store, special=[], store_id=store.store_id)
    data["timezone_str"] = "Europe/Berlin"

    response = admin_client.post(reverse("admin:stores_store_change", args=[store.pk]), data)

    assert response.status_code == 302
    assert Store.objects.get(pk=store.pk).timezone_str == "Europe/Berlin"


def test_the_special_hours_list_filters_by_date(admin_client, store):
    SpecialHours.objects.create(store=store, date=dt.date(2023, 1, 30))
    SpecialHours.objects.create(
        store=store, date=dt.date(2020, 6, 1), start_time_local=dt.time(10), end_time_local=dt.time(11)
    )
    url = reverse("admin:stores_specialhours_changelist")

    everything = admin_client.get(url)
    january = admin_client.get(url, {"date__gte": "2023-01-01", "date__lt": "2023-02-01"})
    first = SpecialHours.objects.first()
    assert first is not None
    change = admin_client.get(reverse("admin:stores_specialhours_change", args=[first.pk]))

    assert everything.status_code == change.status_code == 200
    assert "By date" in everything.content.decode()
    assert [r.date for r in everything.context["cl"].result_list] == [dt.date(2020, 6, 1), dt.date(2023, 1, 30)]
    assert [r.date for r in january.context["cl"].result_list] == [dt.date(2023, 1, 30)]


def test_the_special_hours_admin_refuses_one_empty_time(admin_client, store):
    response = admin_client.post(
        reverse("admin:stores_specialhours_add"),
        {"store": str(store.pk), "date": "2023-01-30", "start_time_local": "10:00", "end_time_local": ""},
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["end_time_local"]
    assert not SpecialHours.objects.exists()
