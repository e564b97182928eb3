"""The livestream admin: the inspector confirms in the admin, the compliance lists are
scoped to the unit admin's unit, and nothing recorded is editable there."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from livestream.models import Transfer
from tests.forms import nonce_of


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_inspector_confirms_in_the_admin_and_nobody_else_can(
    inspector, operator, make_session, make_income, make_transfer
):
    """The "confirm" action confirms for the inspector; for the operator it changes nothing."""
    transfer = make_transfer(make_income(make_session()))
    action = {"action": "confirm", "_selected_action": [transfer.pk]}
    operator_client = admin_client(operator)
    operator_client.post("/admin/livestream/transfer/", {**action, **nonce_of(operator_client)})
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PENDING
    inspector_client = admin_client(inspector)
    inspector_client.post("/admin/livestream/transfer/", {**action, **nonce_of(inspector_client)})
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CONFIRMED and transfer.decided_by == inspector
    page = admin_client(inspector).get(f"/admin/livestream/transfer/{transfer.pk}/change/")
    assert page.status_code == 200 and 'name="fund"' not in page.content.decode()


def test_the_compliance_lists_are_scoped_to_the_unit(
    unit_admin, other_unit_admin, inspector, make_session, make_income, division_cadre
):
    """Overdue income and quota shortfalls: the unit's admin and the inspector see the
    cadre; another unit's admin does not."""
    make_income(make_session(), received_on=timezone.localdate() - dt.timedelta(days=40))
    for user in (unit_admin, inspector):
        client = admin_client(user)
        assert "李晓燕" in client.get("/admin/livestream/overdueincome/").content.decode()
        assert "李晓燕" in client.get("/admin/livestream/quotashortfall/").content.decode()
    client = admin_client(other_unit_admin)
    assert "李晓燕" not in client.get("/admin/livestream/overdueincome/").content.decode()
    assert "李晓燕" not in client.get("/admin/livestream/quotashortfall/").content.decode()
