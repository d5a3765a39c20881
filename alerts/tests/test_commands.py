"""manage.py incidents_refresh: given stores or every store, in this process."""

import io

import pytest
from django.core.management import CommandError, call_command

from alerts.conftest import EXAMPLE_J_STORE
from alerts.models import Incident

pytestmark = pytest.mark.django_db


def test_refresh_every_store_then_one_by_id(example_j):
    out = io.StringIO()

    call_command("incidents_refresh", "--all", stdout=out)
    call_command("incidents_refresh", EXAMPLE_J_STORE, stdout=out)

    assert out.getvalue().splitlines() == [
        "1 stores: 1 incidents inserted, 0 updated, 0 deleted, 0 unchanged",
        "1 stores: 0 incidents inserted, 0 updated, 0 deleted, 1 unchanged",
    ]
    assert Incident.objects.filter(store=example_j).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give store ids or --all"),
        (["--all", "x"], "give store ids or --all"),
        (["nope"], "unknown store_id(s): nope"),
    ],
)
def test_bad_arguments_are_refused(db, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("incidents_refresh", *args)
