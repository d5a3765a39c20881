"""`engine.write_csv` writes the bytes of `csv.writer` over `engine.report_rows` (rule 8:
Python's round(x, 2), printed as Python prints it; rule 9: the header, rows sorted by
store_id as a string), without a Python call per value."""

import csv
import io

import numpy as np
import pytest

from reports import engine
from reports.fleet import CSV_COLUMNS, FleetResult


def reference(result: FleetResult, *, header: bool = True) -> str:
    """The CSV as csv.writer writes report_rows: what write_csv must equal byte for byte."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for row in engine.report_rows(result):
        writer.writerow(row)
    return out.getvalue()


def written(result: FleetResult, *, header: bool = True) -> tuple[str, int]:
    out = io.StringIO()
    rows = engine.write_csv(result, out, header=header)
    return out.getvalue(), rows


def _result(values: np.ndarray | list[float], ids: list[str] | None = None) -> FleetResult:
    values = np.asarray(values, np.float64).reshape(-1, 6)
    return FleetResult(ids or [f"s{i:06d}" for i in range(len(values))], values)


def test_ties_and_near_ties_round_as_python_does():
    # Exact binary ties (0.125, 2.5 / 100 ...) go to even; 1.005 and 2.675 are just below
    # their decimal ties in binary; x.xx5 +- one ulp on both sides.
    ties = [0.125, 0.375, 0.625, 0.875, 1.005, 2.675, 1.015, 0.005, 0.015, 0.025, 59.995, 23.995, 167.995]
    near = [np.nextafter(t, np.inf) for t in ties] + [np.nextafter(t, -np.inf) for t in ties]
    plain = [0.0, 0.01, 0.1, 0.5, 1.0, 1.5, 10.0, 59.99, 60.0, 24.0, 168.0, 99.99, 100.0, 1e-9, 0.004999999]
    values = np.array((ties + near + plain) * 6)[: 6 * ((len(ties + near + plain) * 6) // 6)]
    result = _result(values)
    text, rows = written(result)
    assert text == reference(result)
    assert rows == len(result.store_ids)


def test_random_values_of_every_window_match_byte_for_byte():
    rng = np.random.default_rng(17)
    n = 20_000
    # Values as the engine makes them: whole microseconds over minutes (hour) or hours (day, week).
    us = np.column_stack(
        [rng.integers(0, int(limit * unit) + 1, n) for limit, unit in [(60, 60e6), (24, 3600e6), (168, 3600e6)] * 2]
    )
    values = us / np.array([60e6, 3600e6, 3600e6] * 2)
    result = _result(values, [str(v) for v in rng.integers(0, 10**18, n).tolist()])
    assert written(result)[0] == reference(result)
    assert written(result, header=False)[0] == reference(result, header=False)


def test_unusual_values_are_left_to_python():
    values = [-0.0, -0.004, -1.5, float("nan"), float("inf"), 1e6 + 0.125, 123456789.125, 5e-324, 1e300, 0.0, 1.0, 2.0]
    result = _result(values)
    assert written(result)[0] == reference(result)


@pytest.mark.parametrize(
    "store_id",
    ["with,comma", 'with "quote"', "line\nbreak", "carriage\rreturn", "", " padded ", "tab\there", "ünïcødé", "\x7f"],
)
def test_store_ids_the_csv_module_would_quote_are_written_as_it_writes_them(store_id):
    result = _result(np.arange(18) / 7, ["a", store_id, "z"])
    assert written(result)[0] == reference(result)


def test_no_stores_is_the_header_alone():
    result = FleetResult([], np.zeros((0, 6)))
    assert written(result) == (",".join(CSV_COLUMNS) + "\n", 0)
    assert written(result, header=False) == ("", 0)
