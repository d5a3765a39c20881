"""The incidents in the admin: every changelist and change page renders, read only."""

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Incident, IncidentRefresh

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Incident, IncidentRefresh])
def test_changelist_and_change_page_render_read_only(admin_client, example_j, model):
    services.incidents_refresh([example_j.pk])
    meta, obj = model._meta, model.objects.get()

    changelist = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    change = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
    filtered = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"), {"q": "14819"})

    assert (changelist.status_code, change.status_code, filtered.status_code) == (200, 200, 200)
    assert example_j.store_id in filtered.content.decode()
    assert b'name="_save"' not in change.content  # derived rows: nothing to save
