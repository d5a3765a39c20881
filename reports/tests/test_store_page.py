"""The store page /stores/<store_id>?as_of=… (reports/store_pages.py): the uptime API's numbers, its
picture, its calendar and observations, scoped like the API; then in a real browser, as a brand
member who logs in, on a desktop and a phone, light and dark, checked with axe-core.

Rendered by Django on PostgreSQL; the browser tests run Debian's Chromium as reports/tests/test_page.py
does (skipped without it, except in CI).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from axe_core_python.selenium import Axe  # type: ignore[import-untyped]  # ships no type information
from django.contrib.auth import get_user_model
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from brands.models import Membership, Role
from reports.conftest import ACME_STORES, LATEST_POLL, STORE_OWNERS
from reports.svg import NARROW, WIDE
from reports.tests.test_calendar_report import calendar_store, ny
from reports.tests.test_page import UPTIME_FIELDS
from reports.tests.test_page import browser as browser  # a fixture: the one the page's browser tests use
from stores.conftest import make_store
from stores.models import Poll

UTC = dt.UTC
SVG = "{http://www.w3.org/2000/svg}"
STORE_A = "1481966498820158979"  # docs/numbers.md example B in the example_fleet fixture
AS_OF = "2023-01-23T17:00:00Z"
PASSWORD = "pw-member-for-tests"


def page(client, store_id: str, **query) -> tuple[int, str]:
    response = client.get(f"/stores/{store_id}", query)
    return response.status_code, response.content.decode()


def numbers(text: str) -> dict[str, float]:
    """The six numbers the page shows, by the uptime API's field names."""
    cells = dict(re.findall(r'data-field="(\w+_(?:minutes|hours))">([^<]+)<', text))
    assert sorted(cells) == sorted(UPTIME_FIELDS), cells
    return {field: float(html.unescape(value).split()[0]) for field, value in cells.items()}


def shown_as_of(text: str) -> str:
    found = re.search(r'<time datetime="([^"]+)" id="store-as-of">', text)
    assert found is not None
    return found.group(1)


def inline_picture(text: str, layout: str) -> str:
    found = re.search(rf'<div class="store-timeline__{layout}">(.*?)</div>', text, re.S)
    assert found is not None, layout
    return found.group(1)


def member(django_user_model, brand, role=Role.VIEWER, username="member"):
    person = django_user_model.objects.create_user(username, password=PASSWORD)
    Membership.objects.create(user=person, brand=brand, role=role)
    return person


def test_the_store_page_asks_a_stranger_to_log_in(client, example_fleet):
    response = client.get(f"/stores/{STORE_A}", {"as_of": AS_OF})

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/stores/{STORE_A}%3Fas_of%3D{AS_OF.replace(':', '%253A')}"


@pytest.mark.parametrize("as_of", [AS_OF, "2023-01-23T16:30:00Z", "2023-01-23T12:00:00-05:00", None])
@pytest.mark.parametrize("store_id", [STORE_A, "99", "0b4f4b36-1c2e-4b8e-9a57-2f0c1a6d7e11"])
def test_the_pages_numbers_and_as_of_are_the_uptime_apis(admin_client, example_fleet, store_id, as_of):
    # given
    query = {"as_of": as_of} if as_of else {}

    # when
    status, text = page(admin_client, store_id, **query)
    api = admin_client.get(f"/api/stores/{store_id}/uptime", query).json()

    # then: the same six numbers, rounded alike, as of the same T (the default T too: rule 2)
    assert status == 200
    assert numbers(text) == {field: api[field] for field in UPTIME_FIELDS}
    assert shown_as_of(text) == api["as_of"]


def test_a_brand_member_sees_its_store_as_of_its_brands_latest_poll(client, two_brands, django_user_model):
    # given: acme's latest poll is older than the fleet's
    client.force_login(member(django_user_model, two_brands["acme"]))
    store_id = ACME_STORES[0]

    # when
    status, text = page(client, store_id)
    api = client.get(f"/api/stores/{store_id}/uptime").json()

    # then
    assert status == 200
    assert shown_as_of(text) == api["as_of"] == LATEST_POLL["acme"].isoformat().replace("+00:00", "Z")
    assert numbers(text) == {field: api[field] for field in UPTIME_FIELDS}
    assert "Logged in as <strong>member</strong>" in text and 'action="/logout/"' in text


