"""Reads of the privacy app."""

from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.selectors import user_roles
from stalls.models import Stall

from .models import Export


def export_latest(*, user: User) -> Export | None:
    return Export.objects.filter(user=user).order_by("-created_at", "-pk").first()


def export_by_token(*, token: str) -> Export | None:
    return Export.objects.select_related("user").filter(token=token).first()


def deletion_blockers(*, user: User) -> list[str]:
    """What must happen before the account can go (empty: nothing)."""
    first = []
    roles = [role for role in user_roles(user=user) if role != Role.RESIDENT]
    if roles or user.is_staff or user.is_superuser:
        first.append(
            _("An administrator must first remove your roles: %(roles)s.")
            % {"roles": ", ".join(roles) or _("staff")}
        )
    if Stall.objects.filter(registration__vendor=user, status=Stall.Status.ACTIVE).exists():
        first.append(_("Give up your active stall first (POST /api/v1/stalls/{id}/withdraw)."))
    return first
