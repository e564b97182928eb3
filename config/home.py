"""/: the home page the header links to, what the district offers (composed here, above
the apps whose pages it points at)."""

from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

import core
from core import display


@require_GET
@cache_control(public=True, max_age=300)
def home(request):
    return render(request, "core/home.html")


# The site's icon, read once: browsers ask for /favicon.ico whatever the page links.
FAVICON = (Path(core.__file__).resolve().parent / "static" / "core" / "favicon.ico").read_bytes()


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request):
    return HttpResponse(FAVICON, content_type="image/x-icon")


@require_GET
def display_mode(request):
    """The 长辈模式 switch (core/display.py): `?elder=1` on, anything else off; back to
    `next` (a path of this site; the home page otherwise). A link, so it works without
    script; the choice is a display preference, so a GET may set it."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/"):
        target = "/"
    response = redirect(target)
    if request.GET.get("elder") == "1":
        response.set_cookie(
            display.COOKIE,
            "1",
            max_age=display.COOKIE_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(display.COOKIE, samesite="Lax")
    add_never_cache_headers(response)
    return response