def without_tokens(text: str, store_id: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text).replace(store_id, "<id>")


def test_another_brands_store_is_the_pages_404_word_for_word_as_a_missing_one(client, two_brands, django_user_model):
    # given: a viewer of acme
    client.force_login(member(django_user_model, two_brands["acme"]))
    theirs = next(s for s, owner in STORE_OWNERS.items() if owner == "globex")
    no_brand = next(s for s, owner in STORE_OWNERS.items() if owner is None)

    # when
    answers = {store_id: page(client, store_id, as_of=AS_OF) for store_id in (theirs, no_brand, "no-such-store")}

    # then: one 404 page, naming the id asked for, the same whoever holds the store
    for store_id, (status, text) in answers.items():
        assert status == 404, store_id
        assert f"No store with store_id &#x27;{store_id}&#x27;." in text
        assert "data-field" not in text and "<svg" not in text
    bodies = {without_tokens(text, store_id) for store_id, (_, text) in answers.items()}
    assert len(bodies) == 1


def test_platform_staff_see_every_brands_store(admin_client, two_brands):
    for store_id in STORE_OWNERS:
        assert page(admin_client, store_id, as_of=AS_OF)[0] == 200, store_id


@pytest.mark.parametrize(
    ("as_of", "reason"),
    [
        ("yesterday", "as_of: &#x27;yesterday&#x27; is not an ISO 8601 instant"),
        ("2999-01-01T00:00:00Z", "as_of: must not be in the future"),
        ("1960-01-01T00:00:00Z", "as_of: before 1971-01-01 UTC"),
    ],
)
def test_a_bad_as_of_is_400_naming_the_field_and_keeps_what_was_typed(admin_client, example_fleet, as_of, reason):
    status, text = page(admin_client, STORE_A, as_of=as_of)

    assert status == 400
    assert reason in text and 'role="alert"' in text
    assert f'value="{as_of}"' in text and 'aria-invalid="true"' in text
    assert "data-field" not in text


def test_an_empty_as_of_is_the_default_one(admin_client, example_fleet):
    status, text = page(admin_client, STORE_A, as_of="  ")

    assert status == 200
    assert shown_as_of(text) == admin_client.get(f"/api/stores/{STORE_A}/uptime").json()["as_of"]


def test_a_store_with_no_row_as_of_t_says_why_and_keeps_the_form(admin_client, db):
    # given: a store known only from a poll after T (rule 1)
    make_store("later", polls=[(dt.datetime(2023, 1, 24, tzinfo=UTC), True)])

    status, text = page(admin_client, "later", as_of=AS_OF)

    assert status == 404
    assert "has no timezone, no business hours and no poll at or before 2023-01-23T17:00:00+00:00" in text
    assert 'id="as-of-form"' in text and "data-field" not in text


def test_the_page_draws_the_week_exactly_as_the_api_does(admin_client, example_fleet):
    # when
    _, text = page(admin_client, STORE_A, as_of=AS_OF)
    picture = admin_client.get(f"/api/stores/{STORE_A}/timeline.svg", {"as_of": AS_OF}).content.decode()

    # then: the wide picture is the API's document (less its XML declaration); the narrow one draws
    # the same rows with the same totals
    assert inline_picture(text, "wide") == picture.split("\n", 1)[1]
    wide, narrow = (ET.fromstring(inline_picture(text, name)) for name in ("wide", "narrow"))
    assert narrow.get("width") == str(NARROW.width) and wide.get("width") == str(WIDE.width)

    def totals(root):
        return [
            (g.get("data-date"), g.get("data-open-us"), g.get("data-up-us"), g.get("data-down-us"))
            for g in root.iter(f"{SVG}g")
            if g.get("class") == "day"
        ]

    assert totals(wide) == totals(narrow) and len(totals(wide)) == 8


