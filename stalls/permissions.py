"""The stalls app's access rules, one predicate each, enforced once: in the service when
the admin and the API share the write (services.registration_approve...), in the view
for API-only reads."""

from accounts.roles import Role
from accounts.selectors import user_has_role
from cadres.selectors import unit_ids_for
from core.parties import Party

from . import selectors


def is_officer_for(*, user, unit_id: int) -> bool:
    """An urban_officer acting for this unit (district_admin is not: ID numbers stay masked)."""
    return user_has_role(user=user, role=Role.URBAN_OFFICER) and unit_id in unit_ids_for(
        user=user, role=Role.URBAN_OFFICER
    )


def can_manage(*, user, unit_id: int) -> bool:
    """Officers of the unit, and district_admin everywhere, decide and inspect."""
    return user_has_role(user=user, role=Role.DISTRICT_ADMIN) or is_officer_for(
        user=user, unit_id=unit_id
    )


def is_manager(*, user) -> bool:
    """Urban officers and district admins: the stalls admin is theirs."""
    return user.is_active and (
        user_has_role(user=user, role=Role.DISTRICT_ADMIN)
        or user_has_role(user=user, role=Role.URBAN_OFFICER)
    )


def is_district_admin(*, user) -> bool:
    """Sites and their trading hours are set up by the district only."""
    return user_has_role(user=user, role=Role.DISTRICT_ADMIN)


def registration_photo_visible(user, registration) -> bool:
    """A registration's photo: its vendor, the site unit's officers, district admins."""
    if not (user and user.is_authenticated):
        return False
    return registration.vendor_id == user.pk or can_manage(
        user=user, unit_id=registration.site.unit_id
    )


def report_photo_visible(user, report) -> bool:
    """A stall report's photo: its reporter, the site unit's officers, district admins."""
    if not (user and user.is_authenticated):
        return False
    return report.reporter_id == user.pk or can_manage(user=user, unit_id=report.stall.site.unit_id)


def vendor_photo_visible(user, stall) -> bool:
    """A vendor's photo: anyone while the stall is active (a licence display); otherwise
    its vendor, the site unit's officers and district admins."""
    if stall.status == "active":
        return True
    if not (user and user.is_authenticated):
        return False
    return stall.registration.vendor_id == user.pk or can_manage(
        user=user, unit_id=stall.site.unit_id
    )


# --- Nobody decides their own case (core/parties.py): who is a party to each decision.


def party_to_registration(*, user, registration) -> Party | None:
    """Approving or rejecting a registration: its vendor, and the service desk agent who
    filed it for them (the officer who decides is no party: that is their job)."""
    if registration.vendor_id == user.pk:
        return Party.SUBJECT
    if registration.filed_by_id is not None and registration.filed_by_id == user.pk:
        return Party.RECORDER
    return None


def party_to_stall(*, user, stall) -> Party | None:
    """Inspecting or reinstating a stall: its vendor (an officer with a stall of their own)."""
    if stall.registration.vendor_id == user.pk:
        return Party.SUBJECT
    return None


def party_to_report(*, user, report) -> Party | None:
    """Closing a report on a stall: whoever reported it, and the stall's vendor."""
    if report.reporter_id == user.pk:
        return Party.AUTHOR
    return party_to_stall(user=user, stall=report.stall)


def party_to_stall_appeal(*, user, appeal) -> Party | None:
    """Deciding a vendor's appeal against a suspension: the vendor, and every officer who
    recorded a violation behind the suspension (the decision appealed against)."""
    if appeal.vendor_id == user.pk:
        return Party.SUBJECT
    if user.pk in selectors.suspension_violation_officer_ids(stall=appeal.stall):
        return Party.RECORDER
    return None
