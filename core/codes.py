"""Every printed code: `<PUBLIC_BASE_URL>/q/<token>`, and the one resolver for all kinds.

A token is `<kind>.<payload>.<signature>`: the kind is a short tag an app registers
(for example "c" for a cadre badge), the payload is the app's own short text (an id
and a version, an id and an expiry...), and the signature is an HMAC of both with the
SECRET_KEY, cut to 16 base64url characters (96 bits): a token cannot be forged or
guessed, and revocation is the app's business (a version that no longer matches).

Apps declare their kinds in their `registrations.py` (core.registrations), which core
registers when it starts:

    CODE_KINDS = [codes.CodeKind(
        tag="c", type="cadre",
        resolve=lambda payload: ...,           # the object, or raise CodeRevoked/CodeInvalid
        serialize=lambda obj, request: {...},  # the body under "cadre" in POST /scan
        render_page=lambda request, obj: ...,  # the HttpResponse of /q/<token>
    )]
"""

import base64
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from . import rows
from .errors import DomainError

SIGNATURE_LENGTH = 16
MAX_TOKEN_LENGTH = 64
_TOKEN_RE = re.compile(r"^([a-z]{1,2})\.([A-Za-z0-9_-]{1,40})\.([A-Za-z0-9_-]{16})$")


class CodeInvalid(DomainError):
    status = status.HTTP_404_NOT_FOUND
    code = "code_invalid"
    default_detail = _("This code is not valid.")


class CodeRevoked(DomainError):
    status = status.HTTP_404_NOT_FOUND
    code = "code_revoked"
    default_detail = _("This code has been replaced and no longer works.")


@dataclass(frozen=True)
class CodeKind:
    tag: str
    type: str
    resolve: Callable[[str], Any]
    serialize: Callable[[Any, Any], dict]
    render_page: Callable[[Any, Any], Any] | None = None
    # `cached_page(request, payload, build)`: the page from a store before the code is
    # resolved, `build()` (resolve and render) on a miss (cadres.page_cache).
    cached_page: Callable[[Any, str, Callable[[], Any]], Any] | None = None
    # The key of the object in POST /scan's answer ("cadre", "site", "redemption"...).
    body_key: str | None = None


_KINDS: dict[str, CodeKind] = {}


def register(kind: CodeKind) -> None:
    existing = _KINDS.get(kind.tag)
    if existing is not None and existing.type != kind.type:
        raise ValueError(f"code tag {kind.tag!r} is already used by {existing.type!r}")
    _KINDS[kind.tag] = kind


def _signature(tag: str, payload: str) -> str:
    mac = salted_hmac("duoduo.codes", f"{tag}.{payload}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_LENGTH]


def make_token(tag: str, payload: str) -> str:
    token = f"{tag}.{payload}.{_signature(tag, payload)}"
    if not _TOKEN_RE.match(token):
        raise ValueError(f"payload {payload!r} does not fit a code token")
    return token


def code_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/q/{token}"


def token_from_code(code: str) -> str:
    """The token of a scanned code: the whole URL, a `/q/<token>` path, or a bare token."""
    code = (code or "").strip()
    if "/q/" in code:
        path = urlsplit(code).path if "://" in code else code
        code = path.rsplit("/q/", 1)[-1].strip("/")
    return code


def parse_token(token: str) -> tuple[CodeKind, str]:
    """The kind and payload of a token whose signature is good; CodeInvalid otherwise."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise CodeInvalid()
    match = _TOKEN_RE.match(token)
    if not match:
        raise CodeInvalid()
    tag, payload, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(tag, payload)):
        raise CodeInvalid()
    kind = _KINDS.get(tag)
    if kind is None:
        raise CodeInvalid()
    return kind, payload


@dataclass(frozen=True)
class Resolved:
    kind: CodeKind
    obj: Any


def parse(code: str) -> tuple[CodeKind, str]:
    """The kind and payload of a scanned code, read from the database by no one yet (a
    place that folds the lookup into its own statement: merchants' payment at a counter)."""
    if not isinstance(code, str) or len(code) > 512:
        raise CodeInvalid()
    return parse_token(token_from_code(code))


def resolve(code: str) -> Resolved:
    """The object a scanned code points to; CodeInvalid, CodeRevoked (or the kind's own)."""
    kind, payload = parse(code)
    return Resolved(kind=kind, obj=kind.resolve(payload))


def resolve_as(code: str, type_: str) -> Any:
    """Like `resolve`, for a place that accepts one kind only (a review needs a badge)."""
    resolved = resolve(code)
    if resolved.kind.type != type_:
        raise CodeInvalid()
    return resolved.obj


def scan_body(resolved: Resolved, request) -> dict:
    key = resolved.kind.body_key or resolved.kind.type
    return {"type": resolved.kind.type, key: resolved.kind.serialize(resolved.obj, request)}


def versioned_payload(pk: int, version: int) -> str:
    """The payload of a rotatable code: `<id base36>-<version base36>`."""
    return f"{b36(pk)}-{b36(version)}"


def versioned_token(tag: str, obj) -> str:
    """The token of a rotatable code (core.models.RotatableCode): id and current version."""
    return make_token(tag, versioned_payload(obj.pk, obj.code_version))


def resolve_versioned(model, payload: str, *, related: str | None = None):
    """The row a rotatable code names (with its `related` foreign key's row loaded);
    CodeInvalid when gone, CodeRevoked when rotated. Read by core.rows.by_pk: a code is
    resolved at every scan and every review."""
    pk, version = parse_versioned_payload(payload)
    obj = rows.by_pk(model, pk, related=related)
    if obj is None:
        raise CodeInvalid()
    if obj.code_version != version:
        raise CodeRevoked()
    return obj


def parse_versioned_payload(payload: str) -> tuple[int, int]:
    try:
        pk, version = payload.split("-")
        return int(pk, 36), int(version, 36)
    except ValueError:
        raise CodeInvalid() from None


def b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if number < 0:
        raise ValueError("negative")
    out = ""
    while True:
        number, rem = divmod(number, 36)
        out = digits[rem] + out
        if not number:
            return out
