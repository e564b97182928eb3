"""A double submit of the stalls admin's decisions (one session, one nonce, real
threads against PostgreSQL) decides once, and every submit shows the first's outcome:
a registration's decide page, and the appeal and report actions."""

import pytest

from stalls import services
from stalls.models import Inspection, Registration, Stall, StallAppeal, StallReport
from tests.forms import nonce_for, signed_in, tapped_at_once, texts

from .conftest import id_number

ERROR = 'class="error"'


def registration(site, vendor) -> Registration:
    return services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="赵六",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_approves_a_registration_once_for_a_double_submit(site, vendor, officer):
    pending = registration(site, vendor)
    responses = tapped_at_once(
        officer, f"/admin/stalls/registration/{pending.pk}/decide/", {"slot": "3", "approve": "1"}
    )
    assert Stall.objects.count() == 1
    assert Registration.objects.get().status == Registration.Status.APPROVED
    pages = texts(responses)
    assert all("已批准：3 号摊位" in page and ERROR not in page for page in pages)


@pytest.mark.django_db
def test_a_late_second_submit_of_the_decide_page_shows_the_first_outcome(site, vendor, officer):
    """The second submit arrives after the first committed: slot 3 is no longer free, yet
    the page replays the first's outcome instead of calling the slot a form error."""
    pending = registration(site, vendor)
    client = signed_in(officer)
    body = {"slot": "3", "approve": "1", **nonce_for(officer)}
    url = f"/admin/stalls/registration/{pending.pk}/decide/"
    first = client.post(url, body, follow=True)
    second = client.post(url, body, follow=True)
    assert Stall.objects.count() == 1
    for response in (first, second):
        page = response.content.decode()
        assert "已批准：3 号摊位" in page and ERROR not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_decides_an_appeal_once_for_a_double_submit(site, vendor, officer, make_user, unit):
    stall = services.registration_approve(
        registration=registration(site, vendor), officer=officer, slot=1
    )
    for _ in range(3):
        services.inspection_record(stall=stall, officer=officer, result="violation")
    appeal = services.appeal_create(stall=stall, vendor=vendor, reason="那天没出摊")
    second = make_user("urban_officer", unit=unit.pk)
    responses = tapped_at_once(
        second,
        "/admin/stalls/stallappeal/",
        {"action": "uphold", "_selected_action": [appeal.pk], "reason": "复核", "index": 0},
    )
    assert StallAppeal.objects.get().status == StallAppeal.Status.UPHELD
    assert Stall.objects.get().status == Stall.Status.ACTIVE
    assert all("已处理" in page and ERROR not in page for page in texts(responses))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_closes_a_report_once_for_a_double_submit(site, vendor, officer, resident):
    stall = services.registration_approve(
        registration=registration(site, vendor), officer=officer, slot=1
    )
    report = services.report_create(stall=stall, reporter=resident, category="pricing")
    responses = tapped_at_once(
        officer,
        "/admin/stalls/stallreport/",
        {
            "action": "close_reports",
            "_selected_action": [report.pk],
            "resolution": "已核实价格",
            "index": 0,
        },
    )
    assert StallReport.objects.get().status == StallReport.Status.CLOSED
    assert all(ERROR not in page for page in texts(responses))


@pytest.mark.django_db
def test_a_decision_without_its_nonce_decides_nothing(site, vendor, officer):
    pending = registration(site, vendor)
    page = signed_in(officer).post(
        f"/admin/stalls/registration/{pending.pk}/decide/",
        {"slot": "3", "approve": "1"},
        follow=True,
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert Registration.objects.get().status == Registration.Status.PENDING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_records_one_inspection_for_a_double_submit_of_the_add_form(site, vendor, officer):
    stall = services.registration_approve(
        registration=registration(site, vendor), officer=officer, slot=1
    )
    responses = tapped_at_once(
        officer,
        "/admin/stalls/inspection/add/",
        {"stall": stall.pk, "result": "violation", "notes": "占道"},
    )
    assert Inspection.objects.count() == 1
    assert all(
        response.redirect_chain and ERROR not in response.content.decode() for response in responses
    )
