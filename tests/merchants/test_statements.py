"""Monthly settlement statements: built from the merchant's ledger entries, confirmed by
finance, paid with a reference; paid ones never change; late entries go to the next."""

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from core.timezones import LOCAL_TZ
from merchants import services, tasks
from merchants.models import Statement, StatementEntry
from points import services as points_services
from points.codes import voucher_url
from points.models import Entry, Merchant

pytestmark = pytest.mark.django_db
BASE = "/api/v1"
OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def local(*args):
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


@pytest.fixture
def october(resident, grant, merchant, reward, merchant_user):
    """In October Alice pays 1,000 and 500, gets 200 back, uses one 500-point voucher
    and leaves another unused; on 2 November she pays 300."""
    grant(resident, 5000)
    with at(local(2026, 10, 10, 12)):
        first = services.payment_create(
            resident=resident, merchant=merchant, amount_points=1000
        ).payment
        services.payment_create(resident=resident, merchant=merchant, amount_points=500)
        services.payment_refund(
            payment_id=first.pk,
            merchant_ids=[merchant.pk],
            amount_points=200,
            created_by=merchant_user,
        )
        used = points_services.redemption_create(reward=reward, resident=resident)
        points_services.redemption_create(reward=reward, resident=resident)
        points_services.redemption_confirm(code=voucher_url(used), merchant_user=merchant_user)
    with at(local(2026, 11, 2, 9)):
        services.payment_create(resident=resident, merchant=merchant, amount_points=300)
    return merchant


def test_a_statement_counts_payments_less_refunds_plus_confirmed_vouchers(october):
    statement = services.statement_build(merchant=october, month=OCTOBER)
    assert statement.status == Statement.Status.OPEN
    assert (statement.payments_points, statement.refunds_points) == (1500, 200)
    assert (statement.vouchers_points, statement.other_points) == (500, 0)
    assert statement.points == 1800
    assert statement.entries_count == 4
    again = services.statement_build(merchant=october, month=OCTOBER)
    assert again.pk == statement.pk and again.points == 1800
    november = services.statement_build(merchant=october, month=NOVEMBER)
    assert november.points == 300


