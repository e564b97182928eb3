"""Who may use a desk session: only the agent who opened it."""

from .models import DeskSession


def is_agent_of(*, user, session: DeskSession) -> bool:
    return session.agent_id == user.pk