def test_a_store_never_polled_says_so_and_is_drawn_as_such(admin_client, example_fleet):
    # given: store "99" of example D: an empty timezone, no hours, no polls
    _, text = page(admin_client, "99", as_of=AS_OF)

    # then: the words the issue asks for, the defaulted zone, and the pattern in both pictures
    assert "never polled: counted as down." in text
    assert "America/Chicago, the default: the timezone given is empty" in text
    assert 'data-defaulted="true"' in text
    assert numbers(text)["downtime_last_week_hours"] == 168.0
    for layout in (WIDE, NARROW):
        assert f'fill="{layout.ref("no-observation")}"><title>no observation' in text
        assert f'fill="{layout.ref("inactive-hatch")}"><title>' not in text

    # and a store with observations says nothing of the kind
    _, polled = page(admin_client, STORE_A, as_of=AS_OF)
    assert 'id="never-polled"' not in polled and "never polled: counted as down." not in polled
    assert 'class="inactive unobserved"' not in polled and 'data-defaulted="true"' not in polled


def test_a_timezone_that_is_no_zone_name_is_named_on_the_page(admin_client, db):
    make_store("est", timezone_str="Eastern Standard Time", polls=[(dt.datetime(2023, 1, 23, 16, tzinfo=UTC), True)])

    _, text = page(admin_client, "est", as_of=AS_OF)

    label = "America/Chicago, the default: 'Eastern Standard Time' is not a zone name"
    assert f'<dd id="store-zone" class="zone-defaulted" data-defaulted="true">{html.escape(label)}</dd>' in text
    for layout in ("wide", "narrow"):
        title = ET.fromstring(inline_picture(text, layout)).find(f"{SVG}title")
        assert title is not None and label in (title.text or "")


def test_the_calendar_shows_each_dates_hours_versions_and_special_days(admin_client, db):
    # given: docs/numbers.md example I (a new version from Monday 2023-01-23) with a closed Wednesday
    # and special hours on Friday, and a special day after the week
    calendar_store(
        STORE_A,
        hours=((0, "09:00", "12:00", None), (0, "13:00", "15:00", dt.date(2023, 1, 23))),
        specials=(
            (dt.date(2023, 1, 18), None, None),
            (dt.date(2023, 1, 20), "10:00", "11:00"),
            (dt.date(2023, 2, 14), "18:00", "02:00"),
        ),
        polls=((ny(2023, 1, 23, 9, 30), True), (ny(2023, 1, 23, 14, 0), False)),
    )
    as_of = "2023-01-23T20:00:00Z"

    # when
    _, text = page(admin_client, STORE_A, as_of=as_of)
    api = admin_client.get(f"/api/stores/{STORE_A}/uptime", {"as_of": as_of}).json()

    # then: one row per date of the API's `days`, with what it followed and its totals
    days = re.findall(r'<tr data-date="([\d-]+)" data-source="(\w+)"[^>]*>(.*?)</tr>', text, re.S)
    assert [(d, source) for d, source, _ in days] == [(d["date"], d["source"]) for d in api["days"]]
    rows = {d: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip() for d, _, body in days}
    assert rows["2023-01-18"] == "2023-01-18 Wednesday special day: closed 0.00 0.00 0.00"
    assert rows["2023-01-20"] == "2023-01-20 Friday special hours 1.00 0.00 1.00"
    assert (
        rows["2023-01-23"] == "2023-01-23 Monday weekly hours from 2023-01-23 new version takes effect 2.00 0.00 2.00"
    )
    assert rows["2023-01-17"] == "2023-01-17 Tuesday weekly hours (undated version), closed this weekday 0.00 0.00 0.00"
    assert '<tr data-date="2023-01-23" data-source="weekly" data-closed="false" data-new-version="true">' in text
    # the versions and the special days around the week
    assert re.findall(r'<tr data-effective-from="([^"]+)"', text) == ["undated", "2023-01-23"]
    assert "every date before 2023-01-23" in text and "2023-01-23 and after" in text
    upcoming = text.split('id="store-special-upcoming"')[1].split("</table>")[0]
    assert "2023-02-14" in upcoming and "18:00–02:00 (past midnight)" in upcoming
    recent = text.split('id="store-special-recent"')[1].split("</table>")[0]
    assert "closed all day" in recent and "10:00–11:00" in recent


