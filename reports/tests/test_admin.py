"""The Django admin renders every changelist and change form, as a superuser."""

import os

import pytest
from django.urls import reverse

from reports.models import Report
from stores.models import BusinessHours, Poll, Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_with_data(admin_client, example_fleet, eager_tasks, api):
    api.post("/trigger_report", {"as_of": "2023-01-23T17:00:00Z"}, format="json")
    return admin_client


@pytest.mark.parametrize("model", [Store, BusinessHours, Poll, Report])
def test_changelist_and_change_form_render(admin_client_with_data, model):
    meta = model._meta
    obj = model.objects.first()

    changelist = admin_client_with_data.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    change = admin_client_with_data.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))

    assert changelist.status_code == 200
    assert change.status_code == 200


def test_store_search_by_id_and_inline_hours_and_latest_polls(admin_client_with_data):
    store = Store.objects.get(store_id="1481966498820158979")

    found = admin_client_with_data.get(reverse("admin:stores_store_changelist"), {"q": "14819664988"})
    page = admin_client_with_data.get(reverse("admin:stores_store_change", args=[store.pk])).content.decode()

    assert "1481966498820158979" in found.content.decode()
    assert "business_hours-TOTAL_FORMS" in page  # the inline
    assert "<td>inactive</td>" in page and "<td>active</td>" in page  # latest polls


def test_report_admin_shows_status_filters_and_download_link(admin_client_with_data):
    report = Report.objects.get()

    changelist = admin_client_with_data.get(reverse("admin:reports_report_changelist"), {"status__exact": "Complete"})
    html = changelist.content.decode()

    assert str(report.id) in html
    assert f"/get_report/{report.id}" in html
    assert "By status" in html  # the list filter


def test_run_again_queues_a_report_for_the_same_as_of_and_scope(admin_client_with_data):
    original = Report.objects.get()

    admin_client_with_data.post(
        reverse("admin:reports_report_changelist"), {"action": "run_again", "_selected_action": [original.pk]}
    )

    again = Report.objects.exclude(pk=original.pk).get()
    assert (again.as_of, again.store_ids, again.status) == (original.as_of, original.store_ids, Report.Status.COMPLETE)


def test_run_again_keeps_a_brands_report_the_brands(admin_client, two_brands, brand_api, eager_tasks):
    acme = brand_api("acme", "operator")
    original = Report.objects.get(pk=acme.post("/trigger_report", {}, format="json").json()["report_id"])

    for action in ("run_again", "run_again_same_data"):
        admin_client.post(
            reverse("admin:reports_report_changelist"), {"action": action, "_selected_action": [original.pk]}
        )

    again = list(Report.objects.exclude(pk=original.pk))
    assert len(again) == 2
    assert {(r.brand, r.as_of, r.status, r.row_count) for r in again} == {
        (two_brands["acme"], original.as_of, Report.Status.COMPLETE, original.row_count)
    }
    changelist = admin_client.get(
        reverse("admin:reports_report_changelist"), {"brand__id__exact": two_brands["acme"].pk}
    )
    assert "acme: all stores" in changelist.content.decode()


def test_deleting_reports_deletes_their_files(admin_client_with_data, api, django_capture_on_commit_callbacks):
    # The admin's bulk delete is QuerySet.delete(); Django sends post_delete for each row since
    # Report has a receiver (reports.models), and that receiver deletes the file once the delete
    # commits (the test's transaction never does: its callbacks are run here). No admin override.
    api.post("/trigger_report", {"as_of": "2023-01-23T16:00:00Z"}, format="json")
    reports = list(Report.objects.all())
    paths = [report.file.path for report in reports]
    assert len(paths) == 2 and all(os.path.exists(path) for path in paths)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        admin_client_with_data.post(
            reverse("admin:reports_report_changelist"),
            {"action": "delete_selected", "_selected_action": [report.pk for report in reports], "post": "yes"},
        )
        assert all(os.path.exists(path) for path in paths)  # not before the commit
    assert len(callbacks) >= 2

    assert not Report.objects.exists()
    assert not any(os.path.exists(path) for path in paths)
