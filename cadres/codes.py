"""A cadre's badge code ("c"): its token and URL, and the resolver of a scanned badge.

The token is `c.<id>-<version>.<signature>` (core.codes): rotating the badge bumps
`Cadre.code_version`, so an older printed badge no longer resolves (404 code_revoked).
CadresConfig.ready() registers the kind with its API body and page.
"""

from core import codes

from .models import Cadre

TAG = "c"


def badge_token(cadre: Cadre) -> str:
    return codes.versioned_token(TAG, cadre)


def badge_url(cadre: Cadre) -> str:
    return codes.code_url(badge_token(cadre))


def resolve_cadre(payload: str) -> Cadre:
    return codes.resolve_versioned(Cadre.objects.select_related("unit"), payload)
