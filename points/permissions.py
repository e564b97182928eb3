"""The points app's access rules, one predicate each (checked once: in the view, or in
the service when the API and the admin share it)."""

from accounts.roles import Role
from accounts.selectors import user_has_role
from core.parties import Party

from .models import Merchant


def is_merchant_of(*, user, merchant_id: int) -> bool:
    """The user works at the merchant: they add its rewards and confirm its vouchers."""
    return (
        user.is_authenticated
        and Merchant.users.through.objects.filter(merchant_id=merchant_id, user_id=user.pk).exists()
    )


def is_partner(*, user) -> bool:
    """A partner desk (library, clinic...): it checks privilege passes."""
    return user_has_role(user=user, role=Role.PARTNER)


def moral_claim_photo_visible(user, claim) -> bool:
    """The evidence of a moral claim: its resident, moral reviewers, district admins."""
    if not (user and user.is_authenticated):
        return False
    return (
        claim.resident_id == user.pk
        or user_has_role(user=user, role=Role.MORAL_REVIEWER)
        or user_has_role(user=user, role=Role.DISTRICT_ADMIN)
    )


# --- Nobody decides their own case (core/parties.py): who is a party to each decision.


def party_to_moral_claim(*, user, claim) -> Party | None:
    """Approving, rejecting or revoking a moral claim: its resident, and the service desk
    agent who filed it for them."""
    if claim.resident_id == user.pk:
        return Party.SUBJECT
    if claim.filed_by_id is not None and claim.filed_by_id == user.pk:
        return Party.RECORDER
    return None


def party_to_adjustment(*, user, account) -> Party | None:
    """An administrator's adjustment of an account: its resident, or the staff of the
    merchant whose account it is."""
    if account.owner_id is not None and account.owner_id == user.pk:
        return Party.SUBJECT
    if Merchant.objects.filter(account_id=account.pk, users=user.pk).exists():
        return Party.SUBJECT
    return None
