"""A double submit of the statements' admin actions (one session, one nonce, real
threads against PostgreSQL) confirms or pays once, and every submit shows the first's
outcome."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from merchants import services
from merchants.models import Statement
from tests.forms import signed_in, tapped_at_once, texts

from .test_admin import OCTOBER

ERROR = 'class="error"'


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_confirms_then_pays_a_statement_once_per_double_submit(
    make_user, merchant, resident, grant
):
    grant(resident, 1000)
    services.payment_create(resident=resident, merchant=merchant, amount_points=400)
    statement = services.statement_build(merchant=merchant, month=OCTOBER)
    finance = make_user(Role.FINANCE)
    changelist = reverse("admin:merchants_statement_changelist")
    confirmed = tapped_at_once(
        finance, changelist, {"action": "confirm_statements", "_selected_action": [statement.pk]}
    )
    statement.refresh_from_db()
    assert statement.status == Statement.Status.CONFIRMED
    assert all("已确认 1 张结算单" in page and ERROR not in page for page in texts(confirmed))
    paid = tapped_at_once(
        finance,
        changelist,
        {"action": "pay_statements", "_selected_action": [statement.pk], "reference": "ICBC-77"},
    )
    statement.refresh_from_db()
    assert (statement.status, statement.payment_reference) == (Statement.Status.PAID, "ICBC-77")
    assert all("已将 1 张结算单标记为已付款" in page and ERROR not in page for page in texts(paid))


@pytest.mark.django_db
def test_a_statement_action_without_its_nonce_does_nothing(make_user, merchant):
    statement = services.statement_build(merchant=merchant, month=OCTOBER)
    page = signed_in(make_user(Role.FINANCE)).post(
        reverse("admin:merchants_statement_changelist"),
        {"action": "confirm_statements", "_selected_action": [statement.pk]},
        follow=True,
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert Statement.objects.get().status == Statement.Status.OPEN
