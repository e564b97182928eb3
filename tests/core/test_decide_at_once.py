"""Every decision of the API, taken twice at the same moment by real threads against
PostgreSQL (a double tap of the phone app, or two deciders' clients): it is decided once.

The cases and the calls are the rows of tests/core/test_own_case.py; here the decider is
the non-party of the row, on two connections released together by a barrier. Exactly
one call goes through; the other is refused with the contract's error body (4xx, never
5xx), and the row's state is the one decision's.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.core.test_own_case import DECISIONS

TAPS = 2
# An inspection is a record, not a decision: two officers may record two.
RACED = [
    pytest.param(decision, id=decision.name)
    for decision in DECISIONS
    if decision.api is not None and decision.name != "stall inspection"
]


def at_once(calls) -> list:
    """Run the no-argument `calls` in threads released together; their results."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decision", RACED)
def test_two_calls_at_once_decide_once(decision, make_user, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = decision.build(make_user)
    before = decision.state(case.row)
    clients = [client_for(case.other) for _ in range(TAPS)]
    responses = at_once([lambda c=c: decision.api(c, case.row) for c in clients])
    statuses = sorted(response.status_code for response in responses)
    decided = [r for r in responses if r.status_code in decision.api_ok]
    refused = [r for r in responses if r.status_code not in decision.api_ok]
    assert len(decided) == 1, statuses
    assert all(400 <= r.status_code < 500 for r in refused), statuses
    assert all(r.json()["code"] and r.json()["detail"] for r in refused)
    after = decision.state(case.row)
    assert after != before
