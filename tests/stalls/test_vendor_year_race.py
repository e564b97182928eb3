"""Slots that move at the same moment, on real PostgreSQL connections: two renewals at
once extend once; a give-up racing a waiting-list promotion; a waiting vendor who
withdraws while a slot frees; and the daily task on a real Celery worker."""

import datetime
import os
import threading

import pytest
from django.db import connection

from config.celery import app
from core.errors import DomainError
from stalls import services
from stalls.models import Registration, RenewalReminder, Stall, StallRenewal
from stalls.terms import add_months, local_today
from tests.workers import start_worker, stop_worker

from .conftest import id_number, make_site_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


def run_together(*calls):
    """Run each call on its own thread and connection, released by one barrier; returns
    "ok" or the DomainError code of each, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[index] = "ok"
        except DomainError as error:
            outcomes[index] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def register(make_user, site, *, waitlist=False):
    return services.registration_create(
        vendor=make_user(),
        site=site,
        vendor_name="摊主",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
        waitlist=waitlist,
    )


@pytest.mark.parametrize("check_window", [True, False], ids=["locked-check", "constraint-only"])
def test_two_renewals_extend_once_also_past_the_window_check(
    make_user, unit, monkeypatch, check_window
):
    """Two renewals at once extend once, and keep the slot. With no row lock and no
    window check (constraint-only), both renewals read the same expiry before
    either writes: UNIQUE (stall, old_expires_on) still refuses the second extension."""
    if not check_window:
        import stalls.services as module

        both_read = threading.Barrier(2)

        def read_without_lock(stall):
            row = Stall.objects.select_related("site", "registration").get(pk=stall.pk)
            both_read.wait(timeout=10)
            return row

        monkeypatch.setattr(module, "renewal_open", lambda expires_on: True)
        monkeypatch.setattr(module, "_lock_stall", read_without_lock)
    site = make_site_for(unit, capacity=3)
    officer = make_user("urban_officer", unit=unit.pk)
    registration = register(make_user, site)
    stall = services.registration_approve(registration=registration, officer=officer, slot=1)
    expiry = local_today() + 3 * DAY
    Stall.objects.filter(pk=stall.pk).update(expires_on=expiry)
    stall.refresh_from_db()

    outcomes = run_together(
        lambda: services.stall_renew(stall=stall, vendor=registration.vendor),
        lambda: services.stall_renew(stall=stall, vendor=registration.vendor),
    )

    assert sorted(outcomes) == ["ok", "renewal_not_open"]
    assert StallRenewal.objects.filter(stall=stall).count() == 1
    stall.refresh_from_db()
    assert (stall.expires_on, stall.slot, stall.status) == (add_months(expiry, 12), 1, "active")


def test_a_give_up_racing_a_suspension_hands_each_freed_slot_to_its_own_waiting_vendor(
    make_user, unit
):
    """Slot 1's vendor gives up while slot 2's stall is suspended by its third
    violation: both slots free at once and go to the first and second vendors waiting,
    one each, and the third still waits."""
    site = make_site_for(unit, capacity=2)
    officer = make_user("urban_officer", unit=unit.pk)
    quitter = services.registration_approve(
        registration=register(make_user, site), officer=officer, slot=1
    )
    offender = services.registration_approve(
        registration=register(make_user, site), officer=officer, slot=2
    )
    waiting = [register(make_user, site, waitlist=True) for _ in range(3)]
    for _ in range(2):
        services.inspection_record(stall=offender, officer=officer, result="violation")

    outcomes = run_together(
        lambda: services.stall_withdraw(stall=quitter, vendor=quitter.registration.vendor),
        lambda: services.inspection_record(stall=offender, officer=officer, result="violation"),
    )

    assert outcomes == ["ok", "ok"]
    assert Stall.objects.get(pk=quitter.pk).status == "withdrawn"
    assert Stall.objects.get(pk=offender.pk).status == "suspended"
    promoted = [Registration.objects.get(pk=r.pk) for r in waiting]
    assert [r.status for r in promoted] == ["approved", "approved", "waiting"]
    assert sorted(r.stall.slot for r in promoted[:2]) == [1, 2]
    assert Stall.objects.filter(site=site, status="active").count() == 2


def test_a_waiting_vendor_withdrawing_while_a_slot_frees_never_ends_up_with_it(make_user, unit):
    """The first vendor waiting withdraws at the moment the slot's vendor gives up:
    either the withdrawal wins and the slot goes to the second vendor waiting, or the
    promotion wins and the withdrawal is refused (the vendor now holds a stall). Never
    a stall for a withdrawn registration, never a free slot while someone waits."""
    for _round in range(3):
        site = make_site_for(unit, capacity=1)
        officer = make_user("urban_officer", unit=unit.pk)
        holder = services.registration_approve(
            registration=register(make_user, site), officer=officer, slot=1
        )
        first, second = (register(make_user, site, waitlist=True) for _ in range(2))

        outcomes = run_together(
            lambda holder=holder: services.stall_withdraw(
                stall=holder, vendor=holder.registration.vendor
            ),
            lambda first=first: services.registration_withdraw(
                registration=first, vendor=first.vendor
            ),
        )

        first.refresh_from_db()
        second.refresh_from_db()
        assert outcomes[0] == "ok"
        active = Stall.objects.get(site=site, status="active")
        if outcomes[1] == "ok":
            assert first.status == "withdrawn"
            assert active.registration_id == second.pk
        else:
            assert outcomes[1] == "registration_already_decided"
            assert (first.status, second.status) == ("approved", "waiting")
            assert active.registration_id == first.pk


@pytest.mark.redis
def test_a_real_worker_runs_the_daily_expiry_task(make_user, unit):
    """Through Redis to a worker process: the expired stall lapses and its slot goes to
    the vendor waiting; the reminder is recorded; a second run changes nothing."""
    site = make_site_for(unit, capacity=2)
    officer = make_user("urban_officer", unit=unit.pk)
    expired = services.registration_approve(
        registration=register(make_user, site), officer=officer, slot=1
    )
    soon = services.registration_approve(
        registration=register(make_user, site), officer=officer, slot=2
    )
    waiter = register(make_user, site, waitlist=True)
    Stall.objects.filter(pk=expired.pk).update(expires_on=local_today() - DAY)
    Stall.objects.filter(pk=soon.pk).update(expires_on=local_today() + 30 * DAY)

    queue = f"stalls-test-{os.getpid()}"
    worker = start_worker(queue)
    try:
        first = app.send_task("stalls.tasks.stalls_expiry_daily", queue=queue).get(timeout=90)
        second = app.send_task("stalls.tasks.stalls_expiry_daily", queue=queue).get(timeout=90)
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert "stalls_expiry_daily" in output
    assert first == {"lapsed": 1, "reminders": 1}
    assert second == {"lapsed": 0, "reminders": 0}
    assert Stall.objects.get(pk=expired.pk).status == "lapsed"
    assert Registration.objects.get(pk=waiter.pk).stall.slot == 1
    assert RenewalReminder.objects.get().days_before == 30
