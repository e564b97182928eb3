"""A double submit of the cadres admin's decisions (one session, one nonce, real
threads against PostgreSQL) decides once and takes points back once; every submit
shows the first's outcome: an appeal's decide page and the fraud flag actions."""

import pytest

from cadres.models import Exclusion, Review
from moderation.models import Appeal, ReviewFlag
from points.models import LedgerTransaction
from points.selectors import resident_summary
from points.verification import ledger_verify
from tests.forms import signed_in, tapped_at_once, texts

from .test_appeals_admin import appeal_reviewer, pending  # noqa: F401 (fixtures)
from .test_moderation import flagged, moderator  # noqa: F401 (fixtures)

ERROR = 'class="error"'


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_decides_an_appeal_once_for_a_double_submit(appeal_reviewer, pending, resident):  # noqa: F811
    transactions = LedgerTransaction.objects.count()
    responses = tapped_at_once(
        appeal_reviewer,
        f"/admin/moderation/appeal/{pending.pk}/decide/",
        {"reason": "核实属实", "uphold": "1"},
    )
    appeal = Appeal.objects.get()
    assert (appeal.status, appeal.outcome) == ("decided", "upheld")
    assert Review.objects.get().excluded_reason == Exclusion.APPEAL
    # Upheld: the review leaves the ranking, its points stay paid.
    assert LedgerTransaction.objects.count() == transactions
    assert resident_summary(user=resident).redeemable == 10
    assert all("申诉已作出决定" in page and ERROR not in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_excludes_a_flagged_review_once_for_a_double_submit(moderator, resident, flagged):  # noqa: F811
    review, (device, _burst) = flagged
    transactions = LedgerTransaction.objects.count()
    responses = tapped_at_once(
        moderator,
        "/admin/moderation/reviewflag/?state__exact=open",
        {
            "action": "exclude_reviews",
            "_selected_action": [device.pk],
            "reason": "同一设备刷评",
            "ground": "fraud",
        },
    )
    assert ReviewFlag.objects.get(pk=device.pk).decided_by == moderator
    assert LedgerTransaction.objects.count() == transactions + 1
    assert resident_summary(user=resident).redeemable == 0
    assert all("已排除 1 条评价" in page and ERROR not in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_clears_a_flag_once_for_a_double_submit(moderator, resident, flagged):  # noqa: F811
    review, (device, _burst) = flagged
    responses = tapped_at_once(
        moderator,
        "/admin/moderation/reviewflag/?state__exact=open",
        {"action": "clear_flags", "_selected_action": [device.pk], "reason": "核实无误"},
    )
    assert ReviewFlag.objects.get(pk=device.pk).state == "cleared"
    assert resident_summary(user=resident).redeemable == 10
    assert all("已解除 1 个标记" in page and ERROR not in page for page in texts(responses))


@pytest.mark.django_db
def test_a_flag_action_without_its_nonce_decides_nothing(moderator, flagged):  # noqa: F811
    review, (device, _burst) = flagged
    page = signed_in(moderator).post(
        "/admin/moderation/reviewflag/?state__exact=open",
        {"action": "clear_flags", "_selected_action": [device.pk], "reason": "核实无误"},
        follow=True,
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert ReviewFlag.objects.get(pk=device.pk).state == "open"
