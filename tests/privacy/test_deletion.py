"""Leaving (issue 24, item 3): a fresh code, a cooling-off that a sign-in cancels, 409
for whoever must first give something up, then no column of any table holds the phone
or the name while the ledger verifies."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.sms import LocmemBackend
from core.models import AuditEvent
from points.verification import ledger_verify
from privacy.retention import personal_data_purge
from stalls.models import Registration, Stall

from .conftest import last_code


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "JOIN information_schema.tables USING (table_schema, table_name) "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
            "AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')"
        )
        return cursor.fetchall()


def holding(*needles: str) -> list[str]:
    """Every table.column where one of `needles` occurs, in any row."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in text_columns():
            for needle in needles:
                cursor.execute(
                    f"SELECT 1 FROM {quote(table)} WHERE {quote(column)}::text LIKE %s LIMIT 1",  # noqa: S608
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.append(f"{table}.{column}: {needle}")
    return found


def ask_deletion(client_for, user, fresh_code):
    code = fresh_code(user, "delete")
    return client_for(user).post("/api/v1/me/delete", {"code": code}, format="json")


def test_after_the_cooling_off_no_column_holds_the_phone_or_the_name(
    pearl, pearls_life, client_for, fresh_code, settings
):
    phone, name = pearl.phone, pearl.display_name
    assert holding(phone, name)  # the scan finds them before
    asked = ask_deletion(client_for, pearl, fresh_code)
    assert asked.status_code == 202, asked.json()
    due = dt.datetime.fromisoformat(asked.json()["deletion_due_at"])
    assert due - timezone.now() > dt.timedelta(days=settings.ACCOUNT_DELETION_COOLING_DAYS - 1)
    assert personal_data_purge()["deletions"] == 0  # not before its time
    assert personal_data_purge(now=due + dt.timedelta(seconds=1))["deletions"] == 1
    assert holding(phone, name) == []
    user = User.objects.get(pk=pearl.pk)
    assert not user.is_active and user.anonymised_at is not None
    report = ledger_verify()
    assert report.problems == [] and report.entries > 0
    # Counts stay counted: the review and the payment are still there, anonymous.
    assert pearls_life["cadre"].reviews.filter(reviewer=user).count() == 1
    assert Registration.objects.filter(vendor=user).get().id_number_encrypted == ""


def test_signing_in_cancels_the_deletion_and_says_so(
    pearl, api, client_for, fresh_code, django_capture_on_commit_callbacks
):
    assert ask_deletion(client_for, pearl, fresh_code).status_code == 202
    elsewhere = {"REMOTE_ADDR": "198.51.100.7"}  # the phone app, another address
    with django_capture_on_commit_callbacks(execute=True):
        asked = api.post("/api/v1/auth/otp", {"phone": pearl.phone}, format="json", **elsewhere)
    assert asked.status_code == 202, asked.json()
    signed_in = api.post(
        "/api/v1/auth/token",
        {"phone": pearl.phone, "code": last_code(pearl.phone)},
        format="json",
        **elsewhere,
    )
    assert signed_in.json()["deletion_cancelled"] is True
    assert User.objects.get(pk=pearl.pk).deletion_due_at is None
    actions = AuditEvent.objects.filter(subject=pearl).values_list("action", flat=True)
    assert list(actions.order_by("pk")) == ["account.deletion_request", "account.deletion_cancel"]
    far = timezone.now() + dt.timedelta(days=365)
    assert personal_data_purge(now=far)["deletions"] == 0


def test_a_wrong_or_sign_in_code_deletes_nothing(pearl, client_for, api, fresh_code):
    fresh_code(pearl, "export")  # a code of another purpose
    wrong = client_for(pearl).post(
        "/api/v1/me/delete", {"code": last_code(pearl.phone)}, format="json"
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "otp_invalid"
    assert User.objects.get(pk=pearl.pk).deletion_due_at is None


@pytest.mark.parametrize("role", [Role.CADRE, Role.MERCHANT, Role.RATING_MODERATOR])
def test_staff_and_cadres_are_told_what_must_happen_first(make_user, client_for, role):
    user = make_user(role)
    refused = client_for(user).post("/api/v1/me/delete", {"code": "123456"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "deletion_blocked" and refused.json()["fields"]["first"]
    assert User.objects.get(pk=user.pk).deletion_due_at is None
    assert LocmemBackend.outbox == []


def test_a_vendor_with_an_active_stall_must_give_it_up_first(
    pearl, pearls_life, client_for, make_user
):
    registration = pearls_life["registration"]
    Stall.objects.create(
        registration=registration,
        site=registration.site,
        status=Stall.Status.ACTIVE,
        **_stall_extra(registration),
    )
    refused = client_for(pearl).post("/api/v1/me/delete", {"code": "123456"}, format="json")
    assert refused.status_code == 409
    assert "stall" in refused.json()["fields"]["first"][0]


def _stall_extra(registration) -> dict:
    """The other required columns of a stall."""
    return {"license_no": f"T{registration.pk:06d}", "slot": 1}
