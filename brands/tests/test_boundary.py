"""`brands` is below `stores`, `reports` and `alerts`: they may point at it, its code imports none
of them (nor any other first-party package); its tests may use them."""

from loopmonitor.tests.test_boundaries import python_files, violations


def test_brands_imports_neither_stores_nor_reports_nor_the_project():
    assert python_files("brands")  # the rule reads real files
    found = violations("brands", {"stores", "reports", "alerts", "loopmonitor", "bench"})

    assert [line for line in found if not line.startswith("brands/tests/")] == []
    assert any(line.startswith("brands/tests/") for line in found)  # the rule sees a real import
