"""The signed-out badge page (`GET /q/<badge token>`) as stored bytes in Redis.

A phone that scans a badge without a session is shown the same page as every other in
its display mode: rendered once, stored under the token, the language and the mode
(core/display.py, 长辈模式), and served from one Redis MGET before the code is resolved
(no SQL, no template). The entry holds the versions it was built under; any of them
moving makes it a miss, rebuilt once:

- the cadre's own version, bumped after the commit of a review of the cadre (the page
  shows the month's count of reviews);
- the badge pages' version, bumped after the commit of any change to a cadre or a unit
  (name, title, photo, unit, active) and of a badge code's rotation (the old token's
  entry stops being served, and the token then resolves to `code_revoked`);
- the versions the apps above register (cadres.hooks.BADGE_PAGE_VERSION_KEYS: the
  rankings' publication version, for the history and chart).

While Redis is down the page is built from the database, as without the cache. A
request with a session or messages cookie (a signed-in phone, a flash message) is never
served nor stored from here.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from core.cache import UNREACHABLE
from core.display import elder_mode

from . import hooks

SECONDS = 300
# The sign-in form's CSRF token is each visitor's own: stored as this placeholder, and
# a hit puts the visitor's token in its place (setting their CSRF cookie, as a render
# would).
CSRF_PLACEHOLDER = b"__badge_page_csrf_token__"
_CSRF_VALUE = re.compile(rb'(name="csrfmiddlewaretoken" value=")([^"]+)(")')
ALL_VERSION_KEY = "badge:pages:version"


def cadre_version_key(cadre_id: int) -> str:
    return f"badge:cadre:{cadre_id}:version"


def _entry_key(request, token: str) -> str:
    """The stored page's key: the token, the language and the display mode."""
    mode = "elder" if elder_mode(request) else "standard"
    return f"badge:page:{token}:{get_language()}:{mode}"


@dataclass(frozen=True)
class StoredPage:
    versions: tuple
    body: bytes
    content_type: str


def may_use(request) -> bool:
    """A signed-out GET with neither a session nor a messages cookie."""
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _version_keys(cadre_id: int) -> list[str]:
    return [*hooks.BADGE_PAGE_VERSION_KEYS, ALL_VERSION_KEY, cadre_version_key(cadre_id)]


def lookup(request, token: str, cadre_id: int) -> tuple[tuple | None, "StoredPage | None"]:
    """(the current versions, or None when one is unknown or Redis is down; the stored
    page built under them, or None): one MGET."""
    keys = _version_keys(cadre_id)
    entry_key = _entry_key(request, token)
    try:
        found = cache.get_many([*keys, entry_key])
    except UNREACHABLE:
        return None, None
    # A cadre whose version was never bumped is at 0 (a bump makes it 2 at least).
    versions = (*(found.get(key) for key in keys[:-1]), found.get(keys[-1], 0))
    if None in versions:
        return None, None
    entry = found.get(entry_key)
    if isinstance(entry, StoredPage) and entry.versions == versions:
        return versions, entry
    return versions, None


def store(
    request, token: str, cadre_id: int, versions: tuple | None, response: HttpResponse
) -> None:
    """Keep a 200 page built under `versions` (read before it was built, so that a bump
    meanwhile makes it a miss, never a stale hit). A page that set a cookie is this
    visitor's own, never stored; the CSRF token's value is stored as CSRF_PLACEHOLDER."""
    if response.status_code != 200 or response.has_header("Set-Cookie"):
        return
    if versions is None:
        try:
            for key in _version_keys(cadre_id)[:-1]:
                cache.add(key, 1, timeout=None)
        except UNREACHABLE:  # Redis down: the page was built from the database
            pass
        return
    body = _CSRF_VALUE.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\3", response.content)
    page = StoredPage(versions, body, response["Content-Type"])
    cache.set(_entry_key(request, token), page, SECONDS)


def cached_page(request, payload: str, build) -> HttpResponse:
    """The badge kind's page through the store (core.codes.CodeKind.cached_page):
    `build()` resolves the code and renders the page (or its error page) on a miss."""
    if not may_use(request):
        return build()
    try:
        cadre_id = int(payload.split("-")[0], 36)
    except ValueError:
        return build()
    versions, found = lookup(request, payload, cadre_id)
    if found is not None:
        body = found.body
        if CSRF_PLACEHOLDER in body:
            body = body.replace(CSRF_PLACEHOLDER, get_token(request).encode())
        return HttpResponse(body, content_type=found.content_type)
    response = build()
    store(request, payload, cadre_id, versions, response)
    return response


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # never set (0) or evicted: 2 orphans the older entries
        try:
            if not cache.add(key, 2, timeout=None):
                cache.incr(key)  # another bump set it meanwhile: this one counts too
        except (ValueError, *UNREACHABLE):
            pass
    except UNREACHABLE:
        pass


def cadre_changed(cadre_id: int) -> None:
    """Inside the write's transaction: the cadre's page is rebuilt once it commits."""
    transaction.on_commit(lambda: _bump(cadre_version_key(cadre_id)))


def all_changed() -> None:
    """Inside the write's transaction: every badge page is rebuilt once it commits."""
    transaction.on_commit(lambda: _bump(ALL_VERSION_KEY))


def cadre_or_unit_changed(sender, **kwargs) -> None:
    """post_save and post_delete of a cadre or a unit (CadresConfig.ready)."""
    all_changed()