def test_finance_confirms_then_pays_a_statement(october, client_for, finance):
    statement = services.statement_build(merchant=october, month=OCTOBER)
    client = client_for(finance)
    confirmed = client.post(f"{BASE}/settlement/statements/{statement.pk}/confirm")
    assert confirmed.status_code == 200, confirmed.json()
    body = confirmed.json()
    assert body["status"] == "confirmed" and body["month"] == "2026-10"
    assert body["points"] == 1800 and body["yuan"] == "18.00"
    assert body["confirmed_at"].endswith("+08:00")
    twice = client.post(f"{BASE}/settlement/statements/{statement.pk}/confirm")
    assert twice.status_code == 409 and twice.json()["code"] == "statement_not_open"

    url = f"{BASE}/settlement/statements/{statement.pk}/pay"
    assert client.post(url, {"reference": ""}, format="json").status_code == 400
    assert client.post(url, {"reference": "x" * 101}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    paid = client.post(url, {"reference": "BOC-20261105-0042"}, format="json")
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["payment_reference"] == "BOC-20261105-0042"
    again = client.post(url, {"reference": "other"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "statement_not_confirmed"
    statement.refresh_from_db()
    assert statement.payment_reference == "BOC-20261105-0042"
    assert statement.paid_by == finance and statement.confirmed_by == finance


def test_paying_needs_a_confirmed_statement(october, client_for, finance):
    statement = services.statement_build(merchant=october, month=OCTOBER)
    response = client_for(finance).post(
        f"{BASE}/settlement/statements/{statement.pk}/pay", {"reference": "r"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "statement_not_confirmed"


def test_only_finance_confirms_and_pays(october, client_for, merchant_user, resident, admin_user):
    statement = services.statement_build(merchant=october, month=OCTOBER)
    for user in (merchant_user, resident, admin_user):
        client = client_for(user)
        assert (
            client.post(f"{BASE}/settlement/statements/{statement.pk}/confirm").status_code == 403
        )
        assert (
            client.post(
                f"{BASE}/settlement/statements/{statement.pk}/pay", {"reference": "r"}
            ).status_code
            == 403
        )
        assert client.get(f"{BASE}/settlement/statements").status_code == 403
    statement.refresh_from_db()
    assert statement.status == Statement.Status.OPEN


def test_unknown_statements_are_404(client_for, finance):
    assert (
        client_for(finance).post(f"{BASE}/settlement/statements/99999/confirm").status_code == 404
    )


def test_a_month_that_has_not_ended_cannot_be_confirmed(october, client_for, finance):
    with at(local(2026, 11, 20, 12)):
        statement = services.statement_build(merchant=october, month=NOVEMBER)
        response = client_for(finance).post(f"{BASE}/settlement/statements/{statement.pk}/confirm")
    assert response.status_code == 409
    assert response.json()["code"] == "statement_month_not_ended"


def test_late_entries_go_to_the_next_open_statement(october, merchant, resident, finance):
    """An October entry posted after October was confirmed lands in November's statement."""
    statement = services.statement_build(merchant=october, month=OCTOBER)
    services.statement_confirm(statement_id=statement.pk, actor=finance)
    with at(local(2026, 10, 31, 23, 59)):
        services.payment_create(resident=resident, merchant=merchant, amount_points=77)
    assert services.statement_build(merchant=october, month=OCTOBER).points == 1800
    assert services.statement_build(merchant=october, month=NOVEMBER).points == 377


def test_confirming_counts_entries_up_to_the_last(october, merchant, resident, finance):
    """Confirming rebuilds first: an entry posted after the build is in."""
    statement = services.statement_build(merchant=october, month=OCTOBER)
    with at(local(2026, 10, 31, 23, 0)):
        services.payment_create(resident=resident, merchant=merchant, amount_points=23)
    confirmed = services.statement_confirm(statement_id=statement.pk, actor=finance)
    assert confirmed.points == 1823


def test_a_paid_statement_never_changes(october, finance):
    statement = services.statement_build(merchant=october, month=OCTOBER)
    services.statement_confirm(statement_id=statement.pk, actor=finance)
    services.statement_pay(statement_id=statement.pk, actor=finance, reference="BOC-1")
    assert services.statement_build(merchant=october, month=OCTOBER).points == 1800
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(payment_reference="")


@pytest.mark.postgres
def test_the_database_refuses_to_edit_a_paid_statement(october, finance):
    """A trigger refuses any UPDATE or DELETE of a paid statement and any
    change of its entries."""
    statement = services.statement_build(merchant=october, month=OCTOBER)
    services.statement_confirm(statement_id=statement.pk, actor=finance)
    services.statement_pay(statement_id=statement.pk, actor=finance, reference="BOC-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(points=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementEntry.objects.filter(statement=statement).delete()
    extra = Entry.objects.filter(account_id=october.account_id, statement_line__isnull=True).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementEntry.objects.create(statement=statement, entry=extra)
    statement.refresh_from_db()
    assert statement.points == 1800 and statement.status == Statement.Status.PAID


def test_a_merchant_sees_its_own_statements_and_their_csv(
    october,
    other_merchant,
    client_for,
    merchant_user,
    other_merchant_user,
    finance,
    django_assert_max_num_queries,
):
    services.statement_build(merchant=october, month=dt.date(2026, 9, 1))
    statement = services.statement_build(merchant=october, month=OCTOBER)
    services.statement_build(merchant=other_merchant, month=OCTOBER)
    client = client_for(merchant_user)
    with django_assert_max_num_queries(8):
        body = client.get(f"{BASE}/merchant/statements?page_size=1").json()
    assert [row["id"] for row in body["results"]] == [statement.pk]
    row = body["results"][0]
    assert row["yuan"] == "18.00" and row["csv_url"].endswith(f"/statements/{statement.pk}/csv")
    csv = client_for(merchant_user).get(row["csv_url"])
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[1] == "Ordos Cashmere Shop,2026-10,open,1800,18.00,"
    assert len(lines) == 4 + 4
    assert any(
        ",payment_refund,payment_refund:" in line and ",-200,-2.00" in line for line in lines
    )
    # Times in Asia/Shanghai with their offset, as in the API.
    assert all(line.split(",")[0].endswith("+08:00") for line in lines[4:])
    assert client_for(other_merchant_user).get(row["csv_url"]).status_code == 404
    assert client_for(finance).get(row["csv_url"]).status_code == 200
    others = client_for(other_merchant_user).get(f"{BASE}/merchant/statements").json()
    assert [r["id"] for r in others["results"]] != [statement.pk]
    listed = client_for(finance).get(f"{BASE}/settlement/statements?status=open").json()
    assert len(listed["results"]) == 3
    assert client_for(finance).get(f"{BASE}/settlement/statements?status=x").status_code == 400


def test_the_monthly_task_builds_the_month_just_ended(october, other_merchant):
    entry = settings.CELERY_BEAT_SCHEDULE["build-merchant-statements"]
    assert entry["task"] == "merchants.tasks.statements_build_month"
    schedule = entry["schedule"]
    assert (schedule.minute, schedule.hour, schedule.day_of_month) == ({0}, {2}, {1})
    with at(local(2026, 11, 1, 2, 0)):
        assert tasks.statements_build_month() == "2026-10"
    assert tasks.statements_build_month("2026-10") == "2026-10"
    assert Statement.objects.filter(month=OCTOBER).count() == 2
    assert Statement.objects.get(merchant=october, month=OCTOBER).points == 1800


# --- The month's statements of every merchant at once (statements_build_month) -----------


def statements_state() -> list:
    """Every statement and its lines, without the ids and times a build hands out."""
    return [
        (
            statement.merchant_id,
            statement.month,
            statement.status,
            statement.payments_points,
            statement.refunds_points,
            statement.vouchers_points,
            statement.other_points,
            statement.points,
            statement.entries_count,
            sorted(statement.lines.values_list("entry_id", flat=True)),
        )
        for statement in Statement.objects.order_by("merchant_id", "month")
    ]


def built_one_by_one(month) -> list:
    """What statement_build of each merchant in turn (the job before it went set-based)
    leaves, rolled back."""
    with transaction.atomic():
        for merchant in Merchant.objects.order_by("pk"):
            services._statement_build(merchant=merchant, month=month)
        state = statements_state()
        transaction.set_rollback(True)
    return state


def test_the_month_of_every_merchant_at_once_equals_one_by_one(
    october, other_merchant, resident, merchant, finance
):
    """Payments, a partial refund, vouchers used and unused, a merchant with no payment,
    an entry of the month after; then October confirmed, a late October entry and
    November built: the same statements and lines as statement_build for each merchant,
    and building again changes nothing."""
    expected = built_one_by_one(OCTOBER)
    assert services.statements_build_month(month=OCTOBER) == 2
    assert statements_state() == expected
    assert [row[7] for row in expected] == [1800, 0]
    assert services.statements_build_month(month=OCTOBER) == 2
    assert statements_state() == expected

    mine = Statement.objects.get(merchant=october, month=OCTOBER)
    services.statement_confirm(statement_id=mine.pk, actor=finance)
    with at(local(2026, 10, 31, 23, 59)):
        services.payment_create(resident=resident, merchant=merchant, amount_points=77)
    expected = built_one_by_one(OCTOBER)
    assert services.statements_build_month(month=OCTOBER) == 2
    assert statements_state() == expected
    expected = built_one_by_one(NOVEMBER)
    assert services.statements_build_month(month=NOVEMBER) == 2
    assert statements_state() == expected
    november = Statement.objects.get(merchant=october, month=NOVEMBER)
    assert (november.points, november.entries_count) == (377, 2)
