from django.utils.translation import gettext as _

from accounts.roles import Role

from .models import Cadre, Unit, UnitMembership


def unit_membership_grant(*, user, object_id: int, role: str) -> UnitMembership:
    """grant_role --unit: the user acts for that unit in `role`."""
    if role not in (Role.UNIT_ADMIN, Role.URBAN_OFFICER):
        raise LookupError(_("--unit goes with the roles unit_admin and urban_officer."))
    unit = Unit.objects.filter(pk=object_id).first()
    if unit is None:
        raise LookupError(_("No unit with id %(id)s.") % {"id": object_id})
    membership, _created = UnitMembership.objects.get_or_create(user=user, unit=unit, role=role)
    return membership


def cadre_link_user(*, user, object_id: int, role: str) -> Cadre:
    """grant_role --cadre: the user signs in as that cadre (one user per cadre)."""
    cadre = Cadre.objects.filter(pk=object_id).first()
    if cadre is None:
        raise LookupError(_("No cadre with id %(id)s.") % {"id": object_id})
    Cadre.objects.filter(user=user).exclude(pk=cadre.pk).update(user=None)
    cadre.user = user
    cadre.save(update_fields=["user"])
    return cadre
