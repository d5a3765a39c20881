"""POST /api/polls answers a bounded error however many rows are bad (hardening issue)."""

import json

import pytest

from stores.models import Poll

pytestmark = pytest.mark.django_db


def test_a_batch_of_100k_bad_rows_lists_the_first_100_and_counts_them_all(api):
    batch = [{"store_id": "1", "timestamp_utc": "2024-10-07T10:14:42Z", "status": "up"}] * 100_000

    response = api.post("/api/polls", data=json.dumps(batch), content_type="application/json")

    assert response.status_code == 400
    assert len(response.content) < 20_000
    body = response.json()
    assert [e["index"] for e in body["errors"]] == list(range(100))
    assert body["detail"] == "100000 bad row(s); nothing was stored. The first 100 are listed."
    assert Poll.objects.count() == 0
