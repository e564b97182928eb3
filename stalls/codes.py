"""The two code kinds of the stalls app: "s" a site's Stall Management Code (rotatable)
and "t" a stall's own code. Registered with core.codes in StallsConfig.ready()."""

from core import codes

from .models import Site, Stall

SITE_TAG = "s"
STALL_TAG = "t"


def site_token(site: Site) -> str:
    return codes.make_token(SITE_TAG, codes.versioned_payload(site.pk, site.code_version))


def site_code_url(site: Site) -> str:
    return codes.code_url(site_token(site))


def stall_token(stall: Stall) -> str:
    return codes.make_token(STALL_TAG, str(stall.pk))


def stall_code_url(stall: Stall) -> str:
    return codes.code_url(stall_token(stall))


def resolve_site(payload: str) -> Site:
    pk, version = codes.parse_versioned_payload(payload)
    site = Site.objects.filter(pk=pk).first()
    if site is None:
        raise codes.CodeInvalid()
    if site.code_version != version:
        raise codes.CodeRevoked()
    return site


def resolve_stall(payload: str) -> Stall:
    # A stall's code is never rotated: its payload is the id in decimal.
    if not (payload.isdigit() and len(payload) <= 18):
        raise codes.CodeInvalid()
    stall = Stall.objects.filter(pk=int(payload)).first()
    if stall is None:
        raise codes.CodeInvalid()
    return stall


def _serialize_site(site, request):
    from .api.serializers import site_body
    from .selectors import sites_public

    return site_body(sites_public().get(pk=site.pk))


def _serialize_stall(stall, request):
    from .api.serializers import stall_public_body
    from .selectors import stalls_public

    return stall_public_body(stalls_public().get(pk=stall.pk))


def _site_page(request, site):
    from .pages import site_page

    return site_page(request, site)


def _stall_page(request, stall):
    from .pages import stall_page

    return stall_page(request, stall)


def register() -> None:
    codes.register(
        codes.CodeKind(
            tag=SITE_TAG,
            type="site",
            resolve=resolve_site,
            serialize=_serialize_site,
            render_page=_site_page,
            body_key="site",
        )
    )
    codes.register(
        codes.CodeKind(
            tag=STALL_TAG,
            type="stall",
            resolve=resolve_stall,
            serialize=_serialize_stall,
            render_page=_stall_page,
            body_key="stall",
        )
    )
