"""The points app's refusals, each with its API.md code and status."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError


class SoldOut(DomainError):
    code = "sold_out"
    default_detail = _("All claims of this campaign are gone.")


class AlreadyClaimed(DomainError):
    code = "already_claimed"
    default_detail = _("You have already claimed points from this campaign.")


class CampaignNotActive(DomainError):
    code = "campaign_not_active"
    default_detail = _("This campaign is not open now.")


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    default_detail = _("You do not have enough points.")


class OutOfStock(DomainError):
    code = "out_of_stock"
    default_detail = _("This reward is out of stock.")


class RewardNotAvailable(OutOfStock):
    # Same code as out of stock (API.md names no other): the reward cannot be had now.
    default_detail = _("This reward is not available now.")


class RedemptionNotCancellable(DomainError):
    code = "redemption_not_cancellable"
    default_detail = _("Only an unused voucher can be cancelled.")


class RedemptionAlreadyUsed(DomainError):
    code = "redemption_already_used"
    default_detail = _("This voucher has already been used.")


class ClaimAlreadyDecided(DomainError):
    code = "claim_already_decided"
    default_detail = _("This claim has already been decided.")


class ClaimNotRevocable(DomainError):
    code = "claim_not_revocable"
    default_detail = _("Only an approved claim can be revoked.")


class PassExpired(DomainError):
    code = "pass_expired"
    default_detail = _("This privilege pass has expired. Ask for a new one.")


class InactiveUser(DomainError):
    status = status.HTTP_401_UNAUTHORIZED
    code = "token_invalid"
    default_detail = _("The token is invalid or expired.")
