"""review_points_award: the service the cadres app calls for each review."""

import datetime as dt

import pytest
from django.utils import timezone

from points.selectors import resident_summary
from points.services import review_points_award
from points.verification import ledger_verify

pytestmark = pytest.mark.django_db


def test_it_awards_review_points(resident, settings):
    """A review earns REVIEW_POINTS redeemable points."""
    settings.REVIEW_POINTS = 10
    assert review_points_award(review_id=1, resident=resident) == 10
    assert resident_summary(user=resident).redeemable == 10
    assert ledger_verify().ok


def test_it_awards_once_per_review(resident):
    """The same review twice moves points once and answers the first award."""
    assert review_points_award(review_id=7, resident=resident) == 10
    assert review_points_award(review_id=7, resident=resident) == 10
    assert resident_summary(user=resident).redeemable == 10


def test_it_caps_awards_per_day(resident, settings):
    """After REVIEW_POINTS_DAILY_CAP awards in a Shanghai day, further reviews give 0."""
    settings.REVIEW_POINTS_DAILY_CAP = 3
    awarded = [review_points_award(review_id=i, resident=resident) for i in range(1, 6)]
    assert awarded == [10, 10, 10, 0, 0]
    assert resident_summary(user=resident).redeemable == 30


def test_it_counts_the_cap_by_shanghai_day(resident, settings, monkeypatch):
    """The cap resets at midnight Asia/Shanghai, not UTC."""
    settings.REVIEW_POINTS_DAILY_CAP = 1
    # 23:30 on the 1st in Shanghai is 15:30 UTC; 00:30 on the 2nd is 16:30 UTC.
    before = dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC)
    after = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: before)
    assert review_points_award(review_id=1, resident=resident) == 10
    assert review_points_award(review_id=2, resident=resident) == 0
    monkeypatch.setattr(timezone, "now", lambda: after)
    assert review_points_award(review_id=3, resident=resident) == 10


def test_it_keeps_residents_caps_apart(resident, other_resident, settings):
    """One resident's awards do not count against another's cap."""
    settings.REVIEW_POINTS_DAILY_CAP = 1
    assert review_points_award(review_id=1, resident=resident) == 10
    assert review_points_award(review_id=2, resident=other_resident) == 10
