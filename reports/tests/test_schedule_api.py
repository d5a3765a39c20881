"""/api/schedules/ per kind of caller: a brand's viewer reads its brand's schedules, its admins
write them, staff do both everywhere; another brand's schedule is exactly as absent as none; bad
times name their field; every write is on record; the admin edits schedules as the API does."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from brands.models import AuditEvent, Membership
from brands.services import brand_get_or_create
from reports import schedule_services
from reports.models import ReportSchedule

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DAILY_KOLKATA = {"name": "Morning report", "cron": "0 6 * * *", "timezone": "Asia/Kolkata"}


def schedule_of(slug: str, **kw) -> ReportSchedule:
    return schedule_services.schedule_create(
        brand_id=brand_get_or_create(slug=slug).pk,
        name=kw.get("name", f"{slug} daily"),
        cron_line=kw.get("cron", "0 6 * * *"),
        timezone_name=kw.get("timezone", "UTC"),
    )


def url_of(schedule_id) -> str:
    return f"/api/schedules/{schedule_id}"


def test_an_admin_schedules_its_brands_report_and_sees_the_next_run_in_utc_and_local(brand_api):
    admin = brand_api("acme", "admin")
    before = timezone.now()

    answer = admin.post("/api/schedules/", DAILY_KOLKATA, format="json")

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    schedule = ReportSchedule.objects.get(pk=body["id"])
    assert schedule.brand.slug == "acme"
    assert (body["brand"], body["name"], body["cron"], body["timezone"], body["enabled"]) == (
        "acme",
        "Morning report",
        "0 6 * * *",
        "Asia/Kolkata",
        True,
    )
    # 06:00 in Kolkata is 00:30 UTC: the next one, within a day
    utc, local = (
        dt.datetime.fromisoformat(body["next_run_at_utc"]),
        dt.datetime.fromisoformat(body["next_run_at_local"]),
    )
    assert body["next_run_at_utc"].endswith("T00:30:00Z")
    assert body["next_run_at_local"].endswith("T06:00:00+05:30")
    assert utc == local
    assert before < utc <= before + dt.timedelta(days=1)
    assert "06:00" in body["description"] and "Asia/Kolkata" in body["description"]
    assert body["last_report"] is None and body["last_run_at"] is None
    assert body["created_by"].startswith("key acme-admin")
    assert PeriodicTask.objects.filter(report_schedule=schedule, enabled=True).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.SCHEDULE_CREATED)
    assert event.brand_slug == "acme" and event.detail["cron"] == "0 6 * * *"


def test_the_friendly_form_every_monday_at_0700(brand_api):
    admin = brand_api("acme", "admin")

    body = admin.post(
        "/api/schedules/",
        {"name": "Weekly", "every": "monday", "at": "07:00", "timezone": "Europe/Berlin"},
        format="json",
    ).json()

    assert body["cron"] == "0 7 * * 1"
    local = dt.datetime.fromisoformat(body["next_run_at_local"])
    assert (local.isoweekday(), local.hour, local.minute) == (1, 7, 0)
    assert local.utcoffset() in {dt.timedelta(hours=1), dt.timedelta(hours=2)}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({**DAILY_KOLKATA, "cron": "0 24 * * *"}, "cron", "the hour field '24' is not valid"),
        ({**DAILY_KOLKATA, "cron": "*/5 * * * *"}, "cron", "at most once an hour"),
        ({**DAILY_KOLKATA, "cron": "0 6 * *"}, "cron", "needs 5 fields"),
        ({**DAILY_KOLKATA, "timezone": "Mars/Olympus"}, "timezone", "not an IANA timezone"),
        ({"name": "x", "timezone": "UTC"}, "cron", "required"),
        ({"name": "x", "every": "day", "timezone": "UTC"}, "at", "required with `every`"),
        ({"name": "x", "at": "06:00", "timezone": "UTC"}, "every", "required with `at`"),
        ({"name": "x", "every": "fortnight", "at": "06:00", "timezone": "UTC"}, "every", "none of"),
        ({"name": "x", "every": "day", "at": "6pm", "timezone": "UTC"}, "at", "no time of day"),
        ({**DAILY_KOLKATA, "every": "day", "at": "06:00"}, "cron", "not both"),
        ({**DAILY_KOLKATA, "name": "  "}, "name", "may not be blank"),
        ({**DAILY_KOLKATA, "name": "a\x07bell"}, "name", "printable"),
        ({"name": "x", "cron": "0 6 * * *"}, "timezone", "required"),
        ({**DAILY_KOLKATA, "cron": 6}, "cron", "needs 5 fields"),
    ],
)
def test_bad_input_is_400_naming_the_field(brand_api, body, field, words):
    answer = brand_api("acme", "admin").post("/api/schedules/", body, format="json")

    assert answer.status_code == 400
    assert list(answer.json()) == ["detail", field], answer.json()
    assert words in " ".join(answer.json()[field]) and answer.json()["detail"].startswith(f"{field}: ")
    assert not ReportSchedule.objects.exists() and not PeriodicTask.objects.exists()


def test_viewers_and_operators_may_read_but_not_schedule(brand_api):
    schedule = schedule_of("acme")

    for role in ("viewer", "operator"):
        client = brand_api("acme", role)
        assert client.get(url_of(schedule.id)).status_code == 200
        assert client.get("/api/schedules/").json()["count"] == 1
        assert client.post("/api/schedules/", DAILY_KOLKATA, format="json").status_code == 403
        assert client.patch(url_of(schedule.id), {"enabled": False}, format="json").status_code == 403
        assert client.delete(url_of(schedule.id)).status_code == 403
    assert ReportSchedule.objects.get().enabled


def test_another_brands_schedule_is_exactly_as_absent_as_none(brand_api):
    theirs = schedule_of("globex")
    mine = schedule_of("acme")
    admin = brand_api("acme", "admin")
    absent = uuid.uuid4()

    listed = admin.get("/api/schedules/").json()
    for method, body in (("get", None), ("patch", {"enabled": False}), ("delete", None)):
        foreign = getattr(admin, method)(url_of(theirs.id), body, format="json")
        missing = getattr(admin, method)(url_of(absent), body, format="json")
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json() == {"detail": f"No schedule with id '{theirs.id}'."}
        assert missing.json() == {"detail": f"No schedule with id '{absent}'."}
    malformed = admin.get(url_of("not-a-uuid"))

    assert [s["id"] for s in listed["results"]] == [str(mine.id)]
    assert malformed.status_code == 404 and malformed.json() == {"detail": "No schedule with id 'not-a-uuid'."}
    assert ReportSchedule.objects.get(pk=theirs.pk).enabled


def test_a_brand_is_named_when_the_caller_has_several_or_is_staff(brand_api, api, django_user_model):
    schedule_of("globex")
    person = django_user_model.objects.create_user("two-hats", password="pw-123456")
    for slug in ("acme", "globex"):
        Membership.objects.create(user=person, brand=brand_get_or_create(slug=slug), role="admin")
    from rest_framework.test import APIClient

    both = APIClient()
    both.force_login(person)
    viewer_elsewhere = brand_api("initech", "viewer")

    unnamed = both.post("/api/schedules/", DAILY_KOLKATA, format="json")
    named = both.post("/api/schedules/", {**DAILY_KOLKATA, "brand": "globex"}, format="json")
    staff_unnamed = api.post("/api/schedules/", DAILY_KOLKATA, format="json")
    staff_named = api.post("/api/schedules/", {**DAILY_KOLKATA, "brand": "acme"}, format="json")
    unknown = both.post("/api/schedules/", {**DAILY_KOLKATA, "brand": "initech"}, format="json")
    nowhere = both.post("/api/schedules/", {**DAILY_KOLKATA, "brand": "nowhere"}, format="json")

    assert unnamed.status_code == 400 and "several brands" in unnamed.json()["brand"][0]
    assert named.status_code == 201 and named.json()["brand"] == "globex"
    assert staff_unnamed.status_code == 400 and "give its slug" in staff_unnamed.json()["brand"][0]
    assert staff_named.status_code == 201 and staff_named.json()["brand"] == "acme"
    # a brand of others is unknown, exactly as one that does not exist
    assert unknown.status_code == nowhere.status_code == 400
    assert unknown.json()["brand"] == ["unknown brand 'initech'"]
    assert nowhere.json()["brand"] == ["unknown brand 'nowhere'"]
    assert viewer_elsewhere.post("/api/schedules/", DAILY_KOLKATA, format="json").status_code == 403


def test_staff_see_and_change_every_brands_schedules(api):
    acme, globex = schedule_of("acme"), schedule_of("globex")

    listed = api.get("/api/schedules/").json()
    changed = api.patch(url_of(globex.id), {"cron": "0 9 * * *"}, format="json")

    assert {s["id"] for s in listed["results"]} == {str(acme.id), str(globex.id)}
    assert changed.status_code == 200 and changed.json()["cron"] == "0 9 * * *"


def test_patch_changes_the_schedule_and_its_beat_entry_and_is_on_record(brand_api):
    schedule = schedule_of("acme", timezone="Asia/Kolkata")
    admin = brand_api("acme", "admin")

    moved = admin.patch(url_of(schedule.id), {"every": "weekday", "at": "07:30", "timezone": "UTC"}, format="json")
    paused = admin.patch(url_of(schedule.id), {"enabled": False}, format="json")
    unchanged = admin.patch(url_of(schedule.id), {}, format="json")

    assert moved.status_code == 200, moved.json()
    assert (moved.json()["cron"], moved.json()["timezone"]) == ("30 7 * * 1-5", "UTC")
    assert moved.json()["next_run_at_utc"].endswith("T07:30:00Z")
    assert paused.json()["enabled"] is False
    assert paused.json()["next_run_at_utc"] is None and paused.json()["next_run_at_local"] is None
    assert unchanged.status_code == 200
    task = PeriodicTask.objects.select_related("crontab").get(pk=schedule.periodic_task_id)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week, str(task.crontab.timezone)) == (
        "30",
        "7",
        "1-5",
        "UTC",
    )
    assert not task.enabled
    events = list(AuditEvent.objects.filter(action=AuditEvent.Action.SCHEDULE_UPDATED).order_by("id"))
    assert [e.detail for e in events] == [
        {
            "before": {"cron": "0 6 * * *", "timezone": "Asia/Kolkata"},
            "after": {"cron": "30 7 * * 1-5", "timezone": "UTC"},
        },
        {"before": {"enabled": True}, "after": {"enabled": False}},
    ]  # the empty PATCH changed nothing: no event


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"brand": "globex"}, "brand"),
        ({"cron": "0 6 31 2 *"}, "cron"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"every": "day"}, "at"),
        ({"enabled": "sometimes"}, "enabled"),
    ],
)
def test_a_bad_patch_is_400_naming_the_field_and_changes_nothing(brand_api, body, field):
    schedule = schedule_of("acme")

    answer = brand_api("acme", "admin").patch(url_of(schedule.id), body, format="json")

    assert answer.status_code == 400
    assert field in answer.json(), answer.json()
    stored = ReportSchedule.objects.get(pk=schedule.pk)
    assert (stored.brand.slug, stored.cron, stored.timezone, stored.enabled) == ("acme", "0 6 * * *", "UTC", True)


def test_delete_removes_the_schedule_and_its_beat_entry_and_is_on_record(brand_api):
    schedule = schedule_of("acme")

    answer = brand_api("acme", "admin").delete(url_of(schedule.id))

    assert answer.status_code == 204
    assert not ReportSchedule.objects.exists() and not PeriodicTask.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.SCHEDULE_DELETED)
    assert event.target == f"schedule {schedule.id} (acme daily)" and event.brand_slug == "acme"


def test_the_brands_limit_is_400_naming_brand(brand_api, settings):
    settings.REPORT_SCHEDULES_PER_BRAND_MAX = 1
    admin = brand_api("acme", "admin")
    admin.post("/api/schedules/", DAILY_KOLKATA, format="json")

    refused = admin.post("/api/schedules/", DAILY_KOLKATA, format="json")

    assert refused.status_code == 400 and "1 schedules already" in refused.json()["brand"][0]
    assert ReportSchedule.objects.count() == 1


def test_the_last_runs_report_is_shown_with_its_link(brand_api, eager_tasks, two_brands):
    schedule = schedule_of("acme")
    report = schedule_services.schedule_run(schedule_id=str(schedule.id), run_id="m-1")
    assert report is not None

    body = brand_api("acme", "viewer").get(url_of(schedule.id)).json()

    assert body["last_report"] == {"id": str(report.id), "status": "Complete", "url": f"/get_report/{report.id}"}
    assert body["last_run_at"] is not None


def test_anonymous_callers_get_401(client):
    assert client.get("/api/schedules/").status_code == 401
    assert client.post("/api/schedules/", DAILY_KOLKATA, content_type="application/json").status_code == 401


# --- The admin ------------------------------------------------------------------------------


def test_staff_add_change_and_delete_a_schedule_in_the_admin(admin_client):
    acme = brand_get_or_create(slug="acme")
    form = {
        "brand": acme.pk,
        "name": "From the admin",
        "cron": "0 6 * * *",
        "timezone": "Asia/Kolkata",
        "enabled": "on",
    }

    added = admin_client.post(reverse("admin:reports_reportschedule_add"), form)
    schedule = ReportSchedule.objects.get()
    page = admin_client.get(reverse("admin:reports_reportschedule_change", args=[schedule.pk]))
    listing = admin_client.get(reverse("admin:reports_reportschedule_changelist"))
    changed = admin_client.post(
        reverse("admin:reports_reportschedule_change", args=[schedule.pk]), {**form, "cron": "15 8 * * sun"}
    )
    task = PeriodicTask.objects.select_related("crontab").get(pk=schedule.periodic_task_id)
    beat_page = admin_client.get(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]))
    deleted = admin_client.post(reverse("admin:reports_reportschedule_delete", args=[schedule.pk]), {"post": "yes"})

    assert added.status_code == 302 and changed.status_code == 302 and deleted.status_code == 302
    assert page.status_code == listing.status_code == beat_page.status_code == 200
    assert "UTC)" in page.content.decode()  # the next run, local and UTC
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("15", "8", "sun")
    assert ReportSchedule.objects.count() == 0 and PeriodicTask.objects.count() == 0
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["schedule.created", "schedule.updated", "schedule.deleted"]
    assert AuditEvent.objects.filter(action="schedule.created").get().actor == "admin"


def test_the_admin_refuses_a_bad_line_naming_it(admin_client):
    acme = brand_get_or_create(slug="acme")

    page = admin_client.post(
        reverse("admin:reports_reportschedule_add"),
        {"brand": acme.pk, "name": "bad", "cron": "0 25 * * *", "timezone": "Asia/Kolkata"},
    )

    assert page.status_code == 200  # the form again, with its error
    assert "the hour field &#x27;25&#x27; is not valid" in page.content.decode()
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize(
    "method, body, key",
    [
        ("post", {**DAILY_KOLKATA, "timezon": "UTC"}, "timezon"),
        ("patch", {"enabled": False, "cronn": "0 7 * * *"}, "cronn"),
    ],
)
def test_an_unknown_key_is_a_400_naming_it_and_changes_nothing(brand_api, method, body, key):
    client = brand_api("acme", "admin")
    schedule = schedule_of("acme")
    path = "/api/schedules/" if method == "post" else url_of(schedule.pk)

    answer = getattr(client, method)(path, body, format="json")

    assert answer.status_code == 400
    assert key in answer.json() and f"unknown field '{key}'" in answer.json()[key][0]
    assert ReportSchedule.objects.count() == 1
    schedule.refresh_from_db()
    assert schedule.enabled is True
