"""Income from sessions, its transfer to a public-welfare fund, the discipline inspector's
confirmation, the compliance lists, and the public page and summary."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from livestream import services
from livestream.models import Income, Product, Session, Transfer

from .conftest import evidence

INCOMES = "/api/v1/livestream/incomes"
TRANSFERS = "/api/v1/livestream/transfers"


def _income_body(session, cadre, overrides=None):
    return {
        "session": session.pk,
        "cadre": cadre.pk,
        "kind": "tips",
        "amount": "320.50",
        "received_on": "2026-03-12",
    } | (overrides or {})


def test_it_records_income_by_the_cadre_the_unit_admin_or_the_operator(
    client_for, host_user, unit_admin, operator, make_session, division_cadre
):
    """201 for each, the amount a decimal string."""
    session = make_session()
    for user in (host_user, unit_admin, operator):
        response = client_for(user).post(
            INCOMES, _income_body(session, division_cadre), format="json"
        )
        assert response.status_code == 201, response.json()
        assert response.json()["amount"] == "320.50"


def test_it_refuses_income_outside_ones_scope(
    client_for, other_unit_admin, resident, inspector, district_admin, make_session, division_cadre
):
    """Another unit's admin, a resident, the inspector, a district admin: 403."""
    session = make_session()
    for user in (other_unit_admin, resident, inspector, district_admin):
        response = client_for(user).post(
            INCOMES, _income_body(session, division_cadre), format="json"
        )
        assert response.status_code == 403, user


