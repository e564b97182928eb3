"""The inbox, marking read, preferences and /me: only one's own notifications, in the
reader's language, with the error body for bad input."""

import pytest
from django.utils import translation

from notifications import kinds
from notifications.models import Notification, Preference
from notifications.services import notify

pytestmark = pytest.mark.django_db


def give(user, count=1, kind="moral_claim_rejected"):
    return [
        notify(
            user_id=user.pk,
            kind=kind,
            key=f"{user.pk}-{n}-{Notification.objects.count()}",
            params={"category": "好人好事", "reason": "照片不清"},
            link="/api/v1/points/moral/claims",
        )
        for n in range(count)
    ]


def test_the_inbox_lists_only_my_notifications_newest_first_and_paginated(
    resident, other_resident, client_for
):
    mine = give(resident, 3)
    give(other_resident, 2)
    api = client_for(resident)
    page = api.get("/api/v1/notifications?page_size=2").json()
    assert [item["id"] for item in page["results"]] == [mine[2], mine[1]]
    item = page["results"][0]
    assert set(item) == {"id", "kind", "title", "body", "link", "created_at", "read_at"}
    assert item["kind"] == "moral_claim_rejected"
    assert item["title"] == "道德积分申报未通过"
    assert "照片不清" in item["body"]
    assert item["created_at"].endswith("+08:00")
    assert item["read_at"] is None
    rest = api.get(page["next"]).json()
    assert [item["id"] for item in rest["results"]] == [mine[0]]
    english = api.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["results"][0]["title"] == "Moral claim rejected"
    assert api.get("/api/v1/notifications?cursor=abc").status_code == 400


def test_the_inbox_needs_a_signed_in_user(api):
    response = api.get("/api/v1/notifications")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_marking_read_by_ids_or_all_touches_only_my_own(resident, other_resident, client_for):
    mine = give(resident, 3)
    theirs = give(other_resident, 1)
    api = client_for(resident)
    assert api.get("/api/v1/me").json()["unread_notifications"] == 3
    response = api.post("/api/v1/notifications/read", {"ids": [mine[0], theirs[0]]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 2}
    assert Notification.objects.get(pk=theirs[0]).read_at is None
    assert api.post("/api/v1/notifications/read", {"all": True}, format="json").json() == {
        "marked": 2,
        "unread": 0,
    }
    assert api.get("/api/v1/me").json()["unread_notifications"] == 0
    assert client_for(other_resident).get("/api/v1/me").json()["unread_notifications"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": "1"},
        {"ids": [0]},
        {"ids": [2**64]},
        {"all": "maybe"},
        {"ids": list(range(1, 102))},
    ],
)
def test_a_bad_read_body_is_400_and_marks_nothing(resident, client_for, body):
    give(resident, 1)
    response = client_for(resident).post("/api/v1/notifications/read", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_preferences_in_app_always_sms_where_the_kind_allows(resident, client_for):
    api = client_for(resident)
    listed = {row["kind"]: row for row in api.get("/api/v1/notifications/preferences").json()}
    assert set(listed) == set(kinds.KINDS)
    assert all(row["in_app"] for row in listed.values())
    assert listed["review_bad"] == {
        "kind": "review_bad",
        "title": "新的差评",
        "in_app": True,
        "sms_allowed": True,
        "sms": True,
    }
    assert listed["voucher_used"]["sms_allowed"] is False
    assert listed["campaign_announced"]["sms"] is False  # opt-in
    response = api.patch(
        "/api/v1/notifications/preferences",
        {
            "preferences": [
                {"kind": "campaign_announced", "sms": True},
                {"kind": "review_bad", "sms": False},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    changed = {row["kind"]: row["sms"] for row in response.json()}
    assert changed["campaign_announced"] is True and changed["review_bad"] is False
    assert Preference.objects.filter(user=resident).count() == 2


@pytest.mark.parametrize(
    "choices",
    [
        [{"kind": "voucher_used", "sms": True}],
        [{"kind": "no_such_kind", "sms": False}],
        [{"kind": "review_bad", "sms": "perhaps"}],
    ],
)
def test_a_refused_preference_changes_nothing(resident, client_for, choices):
    response = client_for(resident).patch(
        "/api/v1/notifications/preferences",
        {"preferences": [{"kind": "campaign_announced", "sms": True}, *choices]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Preference.objects.exists()


def test_turning_sms_off_keeps_the_inbox_but_sends_nothing(
    resident, client_for, committed, sms_sent
):
    client_for(resident).patch(
        "/api/v1/notifications/preferences",
        {"preferences": [{"kind": "moral_claim_rejected", "sms": False}]},
        format="json",
    )
    with committed():
        [pk] = give(resident, 1)
    assert Notification.objects.get(pk=pk).sms_status == Notification.Sms.SKIPPED
    assert sms_sent() == []
    with committed():
        give(resident, 1, kind="moral_claim_approved")
    assert len(sms_sent()) == 1


def test_the_same_event_twice_is_one_notification(resident, committed, sms_sent):
    with committed():
        first = notify(user_id=resident.pk, kind="review_answered", key="7", params={"cadre": "王"})
        second = notify(
            user_id=resident.pk, kind="review_answered", key="7", params={"cadre": "王"}
        )
    assert first is not None and second is None
    assert Notification.objects.count() == 1
    assert len(sms_sent()) == 1


def test_every_kind_renders_in_both_languages_with_its_params():
    for spec in kinds.KINDS.values():
        for language in ("zh-hans", "en"):
            with translation.override(language):
                title, body = spec.render({})
            assert title and "%(" not in title and "%(" not in body
