"""Moderation's access rules, one predicate each, enforced once: who moderates flagged
reviews, who appeals and who decides appeals, and who is a party to each decision."""

from accounts.roles import Role
from accounts.selectors import user_has_role
from cadres.models import Review
from cadres.permissions import is_district_admin, party_to_review
from cadres.selectors import unit_ids_for
from core.parties import Party

from .models import Appeal, ReviewFlag


def can_moderate(*, user) -> bool:
    """The fraud queue: rating moderators (district admins too) decide flagged reviews."""
    return user_has_role(user=user, role=Role.RATING_MODERATOR) or is_district_admin(user=user)


def can_appeal(*, user, review: Review) -> bool:
    """The reviewed cadre, or an admin of the cadre's unit (as for answers)."""
    if not user.is_authenticated:
        return False
    if review.cadre.user_id is not None and review.cadre.user_id == user.pk:
        return True
    return user_has_role(user=user, role=Role.UNIT_ADMIN) and review.cadre.unit_id in (
        unit_ids_for(user=user, role=Role.UNIT_ADMIN)
    )


def can_decide_appeal(*, user) -> bool:
    """An appeal_reviewer (district level); party_to_appeal says who of them may not."""
    return user.is_authenticated and user_has_role(user=user, role=Role.APPEAL_REVIEWER)


def party_to_appeal(*, user, appeal: Appeal) -> Party | None:
    """Deciding an appeal: the parties to its review, and whoever appealed."""
    party = party_to_review(user=user, review=appeal.review)
    if party is None and appeal.appellant_id == user.pk:
        return Party.AUTHOR
    return party


def party_to_flag(*, user, flag: ReviewFlag) -> Party | None:
    """Excluding a flagged review or clearing its flags: the parties to the review."""
    return party_to_review(user=user, review=flag.review)
