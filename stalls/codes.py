"""The two code kinds of the stalls app: "s" a site's Stall Management Code (rotatable)
and "t" a stall's own code: their tokens and resolvers. StallsConfig.ready() registers
each kind with its API body (stalls.api.serializers) and its page (stalls.pages)."""

from core import codes

from .models import Site, Stall

SITE_TAG = "s"
STALL_TAG = "t"


def site_token(site: Site) -> str:
    return codes.versioned_token(SITE_TAG, site)


def site_code_url(site: Site) -> str:
    return codes.code_url(site_token(site))


def stall_token(stall: Stall) -> str:
    return codes.make_token(STALL_TAG, str(stall.pk))


def stall_code_url(stall: Stall) -> str:
    return codes.code_url(stall_token(stall))


def resolve_site(payload: str) -> Site:
    return codes.resolve_versioned(Site, payload)


def resolve_stall(payload: str) -> Stall:
    # A stall's code is never rotated: its payload is the id in decimal.
    if not (payload.isdigit() and len(payload) <= 18):
        raise codes.CodeInvalid()
    stall = Stall.objects.filter(pk=int(payload)).first()
    if stall is None:
        raise codes.CodeInvalid()
    return stall
