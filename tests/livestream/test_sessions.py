"""Sessions: who plans them, the outcome recorded once by the operator, private evidence,
the quota per Asia/Shanghai quarter."""

import datetime as dt

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.selectors import user_roles
from livestream import selectors
from livestream.models import Session

from .conftest import SHANGHAI, evidence

PLAN = "/api/v1/livestream/sessions"


def _plan_body(unit, hosts, products, overrides=None):
    body = {
        "title": "黄河碱地米专场",
        "unit": unit.pk,
        "starts_at": "2026-03-20T20:00:00+08:00",
        "platform": "douyin",
        "hosts": [h.pk for h in hosts],
        "products": [p.pk for p in products],
    }
    return body | (overrides or {})


def test_it_lets_the_operator_and_the_units_admin_plan(
    client_for, operator, unit_admin, unit, division_cadre, products
):
    """The operator plans for any unit, a unit admin for their own unit's cadres: 201."""
    for user in (operator, unit_admin):
        response = client_for(user).post(
            PLAN, _plan_body(unit, [division_cadre], products), format="json"
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["hosts"][0]["name"] == "李晓燕" and body["hosts"][0]["rank"] == "division"
        assert body["held"] is False and body["outcome"] is None
        assert [p["name"] for p in body["products"]] == ["羊绒围巾", "沙棘汁", "酸杏"]


def test_it_refuses_planning_outside_ones_scope(
    api,
    client_for,
    unit_admin,
    other_unit_admin,
    district_admin,
    resident,
    unit,
    division_cadre,
    other_cadre,
    products,
):
    """Another unit's admin, a unit admin naming a host of another unit, a resident and a
    district admin without the role: 403; anonymous: 401."""
    body = _plan_body(unit, [division_cadre], products)
    for user in (other_unit_admin, resident, district_admin):
        response = client_for(user).post(PLAN, body, format="json")
        assert response.status_code == 403, user
        assert response.json()["code"] == "permission_denied"
    mixed = _plan_body(unit, [division_cadre, other_cadre], products)
    assert client_for(unit_admin).post(PLAN, mixed, format="json").status_code == 403
    assert api.post(PLAN, body, format="json").status_code == 401
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"hosts": []}, "hosts"),
        ({"hosts": [999999]}, "hosts"),
        ({"hosts": [10**20]}, "hosts"),
        ({"starts_at": "9999-12-31T23:59:59-12:00"}, "starts_at"),
        ({"starts_at": "1900-01-01T00:00:00+08:00"}, "starts_at"),
        ({"products": []}, "products"),
        ({"platform": "tiktok"}, "platform"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"unit": 999999}, "unit"),
        ({"title": ""}, "title"),
    ],
)
def test_it_refuses_a_bad_plan(
    client_for, operator, unit, division_cadre, products, overrides, field
):
    """400 `invalid` naming the field."""
    body = _plan_body(unit, [division_cadre], products, overrides)
    response = client_for(operator).post(PLAN, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


def _outcome(**overrides):
    return {
        "duration_minutes": 120,
        "peak_viewers": 8200,
        "orders": 1630,
        "sales": "150000.00",
        "evidence": evidence("直播截图.png", b"\x89PNG fake"),
    } | overrides


def test_it_records_the_outcome_once(client_for, operator, make_session):
    """The operator's outcome is stored with sales as a decimal string; a second is 409."""
    session = make_session(held=False)
    url = f"/api/v1/livestream/sessions/{session.pk}/outcome"
    response = client_for(operator).post(url, _outcome(), format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"]["sales"] == "150000.00"
    again = client_for(operator).post(url, _outcome(sales="1.00"), format="multipart")
    assert again.status_code == 409 and again.json()["code"] == "outcome_recorded"
    session.refresh_from_db()
    assert str(session.sales) == "150000.00"
    assert "直播截图" not in session.evidence.name and session.evidence.name.endswith(".png")


def test_it_lets_only_the_operator_record_an_outcome(
    client_for, unit_admin, host_user, district_admin, inspector, make_session
):
    """The unit admin, the host, a district admin, the inspector: 403."""
    session = make_session(held=False)
    url = f"/api/v1/livestream/sessions/{session.pk}/outcome"
    for user in (unit_admin, host_user, district_admin, inspector):
        assert client_for(user).post(url, _outcome(), format="multipart").status_code == 403


def test_it_refuses_an_outcome_before_the_session(client_for, operator, make_session):
    """A session that has not started has no outcome yet: 409 session_not_started."""
    session = make_session(held=False, starts_at=dt.datetime(2099, 1, 1, tzinfo=SHANGHAI))
    url = f"/api/v1/livestream/sessions/{session.pk}/outcome"
    response = client_for(operator).post(url, _outcome(), format="multipart")
    assert response.status_code == 409 and response.json()["code"] == "session_not_started"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"sales": "abc"}, "sales"),
        ({"sales": "-1.00"}, "sales"),
        ({"sales": "1.234"}, "sales"),
        ({"orders": -1}, "orders"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"evidence": ""}, "evidence"),
        ({"evidence": evidence("run.exe", b"MZ")}, "evidence"),
    ],
)
def test_it_refuses_a_bad_outcome(client_for, operator, make_session, overrides, field):
    """400 `invalid` naming the field; nothing recorded."""
    session = make_session(held=False)
    url = f"/api/v1/livestream/sessions/{session.pk}/outcome"
    response = client_for(operator).post(url, _outcome(**overrides), format="multipart")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    session.refresh_from_db()
    assert not session.held


