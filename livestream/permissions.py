"""Who may do what in the livestream duty: predicates, so views, admin and pages agree."""

from accounts.roles import Role
from accounts.selectors import user_has_role
from cadres import selectors as cadres_selectors
from core.parties import Party


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
    """Only a discipline inspector; party_to_transfer says who of them may not."""
    return is_inspector(user)


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


# --- Nobody decides their own case (core/parties.py): who is a party to each decision.


def party_to_session(user, *, session) -> Party | None:
    """Recording a session's outcome: its hosts (an operator who went on air)."""
    if user.is_authenticated and session.hosts.filter(user=user).exists():
        return Party.HOST
    return None


def party_to_transfer(user, *, transfer) -> Party | None:
    """Confirming or rejecting a transfer: the cadre whose income it is, every host of the
    session, and whoever recorded the transfer or the income."""
    income = transfer.income
    if income.cadre.user_id is not None and income.cadre.user_id == user.pk:
        return Party.SUBJECT
    host = party_to_session(user, session=income.session)
    if host is not None:
        return host
    if user.pk in (transfer.recorded_by_id, income.recorded_by_id):
        return Party.RECORDER
    return None
