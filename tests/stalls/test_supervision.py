from datetime import timedelta

import pytest
from django.utils import timezone

from core.throttling import ScopedThrottle
from stalls import services
from stalls.models import Inspection, Registration, Stall, StallReport, StallStatusChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def stall(client_for, register, site, vendor, officer):
    registration = register(vendor, site).json()["id"]
    response = client_for(officer).post(
        f"/api/v1/stalls/registrations/{registration}/approve", {"slot": 4}, format="json"
    )
    return Stall.objects.get(pk=response.json()["id"])


def past_violation(stall, officer, days_ago):
    return Inspection.objects.create(
        stall=stall,
        officer=officer,
        result=Inspection.Result.VIOLATION,
        inspected_at=timezone.now() - timedelta(days=days_ago),
    )


def inspect(client_for, officer, stall, result="violation"):
    return client_for(officer).post(
        f"/api/v1/stalls/{stall.pk}/inspections", {"result": result, "notes": "占道"}, format="json"
    )


def test_it_suspends_after_three_violations_within_30_days(client_for, stall, officer, vendor):
    """The third violation within 30 days suspends the stall, recorded with who and why;
    the vendor sees `suspended`."""
    past_violation(stall, officer, days_ago=29)
    assert inspect(client_for, officer, stall, "pass").json()["stall_status"] == "active"
    assert inspect(client_for, officer, stall).json()["stall_status"] == "active"
    response = inspect(client_for, officer, stall)
    assert response.status_code == 201
    assert response.json()["stall_status"] == "suspended"
    change = StallStatusChange.objects.get(stall=stall)
    assert (change.old_status, change.new_status, change.actor) == ("active", "suspended", officer)
    mine = client_for(vendor).get("/api/v1/stalls/registrations/mine").json()["results"]
    assert mine[0]["status"] == "suspended"
    assert client_for(vendor).get(f"/api/v1/stalls/{stall.pk}").json()["trading_now"] is False


def test_it_does_not_suspend_after_three_violations_in_31_days(client_for, stall, officer):
    """Three violations spread over 31 days are not three within 30."""
    past_violation(stall, officer, days_ago=31)
    past_violation(stall, officer, days_ago=10)
    assert inspect(client_for, officer, stall).json()["stall_status"] == "active"
    assert not StallStatusChange.objects.exists()


def test_it_gives_the_freed_slot_to_the_first_on_the_waiting_list(
    client_for, register, make_site, make_user, officer
):
    """A suspension frees the slot and the first waiting vendor gets it; the second waits."""
    site = make_site(capacity=1)
    holder, first, second = make_user(), make_user(), make_user()
    registration = register(holder, site).json()["id"]
    officer_api = client_for(officer)
    stall_id = officer_api.post(
        f"/api/v1/stalls/registrations/{registration}/approve", {"slot": 1}, format="json"
    ).json()["id"]
    first_id = register(first, site, waitlist=True).json()["id"]
    second_id = register(second, site, waitlist=True).json()["id"]
    stall = Stall.objects.get(pk=stall_id)
    past_violation(stall, officer, days_ago=2)
    past_violation(stall, officer, days_ago=1)

    assert inspect(client_for, officer, stall).json()["stall_status"] == "suspended"

    newcomer = Registration.objects.get(pk=first_id)
    assert newcomer.status == "approved"
    assert (newcomer.stall.slot, newcomer.stall.status) == (1, "active")
    mine = client_for(first).get("/api/v1/stalls/registrations/mine").json()["results"]
    assert (mine[0]["status"], mine[0]["slot"]) == ("approved", 1)
    waiting = client_for(second).get("/api/v1/stalls/registrations/mine").json()["results"]
    assert (waiting[0]["status"], waiting[0]["waiting_position"]) == ("waiting", 1)
    assert Registration.objects.get(pk=second_id).status == "waiting"