def test_it_refuses_income_of_a_session_not_held_or_a_cadre_not_hosting(
    client_for, operator, make_session, division_cadre, section_cadre
):
    """409 session_not_held; 409 not_a_host."""
    planned = make_session(held=False)
    response = client_for(operator).post(
        INCOMES, _income_body(planned, division_cadre), format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "session_not_held"
    held = make_session()
    response = client_for(operator).post(INCOMES, _income_body(held, section_cadre), format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_a_host"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"kind": "bribe"}, "kind"),
        ({"received_on": "31/03/2026"}, "received_on"),
        ({"session": 999999}, "session"),
        ({"cadre": 999999}, "cadre"),
        ({"corrects": 999999}, "corrects"),
    ],
)
def test_it_refuses_bad_income(
    client_for, operator, make_session, division_cadre, overrides, field
):
    """400 `invalid` naming the field."""
    session = make_session()
    body = _income_body(session, division_cadre, overrides)
    response = client_for(operator).post(INCOMES, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


def test_it_corrects_income_with_a_new_entry(
    client_for, operator, make_session, make_income, division_cadre
):
    """A correction is a new signed entry naming the original, with a reason; the original
    is unchanged."""
    session = make_session()
    original = make_income(session, amount="1500.00")
    body = _income_body(session, division_cadre, {"amount": "-200.00", "corrects": original.pk})
    response = client_for(operator).post(INCOMES, body, format="json")
    assert response.status_code == 400 and "note" in response.json()["fields"]
    body["note"] = "佣金按合同应为1300元"
    response = client_for(operator).post(INCOMES, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["corrects"] == original.pk
    original.refresh_from_db()
    assert original.amount == Decimal("1500.00")
    assert Income.objects.count() == 2


def _transfer_body(income, overrides=None):
    return {
        "income": income.pk,
        "amount": str(income.amount),
        "fund": "康巴什区慈善总会",
        "reference": "CS-2026-0001",
        "transferred_on": "2026-03-15",
        "evidence": evidence(),
    } | (overrides or {})


def test_it_records_a_transfer_of_the_whole_income_once(
    client_for, host_user, make_session, make_income
):
    """The cadre records the transfer (201, pending); less than the income is 400; a second
    transfer of the same income is 409 already_transferred."""
    income = make_income(make_session())
    client = client_for(host_user)
    short = client.post(TRANSFERS, _transfer_body(income, {"amount": "100.00"}), format="multipart")
    assert short.status_code == 400 and "amount" in short.json()["fields"]
    response = client.post(TRANSFERS, _transfer_body(income), format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"
    again = client.post(TRANSFERS, _transfer_body(income), format="multipart")
    assert again.status_code == 409 and again.json()["code"] == "already_transferred"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"evidence": ""}, "evidence"),
        ({"evidence": evidence("x.html", b"<script>")}, "evidence"),
        ({"fund": ""}, "fund"),
        ({"reference": ""}, "reference"),
        ({"amount": "0"}, "amount"),
        ({"income": 999999}, "income"),
        ({"transferred_on": "yesterday"}, "transferred_on"),
    ],
)
def test_it_refuses_a_bad_transfer(
    client_for, operator, make_session, make_income, overrides, field
):
    """400 `invalid` naming the field."""
    income = make_income(make_session())
    response = client_for(operator).post(
        TRANSFERS, _transfer_body(income, overrides), format="multipart"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_it_lets_only_the_discipline_inspector_confirm_once(
    client_for,
    inspector,
    unit_admin,
    operator,
    host_user,
    district_admin,
    make_session,
    make_income,
    make_transfer,
):
    """The unit admin, the operator, the cadre and a district admin without the role: 403;
    the inspector: 200 confirmed; a second confirmation or a rejection after it: 409."""
    transfer = make_transfer(make_income(make_session()))
    url = f"{TRANSFERS}/{transfer.pk}/confirm"
    for user in (unit_admin, operator, host_user, district_admin):
        response = client_for(user).post(url)
        assert response.status_code == 403, user
        assert response.json()["code"] == "permission_denied"
    transfer.refresh_from_db()
    assert transfer.status == "pending"
    response = client_for(inspector).post(url)
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    again = client_for(inspector).post(url)
    assert again.status_code == 409 and again.json()["code"] == "transfer_decided"
    reject = client_for(inspector).post(f"{TRANSFERS}/{transfer.pk}/reject", {"reason": "有误"})
    assert reject.status_code == 409


def test_an_inspector_never_confirms_a_transfer_they_recorded(
    client_for, make_user, make_session, make_income, make_transfer
):
    """An inspector who is also the operator and recorded the transfer: 403."""
    both = make_user("live_operator", "discipline_inspector")
    transfer = make_transfer(make_income(make_session()), by=both)
    assert client_for(both).post(f"{TRANSFERS}/{transfer.pk}/confirm").status_code == 403


def test_a_rejected_transfer_frees_the_income_for_a_new_one(
    client_for, inspector, operator, make_session, make_income, make_transfer
):
    """Rejected with a reason (400 without one), the income may be transferred again."""
    income = make_income(make_session())
    transfer = make_transfer(income)
    url = f"{TRANSFERS}/{transfer.pk}/reject"
    missing = client_for(inspector).post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["fields"]
    assert client_for(operator).post(url, {"reason": "凭证不符"}).status_code == 403
    response = client_for(inspector).post(url, {"reason": "凭证金额不符"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    again = client_for(operator).post(TRANSFERS, _transfer_body(income), format="multipart")
    assert again.status_code == 201


def test_it_answers_404_for_an_unknown_transfer(client_for, inspector, db):
    """Confirming or fetching evidence of a transfer that does not exist: 404."""
    assert client_for(inspector).post(f"{TRANSFERS}/999999/confirm").status_code == 404
    assert client_for(inspector).get(f"{TRANSFERS}/999999/evidence").status_code == 404


def test_it_serves_transfer_evidence_only_to_those_in_scope(
    client_for,
    inspector,
    host_user,
    unit_admin,
    other_unit_admin,
    resident,
    make_session,
    make_income,
    make_transfer,
):
    """The inspector, the cadre, their unit admin: 200; another unit's admin, a resident: 403."""
    transfer = make_transfer(make_income(make_session()))
    url = f"{TRANSFERS}/{transfer.pk}/evidence"
    for user in (inspector, host_user, unit_admin):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content)  # read to the end: that closes the file
    for user in (other_unit_admin, resident):
        assert client_for(user).get(url).status_code == 403, user


@pytest.mark.postgres
def test_the_database_refuses_editing_income_or_a_decided_transfer(
    inspector, make_session, make_income, make_transfer
):
    """On PostgreSQL a trigger refuses any UPDATE or DELETE of income, and of a transfer
    once confirmed; and changing a recorded outcome."""
    session = make_session()
    income = make_income(session)
    transfer = make_transfer(income)
    services.transfer_confirm(user=inspector, transfer=transfer)
    for attempt in (
        lambda: Income.objects.filter(pk=income.pk).update(amount=Decimal("1.00")),
        lambda: Income.objects.filter(pk=income.pk).delete(),
        lambda: Transfer.objects.filter(pk=transfer.pk).update(amount=Decimal("1.00")),
        lambda: Transfer.objects.filter(pk=transfer.pk).update(
            status="pending", decided_at=None, decided_by=None
        ),
        lambda: Session.objects.filter(pk=session.pk).update(sales=Decimal("1.00")),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()


def test_it_lists_income_not_transferred_after_30_days(
    client_for,
    inspector,
    unit_admin,
    other_unit_admin,
    resident,
    make_session,
    make_income,
    make_transfer,
):
    """Received 31 days ago with no transfer: listed for the unit admin and the inspector;
    30 days ago, or with a pending transfer: not listed; another unit's admin sees none;
    a resident is refused."""
    today = timezone.localdate()
    session = make_session()
    late = make_income(session, received_on=today - dt.timedelta(days=31))
    make_income(session, received_on=today - dt.timedelta(days=30))
    covered = make_income(session, received_on=today - dt.timedelta(days=60))
    make_transfer(covered)
    for user in (unit_admin, inspector):
        body = client_for(user).get("/api/v1/livestream/compliance").json()
        assert [line["income"]["id"] for line in body["overdue_income"]] == [late.pk]
    response = client_for(other_unit_admin).get("/api/v1/livestream/compliance")
    assert response.status_code == 200 and response.json()["overdue_income"] == []
    assert client_for(resident).get("/api/v1/livestream/compliance").status_code == 403


@pytest.mark.parametrize("quarter", ["2026Q5", "2026", "Q1", "abc", "9999Q4"])
def test_it_refuses_a_bad_quarter(client_for, api, inspector, quarter):
    """400 naming `quarter`, in the compliance and the public summary."""
    for client in (client_for(inspector), api):
        path = (
            "/api/v1/livestream/compliance" if client is not api else "/api/v1/livestream/summary"
        )
        response = client.get(path, {"quarter": quarter})
        assert response.status_code == 400
        assert "quarter" in response.json()["fields"]


def test_the_public_summary_shows_sales_and_where_the_income_went(
    api, inspector, make_session, make_income, make_transfer, division_cadre
):
    """Per quarter: sessions, sales, income, confirmed transfers per fund and per cadre,
    and monthly sales; a pending transfer is not counted as transferred."""
    first = make_session(sales="150000.00")
    make_session(starts_at=dt.datetime(2026, 2, 5, 20, 0, tzinfo=dt.UTC), sales="42800.50")
    make_session(starts_at=dt.datetime(2026, 4, 5, 20, 0, tzinfo=dt.UTC), sales="1.00")
    confirmed = make_transfer(make_income(first, amount="1500.00"))
    services.transfer_confirm(user=inspector, transfer=confirmed)
    make_transfer(make_income(first, amount="300.00"))
    body = api.get("/api/v1/livestream/summary", {"quarter": "2026Q1"}).json()
    assert (body["sessions"], body["sales"], body["income"], body["transferred"]) == (
        2,
        "192800.50",
        "1800.00",
        "1500.00",
    )
    assert body["funds"] == [{"fund": "康巴什区慈善总会", "total": "1500.00", "transfers": 1}]
    [line] = body["cadres"]
    assert line["cadre"]["id"] == division_cadre.pk and line["sessions"] == 2
    assert len(body["monthly_sales"]) == 12


def test_the_public_page_renders_with_its_chart(
    client, inspector, make_session, make_income, make_transfer
):
    """The page in Chinese: totals, a cadre line, the fund, and an inline SVG chart."""
    session = make_session()
    transfer = make_transfer(make_income(session))
    services.transfer_confirm(user=inspector, transfer=transfer)
    response = client.get("/livestream/", {"quarter": "2026Q1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "干部直播带货" in page and "李晓燕" in page and "康巴什区慈善总会" in page
    assert "<svg" in page and "<rect" in page and "<script" not in page
    assert client.get("/livestream/", {"quarter": "2026Q9"}).status_code == 404


def test_the_schema_describes_the_livestream_api(api, db):
    """Every livestream path is in the schema, with 403 and 409 where they apply."""
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    confirm = paths["/api/v1/livestream/transfers/{id}/confirm"]["post"]["responses"]
    assert {"403", "409"} <= set(confirm)
    for path in (
        "/api/v1/livestream/products",
        "/api/v1/livestream/sessions",
        "/api/v1/livestream/sessions/{id}/outcome",
        "/api/v1/livestream/incomes",
        "/api/v1/livestream/transfers",
        "/api/v1/livestream/compliance",
        "/api/v1/livestream/summary",
    ):
        assert path in paths


def test_the_demo_seed_is_idempotent(db, settings, tmp_path):
    """seed_demo adds division-level cadres, the operator, the inspector and sessions once."""
    call_command("seed_demo", stdout=None)
    counts = (Session.objects.count(), Income.objects.count(), Transfer.objects.count())
    call_command("seed_demo", stdout=None)
    assert (Session.objects.count(), Income.objects.count(), Transfer.objects.count()) == counts
    assert counts == (3, 2, 1) and Product.objects.count() >= 5
