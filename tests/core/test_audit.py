"""core.audit: record() writes one event with the actor's role and unit, a request's id
and address hash; PostgreSQL refuses to edit or delete an event."""

import pytest
from django.db import connection, transaction
from django.test import RequestFactory

from core import audit
from core.audit import AuditEvent
from core.hashes import address_hash


def test_record_writes_one_event_with_ids_only(make_user, resident):
    officer = make_user("moral_reviewer")
    request = RequestFactory().post("/x", HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="198.51.100.7")
    event = audit.record(
        officer,
        "user.test",
        resident,
        subject=resident,
        summary={"before": {"state": "a"}, "after": {"state": "b"}},
        purpose="checking",
        request=request,
    )
    event.refresh_from_db()
    assert AuditEvent.objects.filter(action="user.test").count() == 1
    assert event.actor == officer
    assert event.actor_role == "moral_reviewer"
    assert event.object_type == "accounts.user"
    assert event.object_id == str(resident.pk)
    assert event.subject == resident
    assert event.summary == {"before": {"state": "a"}, "after": {"state": "b"}}
    assert event.purpose == "checking"
    assert event.request_id == "req-42"
    assert event.address_hash == address_hash("198.51.100.7")
    assert resident.phone not in str(event.summary) and resident.phone not in event.actor_unit


def test_record_roles_of_the_system_and_of_oneself(resident):
    assert audit.record(None, "user.test", resident).actor_role == "system"
    assert audit.record(resident, "user.test", resident, subject=resident).actor_role == "resident"


def test_record_refuses_a_bad_request_id_and_an_oversized_summary(resident):
    request = RequestFactory().get("/x", HTTP_X_REQUEST_ID="bad id\n")
    assert audit.record(None, "user.test", resident, request=request).request_id == ""
    with pytest.raises(ValueError):
        audit.record(None, "user.test", resident, summary={"x": "y" * 3000})
    with pytest.raises(ValueError):
        audit.record(None, "", resident)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    ["UPDATE core_auditevent SET action = 'x'", "DELETE FROM core_auditevent"],
)
def test_postgres_refuses_to_edit_or_delete_an_event(resident, statement):
    audit.record(None, "user.test", resident)
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.get().action == "user.test"
