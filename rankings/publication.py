"""Published months served as stored bytes: rendered once, then one Redis GET a hit.

A published month never changes, so its page and API bodies are rendered on the first
hit (the serializer or the template, exactly as they would be on every hit) and kept
in the rankings cache (rankings.cache.RANKINGS) under the month, the scope and the
variant, together with the cache's version at the time. Publishing (and a correction,
issue 11) bumps that version, so each stored rendering is rebuilt once on its next hit.
With Redis down the cache misses and everything is rendered from the database.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from .cache import RANKINGS

# Stored renderings of a month stay until the next publication bumps the version; the
# time limit only bounds what an unused variant holds in Redis.
STORED_SECONDS = 24 * 3600
# A search's results: many variants, each kept for a short while.
SEARCH_SECONDS = RANKINGS.seconds
# What browsers and proxies may keep without asking (a correction shows within this).
MAX_AGE = RANKINGS.seconds
CACHE_CONTROL = f"public, max-age={MAX_AGE}"
# In every key: change it with Rendering's fields or the bodies' shape (r2: `changes`),
# so a deploy never reads an older shape.
FORMAT = "r2"


@dataclass(frozen=True)
class Rendering:
    """The bytes of one response and what its validators say."""

    body: bytes
    content_type: str
    etag: str
    modified: int | None  # Last-Modified as a timestamp, and as the header says it
    last_modified: str


def rendering(body: bytes, *, content_type: str, last_modified: dt.datetime | None) -> Rendering:
    digest = hashlib.sha256(body).hexdigest()[:32]
    modified = int(last_modified.timestamp()) if last_modified else None
    return Rendering(
        body=body,
        content_type=content_type,
        etag=f'"{digest}"',
        modified=modified,
        last_modified=http_date(modified) if modified is not None else "",
    )


def stored(key: str, build, *, seconds: int = STORED_SECONDS, request=None):
    """The value stored under `key` for the current publication version, built when
    missing (None, for a 404, is never stored). With the `request` that `peek` just
    missed this key for, Redis is not asked a second time."""
    missed = getattr(request, "publication_missed", None)
    if missed is not None and missed[0] == key:
        return RANKINGS.fetch(f"{FORMAT}:{key}", build, seconds=seconds, missed=missed[1])
    return RANKINGS.fetch(f"{FORMAT}:{key}", build, seconds=seconds)


def peek(key: str, request=None) -> Rendering | None:
    """What `stored` holds under `key` for the current version (one round trip), or None.
    A miss is noted on `request`, for `stored`."""
    version, found = RANKINGS.lookup(f"{FORMAT}:{key}")
    if found is None and request is not None:
        request.publication_missed = (key, version)
    return found


def respond(request, found: Rendering) -> HttpResponse:
    """The stored bytes, public and cacheable; 304 when the client's copy is current."""
    response = HttpResponse(found.body, content_type=found.content_type)
    response["ETag"] = found.etag
    if found.last_modified:
        response["Last-Modified"] = found.last_modified
    response["Cache-Control"] = CACHE_CONTROL
    if "if-none-match" in request.headers or "if-modified-since" in request.headers:
        # Given a response, Django answers a response (None is for a call without one).
        conditional = get_conditional_response(
            request, etag=found.etag, last_modified=found.modified, response=response
        )
        return conditional or response
    return response
