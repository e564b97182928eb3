"""The cadres app's access rules, one predicate each, enforced once: in the view when
only the API uses the rule, in the service when the admin or a page shares it."""

from accounts.roles import Role
from accounts.selectors import user_has_role
from core.parties import Party

from .models import Cadre, Review, ServiceTicket, UnitMembership
from .selectors import unit_ids_for


def is_district_admin(*, user) -> bool:
    return user_has_role(user=user, role=Role.DISTRICT_ADMIN)


def can_manage_unit(*, user, unit_id: int) -> bool:
    """District admins manage every unit; a unit_admin only their own."""
    if is_district_admin(user=user):
        return True
    return user_has_role(user=user, role=Role.UNIT_ADMIN) and unit_id in unit_ids_for(
        user=user, role=Role.UNIT_ADMIN
    )


def can_see_badge(*, user, cadre: Cadre) -> bool:
    """The cadre themselves, their unit's admin, a district admin."""
    if user.is_authenticated and cadre.user_id == user.pk:
        return True
    return can_manage_unit(user=user, unit_id=cadre.unit_id)


def can_answer(*, user, review: Review) -> bool:
    """The reviewed cadre, or an admin of the cadre's unit (district admins too)."""
    if review.cadre.user_id is not None and review.cadre.user_id == user.pk:
        return True
    return can_manage_unit(user=user, unit_id=review.cadre.unit_id)


def is_reviewer_of(*, user, review: Review) -> bool:
    """Only the reviewer accepts or rejects the answer to their review (the verdict)."""
    return user.is_authenticated and review.reviewer_id == user.pk


def can_issue_ticket(*, user, cadre: Cadre) -> bool:
    """The cadre themselves, or the service window of its unit (its unit_admin; district
    admins too)."""
    if user.is_authenticated and cadre.user_id == user.pk:
        return True
    return can_manage_unit(user=user, unit_id=cadre.unit_id)


def can_see_ticket(*, user, ticket: ServiceTicket) -> bool:
    """A ticket's QR: whoever issued it, and the cadre it is for."""
    if not user.is_authenticated:
        return False
    return user.pk in (ticket.issued_by_id, ticket.cadre.user_id)


def is_of_unit(*, user, unit_id: int) -> bool:
    """A cadre of the unit, or anyone acting for it (unit_admin, urban_officer...)."""
    if Cadre.objects.filter(user=user, unit_id=unit_id).exists():
        return True
    return UnitMembership.objects.filter(user=user, unit_id=unit_id).exists()


# --- Nobody decides their own case (core/parties.py): who is a party to each decision.
# A reviewer's verdict on the answer to their own review is theirs by design (not here).


def party_to_review(*, user, review: Review) -> Party | None:
    """A decision on a review (an appeal against it, its fraud flags): who wrote it, the
    reviewed cadre, and anyone of the cadre's unit (its cadres, unit admins, officers)."""
    if review.reviewer_id == user.pk:
        return Party.AUTHOR
    if review.cadre.user_id is not None and review.cadre.user_id == user.pk:
        return Party.SUBJECT
    if is_of_unit(user=user, unit_id=review.cadre.unit_id):
        return Party.UNIT
    return None
