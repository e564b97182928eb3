"""Who may use a desk session (only the agent who opened it), and who is a party to a desk
act: an agent never acts for themself (core/parties.py)."""

from core.parties import Party

from .models import DeskSession


def is_agent_of(*, user, session: DeskSession) -> bool:
    return session.agent_id == user.pk


def party_to_desk_phone(*, user, phone: str) -> Party | None:
    """Opening a session for a phone: the agent's own (acting for themself)."""
    if phone == user.phone:
        return Party.SUBJECT
    return None


def party_to_desk_session(*, user, session: DeskSession) -> Party | None:
    """Filing an act in a session: the agent when the session's resident is themself."""
    if session.resident_id is not None and session.resident_id == user.pk:
        return Party.SUBJECT
    return None


def party_to_assisted_review(*, user, cadre) -> Party | None:
    """Filing a review of a cadre: an agent who is that cadre, whoever it is for."""
    if cadre.user_id is not None and cadre.user_id == user.pk:
        return Party.SUBJECT
    return None
