"""The roles of API.md, as Django groups; and the links some roles carry to records."""

from collections.abc import Callable

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.registrations import declared


class Role(models.TextChoices):
    RESIDENT = "resident", _("resident")
    CADRE = "cadre", _("cadre")
    UNIT_ADMIN = "unit_admin", _("unit administrator")
    URBAN_OFFICER = "urban_officer", _("urban management officer")
    MORAL_REVIEWER = "moral_reviewer", _("moral points reviewer")
    MERCHANT = "merchant", _("merchant")
    PARTNER = "partner", _("partner desk")
    DISTRICT_ADMIN = "district_admin", _("district administrator")
    LIVE_OPERATOR = "live_operator", _("live room operator")
    DISCIPLINE_INSPECTOR = "discipline_inspector", _("discipline inspector")
    APPEAL_REVIEWER = "appeal_reviewer", _("appeal reviewer")
    RATING_MODERATOR = "rating_moderator", _("rating moderator")
    FINANCE = "finance", _("finance officer")
    DESK_AGENT = "desk_agent", _("service desk agent")
    # Reads the audit trail (core.AuditEvent) in the admin, and nothing else.
    AUDITOR = "auditor", _("auditor")


# grant_role's --unit/--cadre/--merchant: option name -> link(user=, object_id=, role=).
# Apps declare theirs (ROLE_LINKS in registrations.py); a link raises LookupError for an
# unknown id.
_ROLE_LINKS: dict[str, Callable] = {}


def register_role_link(option: str, link: Callable) -> None:
    _ROLE_LINKS[option] = link


def role_link(option: str) -> Callable | None:
    return _ROLE_LINKS.get(option)


# Roles that work in the Django admin, and the model permissions each role's group has.
STAFF_ROLES = {
    Role.UNIT_ADMIN,
    Role.URBAN_OFFICER,
    Role.MORAL_REVIEWER,
    Role.DISTRICT_ADMIN,
    Role.LIVE_OPERATOR,
    Role.DISCIPLINE_INSPECTOR,
    Role.APPEAL_REVIEWER,
    Role.RATING_MODERATOR,
    Role.FINANCE,
    Role.AUDITOR,
}
_ROLE_PERMISSIONS: dict[str, set[str]] = {role: set() for role in Role.values}


def register_role_permissions(role: str, permissions: list[str]) -> None:
    """What a role may do: ["points.view_moralclaim", ...]."""
    _ROLE_PERMISSIONS[role].update(permissions)


def role_permissions(role: str) -> set[str]:
    return set(_ROLE_PERMISSIONS[role])


def register_declared() -> None:
    """The apps' ROLE_PERMISSIONS and ROLE_LINKS (core.registrations); AccountsConfig.ready()."""
    for role, permissions in declared("ROLE_PERMISSIONS"):
        register_role_permissions(role, permissions)
    for option, link in declared("ROLE_LINKS"):
        register_role_link(option, link)


def sync_role_groups(**kwargs) -> None:
    """post_migrate: one group per role, holding exactly the registered permissions."""
    for role in Role.values:
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in sorted(role_permissions(role)):
            app_label, codename = dotted.split(".", 1)
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
