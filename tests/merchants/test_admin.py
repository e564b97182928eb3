"""Finance works the statements in the admin: confirm, then pay with a reference."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from merchants import services
from merchants.codes import counter_url
from merchants.models import MerchantCode, Statement
from tests.forms import nonce_of

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture
def finance_client(make_user):
    user = make_user(Role.FINANCE, display_name="Fay Finance")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def statement(merchant, resident, grant):
    grant(resident, 1000)
    services.payment_create(resident=resident, merchant=merchant, amount_points=1000)
    return services.statement_build(merchant=merchant, month=dt.date.today().replace(day=1))


def test_finance_sees_statements_and_their_csv(finance_client, statement):
    changelist = reverse("admin:merchants_statement_changelist")
    page = finance_client.get(changelist)
    assert page.status_code == 200
    assert "Ordos Cashmere Shop" in page.content.decode()
    csv = finance_client.get(reverse("admin:merchants_statement_csv", args=[statement.pk]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    index = finance_client.get(reverse("admin:index")).content.decode()
    assert "待确认的结算单" in index


def test_finance_confirms_and_pays_in_the_admin(finance_client, merchant, resident, grant):
    grant(resident, 1000)
    services.payment_create(resident=resident, merchant=merchant, amount_points=400)
    statement = services.statement_build(merchant=merchant, month=OCTOBER)
    changelist = reverse("admin:merchants_statement_changelist")
    finance_client.post(
        changelist,
        {
            "action": "confirm_statements",
            "_selected_action": [statement.pk],
            **nonce_of(finance_client),
        },
    )
    statement.refresh_from_db()
    assert statement.status == Statement.Status.CONFIRMED
    # Without a reference nothing is paid.
    finance_client.post(
        changelist,
        {
            "action": "pay_statements",
            "_selected_action": [statement.pk],
            "reference": "",
            **nonce_of(finance_client),
        },
    )
    statement.refresh_from_db()
    assert statement.status == Statement.Status.CONFIRMED
    finance_client.post(
        changelist,
        {
            "action": "pay_statements",
            "_selected_action": [statement.pk],
            "reference": "ICBC-77",
            **nonce_of(finance_client),
        },
    )
    statement.refresh_from_db()
    assert statement.status == Statement.Status.PAID
    assert statement.payment_reference == "ICBC-77"


def test_a_merchant_user_has_no_admin(merchant_user, statement):
    client = Client()
    client.force_login(merchant_user)
    response = client.get(reverse("admin:merchants_statement_changelist"))
    assert response.status_code == 302


def test_a_district_admin_rotates_a_counter_code(make_user, merchant):
    admin_user = make_user(Role.DISTRICT_ADMIN)
    old = counter_url(merchant)
    client = Client()
    client.force_login(admin_user)
    code = MerchantCode.objects.get(merchant=merchant)
    client.post(
        reverse("admin:merchants_merchantcode_changelist"),
        {"action": "rotate_code", "_selected_action": [code.pk]},
    )
    code.refresh_from_db()
    assert code.code_version == 2 and code.code_rotated_by == admin_user
    assert counter_url(merchant) != old