def test_the_weeks_observations_are_listed_newest_first_in_local_time(admin_client, example_fleet):
    _, text = page(admin_client, STORE_A, as_of=AS_OF)

    listed = text.split('id="store-observations"')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-status="(\w+)">\s*<th scope="row">([^<]+)</th>', listed)
    assert rows == [("inactive", "Mon 2023-01-23 11:15:00 EST"), ("active", "Mon 2023-01-23 10:14:00 EST")]
    assert "2 observations (polls taken while open, rule 6)" in text
    assert "1 poll of the week came while the store was closed and was ignored." in text


def test_a_link_to_the_view_carries_its_as_of(admin_client, example_fleet):
    # given: no as_of, so T is the fleet's latest poll for platform staff (rule 2): 16:30 UTC
    _, text = page(admin_client, STORE_A)

    assert shown_as_of(text) == "2023-01-23T16:30:00Z"
    assert f'href="/stores/{STORE_A}?as_of=2023-01-23T16%3A30%3A00Z" id="permalink"' in text
    assert f'href="/api/stores/{STORE_A}/timeline.svg?as_of=2023-01-23T16%3A30%3A00Z"' in text
    assert f'href="/stores/{STORE_A}" id="as-of-latest"' in text


def test_the_observations_listed_are_bounded(admin_client, db):
    # given: open 24x7, polled every minute for the whole week
    store = make_store("busy", timezone_str="UTC")
    t = dt.datetime(2023, 1, 23, 17, tzinfo=UTC)
    Poll.objects.bulk_create(
        Poll(store=store, observed_at_utc=t - dt.timedelta(minutes=i), active=True) for i in range(7 * 1440)
    )

    _, text = page(admin_client, "busy", as_of=AS_OF)

    assert "10080 observations (polls taken while open, rule 6), the latest 500 listed" in text
    assert text.split('id="store-observations"')[1].count("<tr data-status=") == 500


# --- in a real browser -----------------------------------------------------------------------

# No violation of these impacts is allowed (axe-core's scale: minor, moderate, serious, critical).
BLOCKING = {"serious", "critical"}


