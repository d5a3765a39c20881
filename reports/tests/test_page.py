"""The web page at `/`: rendered by Django, then driven in a real browser.

The browser tests run Debian's Chromium headless through Selenium against a
live server and a real Celery worker, and leave screenshots in
test-artifacts/screenshots/ (CI prints that folder in its log).
"""

import io
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from brands.models import Membership, Role
from brands.services import brand_get_or_create
from reports.conftest import ACME_STORES, BRANDS_AS_OF, EXAMPLE_A_ROW
from reports.models import Report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_CHROMIUM = "install Chromium: sudo make browser-deps (apt-get install chromium chromium-driver)"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
STORE_ID = "1481966498820158979"  # example A of docs/numbers.md, in the example_fleet fixture
UPTIME_FIELDS = [
    "uptime_last_hour_minutes",
    "uptime_last_day_hours",
    "uptime_last_week_hours",
    "downtime_last_hour_minutes",
    "downtime_last_day_hours",
    "downtime_last_week_hours",
]


def test_the_page_asks_a_stranger_to_log_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"  # the page's login, for every person (the admin's is staff's)


def test_the_page_renders_the_forms_and_sets_the_csrf_cookie(admin_client):
    response = admin_client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    for element_id in ("trigger-form", "as-of", "store-ids", "store-form", "store-search", "reports-table"):
        assert f'id="{element_id}"' in html
    assert 'href="/api/docs/"' in html and 'href="/admin/"' in html
    # The page's script sends this cookie back as X-CSRFToken when it triggers a report.
    assert response.cookies["csrftoken"].value
    assert finders.find("reports/app.js") and finders.find("reports/app.css")


def test_a_brand_member_gets_the_page_with_the_brand_selector_to_fill(client, django_user_model):
    member = django_user_model.objects.create_user("member", password="pw-member-1")
    Membership.objects.create(user=member, brand=brand_get_or_create(slug="acme"), role=Role.OPERATOR)
    client.force_login(member)

    html = client.get("/").content.decode()

    # hidden until the script has the member's operator brands (GET /api/brands/?role=operator)
    assert 'data-staff="false"' in html
    assert '<div class="field" id="brand-field" hidden>' in html and 'id="brand"' in html
    found = finders.find("reports/app.js")
    assert isinstance(found, str)
    assert "/api/brands/?role=operator" in Path(found).read_text()


def test_the_page_script_builds_the_dom_from_text_never_from_html():
    """Store ids, timezones and errors are data: the script sets textContent, never parses markup."""
    found = finders.find("reports/app.js")
    assert isinstance(found, str), found
    script = Path(found).read_text()

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    # The calendar's tables are filled from the two public answers, as the browser test reads them.
    for element_id in ("store-days", "store-versions", "store-special-recent", "store-special-upcoming"):
        assert f'"{element_id}"' in script, element_id
    assert "/uptime" in script and "special_from" in script and "special_until" in script


