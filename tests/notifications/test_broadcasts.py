"""Broadcasts (the district's notice with a preview and a count; a site's vendors),
the campaign announcement to its subscribers in batches, and the staff's daily digest."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone, translation

from core.errors import Invalid
from notifications import delivery, services, tasks
from notifications.models import Broadcast, Notification, Preference
from points import campaigns as points_campaigns
from points import services as points_services
from stalls import services as stalls_services
from tests.forms import nonce_of
from tests.stalls.conftest import id_number, make_site_for

pytestmark = pytest.mark.django_db


def test_the_district_admin_previews_counts_then_sends_a_notice(
    make_user, district_admin, client, committed
):
    residents = [make_user() for _ in range(4)]
    client.force_login(district_admin)
    form = client.get("/admin/notifications/broadcast/new/")
    assert form.status_code == 200
    body = {"audience": "residents", "title": "停水通知", "body": "明日 9:00-12:00 停水。"}
    preview = client.post("/admin/notifications/broadcast/new/", body)
    page = preview.content.decode()
    assert "停水通知" in page and "明日 9:00-12:00 停水。" in page
    assert "将发送给 5 人" in page  # the four residents and the administrator
    assert not Broadcast.objects.exists() and not Notification.objects.exists()
    with committed():
        sent = client.post(
            "/admin/notifications/broadcast/new/", {**body, "confirm": "1", **nonce_of(client)}
        )
    assert sent.status_code == 302
    broadcast = Broadcast.objects.get()
    assert (broadcast.status, broadcast.recipients, broadcast.created_by) == (
        Broadcast.Status.DONE,
        5,
        district_admin,
    )
    notice = Notification.objects.get(user=residents[0])
    assert (notice.kind, notice.title, notice.body) == (
        "notice",
        "通知：停水通知",
        "明日 9:00-12:00 停水。",
    )
    assert notice.sms_status == Notification.Sms.NONE


def test_only_a_district_admin_may_broadcast(make_user, client):
    officer = make_user("urban_officer")
    client.force_login(officer)
    response = client.post(
        "/admin/notifications/broadcast/new/",
        {"audience": "residents", "title": "x", "body": "y", "confirm": "1"},
    )
    assert response.status_code == 403
    assert not Broadcast.objects.exists()


def test_a_notice_to_the_vendors_of_one_site(make_user, unit, officer):
    site, other_site = make_site_for(unit, capacity=3), make_site_for(unit, capacity=3)
    here, there, bystander = make_user(), make_user(), make_user()
    for vendor, where in ((here, site), (there, other_site)):
        registration = stalls_services.registration_create(
            vendor=vendor,
            site=where,
            vendor_name="王",
            id_number=id_number(),
            goods_category="fruit_vegetables",
        )
        stalls_services.registration_approve(registration=registration, officer=officer, slot=1)
    audience = f"site_vendors:{site.pk}"
    assert services.broadcast_preview(audience=audience) == 1
    assert (audience, f"{site.name}的摊主") in delivery.audience_choices()
    broadcast = services.broadcast_create(
        key="notice:market-day",
        kind="notice",
        audience=audience,
        params={"title": "t", "body": "b"},
    )
    tasks.broadcast_run(broadcast.pk)
    assert list(Notification.objects.filter(kind="notice").values_list("user", flat=True)) == [
        here.pk
    ]
    assert bystander.notifications.count() == 0


def test_a_broadcast_is_written_in_batches_and_a_second_run_writes_nothing_twice(make_user):
    users = [make_user() for _ in range(7)]
    broadcast = services.broadcast_create(
        key="notice:1", kind="notice", audience="residents", params={"title": "t", "body": "b"}
    )
    assert delivery.broadcast_write(broadcast_id=broadcast.pk, batch_size=3, on_sms=list) == 7
    assert delivery.broadcast_write(broadcast_id=broadcast.pk, batch_size=3, on_sms=list) == 0
    assert Notification.objects.filter(event_key="notice:1").count() == len(users)
    assert (
        services.broadcast_create(key="notice:1", kind="notice", audience="residents", params={})
        is None
    )
    with pytest.raises(Invalid) as refused:
        services.broadcast_create(key="x", kind="notice", audience="martians", params={})
    assert set(refused.value.fields) == {"audience"}


def test_a_campaign_is_announced_10_minutes_before_to_subscribers_in_batches(
    make_user, district_admin, settings, sms_sent
):
    subscribers = [make_user() for _ in range(3)]
    for user in subscribers:
        Preference.objects.create(user=user, kind="campaign_announced", sms=True)
    make_user()  # not subscribed: no SMS, no notification
    Preference.objects.create(user=make_user(), kind="campaign_announced", sms=False)
    starts = timezone.now() + dt.timedelta(minutes=30)
    campaign = points_campaigns.campaign_create(
        title="周末抢积分",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        points_per_claim=20,
        claims=100,
        created_by=district_admin,
    )
    assert points_campaigns.campaigns_announce_due() == 0  # 30 minutes before: not yet
    settings.NOTIFY_SMS_BATCH_SIZE, settings.NOTIFY_SMS_BATCH_PAUSE = 2, 5
    queued = []
    real = tasks.sms_send.apply_async

    def spy(*args, **kwargs):
        queued.append(kwargs.get("countdown"))
        return real(*args, **kwargs)

    nine_before = starts - dt.timedelta(minutes=9)
    with (
        mock.patch("django.utils.timezone.now", return_value=nine_before),
        mock.patch.object(tasks.sms_send, "apply_async", side_effect=spy),
    ):
        assert points_campaigns.campaigns_announce_due() == 1
        tasks.broadcast_run(Broadcast.objects.get().pk)  # what the worker does on commit
        assert points_campaigns.campaigns_announce_due() == 0  # the next minute: once only
    # Two to a batch, 5 seconds apart: the provider is never flooded.
    assert queued == [None, None, 5]
    assert sorted(sms["phone"] for sms in sms_sent()) == sorted(u.phone for u in subscribers)
    assert "周末抢积分" in sms_sent()[0]["text"] and "20" in sms_sent()[0]["text"]
    assert Notification.objects.filter(event_key=f"campaign_announced:{campaign.pk}").count() == 3


def test_each_staff_member_gets_one_digest_a_day_of_the_queues_they_see(
    make_user, unit, officer, moral_reviewer, category
):
    site = make_site_for(unit, capacity=5)
    for _n in range(2):
        stalls_services.registration_create(
            vendor=make_user(),
            site=site,
            vendor_name="王",
            id_number=id_number(),
            goods_category="fruit_vegetables",
        )
    points_services.moral_claim_create(
        resident=make_user(), category=category, description="d", occurred_on=dt.date(2026, 1, 1)
    )
    idle = make_user("live_operator")
    other_officer = make_user("urban_officer", unit=make_unit_id())
    morning = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert delivery.staff_digest_write(queues_for=tasks.pending_queues_of, now=morning) == 2
    assert (
        delivery.staff_digest_write(
            queues_for=tasks.pending_queues_of, now=morning + dt.timedelta(hours=3)
        )
        == 0
    )
    officer_digest = Notification.objects.get(user=officer, kind="staff_digest")
    assert officer_digest.body == "今日待办：待审批的摊位登记 2"
    with translation.override("en"):
        assert officer_digest.body == "Pending today: Registrations pending 2"
    assert Notification.objects.get(user=moral_reviewer).body == "今日待办：待审核的道德积分申请 1"
    assert not idle.notifications.exists() and not other_officer.notifications.exists()
    next_day = morning + dt.timedelta(days=1)
    assert delivery.staff_digest_write(queues_for=tasks.pending_queues_of, now=next_day) == 2


def make_unit_id() -> int:
    from cadres.models import Unit

    return Unit.objects.create(name="另一个执法大队", kind="urban_management").pk
