"""A cadre's badge code ("c"): its token and URL, and the resolver of a scanned badge.

The token is `c.<id>-<version>.<signature>` (core.codes): rotating the badge bumps
`Cadre.code_version`, so an older printed badge no longer resolves (404 code_revoked).
CadresConfig.ready() registers the kind with its API body and page.
"""

from core import codes

from .models import Cadre

TAG = "c"


def badge_token(cadre: Cadre) -> str:
    return codes.make_token(TAG, codes.versioned_payload(cadre.pk, cadre.code_version))


def badge_url(cadre: Cadre) -> str:
    return codes.code_url(badge_token(cadre))


def resolve_cadre(payload: str) -> Cadre:
    pk, version = codes.parse_versioned_payload(payload)
    cadre = Cadre.objects.select_related("unit").filter(pk=pk).first()
    if cadre is None:
        raise codes.CodeInvalid()
    if cadre.code_version != version:
        raise codes.CodeRevoked()
    return cadre
