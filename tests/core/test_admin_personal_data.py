"""Staff reading personal data in the admin (issue 24): the lists show phones masked, and
a full phone appears only on a person's own page (the user, a sign-in code, a desk
session), each opening of which is one audit event with the staff member as actor and the
person as subject, which the person then sees in GET /api/v1/me/data-access."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import OtpCode, User
from accounts.roles import Role
from core.audit import AuditEvent
from core.masking import mask_phone
from desk.models import DeskSession
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    user = make_user(Role.DISTRICT_ADMIN)
    user.is_superuser = user.is_staff = True
    user.save()
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return user, client


@pytest.fixture
def person(make_user):
    """A resident without a display name: a list naming them (str(user)) shows their
    phone, masked."""
    user = make_user()
    User.objects.filter(pk=user.pk).update(display_name="")
    user.display_name = ""
    return user


def _otp(phone: str) -> OtpCode:
    now = timezone.now()
    return OtpCode.objects.create(
        phone=phone, code_hash="x" * 64, created_at=now, expires_at=now + dt.timedelta(minutes=5)
    )


def _session(agent, resident) -> DeskSession:
    return DeskSession.objects.create(
        agent=agent, phone=resident.phone, resident=resident, confirm_by=timezone.now()
    )


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def test_the_admin_lists_show_phones_masked(staff, person, make_user):
    user, client = staff
    _otp(person.phone)
    assert notify(user_id=person.pk, kind="notice", key="n1", params={"title": "t", "body": "b"})
    _session(make_user(Role.DESK_AGENT), person)
    masked = mask_phone(person.phone)
    for path in (
        "/admin/accounts/user/",
        "/admin/accounts/otpcode/",
        "/admin/notifications/notification/",
        "/admin/desk/desksession/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert person.phone not in html, path
        assert person.phone[3:] not in html, path  # nor without its +86
        assert masked in html, path
    # A list is no reading of anyone's full phone: no event.
    assert events(subject_id=person.pk) == []


@pytest.mark.parametrize("page", ["user", "otp", "desk"])
def test_opening_a_persons_page_is_one_audit_event_they_see(
    staff, person, make_user, client_for, page
):
    user, client = staff
    path, action = {
        "user": (f"/admin/accounts/user/{person.pk}/change/", "user.view"),
        "otp": (f"/admin/accounts/otpcode/{_otp(person.phone).pk}/change/", "otp_code.view"),
        "desk": (
            f"/admin/desk/desksession/{_session(make_user(Role.DESK_AGENT), person).pk}/change/",
            "desk_session.view",
        ),
    }[page]
    response = client.get(path)
    assert response.status_code == 200
    assert person.phone in response.content.decode()  # the full phone, on this page only
    (event,) = events(subject_id=person.pk)
    assert (event.action, event.actor, event.subject) == (action, user, person)
    assert event.purpose == "administration"
    body = client_for(person).get("/api/v1/me/data-access").json()
    assert [row["action"] for row in body["results"]] == [action]


def test_a_code_for_a_phone_without_an_account_names_no_subject(staff):
    user, client = staff
    otp = _otp("+8613900000001")
    assert client.get(f"/admin/accounts/otpcode/{otp.pk}/change/").status_code == 200
    (event,) = events(action="otp_code.view")
    assert (event.actor, event.subject_id) == (user, None)
