"""Every kind of notification: who gets it, its texts, and whether it may go by SMS.

Apps above this one (points, cadres, stalls, and the ones still to come) call
`notifications.services.notify(kind=...)` with a kind named here; a kind's texts are
`%(name)s` templates filled from the notification's `params` when it is shown, in the
reader's language (Chinese first, English second). A text never names who reviewed a
cadre: the params the callers pass do not hold it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    name: str
    recipient: str  # "cadre", "resident", "vendor", "staff" (who it is for; documentation)
    title: object  # a lazy translatable %-template
    body: object
    sms: bool = False  # may go by SMS
    sms_default: bool = False  # SMS on unless the person turns it off (only when `sms`)

    def render(self, params: dict) -> tuple[str, str]:
        """(title, body) in the active language; a missing parameter shows as empty."""
        values = Params(params or {})
        return str(self.title) % values, str(self.body) % values


class Params(dict):
    """The params as a template sees them: a missing one is empty, and a value given per
    language (`{"zh-hans": ..., "en": ...}`, e.g. the staff digest's queue names) is
    the active language's."""

    def __missing__(self, key):
        return ""

    def __getitem__(self, key):
        value = super().__getitem__(key) if key in self else self.__missing__(key)
        if isinstance(value, dict):
            return value.get(get_language()) or next(iter(value.values()), "")
        return value


def each_language(text, params: dict | None = None) -> dict[str, str]:
    """A lazy translatable text (a %-template filled with `params`) as a param:
    {language: text} for each of LANGUAGES, so the reader sees it in their language
    (e.g. "accepted" in a verdict)."""
    values = {}
    for language, _name in settings.LANGUAGES:
        with override(language):
            values[language] = str(text) % params if params else str(text)
    return values


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def get(name: str) -> Kind:
    return KINDS[name]


def _kind(name, recipient, title, body, *, sms=False, sms_default=None):
    return register(
        Kind(
            name=name,
            recipient=recipient,
            title=title,
            body=body,
            sms=sms,
            sms_default=sms if sms_default is None else sms_default,
        )
    )


# --- Cadres.
REVIEW_BAD = _kind(
    "review_bad",
    "cadre",
    _("New bad review"),
    _("A %(rating)s-star review of your service awaits your answer (within 72 hours)."),
    sms=True,
)
REVIEW_ANSWER_DUE = _kind(
    "review_answer_due",
    "cadre",
    _("Answer due in 24 hours"),
    _("A %(rating)s-star review of %(date)s is still unanswered; answer it within 24 hours."),
    sms=True,
)
REVIEW_OVERDUE = _kind(
    "review_overdue",
    "cadre",
    _("Review answer overdue"),
    _("A %(rating)s-star review of %(date)s was not answered within 72 hours."),
)
REVIEW_VERDICT = _kind(
    "review_verdict",
    "cadre",
    _("Verdict on your answer"),
    _("The reviewer %(verdict)s your answer to a %(rating)s-star review."),
)
TICKET_REVIEW = _kind(
    "ticket_review",
    "cadre",
    _("Verified review received"),
    # Neither the rating nor the ticket: the cadre knows whom they served with which ticket.
    _("A verified review of your service (through a service ticket) has arrived."),
)
APPEAL_DECIDED = _kind(
    "appeal_decided",
    "cadre",
    _("Appeal decided"),
    _("Your appeal against the review of %(date)s was decided: %(outcome)s."),
)
WARNING_ISSUED = _kind(
    "warning_issued",
    "cadre",
    _("Warning issued"),
    _("In the bottom 10%% of the ranking %(months)s months in a row up to %(month)s: %(warning)s."),
    sms=True,
)
WARNING_WITHDRAWN = _kind(
    "warning_withdrawn",
    "cadre",
    _("Warning withdrawn"),
    _(
        "Version %(version)s of the %(corrected)s ranking, a correction, no longer supports "
        "your %(warning)s of %(month)s: it is withdrawn."
    ),
    sms=True,
)

# --- Merchants.
PAYMENT_RECEIVED = _kind(
    "payment_received",
    "merchant",
    _("Payment received"),
    _("A resident paid %(merchant)s %(points)s points."),
)


# --- Residents.
REVIEW_ANSWERED = _kind(
    "review_answered",
    "resident",
    _("Your review was answered"),
    _("%(cadre)s answered your review; please say whether you accept the answer."),
    sms=True,
)
MORAL_CLAIM_APPROVED = _kind(
    "moral_claim_approved",
    "resident",
    _("Moral claim approved"),
    _('Your claim "%(category)s" was approved: %(points)s moral points.'),
    sms=True,
)
MORAL_CLAIM_REJECTED = _kind(
    "moral_claim_rejected",
    "resident",
    _("Moral claim rejected"),
    _('Your claim "%(category)s" was rejected: %(reason)s'),
    sms=True,
)
MORAL_CLAIM_REVOKED = _kind(
    "moral_claim_revoked",
    "resident",
    _("Moral points revoked"),
    _('The %(points)s points of your claim "%(category)s" were revoked: %(reason)s'),
)
VOUCHER_USED = _kind(
    "voucher_used",
    "resident",
    _("Voucher used"),
    _('Your voucher for "%(reward)s" was used at %(merchant)s.'),
)
VOUCHER_CANCELLED = _kind(
    "voucher_cancelled",
    "resident",
    _("Voucher cancelled"),
    _('Your voucher for "%(reward)s" was cancelled; %(points)s points came back.'),
)
REFUND_RECEIVED = _kind(
    "refund_received",
    "resident",
    _("Refund received"),
    _("%(merchant)s refunded %(points)s points of your payment."),
)
TIER_GAINED = _kind(
    "tier_gained",
    "resident",
    _("Privilege tier gained"),
    _('With %(score)s moral points you are now in the tier "%(tier)s".'),
)
TIER_LOST = _kind(
    "tier_lost",
    "resident",
    _("Privilege tier changed"),
    _('With %(score)s moral points you left the tier "%(tier)s".'),
)
REPORT_CLOSED = _kind(
    "report_closed",
    "resident",
    _("Your report was closed"),
    _("Your report on the stall at %(site)s was closed: %(resolution)s"),
)
CAMPAIGN_ANNOUNCED = _kind(
    "campaign_announced",
    "resident",
    _("Grab campaign opens soon"),
    _('"%(title)s" opens at %(starts_at)s: %(points)s points a claim.'),
    sms=True,
    sms_default=False,  # opt-in: turning its SMS on subscribes
)
POINTS_EXPIRING = _kind(
    "points_expiring",
    "resident",
    _("Points expiring"),
    _("%(points)s of your points expire at the end of %(date)s; spend them before then."),
    sms=True,
)

# --- Vendors.
REGISTRATION_APPROVED = _kind(
    "registration_approved",
    "vendor",
    _("Registration approved"),
    _("Your stall at %(site)s is approved: slot %(slot)s, licence %(licence)s."),
    sms=True,
)
REGISTRATION_REJECTED = _kind(
    "registration_rejected",
    "vendor",
    _("Registration rejected"),
    _("Your registration at %(site)s was rejected: %(reason)s"),
    sms=True,
)
WAITLIST_PROMOTED = _kind(
    "waitlist_promoted",
    "vendor",
    _("A slot is yours"),
    _("You moved up from the waiting list at %(site)s: slot %(slot)s, licence %(licence)s."),
    sms=True,
)
STALL_SUSPENDED = _kind(
    "stall_suspended",
    "vendor",
    _("Stall suspended"),
    _("Your stall at %(site)s (slot %(slot)s) is suspended: %(reason)s"),
    sms=True,
)
STALL_REINSTATED = _kind(
    "stall_reinstated",
    "vendor",
    _("Stall reinstated"),
    _("Your stall at %(site)s is reinstated on slot %(slot)s."),
    sms=True,
)
RENEWAL_DUE = _kind(
    "renewal_due",
    "vendor",
    _("Registration renewal due"),
    _("Your registration at %(site)s expires on %(date)s; renew it before then."),
    sms=True,
)

# --- Staff and everyone.
STAFF_DIGEST = _kind(
    "staff_digest",
    "staff",
    _("Work waiting for you"),
    _("Pending today: %(summary)s"),
)
NOTICE = _kind(
    "notice",
    "resident",
    _("Notice: %(title)s"),
    "%(body)s",
)
