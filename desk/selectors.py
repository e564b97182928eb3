"""Reads of the service desk."""

from django.db.models import QuerySet

from accounts.models import OtpCode

from .models import AssistedAct, DeskSession


def session_get(*, pk: int) -> DeskSession | None:
    return DeskSession.objects.filter(pk=pk).first()


def sessions_of_agent(*, agent) -> QuerySet[DeskSession]:
    return DeskSession.objects.filter(agent=agent)


def acts_for_resident(*, resident) -> QuerySet[AssistedAct]:
    """The acts agents filed for `resident`, with the agent and the session's centre."""
    return AssistedAct.objects.filter(resident=resident).select_related("agent", "session")


def codes_sms_of(*, phone: str, limit: int = 5) -> list[OtpCode]:
    """The latest codes sent to `phone` (sign-in and desk) with their SMS's outcome, so
    an agent sees a code the provider did not deliver (docs/sms.md)."""
    return list(OtpCode.objects.filter(phone=phone).order_by("-created_at")[:limit])
