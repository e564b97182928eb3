"""The last five events (issue 12), each from the action to the inbox (and the SMS file
for the SMS kinds): an appeal decided, a bottom warning, a ticket review, a renewal due
and points about to expire. Who is told, what they read, what they never read, and
that running the action again tells nobody twice."""

import datetime as dt
import json
import os

import pytest
from django.utils import timezone, translation

from accounts.roles import Role
from cadres import services as cadres_services
from cadres.models import Cadre
from moderation import services as moderation_services
from moderation.models import Appeal
from notifications.models import Notification
from points import ledger
from points import services as points_services
from points.models import Lot
from rankings import services as rankings_services
from rankings.models import BottomWarning, RankingEntry, RankingMonth
from stalls import services as stalls_services
from stalls.models import RenewalReminder, Stall
from stalls.terms import local_today
from tests.conftest import next_phone
from tests.stalls.conftest import id_number

pytestmark = pytest.mark.django_db

REASON = "评价人当天并未来窗口办理业务，与事实不符。"


def only(user, kind) -> Notification:
    return Notification.objects.get(user=user, kind=kind)


def inbox(client_for, user, language="zh-hans") -> list[dict]:
    response = client_for(user).get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.json()["results"]


# --- 1. appeal_decided ----------------------------------------------------------------------


@pytest.fixture
def appeal_reviewer(make_user):
    return make_user(Role.APPEAL_REVIEWER, display_name="Ada Appeals")


@pytest.fixture
def unit_admin(make_user, unit):
    return make_user(Role.UNIT_ADMIN, display_name="Uma Unit", unit=unit.pk)


@pytest.mark.parametrize(
    ("upheld", "zh", "en"), [(True, "成立", "upheld"), (False, "驳回", "dismissed")]
)
def test_the_appeal_s_outcome_tells_the_cadre_never_the_reviewer_or_the_decider(
    resident, cadre, cadre_user, appeal_reviewer, client_for, committed, sms_sent, upheld, zh, en
):
    review = cadres_services.review_create(cadre=cadre, reviewer=resident, rating=3)
    appeal = moderation_services.appeal_create(review=review, appellant=cadre_user, reason=REASON)
    assert not Notification.objects.filter(kind="appeal_decided").exists()
    with committed():
        moderation_services.appeal_decide(
            appeal=appeal, decider=appeal_reviewer, upheld=upheld, reason="核实无误"
        )
    told = only(cadre_user, "appeal_decided")
    assert told.sms_status == Notification.Sms.NONE  # in-app only
    assert told.link == "/api/v1/cadre/appeals"
    date = f"{review.local_date:%Y-%m-%d}"
    [shown] = inbox(client_for, cadre_user)
    assert shown["kind"] == "appeal_decided"
    assert date in shown["body"] and zh in shown["body"]
    [english] = inbox(client_for, cadre_user, "en")
    assert date in english["body"] and en in english["body"]
    for secret in (
        resident.display_name,
        resident.phone,
        appeal_reviewer.display_name,
        appeal_reviewer.phone,
        "核实无误",
    ):
        assert secret not in json.dumps([shown, english], ensure_ascii=False)
    # Nobody else hears of it: not the reviewer, not the decider; no SMS.
    assert Notification.objects.filter(kind="appeal_decided").count() == 1
    assert sms_sent() == []


def test_a_unit_admin_s_appeal_tells_the_admin_and_the_cadre(
    resident, cadre, cadre_user, unit_admin, appeal_reviewer
):
    review = cadres_services.review_create(cadre=cadre, reviewer=resident, rating=3)
    appeal = moderation_services.appeal_create(review=review, appellant=unit_admin, reason=REASON)
    moderation_services.appeal_decide(
        appeal=appeal, decider=appeal_reviewer, upheld=False, reason="x"
    )
    told = Notification.objects.filter(kind="appeal_decided")
    assert sorted(told.values_list("user_id", flat=True)) == sorted([cadre_user.pk, unit_admin.pk])
    assert {row.event_key for row in told} == {f"appeal_decided:{appeal.pk}"}