def log_in(driver, live_server, username: str) -> None:
    """Log in through the product's own login page, as a person does."""
    driver.get(f"{live_server.url}/login/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))


def theme(driver, scheme: str, width: int, height: int) -> None:
    """Emulate a screen `width` x `height` (a phone below 600 px) in the light or dark colour scheme."""
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def screenshot(driver, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    print(f"screenshot: {path}")
    return path


def axe_violations(driver) -> list[str]:
    """The page's accessibility violations of a blocking impact, as readable lines."""
    results = Axe().run(driver)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


def uptime_in_browser(driver, store_id: str, as_of: str) -> dict:
    """The uptime API's answer, fetched by the page's own session."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {headers: {Accept: 'application/json'}}).then(r => r.json()).then(done);",
        f"/api/stores/{store_id}/uptime?as_of={as_of}",
    )


def shown_numbers(driver) -> dict[str, float]:
    return {
        field: float(driver.find_element(By.CSS_SELECTOR, f'#store-numbers [data-field="{field}"]').text.split()[0])
        for field in UPTIME_FIELDS
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_member_opens_a_store_page_on_a_desktop_and_a_phone(
    live_server, two_brands, browser, tmp_path, django_user_model
):
    # given: a viewer of acme, logged in through the login page
    member(django_user_model, two_brands["acme"], username="acme-viewer")
    browser.set_script_timeout(60)
    axe_found: dict[str, list[str]] = {}
    browser.get(f"{live_server.url}/login/")
    axe_found["login"] = axe_violations(browser)
    log_in(browser, live_server, "acme-viewer")
    axe_found["index"] = axe_violations(browser)
    store_id, as_of = ACME_STORES[0], "2023-01-23T16:00:00Z"
    # A form's navigation replaces the document while the wait reads it: an element of the old one is stale.
    wait = WebDriverWait(
        browser, 30, poll_frequency=0.1, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )

    # when: the store's page is opened with an as_of
    browser.get(f"{live_server.url}/stores/{store_id}?as_of={as_of}")

    # then: its numbers are the API's, and a reload keeps the view
    wait.until(EC.visibility_of_element_located((By.ID, "store-numbers")))
    expected = uptime_in_browser(browser, store_id, as_of)
    assert shown_numbers(browser) == {field: expected[field] for field in UPTIME_FIELDS}
    assert browser.find_element(By.ID, "store-as-of").text == expected["as_of"] == as_of
    browser.refresh()
    assert browser.find_element(By.ID, "store-as-of").text == as_of
    assert browser.find_element(By.ID, "as-of").get_attribute("value") == as_of

    # when: another instant is asked for through the form, the URL carries it
    field = browser.find_element(By.ID, "as-of")
    field.clear()
    field.send_keys("2023-01-22T12:00:00Z")
    browser.find_element(By.ID, "as-of-button").click()
    wait.until(lambda d: d.find_element(By.ID, "store-as-of").text == "2023-01-22T12:00:00Z")
    assert browser.current_url.endswith(f"/stores/{store_id}?as_of=2023-01-22T12%3A00%3A00Z")
    expected = uptime_in_browser(browser, store_id, "2023-01-22T12:00:00Z")
    assert shown_numbers(browser) == {field: expected[field] for field in UPTIME_FIELDS}

    # and an emptied form goes back to the latest poll, with no as_of left in the URL
    browser.find_element(By.ID, "as-of").clear()
    browser.find_element(By.ID, "as-of-button").click()
    latest = LATEST_POLL["acme"].isoformat().replace("+00:00", "Z")
    wait.until(lambda d: d.find_element(By.ID, "store-as-of").text == latest)
    assert browser.current_url.endswith(f"/stores/{store_id}")

    # then, on a desktop and on a phone, light and dark: the picture fits, the dates stay readable
    browser.get(f"{live_server.url}/stores/{store_id}?as_of={as_of}")
    colours = {}
    for width, height in ((1400, 900), (390, 844)):
        for scheme in ("light", "dark"):
            theme(browser, scheme, width, height)
            browser.refresh()
            wait.until(EC.visibility_of_element_located((By.ID, "store-numbers")))
            shown = "wide" if width > 720 else "narrow"
            picture = browser.find_element(By.CSS_SELECTOR, f".store-timeline__{shown} svg")
            assert picture.is_displayed()
            assert not browser.find_element(
                By.CSS_SELECTOR, f".store-timeline__{'narrow' if shown == 'wide' else 'wide'} svg"
            ).is_displayed()
            assert browser.execute_script("return document.documentElement.scrollWidth") <= width
            assert picture.size["width"] <= width
            # a date label is drawn at 9 px or more on screen
            label = picture.find_element(By.CSS_SELECTOR, "g.day text")
            assert label.size["height"] >= 9, label.size
            colours[(width, scheme)] = browser.execute_script(
                "return getComputedStyle(arguments[0].querySelector('rect.closed')).fill", picture
            )
            screenshot(browser, tmp_path / "screenshots", f"store-{width}x{height}-{scheme}")
            browser.execute_script("arguments[0].scrollIntoView()", picture)
            screenshot(browser, tmp_path / "screenshots", f"store-{width}x{height}-{scheme}-picture")
            axe_found[f"store {width} {scheme}"] = axe_violations(browser)
    # the picture follows the colour scheme
    assert colours[(1400, "light")] != colours[(1400, "dark")]
    assert colours[(390, "light")] != colours[(390, "dark")]

    # and another brand's store is the page's 404
    theirs = next(s for s, owner in STORE_OWNERS.items() if owner == "globex")
    browser.get(f"{live_server.url}/stores/{theirs}")
    assert f"No store with store_id '{theirs}'." in browser.find_element(By.ID, "store-missing").text
    axe_found["store 404"] = axe_violations(browser)

    # no serious or critical accessibility violation anywhere
    assert axe_found == {name: [] for name in axe_found}, axe_found
    assert get_user_model().objects.filter(username="acme-viewer").exists()
