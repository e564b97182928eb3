"""Who may do what in the livestream duty: predicates, so views, admin and pages agree."""

from accounts.roles import Role
from accounts.selectors import user_has_role
from cadres import selectors as cadres_selectors


def is_operator(user) -> bool:
    return user_has_role(user=user, role=Role.LIVE_OPERATOR)


def is_inspector(user) -> bool:
    return user_has_role(user=user, role=Role.DISCIPLINE_INSPECTOR)


def admin_unit_ids(user) -> set[int]:
    """The units `user` is the unit admin of (empty without the role)."""
    if not user_has_role(user=user, role=Role.UNIT_ADMIN):
        return set()
    return cadres_selectors.unit_ids_for(user=user, role=Role.UNIT_ADMIN)


def can_plan(user, *, unit_id: int) -> bool:
    """The live room's operator plans for any unit; a unit admin for their own."""
    return is_operator(user) or unit_id in admin_unit_ids(user)


def can_record_outcome(user) -> bool:
    return is_operator(user)


def can_record_income(user, *, cadre) -> bool:
    """The cadre themselves, their unit's admin, the operator."""
    if user.is_authenticated and cadre.user_id == user.pk:
        return True
    return is_operator(user) or cadre.unit_id in admin_unit_ids(user)


def can_confirm_transfer(user, *, transfer) -> bool:
    """Only a discipline inspector, and never the one who recorded the transfer."""
    return is_inspector(user) and transfer.recorded_by_id != user.pk


def can_see_session_evidence(user, *, session) -> bool:
    if is_operator(user) or is_inspector(user):
        return True
    if session.unit_id in admin_unit_ids(user):
        return True
    return user.is_authenticated and session.hosts.filter(user=user).exists()


def can_see_transfer_evidence(user, *, transfer) -> bool:
    cadre = transfer.income.cadre
    return is_inspector(user) or can_record_income(user, cadre=cadre)


def compliance_unit_ids(user) -> set[int] | None:
    """The units whose compliance `user` sees: None for all (inspector), else own units."""
    if is_inspector(user):
        return None
    return admin_unit_ids(user)
