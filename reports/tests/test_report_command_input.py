"""`manage.py report --as-of` and `--store` take exactly what POST /trigger_report takes: the same
parser, the same bounds and the same words (issue 16, "No dead ends")."""

import io

import pytest
from django.core.management import CommandError, call_command

from reports.models import Report

pytestmark = pytest.mark.django_db

AS_OF_CASES = [
    # accepted
    "2023-01-23T17:00:00Z",
    "2023-01-23T17:00:00",  # no offset: UTC, as the API reads it
    "2023-01-23 17:00",
    "2023-01-23T22:00:00+05:00",
    "2023-01-23T12:00:00-0500",
    "2023-01-23T17:00:00.5",
    # refused
    "2023-02-30T10:00:00Z",
    "2023-01-23T25:00:00Z",
    "2023-01-23 17:00 UTC",
    "2023-01-23",
    "yesterday",
    "",
    "1970-12-31T23:59:59Z",
    "2999-01-01T00:00:00Z",
    "0001-01-01T05:00+05:00",
    "\uff12023-01-23T17:00:00Z",
]


def _cli(*args: str) -> str | None:
    """None when `manage.py report ARGS` accepts its input, else its error."""
    try:
        call_command("report", *args, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("as_of", AS_OF_CASES)
def test_the_command_takes_exactly_the_as_of_the_api_takes(api, example_fleet, eager_tasks, as_of):
    answer = api.post("/trigger_report", {"as_of": as_of}, format="json")

    refused = _cli("--as-of", as_of)

    if answer.status_code == 202:
        assert refused is None
        assert Report.objects.get(pk=answer.json()["report_id"]).status == Report.Status.COMPLETE
    else:
        assert answer.status_code == 400
        [reason] = answer.json()["as_of"]
        assert refused == f"--as-of {as_of!r}: {reason}"


def test_a_bad_as_of_exits_2_as_bad_input(example_fleet):
    with pytest.raises(CommandError) as refused:
        call_command("report", "--as-of", "2023-02-30T10:00:00Z")

    assert refused.value.returncode == 2
    assert str(refused.value) == "--as-of '2023-02-30T10:00:00Z': 2023-02-30 is not a date"


def test_store_ids_may_be_repeated_or_separated_as_in_the_api(example_fleet, capsys):
    call_command("report", "--as-of", "2023-01-23T17:00:00Z", "--store", "99, 1481966498820158979")
    together = capsys.readouterr().out
    call_command("report", "--as-of", "2023-01-23T17:00:00Z", "--store", "99", "--store", "1481966498820158979")
    repeated = capsys.readouterr().out

    assert together == repeated
    assert [line.split(",")[0] for line in together.splitlines()[1:]] == ["1481966498820158979", "99"]


def test_the_command_prints_a_reports_warning(example_fleet, capsys):
    call_command("report", "--as-of", "2022-12-01T00:00:00Z")

    err = capsys.readouterr().err
    assert "warning: read no polls: as_of 2022-12-01T00:00:00Z is before every poll" in err
