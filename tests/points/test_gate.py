"""The Redis admission gate and its reconciliation with the database."""

import pytest
from django.core.management import call_command

from points import campaigns, gate, ledger
from points.errors import AlreadyClaimed, SoldOut
from points.models import CampaignClaim
from points.reconcile import campaign_gates_reconcile
from points.selectors import campaign_pool_balance
from points.verification import ledger_verify

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def test_it_answers_sold_out_from_redis_without_the_database(
    make_user, make_campaign, django_assert_num_queries
):
    """Once the gate is empty, a claim is refused without a database query."""
    campaign = make_campaign(claims=1, points=10)
    gate.gate_sync(campaign=campaign)
    campaigns.campaign_claim(campaign=campaign, resident=make_user())
    late = make_user()
    with django_assert_num_queries(0), pytest.raises(SoldOut):
        campaigns.campaign_claim(campaign=campaign, resident=late)


def test_it_builds_a_missing_gate_from_the_database(make_user, make_campaign):
    """A gate lost from Redis (restart, eviction) is rebuilt on the next claim."""
    campaign = make_campaign(claims=2, points=10)
    first = make_user()
    campaigns.campaign_claim(campaign=campaign, resident=first)
    gate._client().delete(*gate._keys(campaign.pk))
    with pytest.raises(AlreadyClaimed):
        campaigns.campaign_claim(campaign=campaign, resident=first)
    campaigns.campaign_claim(campaign=campaign, resident=make_user())
    with pytest.raises(SoldOut):
        campaigns.campaign_claim(campaign=campaign, resident=make_user())


@pytest.mark.django_db(transaction=True)  # the claim's failed transaction is its own
def test_it_gives_the_slot_back_when_the_database_write_fails(
    make_user, make_campaign, monkeypatch
):
    """A crash after admission releases the resident's slot in the gate."""
    campaign = make_campaign(claims=1, points=10)
    gate.gate_sync(campaign=campaign)
    resident = make_user()

    def crash(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ledger, "post", crash)
    with pytest.raises(RuntimeError):
        campaigns.campaign_claim(campaign=campaign, resident=resident)
    monkeypatch.undo()
    assert gate.gate_state(campaign=campaign) == {"left": 1, "claimants": 0}
    campaigns.campaign_claim(campaign=campaign, resident=resident)


def test_it_reconciles_a_gate_that_drifted_after_a_crash(make_user, make_campaign):
    """Admitted in Redis but never committed (a process died): the reconciliation frees it."""
    campaign = make_campaign(claims=1, points=10)
    gate.gate_sync(campaign=campaign)
    ghost = make_user()
    assert gate.admit(campaign=campaign, resident_id=ghost.pk) is gate.Admission.ADMITTED
    with pytest.raises(SoldOut):
        campaigns.campaign_claim(campaign=campaign, resident=make_user())
    assert campaign_gates_reconcile() == 1
    assert gate.gate_state(campaign=campaign) == {"left": 1, "claimants": 0}
    call_command("reconcile_campaign_gates", str(campaign.pk))
    campaigns.campaign_claim(campaign=campaign, resident=make_user())
    assert campaign_pool_balance(campaign=campaign) == 0
    assert ledger_verify().ok


def test_it_lets_the_database_overrule_a_gate_that_admits_too_many(make_user, make_campaign):
    """A gate that says more claims are left than the pool holds cannot oversell."""
    campaign = make_campaign(claims=1, points=10)
    gate.gate_sync(campaign=campaign)
    gate._client().set(gate._keys(campaign.pk)[0], 5)
    campaigns.campaign_claim(campaign=campaign, resident=make_user())
    with pytest.raises(SoldOut):
        campaigns.campaign_claim(campaign=campaign, resident=make_user())
    assert gate.gate_state(campaign=campaign)["left"] == 0
    assert CampaignClaim.objects.count() == 1
    assert campaign_pool_balance(campaign=campaign) == 0


def test_it_falls_back_to_the_database_when_redis_is_down(make_user, make_campaign, settings):
    """An unreachable Redis does not stop claims: the database decides alone."""
    campaign = make_campaign(claims=1, points=10)
    settings.REDIS_URL = "redis://127.0.0.1:1/3"
    campaigns.campaign_claim(campaign=campaign, resident=make_user())
    with pytest.raises(SoldOut):
        campaigns.campaign_claim(campaign=campaign, resident=make_user())


def test_it_runs_the_reconciliation_as_a_task(make_campaign):
    """The beat task rebuilds the gates of open campaigns."""
    from points.tasks import campaign_gates_reconcile as task

    campaign = make_campaign(claims=3, points=10)
    assert task.apply().get() >= 1
    assert gate.gate_state(campaign=campaign)["left"] == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reconciles_a_drifted_gate(make_user, make_campaign):
    """The beat task, through Redis to a worker process, frees a slot held by a ghost."""
    import os

    from config.celery import app
    from tests.workers import start_worker, stop_worker

    campaign = make_campaign(claims=2, points=10)
    gate.gate_sync(campaign=campaign)
    campaigns.campaign_claim(campaign=campaign, resident=make_user())
    ghost = make_user()
    assert gate.admit(campaign=campaign, resident_id=ghost.pk) is gate.Admission.ADMITTED
    assert gate.gate_state(campaign=campaign) == {"left": 0, "claimants": 2}

    queue = f"test-points-{os.getpid()}"
    worker = start_worker(queue)
    try:
        done = app.send_task("points.tasks.campaign_gates_reconcile", queue=queue).get(timeout=60)
        again = app.send_task("points.tasks.campaign_gates_reconcile", queue=queue).get(timeout=60)
    except Exception:
        print(stop_worker(worker))
        raise
    stop_worker(worker)
    assert done >= 1 and again >= 1
    assert gate.gate_state(campaign=campaign) == {"left": 1, "claimants": 1}
    campaigns.campaign_claim(campaign=campaign, resident=ghost)
    assert campaign_pool_balance(campaign=campaign) == 0
