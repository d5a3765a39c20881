"""In a real browser: the page says "No worker is running" rather than leave a report Pending, and
logs out from its account bar (issue 16, "No dead ends"). The browser is test_page.py's."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from brands.models import Membership, Role
from brands.services import brand_get_or_create
from reports.heartbeat import heartbeat_record
from reports.tests import test_page

browser = test_page.browser  # the fixture: headless Chromium, skipped (or failed in CI) without it

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logged_in(driver, live_server) -> None:
    person = get_user_model().objects.create_user("maria", password="pw-maria-1")
    Membership.objects.create(user=person, brand=brand_get_or_create(slug="demo"), role=Role.OPERATOR)
    client = Client()
    client.force_login(person)
    driver.get(f"{live_server.url}/healthz/web")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": cookie, "path": "/"})


def test_in_a_browser_the_page_says_when_no_worker_is_running(live_server, browser):
    _logged_in(browser, live_server)
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)

    # given no worker: the page says so, at the top
    browser.get(f"{live_server.url}/")
    alert = wait.until(EC.visibility_of_element_located((By.ID, "worker-alert")))
    assert alert.text.startswith("No worker is running (no worker has reported in 30 s)")
    assert alert.get_attribute("role") == "alert"
    test_page.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(test_page.SCREENSHOTS / "page-no-worker.png"))

    # given a worker that reported: no such message
    heartbeat_record(hostname="celery@browser-test")
    browser.get(f"{live_server.url}/")
    wait.until(lambda d: d.execute_script("return document.documentElement.dataset.worker") == "ok")
    assert not browser.find_element(By.ID, "worker-alert").is_displayed()


def test_in_a_browser_the_account_bar_shows_the_member_and_logs_out(live_server, browser):
    _logged_in(browser, live_server)
    browser.get(f"{live_server.url}/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)

    assert browser.find_element(By.ID, "account-username").text == "maria"
    browser.find_element(By.CSS_SELECTOR, "#logout-form button").click()

    wait.until(EC.url_contains("/login/"))
    assert "Log in to loopmonitor" in browser.page_source
    browser.get(f"{live_server.url}/")
    assert "/login/" in browser.current_url