def test_a_refused_second_decision_tells_nobody_again(resident, cadre, cadre_user, appeal_reviewer):
    from moderation.errors import AppealAlreadyDecided

    review = cadres_services.review_create(cadre=cadre, reviewer=resident, rating=3)
    appeal = moderation_services.appeal_create(review=review, appellant=cadre_user, reason=REASON)
    moderation_services.appeal_decide(
        appeal=appeal, decider=appeal_reviewer, upheld=True, reason="a"
    )
    with pytest.raises(AppealAlreadyDecided):
        moderation_services.appeal_decide(
            appeal=Appeal.objects.get(pk=appeal.pk),
            decider=appeal_reviewer,
            upheld=False,
            reason="b",
        )
    assert Notification.objects.filter(kind="appeal_decided").count() == 1
    with translation.override("zh-hans"):
        assert "成立" in only(cadre_user, "appeal_decided").body


# --- 2. warning_issued ----------------------------------------------------------------------


def _bottom_month(month, cadre, unit) -> RankingMonth:
    """A published month with `cadre` (and its unit) in the bottom 10 %."""
    ranking = RankingMonth.objects.create(
        month=month, compiled_at=timezone.now(), published_at=timezone.now(), digest="0" * 64
    )
    common = {
        "ranking": ranking,
        "bottom": True,
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "position": 1,
        "reviews": 5,
        "satisfied": 0,
        "bad": 5,
        "bad_answered": 0,
        "verdicts": 0,
        "rejected": 0,
        "satisfaction_rate": 0,
        "response_rate": 0,
        "rejection_rate": 0,
        "score": 0,
    }
    RankingEntry.objects.create(
        scope=RankingEntry.Scope.CADRE, cadre=cadre, name=cadre.name, **common
    )
    RankingEntry.objects.create(scope=RankingEntry.Scope.UNIT, name=unit.name, **common)
    return ranking


def test_a_new_warning_tells_the_cadre_by_sms_once(
    cadre, cadre_user, unit, client_for, committed, sms_sent
):
    _bottom_month(dt.date(2026, 8, 1), cadre, unit)
    sep = _bottom_month(dt.date(2026, 9, 1), cadre, unit)
    with committed():
        warnings = rankings_services.bottom_record(ranking=sep)
    assert sorted(w.scope for w in warnings) == ["cadre", "unit"]
    warning = BottomWarning.objects.get(ranking=sep, scope="cadre")
    told = only(cadre_user, "warning_issued")
    assert told.event_key == f"warning_issued:{warning.pk}"
    assert told.sms_status == Notification.Sms.SENT
    [shown] = inbox(client_for, cadre_user)
    assert "提醒谈话" in shown["body"] and "2026-09" in shown["body"] and "2" in shown["body"]
    [english] = inbox(client_for, cadre_user, "en")
    assert "warning talk" in english["body"] and "10%" in english["body"]
    [sms] = sms_sent()
    assert sms["phone"] == cadre_user.phone and sms["key"] == f"warning_issued:{warning.pk}"
    assert "2026-09" in sms["text"]
    # Recorded again (a republication): the warning is the same, nobody is told twice.
    with committed():
        rankings_services.bottom_record(ranking=sep)
    assert Notification.objects.filter(kind="warning_issued").count() == 1
    assert len(sms_sent()) == 1
    # The third month brings a new warning (a post review): a new notification.
    oct_ = _bottom_month(dt.date(2026, 10, 1), cadre, unit)
    with committed():
        rankings_services.bottom_record(ranking=oct_)
    assert Notification.objects.filter(kind="warning_issued").count() == 2
    assert len(sms_sent()) == 2


def test_a_unit_s_warning_or_a_cadre_without_an_account_tells_nobody(unit):
    other = Cadre.objects.create(unit=unit, name="无账号", title="科员", employee_number="E900777")
    _bottom_month(dt.date(2026, 8, 1), other, unit)
    sep = _bottom_month(dt.date(2026, 9, 1), other, unit)
    assert len(rankings_services.bottom_record(ranking=sep)) == 2
    assert not Notification.objects.exists()


