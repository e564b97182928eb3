"""A double submit of the transfers' "confirm" action (one session, one nonce, real
threads against PostgreSQL) confirms once, and every submit shows the first's outcome."""

import pytest

from livestream.models import Transfer
from tests.forms import signed_in, tapped_at_once, texts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_confirms_a_transfer_once_for_a_double_submit(
    inspector, make_session, make_income, make_transfer
):
    transfer = make_transfer(make_income(make_session()))
    responses = tapped_at_once(
        inspector,
        "/admin/livestream/transfer/",
        {"action": "confirm", "_selected_action": [transfer.pk]},
    )
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == (Transfer.Status.CONFIRMED, inspector)
    pages = texts(responses)
    assert all("已确认 1 笔转交" in page and 'class="error"' not in page for page in pages)


@pytest.mark.django_db
def test_a_confirm_without_its_nonce_does_nothing(
    inspector, make_session, make_income, make_transfer
):
    transfer = make_transfer(make_income(make_session()))
    page = signed_in(inspector).post(
        "/admin/livestream/transfer/",
        {"action": "confirm", "_selected_action": [transfer.pk]},
        follow=True,
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert Transfer.objects.get().status == Transfer.Status.PENDING
