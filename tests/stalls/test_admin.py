import pytest

from accounts.models import User
from stalls import services
from stalls.models import Registration, Stall
from tests.forms import nonce_of

from .conftest import id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(site, vendor):
    return services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="赵六",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )


def test_it_queues_pending_registrations_for_the_units_officers(
    client, officer, other_officer, pending
):
    """The registration list opens on the pending queue, in Chinese, with each row's
    decision link; another unit's officer sees an empty queue."""
    client.force_login(officer)
    response = client.get("/admin/stalls/registration/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0].endswith("?status__exact=pending")
    assert "赵六" in html and "批准或驳回" in html
    client.force_login(other_officer)
    html = client.get("/admin/stalls/registration/?status__exact=pending").content.decode()
    assert "赵六" not in html
    assert client.get(f"/admin/stalls/registration/{pending.pk}/decide/").status_code == 404


def test_it_approves_onto_a_free_slot_from_the_admin(client, officer, pending):
    """The decide page shows the whole ID number to the unit's officer and approves
    onto the picked slot through the same service as the API."""
    client.force_login(officer)
    url = f"/admin/stalls/registration/{pending.pk}/decide/"
    from stalls.idcard import decrypt_id_number

    assert decrypt_id_number(pending.id_number_encrypted) in client.get(url).content.decode()
    response = client.post(url, {"slot": "3", "approve": "1", **nonce_of(client)})
    assert response.status_code == 302
    stall = Stall.objects.get()
    assert (stall.slot, stall.registration_id) == (3, pending.pk)
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", officer)


def test_it_rejects_from_the_admin_only_with_a_reason(client, officer, pending):
    """Reject needs a reason; then the registration is rejected with it."""
    client.force_login(officer)
    url = f"/admin/stalls/registration/{pending.pk}/decide/"
    response = client.post(url, {"reason": "", "reject": "1", **nonce_of(client)})
    assert response.status_code == 200
    assert Registration.objects.get().status == "pending"
    client.post(url, {"reason": "经营品类不符", "reject": "1", **nonce_of(client)})
    assert Registration.objects.get().reject_reason == "经营品类不符"


def test_it_lists_sites_with_free_slots_and_prints_posters(client, officer, other_officer, site):
    """Sites in the admin with free slots; the poster is a PDF; other units see none."""
    client.force_login(officer)
    html = client.get("/admin/stalls/site/").content.decode()
    assert site.name in html
    poster = client.get(f"/admin/stalls/site/{site.pk}/poster/")
    assert poster["Content-Type"] == "application/pdf"
    client.force_login(other_officer)
    assert site.name not in client.get("/admin/stalls/site/").content.decode()
    assert client.get(f"/admin/stalls/site/{site.pk}/poster/").status_code == 404


def test_it_records_inspections_and_closes_reports_in_the_admin(client, officer, pending, resident):
    """An inspection added in the admin goes through the service; a report is closed
    with the note typed in the action form."""
    stall = services.registration_approve(registration=pending, officer=officer, slot=1)
    report = services.report_create(stall=stall, reporter=resident, category="pricing")
    client.force_login(officer)
    response = client.post(
        "/admin/stalls/inspection/add/",
        {"stall": stall.pk, "result": "pass", "notes": "良好", **nonce_of(client)},
    )
    assert response.status_code == 302
    assert stall.inspections.get().officer == officer
    client.post(
        "/admin/stalls/stallreport/",
        {
            "action": "close_reports",
            "_selected_action": [report.pk],
            "resolution": "已核实价格",
            "index": 0,
            **nonce_of(client),
        },
    )
    report.refresh_from_db()
    assert (report.status, report.resolution) == ("closed", "已核实价格")


def test_it_lets_the_district_admin_set_up_a_site_with_hours(client, district_admin, unit):
    """A new site from the admin: goods as check boxes, hours with weekdays."""
    client.force_login(district_admin)
    response = client.post(
        "/admin/stalls/site/add/",
        {
            "name": "新城夜市",
            "kind": "night_market",
            "address": "康巴什区某路",
            "latitude": "39.6",
            "longitude": "109.78",
            "capacity": "20",
            "goods_categories": ["cooked_food", "snacks"],
            "unit": unit.pk,
            "windows-TOTAL_FORMS": "1",
            "windows-INITIAL_FORMS": "0",
            "windows-0-start": "18:00",
            "windows-0-end": "01:00",
            "windows-0-days": ["5", "6"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from stalls.models import Site

    site = Site.objects.get(name="新城夜市")
    assert site.goods_categories == ["cooked_food", "snacks"]
    assert site.windows.get().days == [5, 6]


def test_it_names_the_site_and_counts_each_queue_on_the_admin_index(
    client, officer, other_officer, pending
):
    """The admin is 多多评 · 康巴什区管理后台 (not "Django 管理"); its index counts the
    pending registrations of the officer's units and links to them; another unit's
    officer counts none."""
    client.force_login(officer)
    html = client.get("/admin/").content.decode()
    assert "Django" not in html
    assert "<title>站点管理 | 多多评 · 康巴什区管理后台</title>" in html
    assert "多多评 · 康巴什区管理后台</a>" in html
    assert (
        '<a href="/admin/stalls/registration/?status=pending">待审批的摊位登记</a></th>'
        '<td class="pending-count">1</td>'
    ) in html
    assert '未处理的举报</a></th><td class="pending-count">0</td>' in html
    client.force_login(other_officer)
    html = client.get("/admin/").content.decode()
    assert '待审批的摊位登记</a></th><td class="pending-count">0</td>' in html
    superuser = User.objects.create_superuser("+8613800000009", "a-long-admin-password")
    client.force_login(superuser)
    html = client.get("/admin/").content.decode()
    for queue in ["待审核的道德积分申请", "待审批的摊位登记", "未处理的举报", "未回复的差评"]:
        assert f"{queue}</a></th>" in html
    assert (
        client.get("/admin/cadres/review/?rating__lte=2&responded_at__isempty=1").status_code == 200
    )
