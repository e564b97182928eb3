"""Error reports to Sentry (or GlitchTip): the Django and Celery integrations, only when
SENTRY_DSN is set (config/settings.py calls `init`).

No personal data leaves: `send_default_pii` is off, and every event and breadcrumb goes
through `scrub` first: the request's cookies, query string and body, the Authorization
header and every header, field or local variable whose name says it holds a secret, a
phone or a code are dropped or replaced; phone numbers, ID numbers, JWTs and bearer
tokens are replaced in every string that remains (core.logs.scrub). The request id of
the failing request (or of the request that queued the failing task) is a tag.
Imports nothing of Django: settings loads it.
"""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from core.logs import FILTERED, current_request_id, scrub

# Parts of the request that are never sent, whatever their content.
_DROPPED_REQUEST_PARTS = ("cookies", "query_string", "data", "env")
_KEPT_HEADERS = {"content-type", "content-length", "user-agent", "accept", "accept-language"}


def _scrub_request(request: dict) -> dict:
    request = dict(request)
    for part in _DROPPED_REQUEST_PARTS:
        if request.get(part):
            request[part] = FILTERED
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: value if name.lower() in _KEPT_HEADERS else FILTERED
            for name, value in headers.items()
        }
    if isinstance(request.get("url"), str):
        request["url"] = request["url"].split("?", 1)[0]
    return request


def _drop_frame_vars(event: dict) -> None:
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def before_send(event: Any, hint: Any) -> Any:
    """The event with nothing personal left (the module's docstring says what goes)."""
    if isinstance(event.get("request"), dict):
        event["request"] = _scrub_request(event["request"])
    _drop_frame_vars(event)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return scrub(event)


def before_breadcrumb(crumb: Any, hint: Any) -> Any:
    return scrub(crumb)


def init(*, dsn: str, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        traces_sample_rate=0,
    )
