"""Real threads against PostgreSQL: the daily limit holds when an agent's acts arrive at
once, and the log of assisted acts is append-only in the database itself."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from core.errors import DomainError
from desk import services
from desk.models import AssistedAct
from points.models import MoralClaim
from tests.conftest import next_phone
from tests.points.test_concurrency import run_at_once

from .conftest import id_number

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def confirmed_session(agent, n: int) -> int:
    session = services.desk_session_start(agent=agent, phone=next_phone(), address=f"10.7.0.{n}")
    services.desk_session_confirm_id(
        session_id=session.pk, id_number=id_number(), name="李", id_consent=True
    )
    return session.pk


def test_concurrent_acts_never_pass_the_daily_limit(agent, category, settings):
    settings.DESK_DAILY_LIMIT = 3
    sessions = [confirmed_session(agent, n) for n in range(8)]

    def claim(session_id):
        def call():
            try:
                services.assisted_moral_claim_create(
                    session_id=session_id,
                    agent=agent,
                    category=category,
                    description="好事",
                    occurred_on=dt.date(2026, 1, 2),
                )
                return "filed"
            except DomainError as error:
                return error.code

        return call

    results = run_at_once([claim(s) for s in sessions])
    assert sorted(results) == ["desk_daily_limit"] * 5 + ["filed"] * 3
    assert MoralClaim.objects.count() == 3
    assert AssistedAct.objects.filter(kind="moral_claim").count() == 3


def test_the_log_refuses_edits_and_deletions(agent, category):
    session_id = confirmed_session(agent, 99)
    act = AssistedAct.objects.get(session_id=session_id)
    for statement in (
        lambda: AssistedAct.objects.filter(pk=act.pk).update(kind="review"),
        lambda: AssistedAct.objects.filter(pk=act.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    assert AssistedAct.objects.get(pk=act.pk).kind == "account_created"
    connection.close()
