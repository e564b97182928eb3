"""A double tap of the badge page's review form (one session, one nonce, real threads
against PostgreSQL) files one review and credits its points once; every tap shows the
first's outcome. A form without its nonce files nothing."""

import pytest

from cadres import codes
from cadres.models import Review
from points.selectors import resident_summary
from points.verification import ledger_verify
from tests.forms import signed_in, tapped_at_once, texts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_files_one_review_for_a_double_tap(resident, cadre):
    responses = tapped_at_once(
        resident,
        f"/cadres/{cadre.pk}/review",
        {"token": codes.badge_token(cadre), "rating": "4", "comment": "耐心"},
    )
    assert Review.objects.count() == 1
    points = Review.objects.get().points_awarded
    assert resident_summary(user=resident).redeemable == points
    assert all(f"您获得了 {points} 积分" in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.django_db
def test_a_review_form_without_its_nonce_files_nothing(resident, cadre):
    page = signed_in(resident).post(
        f"/cadres/{cadre.pk}/review",
        {"token": codes.badge_token(cadre), "rating": "4"},
        follow=True,
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert not Review.objects.exists()