# --- 3. ticket_review -----------------------------------------------------------------------


@pytest.mark.parametrize("rating", [5, 1])
def test_a_ticket_review_tells_the_cadre_without_the_rating_or_the_ticket(
    resident, cadre, cadre_user, client_for, sms_sent, rating
):
    issued = client_for(cadre_user).post("/api/v1/cadre/tickets", {}, format="json")
    assert issued.status_code == 201, issued.content
    ticket = issued.json()
    response = client_for(resident).post(
        f"/api/v1/cadres/{cadre.pk}/reviews",
        {"code": ticket["code_url"], "rating": rating, "comment": "很好"},
        format="json",
    )
    assert response.status_code == 201, response.content
    told = only(cadre_user, "ticket_review")
    assert told.sms_status == Notification.Sms.NONE
    assert told.link == "/api/v1/cadre/reviews"
    assert told.params == {}
    shown = next(n for n in inbox(client_for, cadre_user) if n["kind"] == "ticket_review")
    text = " ".join((shown["title"], shown["body"], shown["link"]))
    assert "核验" in shown["body"] or "验证" in shown["body"]
    for secret in (
        f"{rating}星",
        f"{rating}-star",
        f"tickets/{ticket['id']}",
        ticket["code_url"],
        resident.display_name,
        resident.phone,
        "很好",
    ):
        assert secret not in text
    assert not any(ch.isdigit() for ch in shown["title"] + shown["body"])  # no rating, time
    times = [ticket.get("issued_at"), ticket.get("expires_at")]
    assert not [t for t in times if t and t[:16] in text]


def test_a_badge_review_is_not_a_ticket_review(resident, cadre, cadre_user, badge, client_for):
    response = client_for(resident).post(
        f"/api/v1/cadres/{cadre.pk}/reviews",
        {"code": badge(cadre), "rating": 4},
        format="json",
    )
    assert response.status_code == 201
    assert not Notification.objects.exists()


# --- 4. renewal_due -------------------------------------------------------------------------


def test_each_new_renewal_reminder_tells_the_vendor_by_sms(
    make_user, site, officer, client_for, committed, sms_sent
):
    vendor = make_user()
    registration = stalls_services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="王小明",
        id_number=id_number(),
        goods_category="fruit_vegetables",
    )
    stall = stalls_services.registration_approve(registration=registration, officer=officer, slot=1)
    today = local_today()
    expiry = today + dt.timedelta(days=30)
    Stall.objects.filter(pk=stall.pk).update(expires_on=expiry)
    with committed():
        [reminder] = stalls_services.renewal_reminders_record(today=today)
    told = only(vendor, "renewal_due")
    assert told.event_key == f"renewal_due:{reminder.pk}"
    assert told.link == f"/api/v1/stalls/{stall.pk}"
    shown = next(n for n in inbox(client_for, vendor) if n["kind"] == "renewal_due")
    assert "德荣早市" in shown["body"] and f"{expiry:%Y-%m-%d}" in shown["body"]
    [sms] = [s for s in sms_sent() if s["key"].startswith("renewal_due:")]
    assert sms["phone"] == vendor.phone and f"{expiry:%Y-%m-%d}" in sms["text"]
    # The same day again records nothing and tells nobody; 7 days before, a second one.
    with committed():
        assert stalls_services.renewal_reminders_record(today=today) == []
        [seven] = stalls_services.renewal_reminders_record(today=expiry - dt.timedelta(days=7))
    assert seven.days_before == 7
    rows = Notification.objects.filter(user=vendor, kind="renewal_due")
    assert sorted(rows.values_list("event_key", flat=True)) == sorted(
        f"renewal_due:{pk}" for pk in RenewalReminder.objects.values_list("pk", flat=True)
    )
    assert len([s for s in sms_sent() if s["key"].startswith("renewal_due:")]) == 2


# --- 5. points_expiring ---------------------------------------------------------------------


def grant(user, points, admin):
    points_services.adjustment_post(
        account=ledger.resident_account(user=user), amount=points, reason="test", admin=admin
    )


