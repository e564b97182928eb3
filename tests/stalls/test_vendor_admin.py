"""Appeals in the admin: a queue with its pending count, decided through the service,
which refuses the officer who recorded the violations."""

import pytest

from stalls import services
from stalls.models import StallAppeal
from tests.forms import nonce_of

from .conftest import id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def appeal(site, vendor, officer):
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="赵六",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    stall = services.registration_approve(registration=registration, officer=officer, slot=1)
    for _ in range(3):
        services.inspection_record(stall=stall, officer=officer, result="violation")
    return services.appeal_create(stall=stall, vendor=vendor, reason="那天没出摊")


def decide(client, appeal, action, reason="复核"):
    return client.post(
        "/admin/stalls/stallappeal/",
        {
            "action": action,
            "_selected_action": [appeal.pk],
            "reason": reason,
            "index": 0,
            **nonce_of(client),
        },
        follow=True,
    )


def test_the_admin_queues_appeals_and_another_officer_upholds(
    client, appeal, officer, make_user, unit, other_officer
):
    second = make_user("urban_officer", unit=unit.pk)
    client.force_login(second)
    index = client.get("/admin/").content.decode()
    assert "待处理的停业申诉" in index
    html = client.get("/admin/stalls/stallappeal/?status__exact=pending").content.decode()
    assert "那天没出摊" in html and "赵*" in html

    client.force_login(officer)
    refused = decide(client, appeal, "uphold").content.decode()
    assert "此案所涉事项由您记录或代办" in refused
    assert StallAppeal.objects.get().status == "pending"

    client.force_login(other_officer)
    assert "那天没出摊" not in client.get("/admin/stalls/stallappeal/").content.decode()

    client.force_login(second)
    decide(client, appeal, "uphold", reason="证据不足")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.decision_reason) == (
        "upheld",
        second,
        "证据不足",
    )
    assert appeal.stall.status == "active"


def test_the_admin_dismisses_an_appeal_only_with_a_reason(client, appeal, make_user, unit):
    second = make_user("urban_officer", unit=unit.pk)
    client.force_login(second)
    decide(client, appeal, "dismiss", reason="")
    assert StallAppeal.objects.get().status == "pending"
    decide(client, appeal, "dismiss", reason="违规属实")
    assert StallAppeal.objects.get().status == "dismissed"
