"""Consent (issue 24, docs/privacy.md): the versioned privacy notice, the consents given,
and the gate of the routes that collect data.

The version last accepted lives on the user row (`User.consent_version`, and
`User.id_consent_version` for giving an ID-card number) as well as in the `Consent`
history: the gate reads the row authentication already loaded, so it costs no query.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.permissions import BasePermission

from core.errors import DomainError, Invalid

from .models import Consent, User

# The notice: what is collected, why, for how long, who sees it. A change of substance
# is a new PRIVACY_NOTICE_VERSION (everyone is asked again).
NOTICE_SECTIONS = [
    (
        "what",
        _("What we collect"),
        _(
            "Your phone number and display name; the reviews you write, with the time, a "
            "hash of your device and of your network address; your points, vouchers, "
            "payments and refunds; moral-point claims and their photos; stall "
            "registrations (name, ID-card number, encrypted, and photo); reports, "
            "notifications and what a service desk did for you."
        ),
    ),
    (
        "why",
        _("Why"),
        _(
            "To sign you in, to count reviews once per person and catch fraud, to keep "
            "your points and pay merchants, to decide claims and registrations, and to "
            "send you the notices you asked for."
        ),
    ),
    (
        "how_long",
        _("How long"),
        _(
            "Sign-in codes 30 days, device and address hashes 90 days, SMS texts 180 days, "
            "exports 24 hours; the rest while your account exists. After you leave, the "
            "account is anonymised; the ledger's amounts and the published rankings stay, "
            "with no name or phone."
        ),
    ),
    (
        "who",
        _("Who sees it"),
        _(
            "You. Staff who decide your case (moderators, officers, desk agents) see what "
            "the case needs, and each reading of your ID number or phone is recorded; you "
            "can see who looked. Reviews are anonymous to the cadres reviewed. Nothing is "
            "sold or given to third parties."
        ),
    ),
]


class ConsentRequired(DomainError):
    status = status.HTTP_409_CONFLICT
    code = "consent_required"
    default_detail = _(
        "Accept the current privacy notice first (GET /api/v1/privacy, then POST "
        "/api/v1/me/consents)."
    )


class IdConsentRequired(ConsentRequired):
    default_detail = _(
        "Giving an ID-card number needs its own consent first (POST /api/v1/me/consents "
        'with purpose "id_number").'
    )


def current_version() -> str:
    return settings.PRIVACY_NOTICE_VERSION


# The access token's claim of the notice's version accepted when it was issued: the hot
# writes that authenticate by the token alone (the review at the badge) read it instead
# of a user row they never load.
CONSENT_CLAIM = "cv"


def consent_claim_set(token, *, user: User) -> None:
    """Write the user's accepted version into a refresh token (its access tokens copy it)."""
    token[CONSENT_CLAIM] = user.consent_version


def _accepted(user) -> tuple[str, str]:
    """(notice version, ID consent version) accepted by `user`: the loaded row's, or for
    simplejwt's TokenUser its claim when current, else one read of the row (a token
    issued before the consent)."""
    if isinstance(user, User):
        return user.consent_version, user.id_consent_version
    claimed = user.token.get(CONSENT_CLAIM)
    if claimed == current_version():
        return claimed, ""
    row = User.objects.filter(pk=user.pk).values_list("consent_version", "id_consent_version")
    return row.first() or ("", "")


def consent_needed(*, user: User) -> bool:
    """Whether the user has not accepted the current notice (no query)."""
    return user.consent_version != current_version()


def consent_require(*, user: User, purpose: str = Consent.Purpose.NOTICE) -> None:
    """Raise 409 `consent_required` unless the user accepted the current notice (and,
    for `id_number`, the separate consent to give an ID-card number)."""
    version = current_version()
    notice, id_number = _accepted(user)
    if notice != version:
        raise ConsentRequired(fields={"version": [version], "purpose": [Consent.Purpose.NOTICE]})
    if purpose == Consent.Purpose.ID_NUMBER:
        if not isinstance(user, User):
            id_number = (
                User.objects.filter(pk=user.pk).values_list("id_consent_version", flat=True).first()
            )
        if id_number != version:
            raise IdConsentRequired(fields={"version": [version], "purpose": [purpose]})


@transaction.atomic
def consent_give(
    *, user: User, version: str, purpose: str = Consent.Purpose.NOTICE, recorded_by=None
) -> Consent:
    """Record a consent to the current version (an older or unknown one is refused, 400)."""
    if version != current_version():
        raise Invalid(
            _("This is not the current privacy notice."),
            fields={"version": [current_version()]},
        )
    now = timezone.now()
    column = "id_consent_version" if purpose == Consent.Purpose.ID_NUMBER else "consent_version"
    if purpose == Consent.Purpose.ID_NUMBER and user.consent_version != version:
        # The ID consent comes on top of the notice's: given together at a counter.
        Consent.objects.create(
            user=user,
            purpose=Consent.Purpose.NOTICE,
            version=version,
            created_at=now,
            recorded_by=recorded_by,
        )
        user.consent_version = version
        User.objects.filter(pk=user.pk).update(consent_version=version)
    consent = Consent.objects.create(
        user=user, purpose=purpose, version=version, created_at=now, recorded_by=recorded_by
    )
    setattr(user, column, version)
    User.objects.filter(pk=user.pk).update(**{column: version})
    return consent


def consent_missing(*, user, purpose: str = Consent.Purpose.NOTICE) -> bool:
    """For the pages' forms that collect data: whether `user` must first accept the
    current notice (and, for `id_number`, the ID consent); the page then shows the accept
    form (accounts/consent_form.html) and refuses the write, as the API's 409 does."""
    try:
        consent_require(user=user, purpose=purpose)
    except ConsentRequired:
        return True
    return False


def consent_prompt(*, user, purpose: str = Consent.Purpose.NOTICE) -> dict | None:
    """What accounts/consent_form.html needs ({version, purpose}) when a signed-in `user`
    must accept first; None otherwise (signed out: the page asks to sign in)."""
    if not user.is_authenticated or not consent_missing(user=user, purpose=purpose):
        return None
    return {"version": current_version(), "purpose": purpose}


# What a page's refused write says (the API's 409 names the API's routes).
PAGE_CONSENT_MESSAGE = _("Accept the privacy notice on this page first: nothing was saved.")


class HasConsent(BasePermission):
    """A DRF permission for the routes that collect data: 409 `consent_required` (not a
    403) for a signed-in user who has not accepted the current notice."""

    def has_permission(self, request, view):
        if request.user.is_authenticated:
            consent_require(user=request.user)
        return True
