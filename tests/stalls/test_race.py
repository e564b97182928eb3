import threading

import pytest
from django.db import connection

from core.errors import DomainError
from stalls import services
from stalls.models import Registration, Stall

from .conftest import id_number, make_site_for


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("precheck", [True, False], ids=["with-precheck", "constraint-only"])
def test_it_lets_exactly_one_of_two_racing_approvals_take_a_slot(
    make_user, unit, monkeypatch, precheck
):
    """Two officers approve two vendors onto slot 7 at the same moment, on real
    PostgreSQL connections: one stall is created, the other approval is slot_taken,
    also when both get past the friendly pre-check (the database constraint decides)."""
    if not precheck:
        monkeypatch.setattr(services, "_slot_held", lambda **kwargs: False)
    site = make_site_for(unit, capacity=10)
    officers = [make_user("urban_officer", unit=unit.pk) for _ in range(2)]
    registrations = [
        services.registration_create(
            vendor=make_user(),
            site=site,
            vendor_name=f"摊主{index}",
            id_number=id_number(),
            goods_category=site.goods_categories[0],
        )
        for index in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(officer, registration):
        try:
            barrier.wait(timeout=10)
            services.registration_approve(registration=registration, officer=officer, slot=7)
            outcomes.append("approved")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=pair)
        for pair in zip(officers, registrations, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["approved", "slot_taken"]
    assert Stall.objects.filter(site=site, slot=7, status="active").count() == 1
    assert Registration.objects.filter(status="pending").count() == 1


@pytest.mark.django_db
def test_it_refuses_a_second_active_stall_on_a_slot_in_the_database(make_user, unit):
    """The partial UNIQUE constraint itself: a second active stall on slot 3 cannot be
    inserted, a suspended one can."""
    from django.db import IntegrityError, transaction

    site = make_site_for(unit, capacity=5)
    registrations = [
        Registration.objects.create(
            site=site,
            vendor=make_user(),
            vendor_name="x",
            id_number_encrypted="x",
            goods_category="snacks",
        )
        for _ in range(3)
    ]
    Stall.objects.create(registration=registrations[0], site=site, slot=3, license_no="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Stall.objects.create(registration=registrations[1], site=site, slot=3, license_no="b")
    Stall.objects.create(
        registration=registrations[2], site=site, slot=3, license_no="c", status="suspended"
    )