def expiring_on(user, day):
    """Move the resident's lots to expire on `day`."""
    Lot.objects.filter(account__owner=user).update(expires_on=day)


def test_residents_hear_of_points_expiring_in_30_days_once(
    resident, other_resident, district_admin, client_for, committed, sms_sent, settings
):
    settings.POINTS_EXPIRY_NOTICE_DAYS = 30
    today = dt.date(2026, 12, 1)
    day = today + dt.timedelta(days=30)
    grant(resident, 70, district_admin)
    grant(other_resident, 40, district_admin)
    expiring_on(resident, day)
    expiring_on(other_resident, day + dt.timedelta(days=1))  # tomorrow's notice, not today's
    with committed():
        assert points_services.points_expiry_notify(today=today) == 1
    told = only(resident, "points_expiring")
    assert told.event_key == f"points_expiring:{resident.pk}:{day:%Y-%m-%d}"
    assert told.link == "/api/v1/points/balance"
    [shown] = inbox(client_for, resident)
    assert "70" in shown["body"] and "2026-12-31" in shown["body"]
    with translation.override("en"):
        assert "70" in told.body and "expire" in told.body
    [sms] = sms_sent()
    assert sms["phone"] == resident.phone and "70" in sms["text"]
    # A rerun of the day tells nobody twice; the next day tells the other resident.
    with committed():
        assert points_services.points_expiry_notify(today=today) == 0
        assert points_services.points_expiry_notify(today=today + dt.timedelta(days=1)) == 1
    assert Notification.objects.filter(kind="points_expiring").count() == 2
    assert [s["phone"] for s in sms_sent()] == [resident.phone, other_resident.phone]


def test_spent_points_are_not_announced(resident, district_admin, settings):
    today = dt.date(2026, 12, 1)
    grant(resident, 30, district_admin)
    expiring_on(resident, today + dt.timedelta(days=settings.POINTS_EXPIRY_NOTICE_DAYS))
    grant(resident, -30, district_admin)
    assert points_services.points_expiry_notify(today=today) == 0
    assert not Notification.objects.exists()


def test_the_beat_notifies_daily_at_0930_shanghai(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notify-points-expiring"]
    assert entry["task"] == "points.tasks.points_expiry_notify"
    assert entry["schedule"].hour == {9} and entry["schedule"].minute == {30}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("broker_tasks")
def test_a_real_worker_tells_the_resident_once(make_user, district_admin, tmp_path):
    """The task through Redis to a worker process, twice: one notification, one SMS
    (the worker sends it with its own SMS file)."""
    from config.celery import app
    from tests.workers import start_worker, stop_worker

    resident = make_user(phone=next_phone(), display_name="Wendy")
    grant(resident, 55, district_admin)
    today = dt.date(2026, 12, 1)
    expiring_on(resident, today + dt.timedelta(days=30))
    sms_file = tmp_path / "worker-sms.jsonl"
    queue = f"test-points-expiring-{os.getpid()}"
    worker = start_worker(
        queue,
        env={
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(sms_file),
            "NOTIFY_QUIET_START": "24",
            "NOTIFY_QUIET_END": "0",
            "POINTS_EXPIRY_NOTICE_DAYS": "30",
        },
    )
    try:
        first = app.send_task(
            "points.tasks.points_expiry_notify", args=[today.isoformat()], queue=queue
        )
        done = first.get(timeout=90)
        again = app.send_task(
            "points.tasks.points_expiry_notify", args=[today.isoformat()], queue=queue
        )
        done_again = again.get(timeout=90)
        # The SMS goes out by the default queue's task: send it on the test's queue.
        row = Notification.objects.get(user=resident, kind="points_expiring")
        sent = app.send_task("notifications.tasks.sms_send", args=[row.pk], queue=queue)
        sent.get(timeout=90)
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert (done, done_again) == (1, 0), output
    row.refresh_from_db()
    assert row.sms_status == Notification.Sms.SENT, output
    [sms] = [json.loads(line) for line in sms_file.read_text().splitlines()]
    assert sms["phone"] == resident.phone and "55" in sms["text"]