def test_it_serves_evidence_only_to_those_in_scope(
    api,
    client_for,
    operator,
    inspector,
    unit_admin,
    host_user,
    other_unit_admin,
    resident,
    make_session,
):
    """Operator, inspector, the unit's admin, the host: 200; others 403; anonymous 401;
    an unknown session 404."""
    session = make_session()
    url = f"/api/v1/livestream/sessions/{session.pk}/evidence"
    for user in (operator, inspector, unit_admin, host_user):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert response["Cache-Control"] == "private, no-store"
    for user in (other_unit_admin, resident):
        assert client_for(user).get(url).status_code == 403
    assert api.get(url).status_code == 401
    assert (
        client_for(operator).get("/api/v1/livestream/sessions/999999/evidence").status_code == 404
    )


def test_it_counts_a_session_at_2330_on_31_march_shanghai_in_q1(
    client_for, inspector, make_session, division_cadre, section_cadre
):
    """31 March 23:30 Asia/Shanghai is 15:30 UTC: Q1. The division-level cadre meets the
    Q1 quota and falls short in Q2; the section-level cadre (no quota) is never listed."""
    make_session(starts_at=dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC))
    assert selectors.quarter_of(dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC)).label == "2026Q1"
    q1 = client_for(inspector).get("/api/v1/livestream/compliance", {"quarter": "2026Q1"}).json()
    assert q1["shortfalls"] == []
    q2 = client_for(inspector).get("/api/v1/livestream/compliance", {"quarter": "2026Q2"}).json()
    assert [(s["cadre"]["id"], s["quota"], s["held"], s["missing"]) for s in q2["shortfalls"]] == [
        (division_cadre.pk, 1, 0, 1)
    ]


def test_it_counts_a_session_at_0010_on_1_april_shanghai_in_q2(client_for, inspector, make_session):
    """1 April 00:10 Asia/Shanghai is still 31 March in UTC, but Q2 in Shanghai."""
    make_session(starts_at=dt.datetime(2026, 3, 31, 16, 10, tzinfo=dt.UTC))
    q1 = client_for(inspector).get("/api/v1/livestream/compliance", {"quarter": "2026Q1"}).json()
    q2 = client_for(inspector).get("/api/v1/livestream/compliance", {"quarter": "2026Q2"}).json()
    assert len(q1["shortfalls"]) == 1 and q2["shortfalls"] == []


def test_it_counts_only_held_sessions_towards_the_quota(client_for, inspector, make_session):
    """A planned session without an outcome does not meet the quota."""
    make_session(held=False)
    body = client_for(inspector).get("/api/v1/livestream/compliance", {"quarter": "2026Q1"}).json()
    assert [(s["held"], s["planned"]) for s in body["shortfalls"]] == [(0, 1)]


def test_it_takes_the_quota_from_the_settings(client_for, inspector, settings, make_session):
    """LIVESTREAM_QUOTA: two a quarter for division level leaves one held session short."""
    settings.LIVESTREAM_QUOTA = {"section": 0, "division": 2}
    make_session()
    body = client_for(inspector).get("/api/v1/livestream/compliance", {"quarter": "2026Q1"}).json()
    assert [s["missing"] for s in body["shortfalls"]] == [1]


def test_the_roles_are_granted_by_the_command(db, capsys):
    """grant_role knows live_operator and discipline_inspector; both work in the admin."""
    call_command("grant_role", "+8613847799001", "live_operator")
    call_command("grant_role", "+8613847799002", "discipline_inspector")
    operator = User.objects.get(phone="+8613847799001")
    assert "live_operator" in user_roles(user=operator) and operator.is_staff
    assert User.objects.get(phone="+8613847799002").is_staff


def test_it_shows_sessions_publicly_and_404s_unknown_ones(api, client_for, operator, make_session):
    """The list and a session are public, with the outcome; an unknown one is 404 for the
    detail and the outcome; a bad quarter filter is 400."""
    session = make_session()
    listing = api.get(PLAN, {"quarter": "2026Q1"}).json()
    assert [s["id"] for s in listing["results"]] == [session.pk]
    assert api.get(PLAN, {"quarter": "2026Q2"}).json()["results"] == []
    assert api.get(PLAN, {"quarter": "Q9"}).status_code == 400
    body = api.get(f"{PLAN}/{session.pk}").json()
    assert body["outcome"]["sales"] == "150000.00" and "evidence" not in body["outcome"]
    assert api.get(f"{PLAN}/999999").status_code == 404
    response = client_for(operator).post(f"{PLAN}/999999/outcome", _outcome(), format="multipart")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    products = api.get("/api/v1/livestream/products").json()
    # A page like every list: {next, previous, results}.
    assert set(products) == {"next", "previous", "results"}
    assert {"羊绒围巾", "沙棘汁"} <= {p["name"] for p in products["results"]}
