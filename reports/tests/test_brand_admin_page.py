"""The page's brand section (reports/_brand_admin.html, reports/brand_admin.js) and the page's own
login: rendered by Django for a brand's admins and staff, absent for everyone else."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from brands.models import ApiKey, Membership, Role
from brands.services import brand_get_or_create
from reports.tests import test_page

pytestmark = pytest.mark.django_db

browser = test_page.browser  # the headless Chromium fixture (skipped without Chromium, except in CI)

PASSWORD = "pw-for-the-page-1"


def person(username: str, **roles: str):
    """A person (not staff) with a role in each named brand."""
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    for slug, role in roles.items():
        Membership.objects.create(user=user, brand=brand_get_or_create(slug=slug, name=slug.upper()), role=role)
    return user


def brands_listed(html: str) -> list[dict[str, str]] | None:
    """The brands the section offers (its json_script), None when there is no section."""
    found = re.search(r'<script id="brand-admin-brands" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def test_a_brand_admin_sees_the_section_for_their_brands_only(client):
    brand_get_or_create(slug="rival")
    client.force_login(person("ann", acme=Role.ADMIN, side=Role.VIEWER))

    html = client.get("/").content.decode()

    assert brands_listed(html) == [{"slug": "acme", "name": "ACME"}]
    for element_id in ("brand-admin", "brand-keys-body", "brand-key-form", "brand-members-body", "brand-audit-body"):
        assert f'id="{element_id}"' in html, element_id
    assert "reports/brand_admin.js" in html and 'id="brand-admin-name">ACME<' in html


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_a_viewer_or_operator_has_no_section(client, role):
    client.force_login(person("bob", acme=role))

    html = client.get("/").content.decode()

    assert brands_listed(html) is None
    assert 'id="brand-admin"' not in html and "brand_admin.js" not in html
    assert 'id="trigger-form"' in html  # the rest of the page is there


def test_staff_pick_any_brand(admin_client):
    for slug in ("beta", "alpha"):
        brand_get_or_create(slug=slug, name=slug.title())

    html = admin_client.get("/").content.decode()

    assert brands_listed(html) == [{"slug": "alpha", "name": "Alpha"}, {"slug": "beta", "name": "Beta"}]
    assert '<option value="alpha">Alpha (alpha)</option>' in html


def test_a_brand_name_is_text_on_the_page_never_markup(client):
    brand = brand_get_or_create(slug="evil", name="</script><script>alert(1)</script>")
    user = person("eve")
    Membership.objects.create(user=user, brand=brand, role=Role.ADMIN)
    client.force_login(user)

    html = client.get("/").content.decode()

    assert "<script>alert(1)" not in html
    assert brands_listed(html) == [{"slug": "evil", "name": "</script><script>alert(1)</script>"}]


def test_the_section_script_builds_the_dom_from_text_and_calls_the_brand_api():
    found = finders.find("reports/brand_admin.js")
    assert isinstance(found, str), found
    script = Path(found).read_text()

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    for used in ("/api/brands/", "/keys/", "/members/", "/audit/", "X-CSRFToken", '"DELETE"', '"PATCH"', '"POST"'):
        assert used in script, used
    assert finders.find("reports/brand_admin.css")


def test_a_person_who_is_not_staff_logs_in_on_the_page_and_out(client):
    person("ann", acme=Role.ADMIN)

    form = client.get("/login/?next=/")
    wrong = client.post("/login/", {"username": "ann", "password": "not it", "next": "/"})
    right = client.post("/login/", {"username": "ann", "password": PASSWORD, "next": "/"})

    assert form.status_code == 200 and 'id="login-form"' in form.content.decode()
    assert wrong.status_code == 200 and "Please enter a correct username and password" in wrong.content.decode()
    assert right.status_code == 302 and right["Location"] == "/"
    assert brands_listed(client.get("/").content.decode()) == [{"slug": "acme", "name": "ACME"}]
    out = client.post("/logout/")
    assert out.status_code == 302 and out["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_the_page_login_locks_out_after_the_failure_limit(client, settings):
    person("ann")

    answers = [client.post("/login/", {"username": "ann", "password": f"wrong-{i}"}) for i in range(5)]
    locked = client.post("/login/", {"username": "ann", "password": PASSWORD})

    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert locked.status_code == 429 and "this account is locked for 15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session


# --- in a real browser (Chromium, as in test_page.py; skipped without it, except in CI) ----------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_brand_admin_manages_keys_and_members(live_server, browser):
    # given: a brand admin (not staff) logged in through the page's own login form
    person("ann", acme=Role.ADMIN)
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)
    browser.get(f"{live_server.url}/")
    assert "/login/" in browser.current_url
    browser.find_element(By.ID, "id_username").send_keys("ann")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait.until(lambda d: d.find_element(By.ID, "brand-admin").get_attribute("data-loaded") == "acme")
    browser.execute_script("window.confirm = () => true")  # the revoke and remove buttons ask first

    # when: a key is made, a new person added and given another role, and the key revoked
    browser.find_element(By.ID, "brand-key-name").send_keys("till")
    browser.find_element(By.ID, "brand-key-create").click()
    wait.until(lambda d: d.find_element(By.ID, "brand-key-new-value").text)
    key = browser.find_element(By.ID, "brand-key-new-value").text
    prefix = key.split(".")[0]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#brand-keys-body tr[data-prefix="{prefix}"]'))

    browser.find_element(By.ID, "brand-member-username").send_keys("carol")
    browser.find_element(By.ID, "brand-member-add").click()
    wait.until(lambda d: d.find_element(By.ID, "brand-member-new-link").text)
    link = browser.find_element(By.ID, "brand-member-new-link").text
    row = '#brand-members-body tr[data-username="carol"]'
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, row))
    Select(browser.find_element(By.CSS_SELECTOR, f"{row} select")).select_by_value("operator")
    wait.until(lambda d: Membership.objects.get(user__username="carol").role == Role.OPERATOR)

    revoke = f'#brand-keys-body tr[data-prefix="{prefix}"] button'
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, revoke))
    browser.find_element(By.CSS_SELECTOR, revoke).click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, revoke))

    # then: the key was shown once and is revoked, carol has her link, and it is all on record
    assert ApiKey.objects.filter(prefix=prefix, brand__slug="acme", revoked=True).exists()
    assert "/password/set/" in link
    expected = {"key.created", "member.added", "member.role_changed", "key.revoked"}
    wait.until(
        lambda d: (
            expected
            <= {r.get_attribute("data-action") for r in d.find_elements(By.CSS_SELECTOR, "#brand-audit-body tr")}
        )
    )
    assert key not in browser.find_element(By.ID, "brand-keys-body").text
    assert browser.find_element(By.ID, "brand-keys-error").get_attribute("hidden") is not None
    # (a failed request is the page's to show: /api/reports/ is staff's only until it is scoped to brands)
    errors = [
        e["message"]
        for e in browser.get_log("browser")
        if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
    ]
    assert errors == []
