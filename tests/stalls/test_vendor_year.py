"""A vendor's year: withdrawing (a stall or an open registration), renewing before the
expiry, lapsing, reminders, the pledge, appeals against a suspension, the vendor photo."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from stalls import selectors, services
from stalls.models import (
    Inspection,
    Registration,
    RenewalReminder,
    Stall,
    StallAppeal,
    StallRenewal,
    StallStatusChange,
)
from stalls.pledge import PLEDGE_VERSION
from stalls.terms import add_months, local_today

from .conftest import fetch_status, id_number

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def approve(client_for, officer, registration_id, slot):
    response = client_for(officer).post(
        f"/api/v1/stalls/registrations/{registration_id}/approve", {"slot": slot}, format="json"
    )
    assert response.status_code == 201, response.json()
    return Stall.objects.get(pk=response.json()["id"])


@pytest.fixture
def stall(client_for, register, site, vendor, officer):
    return approve(client_for, officer, register(vendor, site).json()["id"], 4)


def full_site_with_waiting(make_site, make_user, client_for, register, officer, waiting=1):
    """A site of one slot held by a stall, and `waiting` vendors on its list."""
    site = make_site(capacity=1)
    holder = make_user()
    stall = approve(client_for, officer, register(holder, site).json()["id"], 1)
    waiters = []
    for _ in range(waiting):
        waiter = make_user()
        assert register(waiter, site, waitlist=True).json()["status"] == "waiting"
        waiters.append(waiter)
    return site, stall, holder, waiters


def set_expiry(stall, day):
    Stall.objects.filter(pk=stall.pk).update(expires_on=day)
    stall.refresh_from_db()


def jpeg_with_exif(size=(1600, 1200)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show upright
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


# --- Withdraw -------------------------------------------------------------------------


def test_a_vendor_gives_up_a_stall_and_the_first_waiting_vendor_gets_the_slot(
    make_site, make_user, client_for, register, officer
):
    site, stall, holder, waiters = full_site_with_waiting(
        make_site, make_user, client_for, register, officer, waiting=2
    )
    response = client_for(holder).post(
        f"/api/v1/stalls/{stall.pk}/withdraw", {"reason": "回老家"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn"
    stall.refresh_from_db()
    assert stall.status == "withdrawn"
    change = StallStatusChange.objects.get(stall=stall)
    assert (change.new_status, change.actor, change.reason) == ("withdrawn", holder, "回老家")
    first = Registration.objects.get(vendor=waiters[0])
    assert first.status == "approved"
    assert first.stall.slot == 1 and first.stall.status == "active"
    assert Registration.objects.get(vendor=waiters[1]).status == "waiting"
    mine = client_for(holder).get("/api/v1/stalls/registrations/mine").json()["results"]
    assert mine[0]["status"] == "withdrawn"
    # Once withdrawn, for good.
    again = client_for(holder).post(f"/api/v1/stalls/{stall.pk}/withdraw", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "stall_not_active")
    assert client_for(holder).get(f"/api/v1/stalls/{stall.pk}").json()["status"] == "withdrawn"


def test_only_the_vendor_withdraws_a_stall(client_for, stall, officer, other_vendor):
    for user in (officer, other_vendor):
        response = client_for(user).post(f"/api/v1/stalls/{stall.pk}/withdraw", {}, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert client_for(officer).post("/api/v1/stalls/999999/withdraw", {}).status_code == 404
    assert Stall.objects.get(pk=stall.pk).status == "active"
    anonymous = client_for(officer).__class__()
    assert anonymous.post(f"/api/v1/stalls/{stall.pk}/withdraw", {}).status_code == 401


def test_withdrawing_refuses_a_reason_too_long(client_for, stall, vendor):
    response = client_for(vendor).post(
        f"/api/v1/stalls/{stall.pk}/withdraw", {"reason": "x" * 501}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert "reason" in response.json()["fields"]
    assert Stall.objects.get(pk=stall.pk).status == "active"


def test_a_vendor_withdraws_a_pending_registration_but_not_a_decided_one(
    client_for, register, site, vendor, other_vendor, officer
):
    registration = register(vendor, site).json()["id"]
    url = f"/api/v1/stalls/registrations/{registration}/withdraw"
    forbidden = client_for(other_vendor).post(url)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission_denied")
    response = client_for(vendor).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    again = client_for(vendor).post(url)
    assert (again.status_code, again.json()["code"]) == (409, "registration_already_decided")
    # A withdrawn registration is no longer open: the vendor may register again.
    assert register(vendor, site).status_code == 201
    approved = register(other_vendor, site).json()["id"]
    approve(client_for, officer, approved, 2)
    refused = client_for(other_vendor).post(f"/api/v1/stalls/registrations/{approved}/withdraw")
    assert (refused.status_code, refused.json()["code"]) == (409, "registration_already_decided")
    assert (
        client_for(vendor).post("/api/v1/stalls/registrations/999999/withdraw").status_code == 404
    )


def test_a_waiting_vendor_who_withdrew_is_passed_over(
    make_site, make_user, client_for, register, officer
):
    site, stall, holder, waiters = full_site_with_waiting(
        make_site, make_user, client_for, register, officer, waiting=2
    )
    first = Registration.objects.get(vendor=waiters[0])
    assert (
        client_for(waiters[0]).post(f"/api/v1/stalls/registrations/{first.pk}/withdraw").status_code
        == 200
    )
    client_for(holder).post(f"/api/v1/stalls/{stall.pk}/withdraw", {}, format="json")
    assert Registration.objects.get(vendor=waiters[1]).stall.slot == 1
    assert Registration.objects.get(pk=first.pk).status == "withdrawn"


# --- Expiry and renewal ---------------------------------------------------------------


def test_an_approved_stall_expires_twelve_months_after_approval(
    client_for, stall, vendor, settings
):
    today = local_today()
    assert stall.expires_on == add_months(today, 12)
    mine = client_for(vendor).get("/api/v1/stalls/registrations/mine").json()["results"][0]
    assert mine["expires_on"] == stall.expires_on.isoformat()
    assert mine["stall"]["expires_on"] == stall.expires_on.isoformat()
    assert mine["stall"]["renewal_opens_on"] == (stall.expires_on - 30 * DAY).isoformat()
    assert client_for(vendor).get(f"/api/v1/stalls/{stall.pk}").json()["expires_on"] == (
        stall.expires_on.isoformat()
    )


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2027, 2, 28), 12) == datetime.date(2028, 2, 28)
    assert add_months(datetime.date(2026, 11, 25), 12) == datetime.date(2027, 11, 25)
    assert add_months(datetime.date(2026, 12, 15), 1) == datetime.date(2027, 1, 15)


def test_the_registration_months_are_a_setting(
    client_for, register, site, vendor, officer, settings
):
    settings.STALL_REGISTRATION_MONTHS = 6
    stall = approve(client_for, officer, register(vendor, site).json()["id"], 2)
    assert stall.expires_on == add_months(local_today(), 6)


def test_a_vendor_renews_in_the_last_30_days_and_keeps_the_slot(
    client_for, stall, vendor, client, django_capture_on_commit_callbacks
):
    expiry = local_today() + 10 * DAY
    set_expiry(stall, expiry)
    assert client.get(f"/api/v1/stalls/{stall.pk}").json()["expires_on"] == expiry.isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(vendor).post(f"/api/v1/stalls/{stall.pk}/renew")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["expires_on"] == add_months(expiry, 12).isoformat()
    assert (body["slot"], body["status"]) == (4, "active")
    renewal = StallRenewal.objects.get(stall=stall)
    assert (renewal.old_expires_on, renewal.renewed_by) == (expiry, vendor)
    public = client.get(f"/api/v1/stalls/{stall.pk}").json()  # the cached view follows
    assert public["expires_on"] == add_months(expiry, 12).isoformat()
    # Renewed: the window is a year away now.
    again = client_for(vendor).post(f"/api/v1/stalls/{stall.pk}/renew")
    assert (again.status_code, again.json()["code"]) == (409, "renewal_not_open")
    assert Stall.objects.get(pk=stall.pk).expires_on == add_months(expiry, 12)


@pytest.mark.parametrize("days_left", [31, -1])
def test_renewing_outside_the_window_is_refused(client_for, stall, vendor, days_left):
    """31 days before the expiry is too early; the day after it is too late."""
    expiry = local_today() + days_left * DAY
    set_expiry(stall, expiry)
    response = client_for(vendor).post(f"/api/v1/stalls/{stall.pk}/renew")
    assert (response.status_code, response.json()["code"]) == (409, "renewal_not_open")
    assert Stall.objects.get(pk=stall.pk).expires_on == expiry
    assert not StallRenewal.objects.exists()


@pytest.mark.parametrize("days_left", [30, 0])
def test_renewing_on_the_windows_first_and_last_day_works(client_for, stall, vendor, days_left):
    set_expiry(stall, local_today() + days_left * DAY)
    assert client_for(vendor).post(f"/api/v1/stalls/{stall.pk}/renew").status_code == 200


def test_only_the_vendor_renews_and_not_a_withdrawn_stall(
    client_for, stall, vendor, officer, other_vendor
):
    set_expiry(stall, local_today() + 5 * DAY)
    for user in (officer, other_vendor):
        response = client_for(user).post(f"/api/v1/stalls/{stall.pk}/renew")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    services.stall_withdraw(stall=stall, vendor=vendor)
    response = client_for(vendor).post(f"/api/v1/stalls/{stall.pk}/renew")
    assert (response.status_code, response.json()["code"]) == (409, "stall_not_active")
    assert client_for(vendor).post("/api/v1/stalls/999999/renew").status_code == 404


def test_the_database_refuses_a_second_renewal_of_the_same_expiry(stall, vendor):
    StallRenewal.objects.create(
        stall=stall,
        old_expires_on=stall.expires_on,
        new_expires_on=stall.expires_on,
        renewed_by=vendor,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        StallRenewal.objects.create(
            stall=stall,
            old_expires_on=stall.expires_on,
            new_expires_on=stall.expires_on,
            renewed_by=vendor,
        )


def test_an_expired_stall_lapses_and_its_slot_goes_to_the_waiting_list(
    make_site, make_user, client_for, register, officer
):
    site, stall, holder, waiters = full_site_with_waiting(
        make_site, make_user, client_for, register, officer
    )
    set_expiry(stall, local_today())
    assert services.stalls_lapse_expired() == 0  # valid through its last day
    assert services.stalls_lapse_expired(today=local_today() + DAY) == 1
    stall.refresh_from_db()
    assert stall.status == "lapsed"
    change = StallStatusChange.objects.get(stall=stall)
    assert (change.new_status, change.actor) == ("lapsed", None)
    promoted = Registration.objects.get(vendor=waiters[0])
    assert (promoted.status, promoted.stall.slot) == ("approved", 1)
    assert services.stalls_lapse_expired(today=local_today() + DAY) == 0  # twice: once
    mine = client_for(holder).get("/api/v1/stalls/registrations/mine").json()["results"]
    assert mine[0]["status"] == "lapsed"
    refused = client_for(holder).post(f"/api/v1/stalls/{stall.pk}/renew")
    assert refused.json()["code"] == "stall_not_active"


def test_a_suspended_stall_lapses_too_without_freeing_a_slot_twice(
    make_site, make_user, client_for, register, officer
):
    site, stall, holder, waiters = full_site_with_waiting(
        make_site, make_user, client_for, register, officer, waiting=2
    )
    for _ in range(3):
        services.inspection_record(stall=stall, officer=officer, result="violation")
    assert Registration.objects.get(vendor=waiters[0]).status == "approved"
    set_expiry(stall, local_today() - DAY)
    assert services.stalls_lapse_expired() == 1
    assert Stall.objects.get(pk=stall.pk).status == "lapsed"
    assert Registration.objects.get(vendor=waiters[1]).status == "waiting"


# --- Reminders ------------------------------------------------------------------------


def test_reminders_are_due_30_and_7_days_before_and_recorded_once(stall, vendor):
    today = local_today()
    set_expiry(stall, today + 31 * DAY)
    assert selectors.stalls_due_for_renewal_reminder(today) == []
    set_expiry(stall, today + 30 * DAY)
    due = selectors.stalls_due_for_renewal_reminder(today)
    assert [(d.stall.pk, d.days_before) for d in due] == [(stall.pk, 30)]
    assert len(services.renewal_reminders_record(today=today)) == 1
    assert services.renewal_reminders_record(today=today) == []
    assert services.renewal_reminders_record(today=today + 5 * DAY) == []  # 25 days left
    seven = services.renewal_reminders_record(today=today + 23 * DAY)  # 7 days left
    assert [r.days_before for r in seven] == [7]
    assert services.renewal_reminders_record(today=today + 29 * DAY) == []
    assert RenewalReminder.objects.filter(stall=stall).count() == 2
    # Renewing starts a new cycle: the next expiry gets its own reminders.
    set_expiry(stall, today + 3 * DAY)
    services.stall_renew(stall=stall, vendor=vendor)
    stall.refresh_from_db()
    later = stall.expires_on - 30 * DAY
    assert [r.days_before for r in services.renewal_reminders_record(today=later)] == [30]


def test_a_stall_close_to_its_expiry_gets_only_the_nearest_reminder(stall):
    today = local_today()
    set_expiry(stall, today + 5 * DAY)
    assert [r.days_before for r in services.renewal_reminders_record(today=today)] == [7]
    assert services.renewal_reminders_record(today=today + DAY) == []


def test_no_reminder_for_a_stall_that_is_not_active(stall, vendor):
    set_expiry(stall, local_today() + 7 * DAY)
    services.stall_withdraw(stall=stall, vendor=vendor)
    assert selectors.stalls_due_for_renewal_reminder(local_today()) == []


def test_the_reminder_days_are_a_setting(stall, settings):
    settings.STALL_RENEWAL_REMINDER_DAYS = [14]
    today = local_today()
    set_expiry(stall, today + 20 * DAY)
    assert selectors.stalls_due_for_renewal_reminder(today) == []
    set_expiry(stall, today + 14 * DAY)
    assert [d.days_before for d in selectors.stalls_due_for_renewal_reminder(today)] == [14]


def test_the_daily_task_lapses_and_records_reminders(
    make_user, client_for, register, site, officer
):
    from stalls import tasks

    old = approve(client_for, officer, register(make_user(), site).json()["id"], 1)
    soon = approve(client_for, officer, register(make_user(), site).json()["id"], 2)
    set_expiry(old, local_today() - DAY)
    set_expiry(soon, local_today() + 7 * DAY)
    assert tasks.stalls_expiry_daily() == {"lapsed": 1, "reminders": 1}
    assert tasks.stalls_expiry_daily() == {"lapsed": 0, "reminders": 0}


def test_beat_runs_the_expiry_task_daily_after_midnight_shanghai(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["stalls-expiry-daily"]
    assert entry["task"] == "stalls.tasks.stalls_expiry_daily"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({0}, {10})


# --- Pledge ---------------------------------------------------------------------------


def test_the_pledge_lists_the_four_requirements_in_the_requests_language(client):
    zh = client.get("/api/v1/stalls/pledge", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    en = client.get("/api/v1/stalls/pledge", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["version"] == en["version"] == PLEDGE_VERSION
    assert len(zh["requirements"]) == len(en["requirements"]) == 4
    assert "Keep the ground clean when you leave." in en["requirements"]
    assert zh["requirements"] != en["requirements"]


def test_registering_records_the_pledge_with_or_without_its_version(
    register, site, vendor, other_vendor
):
    assert register(vendor, site).status_code == 201
    assert register(other_vendor, site, pledge_version=PLEDGE_VERSION).status_code == 201
    assert set(Registration.objects.values_list("pledge_version", flat=True)) == {PLEDGE_VERSION}


def test_an_outdated_pledge_version_is_refused_and_nothing_is_written(register, site, vendor):
    response = register(vendor, site, pledge_version="2019-1")
    assert (response.status_code, response.json()["code"]) == (409, "pledge_outdated")
    too_long = register(vendor, site, pledge_version="x" * 17)
    assert (too_long.status_code, too_long.json()["code"]) == (400, "invalid")
    assert not Registration.objects.exists()


def test_registration_create_keeps_its_keyword_signature(site, vendor):
    """The service desk (another caller) passes only the original keywords."""
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="张三",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    assert registration.pledge_version == PLEDGE_VERSION


# --- Appeals --------------------------------------------------------------------------


@pytest.fixture
def suspended(stall, officer):
    for _ in range(3):
        services.inspection_record(stall=stall, officer=officer, result="violation")
    stall.refresh_from_db()
    assert stall.status == "suspended"
    return stall


@pytest.fixture
def second_officer(make_user, unit):
    return make_user("urban_officer", unit=unit.pk, display_name="Second Officer")


def test_a_vendor_appeals_and_another_officer_upholds_it(
    client_for, suspended, vendor, officer, second_officer
):
    response = client_for(vendor).post(
        f"/api/v1/stalls/{suspended.pk}/appeals", {"reason": "那天我不在"}, format="json"
    )
    assert response.status_code == 201, response.json()
    appeal = response.json()
    assert (appeal["status"], appeal["stall_status"]) == ("pending", "suspended")
    twice = client_for(vendor).post(
        f"/api/v1/stalls/{suspended.pk}/appeals", {"reason": "再说一次"}, format="json"
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "appeal_exists")
    queue = client_for(second_officer).get("/api/v1/stalls/appeals?status=pending").json()
    assert [row["id"] for row in queue["results"]] == [appeal["id"]]

    url = f"/api/v1/stalls/appeals/{appeal['id']}/decide"
    own = client_for(officer).post(url, {"upheld": True, "reason": "核实"}, format="json")
    assert (own.status_code, own.json()["code"]) == (403, "own_case_recorder")
    assert StallAppeal.objects.get().status == "pending"

    decided = client_for(second_officer).post(
        url, {"upheld": True, "reason": "记录有误"}, format="json"
    )
    assert decided.status_code == 200, decided.json()
    assert (decided.json()["status"], decided.json()["stall_status"]) == ("upheld", "active")
    suspended.refresh_from_db()
    assert suspended.status == "active" and suspended.reinstated_at is not None
    change = StallStatusChange.objects.filter(stall=suspended).first()
    assert (change.new_status, change.actor) == ("active", second_officer)
    again = client_for(second_officer).post(url, {"upheld": False, "reason": "x"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "appeal_already_decided")
    mine = client_for(vendor).get("/api/v1/stalls/appeals/mine").json()["results"]
    assert mine[0]["decision_reason"] == "记录有误"
    assert client_for(officer).get("/api/v1/stalls/appeals/mine").json()["results"] == []


def test_a_dismissed_appeal_leaves_the_stall_suspended(
    client_for, suspended, vendor, second_officer
):
    appeal = services.appeal_create(stall=suspended, vendor=vendor, reason="不服")
    response = client_for(second_officer).post(
        f"/api/v1/stalls/appeals/{appeal.pk}/decide",
        {"upheld": False, "reason": "三次违规属实"},
        format="json",
    )
    assert response.json()["status"] == "dismissed"
    assert Stall.objects.get(pk=suspended.pk).status == "suspended"
    # A new appeal may follow a decided one.
    assert services.appeal_create(stall=suspended, vendor=vendor, reason="新证据")


def test_appeal_bad_inputs_and_permissions(
    client_for,
    stall,
    suspended,
    vendor,
    other_vendor,
    other_officer,
    second_officer,
    district_admin,
):
    url = f"/api/v1/stalls/{suspended.pk}/appeals"
    blank = client_for(vendor).post(url, {"reason": "  "}, format="json")
    assert (blank.status_code, blank.json()["code"]) == (400, "invalid")
    missing = client_for(vendor).post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["fields"]
    stranger = client_for(other_vendor).post(url, {"reason": "x"}, format="json")
    assert stranger.status_code == 403
    assert not StallAppeal.objects.exists()

    appeal = services.appeal_create(stall=suspended, vendor=vendor, reason="不服")
    decide = f"/api/v1/stalls/appeals/{appeal.pk}/decide"
    for user, code in ((vendor, 403), (other_vendor, 403), (other_officer, 403)):
        response = client_for(user).post(decide, {"upheld": True, "reason": "x"}, format="json")
        assert response.status_code == code, user
    no_reason = client_for(second_officer).post(decide, {"upheld": True}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["fields"]
    bad_slot = client_for(second_officer).post(
        decide, {"upheld": True, "reason": "x", "slot": 99}, format="json"
    )
    assert (bad_slot.status_code, bad_slot.json()["code"]) == (400, "invalid")
    assert StallAppeal.objects.get().status == "pending"
    assert Stall.objects.get(pk=suspended.pk).status == "suspended"
    assert (
        client_for(second_officer)
        .post(
            "/api/v1/stalls/appeals/999999/decide", {"upheld": True, "reason": "x"}, format="json"
        )
        .status_code
        == 404
    )
    # The district admin recorded no violation: they may decide.
    ok = client_for(district_admin).post(decide, {"upheld": False, "reason": "x"}, format="json")
    assert ok.status_code == 200
    assert client_for(other_officer).get("/api/v1/stalls/appeals").json()["results"] == []
    assert client_for(vendor).get("/api/v1/stalls/appeals").status_code == 403


def test_a_suspended_stall_may_renew_while_its_appeal_waits(client_for, suspended, vendor):
    set_expiry(suspended, local_today() + 2 * DAY)
    response = client_for(vendor).post(f"/api/v1/stalls/{suspended.pk}/renew")
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"


def test_only_a_suspended_stall_is_appealed(client_for, stall, vendor):
    response = client_for(vendor).post(
        f"/api/v1/stalls/{stall.pk}/appeals", {"reason": "x"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "stall_not_suspended")


def test_an_upheld_appeal_onto_a_taken_slot_changes_nothing_until_another_slot_is_given(
    make_site, make_user, client_for, register, officer, second_officer
):
    site, stall, holder, waiters = full_site_with_waiting(
        make_site, make_user, client_for, register, officer
    )
    for _ in range(3):
        services.inspection_record(stall=stall, officer=officer, result="violation")
    appeal = services.appeal_create(stall=stall, vendor=holder, reason="不服")
    url = f"/api/v1/stalls/appeals/{appeal.pk}/decide"
    taken = client_for(second_officer).post(url, {"upheld": True, "reason": "x"}, format="json")
    assert (taken.status_code, taken.json()["code"]) == (409, "slot_taken")
    assert StallAppeal.objects.get().status == "pending"


def test_an_officer_whose_violation_predates_a_reinstatement_may_decide(
    client_for, suspended, vendor, officer, second_officer
):
    services.stall_reinstate(stall=suspended, officer=officer, reason="整改完成")
    suspended.refresh_from_db()
    for _ in range(3):
        services.inspection_record(stall=suspended, officer=second_officer, result="violation")
    appeal = services.appeal_create(stall=suspended, vendor=vendor, reason="不服")
    assert selectors.suspension_violation_officer_ids(stall=suspended) == {second_officer.pk}
    response = client_for(officer).post(
        f"/api/v1/stalls/appeals/{appeal.pk}/decide",
        {"upheld": False, "reason": "x"},
        format="json",
    )
    assert response.status_code == 200
    assert Inspection.objects.filter(officer=officer).count() == 3


# --- Vendor photo ---------------------------------------------------------------------


def test_the_vendor_photo_is_resized_stripped_and_shown_while_active(
    client_for, stall, vendor, client, other_vendor, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("me.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = client_for(vendor).post(
        f"/api/v1/stalls/{stall.pk}/photo", {"photo": upload}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    stall.refresh_from_db()
    assert stall.photo.name.startswith("stalls/vendors/") and "me" not in stall.photo.name
    with stall.photo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        # 1600x1200 turned upright by its orientation, then at most 600 a side.
        assert image.size == (450, 600)
        assert not image.getexif()
    public = client.get(f"/api/v1/stalls/{stall.pk}").json()
    assert public["photo_url"] == stall.photo.url
    assert fetch_status(client, public["photo_url"]) == 200

    with django_capture_on_commit_callbacks(execute=True):  # the public view's cache
        services.stall_withdraw(stall=stall, vendor=vendor)
    public = client.get(f"/api/v1/stalls/{stall.pk}").json()
    assert public["photo_url"] is None
    assert fetch_status(client, stall.photo.url) == 404
    assert fetch_status(client_for(other_vendor), stall.photo.url) == 404
    assert fetch_status(client_for(vendor), stall.photo.url) == 200


def test_a_new_photo_replaces_the_old_file(
    client_for, stall, vendor, django_capture_on_commit_callbacks
):
    url = f"/api/v1/stalls/{stall.pk}/photo"
    names = []
    for _ in range(2):
        upload = SimpleUploadedFile("a.jpg", jpeg_with_exif((100, 80)), content_type="image/jpeg")
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(vendor).post(url, {"photo": upload}, format="multipart")
        assert response.status_code == 200
        stall.refresh_from_db()
        names.append(stall.photo.name)
    storage = stall.photo.storage
    assert not storage.exists(names[0]) and storage.exists(names[1])


def test_the_vendor_photo_refuses_bad_inputs_and_strangers(
    client_for, stall, vendor, other_vendor, officer
):
    url = f"/api/v1/stalls/{stall.pk}/photo"
    text = SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")
    response = client_for(vendor).post(url, {"photo": text}, format="multipart")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert client_for(vendor).post(url, {}, format="multipart").status_code == 400
    for user in (other_vendor, officer):
        upload = SimpleUploadedFile("a.jpg", jpeg_with_exif((50, 50)), content_type="image/jpeg")
        assert client_for(user).post(url, {"photo": upload}, format="multipart").status_code == 403
    stall.refresh_from_db()
    assert not stall.photo
