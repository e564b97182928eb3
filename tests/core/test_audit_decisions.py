"""Every decision on someone else's behalf leaves exactly one audit event, written in the
decision's own transaction; a refused decision leaves none (docs/audit.md).

The decisions are those of tests/core/test_own_case.py (DECISIONS: how to build a
pending case, who is a party, how the API and the admin take it). Reads of personal data
(`*.reveal`, `user.view`) that a decide page makes are left out of the counts: they are
events of their own (tests/core/test_audit_reads.py)."""

import pytest
from django.db import connection

from core.audit import AuditEvent
from tests.core.test_own_case import DECISIONS, admin_client

pytestmark = pytest.mark.django_db

ACTIONS = {
    "moral claim approve": "moral_claim.approve",
    "moral claim reject": "moral_claim.reject",
    "moral claim revoke": "moral_claim.revoke",
    "registration approve": "registration.approve",
    "registration reject": "registration.reject",
    "stall inspection": "stall.inspect",
    "stall reinstatement": "stall.reinstate",
    "stall report close": "stall_report.close",
    "stall appeal decide": "stall_appeal.decide",
    "review appeal decide": "appeal.decide",
    "fraud flag exclude": "review_flag.exclude",
    "fraud flag clear": "review_flag.clear",
    "bottom warning": "bottom_warning.change",
    "livestream outcome": "livestream_session.outcome",
    "livestream transfer confirm": "transfer.confirm",
    "livestream transfer reject": "transfer.reject",
    "statement confirm": "statement.confirm",
    "statement pay": "statement.pay",
    "points adjustment": "ledger.adjust",
}
READS = ("registration.reveal", "user.view", "otp_code.view", "desk_session.view")


def test_every_decision_has_its_action():
    assert set(ACTIONS) == {decision.name for decision in DECISIONS}


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def decisions_since(pk: int):
    return AuditEvent.objects.filter(pk__gt=pk).exclude(action__in=READS)


def ways(decision):
    if decision.api is not None:
        yield "api"
    if decision.admin is not None:
        yield "admin"


ROWS = [
    pytest.param(decision, way, id=f"{decision.name} ({way})")
    for decision in DECISIONS
    for way in ways(decision)
]


def take(decision, way, user, row, client_for):
    if way == "api":
        return decision.api(client_for(user), row)
    return decision.admin(admin_client(user), row)


@pytest.mark.parametrize(("decision", "way"), ROWS)
def test_a_decision_leaves_exactly_one_event(
    decision, way, make_user, client_for, settings, tmp_path
):
    """By a non-party: one event, its action, the decider as actor in the role they
    hold, the decided row as object."""
    settings.MEDIA_ROOT = tmp_path
    case = decision.build(make_user)
    before = last_event_id()
    response = take(decision, way, case.other, case.row, client_for)
    assert response.status_code in (*decision.api_ok, 200), response.content[:300]
    events = list(decisions_since(before))
    assert [event.action for event in events] == [ACTIONS[decision.name]]
    (event,) = events
    assert event.actor == case.other
    assert event.actor_role in case.other.roles
    assert event.actor_role != "resident"
    assert event.object_id
    assert case.other.phone not in str(event.summary)


@pytest.mark.parametrize(("decision", "way"), ROWS)
def test_a_refused_decision_leaves_no_event(
    decision, way, make_user, client_for, settings, tmp_path
):
    """A party to the case is refused: nothing decided, nothing in the trail."""
    settings.MEDIA_ROOT = tmp_path
    case = decision.build(make_user)
    _party, user = next(iter(case.parties.values()))
    state = decision.state(case.row)
    before = last_event_id()
    take(decision, way, user, case.row, client_for)
    assert decision.state(case.row) == state
    assert not decisions_since(before).exists()


@pytest.mark.postgres
@pytest.mark.parametrize(("decision", "way"), ROWS)
def test_the_event_is_written_in_the_decisions_transaction(
    decision, way, make_user, client_for, settings, tmp_path
):
    """PostgreSQL refuses the event's INSERT (a trigger of this test): the decision fails
    with it and changes nothing, so the two were one transaction."""
    settings.MEDIA_ROOT = tmp_path
    case = decision.build(make_user)
    state = decision.state(case.row)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION pg_temp.refuse_audit() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit trail down'; END; $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_audit BEFORE INSERT ON core_auditevent
              FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_audit();
            """
        )
    try:
        response = take(decision, way, case.other, case.row, client_for)
    except Exception as error:  # the test client re-raises what the view did not answer
        assert "audit trail down" in str(error)
    else:
        assert response.status_code == 500
    assert decision.state(case.row) == state