# --- in a real browser -----------------------------------------------------------


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium with a fresh profile.

    Without Chromium the test is skipped, saying how to install it (a developer without root);
    under LOOPMONITOR_REQUIRE_SERVICES=1 (CI, where `make test` runs as root and installs it) it
    fails instead: CI never skips the browser test.
    """
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        message = f"{' and '.join(missing)} not found: {INSTALL_CHROMIUM}"
        if os.environ.get("LOOPMONITOR_REQUIRE_SERVICES") == "1":
            pytest.fail(
                f"{message} (LOOPMONITOR_REQUIRE_SERVICES=1: the browser test may not be skipped)", pytrace=False
            )
        pytest.skip(message)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _screenshot(driver, name: str) -> Path:
    """The whole page, 1280 px wide, as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    # The viewport, not the window, must be as tall as the page for save_screenshot to show all of it.
    metrics = {"width": 1280, "height": max(800, min(int(height), 6000)), "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    path = SCREENSHOTS / f"{name}.png"
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    print(f"screenshot: {path}")
    return path


def _script_errors(driver) -> list[str]:
    """Errors the page's JavaScript logged (failed HTTP requests are the page's to report, not errors)."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
    ]


def _log_in(driver, live_server) -> None:
    """A staff session in the browser: DRF then enforces CSRF on /trigger_report, so the header must be right."""
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-for-tests")
    client = Client()
    client.force_login(user)
    driver.get(f"{live_server.url}/healthz")  # any page of the origin, so the cookie can be set
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session, "path": "/"})


@pytest.mark.browser
@pytest.mark.queue
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_report_is_triggered_watched_and_downloaded(
    live_server, start_worker, example_fleet, browser, api_key
):
    # given a worker, a logged-in browser and the page with no reports yet
    start_worker()
    _log_in(browser, live_server)
    browser.get(f"{live_server.url}/")
    wait = WebDriverWait(browser, 60, poll_frequency=0.1)
    wait.until(lambda d: "No reports yet" in d.find_element(By.ID, "reports-body").text)
    assert browser.get_cookie("csrftoken"), "the page must set the csrftoken cookie (ensure_csrf_cookie)"
    _screenshot(browser, "page-01-loaded")
    # Record every state the report panel shows, to check it goes Pending -> ... -> Complete.
    browser.execute_script(
        """
        window.__states = [];
        const panel = document.getElementById('current-report');
        new MutationObserver(() => {
          const s = panel.dataset.status;
          if (s && window.__states[window.__states.length - 1] !== s) window.__states.push(s);
        }).observe(panel, {attributes: true, attributeFilter: ['data-status']});
        """
    )

    # when a report as of example A's instant is triggered from the form
    browser.find_element(By.ID, "as-of").send_keys("2023-01-23T17:00:00Z")
    browser.find_element(By.ID, "trigger-button").click()

    # then the page watches it to completion and offers the CSV
    link = wait.until(EC.visibility_of_element_located((By.ID, "current-report-download")))
    report_id = browser.find_element(By.ID, "current-report").get_attribute("data-report-id")
    report = Report.objects.get(pk=report_id)
    assert report.status == Report.Status.COMPLETE
    states = browser.execute_script("return window.__states")
    assert states[0] == "Pending" and states[-1] == "Complete", states
    href = link.get_attribute("href")
    assert href is not None
    with _open(href, api_key) as response:
        assert response.headers["Content-Type"] == "text/csv"
        assert EXAMPLE_A_ROW in response.read().decode().splitlines()

    # and the list shows it, complete, with its own download link
    listed_css = f'#reports-body tr[data-report-id="{report_id}"]'
    row_link = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, f"{listed_css} a.download")))
    row_href = row_link.get_attribute("href")
    assert row_href is not None and row_href.endswith(f"/get_report/{report_id}")
    listed = browser.find_element(By.CSS_SELECTOR, listed_css)
    assert "Complete" in listed.text and "2023-01-23 17:00 UTC" in listed.text
    _screenshot(browser, "page-02-report-complete")
    assert _script_errors(browser) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_store_is_looked_up_and_found_by_search(live_server, example_fleet, browser, api_key):
    # given the page, logged in
    _log_in(browser, live_server)
    browser.get(f"{live_server.url}/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)

    # when a store id is looked up
    browser.find_element(By.ID, "store-id").send_keys(STORE_ID)
    browser.find_element(By.ID, "store-button").click()

    # then its six numbers and its timeline picture are shown
    wait.until(lambda d: d.find_element(By.ID, "store-result").get_attribute("data-state") in ("ready", "error"))
    result = browser.find_element(By.ID, "store-result")
    uptime_url = f"{live_server.url}/api/stores/{STORE_ID}/uptime"
    if result.get_attribute("data-state") != "ready":
        _screenshot(browser, "page-03-store-error")
        pytest.fail(
            f"the store lookup shows an error: {result.text!r}. "
            f"Is GET /api/stores/<store_id>/uptime routed? It answered: {_get(uptime_url, api_key)}"
        )
    with _open(uptime_url, api_key) as response:
        expected = json.load(response)
    for field in UPTIME_FIELDS:
        text = browser.find_element(By.CSS_SELECTOR, f'#store-metrics [data-field="{field}"]').text
        number, unit = text.split()
        assert float(number.replace(",", "")) == round(expected[field], 2), (field, text, expected[field])
        assert unit == ("min" if field.endswith("_minutes") else "h"), (field, text)
    wait.until(
        lambda d: d.execute_script(
            "const i = document.getElementById('store-timeline'); return i && i.complete && i.naturalWidth > 0"
        )
    )

    # and a search lists the store; choosing it looks it up
    browser.find_element(By.ID, "store-search").send_keys(STORE_ID[:6])
    found_css = f'#search-results button[data-store-id="{STORE_ID}"]'
    item = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, found_css)))
    item.click()
    wait.until(lambda d: d.find_element(By.ID, "store-result").get_attribute("data-state") == "ready")
    _screenshot(browser, "page-03-store")
    assert _script_errors(browser) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_mistakes_read_as_messages(live_server, example_fleet, browser):
    _log_in(browser, live_server)
    browser.get(f"{live_server.url}/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)

    # a report as of something that is not an instant is refused, and the page says why
    browser.find_element(By.ID, "as-of").send_keys("yesterday")
    browser.find_element(By.ID, "trigger-button").click()
    error = wait.until(EC.visibility_of_element_located((By.ID, "trigger-error")))
    assert "as_of" in error.text and "not started" in error.text
    assert not Report.objects.exists()

    # an unknown store id reads as a sentence naming it
    browser.find_element(By.ID, "store-id").send_keys("no-such-store")
    browser.find_element(By.ID, "store-button").click()
    alert = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#store-result .alert--error")))
    assert "no-such-store" in alert.text
    _screenshot(browser, "page-04-mistakes")
    assert _script_errors(browser) == []


# The data/ sample's calendars (data/README.md "Real calendars"); the page looks up as of the
# sample's latest poll, the T of data/expected_report.csv.
SAMPLE = Path(settings.BASE_DIR) / "data"
HOLIDAY_STORE = "df2dd9f4-b302-4b76-9260-495a68cc5d88"  # New York, 11-19 daily; closed 2023-01-24, whole day 01-25
VERSION_STORE = "1675089064047202661"  # versions 2022-10-20, 2023-01-21 (in the week), 2023-03-27


def _sample_row(store_id: str) -> list[float]:
    """The store's six numbers in data/expected_report.csv, in UPTIME_FIELDS' order."""
    for line in (SAMPLE / "expected_report.csv").read_text().splitlines()[1:]:
        first, *numbers = line.split(",")
        if first == store_id:
            return [float(n) for n in numbers]
    raise AssertionError(f"{store_id} is not in data/expected_report.csv")


def _sample_hours_rows(store_id: str) -> int:
    """How many rows data/menu_hours.csv has for the store."""
    lines = (SAMPLE / "menu_hours.csv").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split(",", 1)[0] == store_id)


def _look_up(driver, wait, store_id: str) -> None:
    """Look `store_id` up and wait until its numbers and its calendar are shown."""
    field = driver.find_element(By.ID, "store-id")
    field.clear()
    field.send_keys(store_id)
    driver.find_element(By.ID, "store-button").click()
    wait.until(
        lambda d: (
            d.find_element(By.ID, "store-result").get_attribute("data-calendar") in ("ready", "error")
            and d.find_element(By.ID, "store-result-id").text == store_id
        )
    )
    result = driver.find_element(By.ID, "store-result")
    assert result.get_attribute("data-state") == "ready", result.text
    assert result.get_attribute("data-calendar") == "ready", result.text


def _table(driver, table_id: str) -> dict[str, list[str]]:
    """The body rows of a table by their row header's text: the other cells' texts."""
    rows = {}
    for tr in driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr"):
        headers = tr.find_elements(By.CSS_SELECTOR, 'th[scope="row"]')
        if headers:
            rows[headers[0].text] = [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
    return rows


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_store_shows_its_calendar(live_server, browser):
    # given the data/ sample, with its special days and dated versions, and the page, logged in
    call_command("load_data", "--dir", str(SAMPLE), stdout=io.StringIO(), stderr=io.StringIO())
    _log_in(browser, live_server)
    browser.get(f"{live_server.url}/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)

    # when a store with a closed special day in its week is looked up
    _look_up(browser, wait, HOLIDAY_STORE)

    # then its numbers are its row of the sample's report
    shown = []
    for field in UPTIME_FIELDS:
        number, _unit = browser.find_element(By.CSS_SELECTOR, f'#store-metrics [data-field="{field}"]').text.split()
        shown.append(float(number.replace(",", "")))
    assert shown == _sample_row(HOLIDAY_STORE)

    # and each local date of the week says which rows it followed: the holidays are closed
    days = _table(browser, "store-days")
    assert list(days) == [f"2023-01-{d}" for d in range(18, 26)], days
    assert days["2023-01-24"] == ["Tuesday", "holiday: closed", "closed"]
    assert days["2023-01-25"] == ["Wednesday", "special hours", "open"]
    for date in ("2023-01-18", "2023-01-19", "2023-01-20", "2023-01-21", "2023-01-22", "2023-01-23"):
        assert days[date][1:] == ["weekly hours", "open"], (date, days[date])
    caption = browser.find_element(By.CSS_SELECTOR, "#store-days caption").text
    assert "local dates" in caption

    # and its special days and its one, undated, version are listed
    recent = _table(browser, "store-special-recent")
    assert recent == {
        "2023-01-24": ["Tuesday", "closed all day"],
        "2023-01-25": ["Wednesday", "whole day (given as 06:00–06:00)"],
    }
    assert _table(browser, "store-special-upcoming") == {}
    assert _table(browser, "store-versions") == {
        "undated": ["—", "—", "every date", str(_sample_hours_rows(HOLIDAY_STORE))]
    }
    _screenshot(browser, "page-05-store-calendar")

    # when a store whose new version took effect inside the week is looked up
    _look_up(browser, wait, VERSION_STORE)

    # then the dates say which version they followed, and the date it took effect is marked
    days = _table(browser, "store-days")
    assert days["2023-01-20"][1] == "weekly hours from 2022-10-20"
    assert days["2023-01-21"][1] == "weekly hours from 2023-01-21 new version takes effect"
    marked = browser.find_elements(By.CSS_SELECTOR, '#store-days tr[data-new-version="true"]')
    assert [tr.get_attribute("data-date") for tr in marked] == ["2023-01-21"]
    assert days["2023-01-24"][1] == "weekly hours from 2023-01-21"
    versions = _table(browser, "store-versions")
    assert list(versions) == ["2022-10-20", "2023-01-21", "2023-03-27"]
    assert versions["2022-10-20"][:3] == ["—", "2023-01-21", "every date before 2023-01-21"]
    assert versions["2023-01-21"][:3] == ["2023-01-21", "2023-03-27", "2023-01-21 to the day before 2023-03-27"]
    assert versions["2023-03-27"][:3] == ["2023-03-27", "—", "2023-03-27 and after"]
    _screenshot(browser, "page-06-store-versions")
    assert _script_errors(browser) == []


def _log_in_as(driver, live_server, user) -> None:
    """`user`'s session in the browser (any person: the page's API calls ride on it)."""
    client = Client()
    client.force_login(user)
    driver.get(f"{live_server.url}/healthz")
    driver.add_cookie(
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "path": "/"}
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_an_operator_of_two_brands_picks_one_and_sees_only_theirs(
    live_server, two_brands, browser, eager_tasks
):
    # given: reports of a brand the person has no role in and of the whole fleet, and a person who
    # operates acme and globex and views initech
    initech = brand_get_or_create(slug="initech", name="Initech Tacos")
    umbrella = brand_get_or_create(slug="umbrella")
    hidden = [Report.objects.create(as_of=BRANDS_AS_OF, brand=umbrella), Report.objects.create(as_of=BRANDS_AS_OF)]
    person = get_user_model().objects.create_user("both", password="pw-for-tests")
    for brand, role in (
        (two_brands["acme"], Role.OPERATOR),
        (two_brands["globex"], Role.ADMIN),
        (initech, Role.VIEWER),
    ):
        Membership.objects.create(user=person, brand=brand, role=role)
    _log_in_as(browser, live_server, person)
    browser.get(f"{live_server.url}/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)

    # then: the selector offers the brands they operate, and the list shows none of the others' reports
    wait.until(EC.visibility_of_element_located((By.ID, "brand")))
    options = [(o.get_attribute("value"), o.text) for o in Select(browser.find_element(By.ID, "brand")).options]
    assert options == [("", "Choose a brand…"), ("acme", "ACME Burgers (acme)"), ("globex", "Globex Pizza (globex)")]
    wait.until(lambda d: "No reports yet" in d.find_element(By.ID, "reports-body").text)

    # when: a report is triggered without a brand, the page says the brand is needed
    browser.find_element(By.ID, "as-of").send_keys(BRANDS_AS_OF.isoformat())
    browser.find_element(By.ID, "trigger-button").click()
    error = wait.until(EC.visibility_of_element_located((By.ID, "trigger-error")))
    assert "brand" in error.text and "not started" in error.text
    assert browser.find_element(By.ID, "brand").get_attribute("aria-invalid") == "true"

    # when: acme is picked, the report is acme's, of acme's stores
    Select(browser.find_element(By.ID, "brand")).select_by_value("acme")
    browser.find_element(By.ID, "trigger-button").click()
    wait.until(EC.visibility_of_element_located((By.ID, "current-report-download")))
    report = Report.objects.get(pk=browser.find_element(By.ID, "current-report").get_attribute("data-report-id"))
    assert (report.brand, report.status, report.row_count) == (
        two_brands["acme"],
        Report.Status.COMPLETE,
        len(ACME_STORES),
    )
    row_css = f'#reports-body tr[data-report-id="{report.id}"]'
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, f"{row_css} a.download")))
    assert "acme: all stores" in browser.find_element(By.CSS_SELECTOR, row_css).text
    listed = [tr.get_attribute("data-report-id") for tr in browser.find_elements(By.CSS_SELECTOR, "#reports-body tr")]
    assert listed == [str(report.id)] and not {str(r.id) for r in hidden} & set(listed)

    # and: another brand's store is not found, the brand's own is
    browser.find_element(By.ID, "store-id").send_keys("store-4")
    browser.find_element(By.ID, "store-button").click()
    alert = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#store-result .alert--error")))
    assert "store-4" in alert.text and "was found" in alert.text
    _screenshot(browser, "page-07-brands")
    assert _script_errors(browser) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_staff_may_leave_the_brand_at_the_whole_fleet(live_server, two_brands, browser, eager_tasks):
    _log_in(browser, live_server)
    browser.get(f"{live_server.url}/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)

    wait.until(EC.visibility_of_element_located((By.ID, "brand")))
    options = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "brand")).options]
    assert options == ["", "acme", "globex"]
    browser.find_element(By.ID, "as-of").send_keys(BRANDS_AS_OF.isoformat())
    browser.find_element(By.ID, "trigger-button").click()
    wait.until(EC.visibility_of_element_located((By.ID, "current-report-download")))

    report = Report.objects.get()
    assert (report.brand, report.scope) == (None, "all stores")
    assert _script_errors(browser) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_an_operator_of_one_brand_has_no_selector(live_server, two_brands, browser, eager_tasks):
    person = get_user_model().objects.create_user("one", password="pw-for-tests")
    Membership.objects.create(user=person, brand=two_brands["globex"], role=Role.OPERATOR)
    Membership.objects.create(user=person, brand=two_brands["acme"], role=Role.VIEWER)
    _log_in_as(browser, live_server, person)
    browser.get(f"{live_server.url}/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)
    wait.until(lambda d: "No reports yet" in d.find_element(By.ID, "reports-body").text)

    browser.find_element(By.ID, "trigger-button").click()
    wait.until(EC.visibility_of_element_located((By.ID, "current-report-download")))

    assert not browser.find_element(By.ID, "brand").is_displayed()
    assert Report.objects.get().brand == two_brands["globex"]
    assert _script_errors(browser) == []


def _open(url: str, key: str):
    """GET `url` outside the browser, with an API key."""
    return urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Token {key}"}), timeout=10)


def _get(url: str, key: str) -> str:
    try:
        with _open(url, key) as response:
            return f"{response.status} {response.read(300)!r}"
    except urllib.error.HTTPError as exc:
        return f"{exc.code} {exc.read(300)!r}"
