"""Accounts a desk makes from an ID check alone (no SMS to the phone): a made-up number
with a valid check digit makes one. Their reviews earn no points and wait for a
moderator until an SMS code first reaches the phone; an agent who makes more than
DESK_ID_ACCOUNTS_PER_DAY of them a day is flagged for staff."""

import importlib

import pytest
from django.apps import apps

from accounts.models import OtpCode, User
from accounts.roles import Role
from accounts.sms import LocmemBackend
from cadres.codes import badge_url
from cadres.models import Cadre, Exclusion, Review, Unit
from core import ratelimit
from desk.models import AgentFlag, AssistedAct, DeskSession
from moderation import services as moderation_services
from moderation.models import FlagRule, ReviewFlag
from points.selectors import resident_summary

from .conftest import id_number, next_phone

pytestmark = pytest.mark.django_db


def id_checked_account(client, open_session) -> tuple[int, str]:
    """A session confirmed by an ID check for a phone nobody ever used: (session, phone)."""
    phone = next_phone()
    session_id = open_session(client, phone).json()["id"]
    response = client.post(
        f"/api/v1/desk/sessions/{session_id}/confirm",
        {"id_check": {"id_number": id_number(), "name": "李秀英", "id_consent": True}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    ratelimit.reset()  # the sign-in code limits are not what these tests are about
    return session_id, phone


def desk_review(client, session_id, badge, rating=5):
    return client.post(
        f"/api/v1/desk/sessions/{session_id}/reviews",
        {"code": badge, "rating": rating},
        format="json",
    )


def sms_sign_in(api, phone, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/v1/auth/otp", {"phone": phone}, format="json").status_code < 300
    code = [m["code"] for m in LocmemBackend.outbox if m["phone"] == phone][-1]
    response = api.post("/api/v1/auth/token", {"phone": phone, "code": code}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    # The consent given at the desk (with the ID check) covers the notice: nothing to ask.
    assert body["consent_required"] is False
    return body["access"]


def test_an_id_checked_accounts_review_earns_nothing_and_waits_for_a_moderator(
    agent_api, open_session, badge, cadre, make_user, api, django_capture_on_commit_callbacks
):
    """The review is filed (201, points_awarded 0), held out of the rankings
    (Exclusion.UNCONFIRMED) with an open `unconfirmed` flag; no points reach the
    account. A moderator who clears the flag makes it count (still no points). After
    the resident's first SMS sign-in a new review earns points and is not held."""
    session_id, phone = id_checked_account(agent_api, open_session)
    resident = User.objects.get(phone=phone)
    assert resident.phone_verified_at is None
    response = desk_review(agent_api, session_id, badge)
    assert response.status_code == 201, response.json()
    assert response.json()["points_awarded"] == 0
    held = Review.objects.get(pk=response.json()["id"])
    assert held.excluded_reason == Exclusion.UNCONFIRMED and held.excluded_at is not None
    flag = ReviewFlag.objects.get(review=held)
    assert (flag.rule, flag.state) == (FlagRule.UNCONFIRMED, ReviewFlag.State.OPEN)
    assert resident_summary(user=resident).redeemable == 0

    moderator = make_user(Role.RATING_MODERATOR)
    moderation_services.review_flag_clear(flag_id=flag.pk, moderator=moderator, reason="本人到场")
    held.refresh_from_db()
    assert (held.excluded_reason, held.excluded_at, held.points_awarded) == ("", None, 0)

    access = sms_sign_in(api, phone, django_capture_on_commit_callbacks)
    resident.refresh_from_db()
    assert resident.phone_verified_at is not None
    other = Cadre.objects.create(
        unit=Unit.objects.create(name="康巴什区民政局", kind=Unit.Kind.BUREAU),
        name="赵强",
        title="科员",
        employee_number="D0002",
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    later = api.post(
        f"/api/v1/cadres/{other.pk}/reviews",
        {"code": badge_url(other), "rating": 5},
        format="json",
    )
    assert later.status_code == 201, later.json()
    assert later.json()["points_awarded"] == 10
    assert Review.objects.get(pk=later.json()["id"]).excluded_reason == ""
    assert ReviewFlag.objects.count() == 1
    assert resident_summary(user=resident).redeemable == 10


def test_a_held_review_excluded_by_the_moderator_is_fraud(
    agent_api, open_session, badge, make_user
):
    session_id, _phone = id_checked_account(agent_api, open_session)
    held = Review.objects.get(pk=desk_review(agent_api, session_id, badge).json()["id"])
    flag = ReviewFlag.objects.get(review=held)
    moderation_services.review_flag_exclude(
        flag_id=flag.pk, moderator=make_user(Role.RATING_MODERATOR), reason="号码无人使用"
    )
    held.refresh_from_db()
    assert held.excluded_reason == Exclusion.FRAUD


def test_an_account_confirmed_by_the_desk_code_earns_points(agent_api, active_session, badge):
    """The SMS code read back at the desk proves the phone: the review earns points."""
    session_id = active_session(agent_api, next_phone())
    response = desk_review(agent_api, session_id, badge)
    assert response.json()["points_awarded"] == 10
    assert not ReviewFlag.objects.exists()


def test_an_agent_is_flagged_past_the_days_id_checked_accounts(
    agent_api, agent, other_agent, client_for, open_session, settings
):
    """DESK_ID_ACCOUNTS_PER_DAY (3) accounts from ID checks in a day: no flag; the
    fourth flags the agent (one row a day, its count raised by the fifth); another
    agent's three do not."""
    settings.DESK_ID_ACCOUNTS_PER_DAY = 3
    for _ in range(3):
        id_checked_account(agent_api, open_session)
    other_api = client_for(other_agent)
    for _ in range(3):
        id_checked_account(other_api, open_session)
    assert not AgentFlag.objects.exists()
    id_checked_account(agent_api, open_session)
    flag = AgentFlag.objects.get()
    assert (flag.agent, flag.accounts) == (agent, 4)
    id_checked_account(agent_api, open_session)
    flag.refresh_from_db()
    assert flag.accounts == 5 and AgentFlag.objects.count() == 1


def test_sms_confirmed_desk_accounts_do_not_count_toward_the_agent_flag(
    agent_api, agent, active_session, settings
):
    settings.DESK_ID_ACCOUNTS_PER_DAY = 1
    for _ in range(3):
        active_session(agent_api, next_phone())
        ratelimit.reset()
    assert AssistedAct.objects.filter(kind="account_created").count() == 3
    assert not AgentFlag.objects.exists()


def test_the_migration_confirms_every_account_but_id_checked_ones_never_signed_in(
    agent_api, open_session, grandma
):
    """Existing accounts are confirmed (as of joining) except those a desk made from an
    ID check alone whose phone never used an SMS code."""
    _session, never = id_checked_account(agent_api, open_session)
    _session, signed_in = id_checked_account(agent_api, open_session)
    OtpCode.objects.create(
        phone=signed_in,
        code_hash="x",
        expires_at=DeskSession.objects.first().created_at,
        state=OtpCode.State.USED,
    )
    User.objects.update(phone_verified_at=None)
    accounts_migration = importlib.import_module("accounts.migrations.0006_user_phone_verified_at")
    desk_migration = importlib.import_module("desk.migrations.0003_agent_flag_unconfirmed_phones")
    accounts_migration.existing_users_verified(apps, None)
    desk_migration.desk_id_accounts_unconfirmed(apps, None)
    unconfirmed = set(
        User.objects.filter(phone_verified_at__isnull=True).values_list("phone", flat=True)
    )
    assert unconfirmed == {never}
    grandma.refresh_from_db()
    assert grandma.phone_verified_at == grandma.date_joined
