"""The fleet overview in a real browser (issue 16): a brand member logs in on the page's own login,
opens the overview, sorts, filters, follows a store, reloads a deep link, downloads the CSV and
the XLSX, and the page is looked at on a desktop and a phone, light and dark.

Headless Chromium through Selenium as in test_page.py (skipped without it, except in CI); the
fleet is generated (300 stores, two brands), loaded and reported for real; the screenshots land
in the test's tmp_path (the path is printed).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from brands.models import Brand, Membership, Role
from reports import services
from reports.models import Report
from reports.tests.test_page import browser  # noqa: F401 - a fixture: the one the page's browser tests use
from stores.generator import generate

PASSWORD = "pw-demo-viewer-1"
DESKTOP, PHONE = (1400, 900), (390, 844)


@pytest.fixture
def demo_report(tmp_path, eager_tasks) -> Report:
    generate(tmp_path / "fleet", stores=300, days=7.75, seed=16, brands=2)
    call_command("load_data", "--dir", str(tmp_path / "fleet"), stdout=io.StringIO(), stderr=io.StringIO())
    services.report_create()  # the whole fleet's: not the member's to see
    report = services.report_create(brand_id=Brand.objects.get(slug="demo").pk)
    report.refresh_from_db()
    assert report.status == Report.Status.COMPLETE
    person = get_user_model().objects.create_user("demo-viewer", password=PASSWORD)
    Membership.objects.create(user=person, brand=Brand.objects.get(slug="demo"), role=Role.VIEWER)
    return report


def _script_errors(driver) -> list[str]:
    """Errors the page's JavaScript logged (a failed HTTP request is the page's to report, not an error)."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
    ]


def _view(driver, size: tuple[int, int], scheme: str) -> None:
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
    )
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )


def _shot(driver, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def _rows(driver) -> list[dict[str, str]]:
    """Each row of the table: its store id, status and the data-value of each numeric cell."""
    return driver.execute_script(
        """
        return [...document.querySelectorAll('#overview-table tbody tr[data-store-id]')].map(tr => {
          const row = {store_id: tr.dataset.storeId, status: tr.dataset.status};
          for (const td of tr.querySelectorAll('td[data-value]')) row[td.dataset.field] = td.dataset.value;
          return row;
        });
        """
    )


def _downloaded(folder: Path, name: str, timeout: float = 30) -> Path:
    path = folder / name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_brand_member_works_in_the_overview(live_server, demo_report, browser, tmp_path):  # noqa: F811
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    _view(browser, DESKTOP, "light")

    # given: the member logs in on the page's own login
    browser.get(f"{live_server.url}/")
    wait.until(EC.visibility_of_element_located((By.ID, "id_username"))).send_keys("demo-viewer")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()

    # then: the overview of demo's latest report, worst first
    wait.until(EC.visibility_of_element_located((By.ID, "overview-table")))
    assert urlsplit(browser.current_url).path == "/"
    assert browser.find_element(By.ID, "overview").get_attribute("data-report-id") == str(demo_report.id)
    assert "demo: all stores" in browser.find_element(By.ID, "overview-scope").text
    rows = _rows(browser)
    assert len(rows) == 50
    week_down = [1 - float(r["uptime_week"]) for r in rows if r["uptime_week"]]
    assert week_down == sorted(week_down, reverse=True)  # worst first
    _shot(browser, shots, "overview-first-view")

    # when: sorted by the week's downtime (its heading), most first
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="downtime_week"] a').click()
    wait.until(lambda d: "sort=-downtime_week" in d.current_url)
    down = [float(r["downtime_week"]) for r in _rows(browser)]
    assert down == sorted(down, reverse=True) and down[0] > 0
    assert (
        browser.find_element(By.CSS_SELECTOR, 'th[data-sort="downtime_week"]').get_attribute("aria-sort")
        == "descending"
    )

    # and: filtered to the stores down at T, down more than 10 % of the week
    Select(browser.find_element(By.ID, "overview-status")).select_by_value("down")
    browser.find_element(By.ID, "overview-over").send_keys("10")
    browser.find_element(By.ID, "overview-apply").click()
    wait.until(lambda d: "status=down" in d.current_url)
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["sort"] == ["-downtime_week"] and query["downtime_over"] == ["10"]
    filtered = _rows(browser)
    assert filtered and {r["status"] for r in filtered} == {"down"}
    assert all(1 - float(r["uptime_week"]) > 0.10 for r in filtered)

    # then: the deep link survives a reload, rows and form alike
    deep_link = browser.current_url
    browser.refresh()
    wait.until(EC.visibility_of_element_located((By.ID, "overview-table")))
    assert browser.current_url == deep_link
    assert _rows(browser) == filtered
    assert Select(browser.find_element(By.ID, "overview-status")).first_selected_option.get_attribute("value") == "down"
    assert browser.find_element(By.ID, "overview-over").get_attribute("value") == "10"

    # and: a store's link leads to its page as of the report's T
    first = filtered[0]["store_id"]
    browser.find_element(By.CSS_SELECTOR, f'tr[data-store-id="{first}"] a.store-link').click()
    wait.until(lambda d: urlsplit(d.current_url).path == f"/stores/{first}")
    as_of = parse_qs(urlsplit(browser.current_url).query)["as_of"][0]
    assert as_of == demo_report.as_of.isoformat().replace("+00:00", "Z")
    browser.get(deep_link)
    wait.until(EC.visibility_of_element_located((By.ID, "overview-table")))

    # and: the CSV and the XLSX download, the same rows
    browser.find_element(By.ID, "download-csv").click()
    browser.find_element(By.ID, "download-xlsx").click()
    csv_rows = list(csv.reader(io.StringIO(_downloaded(downloads, f"report-{demo_report.id}.csv").read_text())))
    sheet = load_workbook(_downloaded(downloads, f"report-{demo_report.id}.xlsx")).worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == csv_rows[0] and sheet.freeze_panes == "A2"
    assert cells[1:] == [[r[0], *map(float, r[1:])] for r in csv_rows[1:]]
    assert len(csv_rows) - 1 == demo_report.row_count

    # and: desktop and phone, light and dark
    for size, scheme in ((DESKTOP, "light"), (DESKTOP, "dark"), (PHONE, "light"), (PHONE, "dark")):
        _view(browser, size, scheme)
        browser.get(deep_link)
        wait.until(EC.visibility_of_element_located((By.ID, "overview-table")))
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(v) for v in background.strip("rgba()").split(",")[:3])
        assert (red + green + blue < 150) == (scheme == "dark"), (scheme, background)
        layout = browser.execute_script(
            """
            const tr = document.querySelector('#overview-table tbody tr');
            return {row: getComputedStyle(tr).display,
                    download: document.getElementById('download-csv').getBoundingClientRect().top,
                    table: document.getElementById('overview-table').getBoundingClientRect().top,
                    overflow: document.documentElement.scrollWidth - window.innerWidth};
            """
        )
        if size == PHONE:
            assert layout["row"] == "grid", layout  # a stacked card
            assert layout["download"] < layout["table"], layout  # the download first
            assert layout["overflow"] <= 0, layout  # nothing wider than the phone
        else:
            assert layout["row"] == "table-row", layout
        _shot(browser, shots, f"overview-{size[0]}-{scheme}")
    assert _script_errors(browser) == []