def test_it_reinstates_a_suspended_stall_with_a_record(client_for, stall, officer, other_officer):
    """An officer reinstates with a reason (another unit's officer cannot); the
    violations before the reinstatement no longer count."""
    for days in (3, 2, 1):
        past_violation(stall, officer, days_ago=days)
    services.inspection_record(stall=stall, officer=officer, result="violation")
    stall.refresh_from_db()
    assert stall.status == "suspended"

    url = f"/api/v1/stalls/{stall.pk}/reinstate"
    assert client_for(other_officer).post(url, {"reason": "x"}, format="json").status_code == 403
    assert client_for(officer).post(url, {}, format="json").status_code == 400
    response = client_for(officer).post(url, {"reason": "已整改"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    again = client_for(officer).post(url, {"reason": "已整改"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "stall_not_suspended")
    assert [c.new_status for c in StallStatusChange.objects.filter(stall=stall)] == [
        "active",
        "suspended",
    ]
    assert inspect(client_for, officer, stall).json()["stall_status"] == "active"


def test_it_refuses_reinstatement_onto_a_slot_now_held(
    client_for, register, make_site, make_user, officer
):
    """When the waiting list took the slot, reinstating there is 409 slot_taken;
    another free slot works."""
    site = make_site(capacity=2)
    officer_api = client_for(officer)
    registration = register(make_user(), site).json()["id"]
    stall_id = officer_api.post(
        f"/api/v1/stalls/registrations/{registration}/approve", {"slot": 1}, format="json"
    ).json()["id"]
    other = register(make_user(), site).json()["id"]
    officer_api.post(f"/api/v1/stalls/registrations/{other}/approve", {"slot": 2}, format="json")
    register(make_user(), site, waitlist=True)
    stall = Stall.objects.get(pk=stall_id)
    for days in (2, 1, 0):
        services.inspection_record(
            stall=stall,
            officer=officer,
            result="violation",
            at=timezone.now() - timedelta(days=days),
        )
    url = f"/api/v1/stalls/{stall.pk}/reinstate"
    response = officer_api.post(url, {"reason": "已整改"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "slot_taken")
    # Free slot 2 by suspending its stall (nobody waits any more), then move there.
    stall2 = Stall.objects.get(slot=2, site=site)
    for days in (2, 1, 0):
        services.inspection_record(
            stall=stall2,
            officer=officer,
            result="violation",
            at=timezone.now() - timedelta(days=days),
        )
    response = officer_api.post(url, {"reason": "已整改", "slot": 2}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["slot"] == 2


def test_it_lets_only_the_units_officers_inspect(client_for, stall, other_officer, vendor):
    """Inspections: an officer of another unit and a vendor are 403; bad results 400."""
    assert inspect(client_for, other_officer, stall).status_code == 403
    assert inspect(client_for, vendor, stall).status_code == 403
    assert not Inspection.objects.exists()


def test_it_takes_reports_and_tells_the_reporter_the_outcome(
    client_for, stall, resident, officer, other_officer
):
    """Any signed-in user reports; the unit's officers see it and close it with a note;
    the reporter sees the outcome. Another unit's officer neither sees nor closes it."""
    reporter_api = client_for(resident)
    response = reporter_api.post(
        f"/api/v1/stalls/{stall.pk}/reports",
        {"category": "blocking_road", "comment": "占用人行道"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    report_id = response.json()["id"]

    assert client_for(other_officer).get("/api/v1/stalls/reports").json()["results"] == []
    close_url = f"/api/v1/stalls/reports/{report_id}/close"
    assert (
        client_for(other_officer).post(close_url, {"resolution": "x"}, format="json").status_code
        == 403
    )
    queue = client_for(officer).get("/api/v1/stalls/reports?status=open").json()["results"]
    assert [r["id"] for r in queue] == [report_id]
    closed = client_for(officer).post(close_url, {"resolution": "已劝导摊主退回"}, format="json")
    assert closed.status_code == 200
    again = client_for(officer).post(close_url, {"resolution": "x"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "report_already_closed")

    mine = reporter_api.get("/api/v1/stalls/reports/mine").json()["results"]
    assert [(r["status"], r["resolution"]) for r in mine] == [("closed", "已劝导摊主退回")]
    assert client_for(officer).get("/api/v1/stalls/reports/mine").json()["results"] == []
    assert reporter_api.get("/api/v1/stalls/reports").status_code == 403


@pytest.mark.parametrize("body", [{}, {"category": ""}, {"category": "noise"}, {"category": None}])
def test_it_refuses_a_report_without_a_category(client_for, stall, resident, body):
    """A report with no or an unknown category is 400 invalid; nothing is written."""
    response = client_for(resident).post(f"/api/v1/stalls/{stall.pk}/reports", body, format="json")
    assert response.status_code == 400
    assert "category" in response.json()["fields"]
    assert not StallReport.objects.exists()


def test_it_throttles_reports_per_user(client_for, stall, resident, monkeypatch):
    """Reports are throttled per user (scope `report`): 429 with Retry-After."""
    monkeypatch.setattr(ScopedThrottle, "THROTTLE_RATES", {"report": "2/hour"})
    api = client_for(resident)
    url = f"/api/v1/stalls/{stall.pk}/reports"
    for _ in range(2):
        assert api.post(url, {"category": "hygiene"}, format="json").status_code == 201
    response = api.post(url, {"category": "hygiene"}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "Retry-After" in response.headers
