"""The cadres app's two code kinds: a cadre's badge ("c") and a service ticket ("k"):
their tokens and URLs, and the resolvers of a scanned code.

A badge token is `c.<id>-<version>.<signature>` (core.codes): rotating the badge bumps
`Cadre.code_version`, so an older printed badge no longer resolves (404 code_revoked).
A ticket token is `k.<id>.<signature>`: the ticket's row says whether it is still good
(409 ticket_used, ticket_expired). CadresConfig.ready() registers both kinds with their
API body and page; both are of type "cadre", so the app reviews through either alike.
"""

from django.utils import timezone

from core import codes

from .errors import TicketExpired, TicketUsed
from .models import Cadre, ServiceTicket

TAG = "c"
TICKET_TAG = "k"


def badge_token(cadre: Cadre) -> str:
    return codes.versioned_token(TAG, cadre)


def badge_url(cadre: Cadre) -> str:
    return codes.code_url(badge_token(cadre))


def resolve_cadre(payload: str) -> Cadre:
    return codes.resolve_versioned(Cadre, payload, related="unit")


def ticket_token(ticket: ServiceTicket) -> str:
    return codes.make_token(TICKET_TAG, codes.b36(ticket.pk))


def ticket_url(ticket: ServiceTicket) -> str:
    return codes.code_url(ticket_token(ticket))


def ticket_get(payload: str) -> ServiceTicket:
    """The ticket a payload names, used or not; CodeInvalid when there is none."""
    try:
        pk = int(payload, 36)
    except ValueError:
        raise codes.CodeInvalid() from None
    ticket = ServiceTicket.objects.select_related("cadre", "cadre__unit").filter(pk=pk).first()
    if ticket is None:
        raise codes.CodeInvalid()
    return ticket


def ticket_check(ticket: ServiceTicket) -> ServiceTicket:
    """The ticket if it may still be used: TicketUsed, TicketExpired otherwise."""
    if ticket.used_at is not None:
        raise TicketUsed()
    if ticket.expires_at <= timezone.now():
        raise TicketExpired()
    return ticket


def resolve_ticket(payload: str) -> ServiceTicket:
    return ticket_check(ticket_get(payload))


def review_target(obj) -> tuple[Cadre, ServiceTicket | None]:
    """A resolved code of type "cadre" as (the cadre reviewed, the ticket if any)."""
    if isinstance(obj, ServiceTicket):
        return obj.cadre, obj
    return obj, None
