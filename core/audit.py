"""One audit trail: every act on behalf of someone else, and every read of someone's
personal data by staff, as an `AuditEvent` written in the act's own transaction
(docs/audit.md).

    from core import audit
    audit.record(officer, "moral_claim.approve", claim, subject=claim.user,
                 summary={"before": {"state": "pending"}, "after": {"state": "approved"}},
                 request=request)

`record()` goes inside the service's `transaction.atomic()` block, after the act's
writes succeeded: a refused or invalid act raises before it and leaves no event, and an
act rolled back takes its event with it. The event holds ids, codes and short states,
never a phone number or a name.

The actor's unit comes from the apps (`AUDIT_UNITS` in `<app>/registrations.py`: a list
of `unit(user, role) -> str` that answer "" when they do not know), read at the first
event.
"""

import copy
import functools
import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.utils import timezone

from .hashes import address_hash
from .logs import current_request_id, valid_request_id
from .models import AuditEvent
from .net import client_ip
from .registrations import declared

__all__ = [
    "AuditEvent",
    "RequestMiddleware",
    "actor_role",
    "actor_unit",
    "events_about",
    "record",
    "record_reads",
]

SUMMARY_MAX_CHARS = 2000
# The role recorded for an act nobody did (a scheduled task, a migration).
SYSTEM = "system"
RESIDENT = "resident"

# The request being answered, for the events its services write (RequestMiddleware).
_request: ContextVar[Any] = ContextVar("audit_request", default=None)


class RequestMiddleware:
    """Makes the request being answered known to `record()`, so that a service called
    from a view, the admin or a page records its request id and address without being
    handed the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@functools.cache
def _units() -> list[Callable[[Any, str], str]]:
    """The apps' AUDIT_UNITS: unit(user, role) -> the unit's name, or "" (read once)."""
    return declared("AUDIT_UNITS")


def actor_role(actor, subject=None) -> str:
    """The role an actor acts in: "system" for nobody, "resident" for oneself or a user
    without a staff role, otherwise their first role after resident (Role's order)."""
    if actor is None:
        return SYSTEM
    if subject is not None and _pk(subject) == actor.pk:
        return RESIDENT
    roles = [role for role in getattr(actor, "roles", []) if role != RESIDENT]
    return roles[0] if roles else RESIDENT


def _pk(user) -> int | None:
    return user if user is None or isinstance(user, int) else user.pk


def actor_unit(actor, role: str) -> str:
    """The unit's name the apps know for the actor in that role; "" if none does."""
    if actor is None:
        return ""
    for unit in _units():
        name = unit(actor, role)
        if name:
            return str(name)[:200]
    return ""


def record(
    actor,
    action: str,
    obj: models.Model | None,
    *,
    subject=None,
    summary: dict | None = None,
    purpose: str = "",
    request=None,
    role: str | None = None,
    object_type: str = "",
    object_id: object = "",
) -> AuditEvent:
    """Write one event: `actor` (a user, or None for the system) did `action` to `obj`
    (a model instance; or give `object_type`/`object_id`), touching `subject`'s data (a
    user or a user's id).
    `summary` is short JSON ({"before": ..., "after": ...}); `role` overrides the role
    the actor is recorded in; `request` defaults to the one being answered. Call it
    inside the act's transaction."""
    event = _event(actor, action, summary, purpose, request, role or actor_role(actor, subject))
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
    event.object_type = object_type
    event.object_id = "" if object_id is None else str(object_id)
    event.subject_id = _pk(subject)
    event.save(force_insert=True)
    return event


def record_reads(
    actor,
    action: str,
    reads: list[tuple[models.Model, object]],
    *,
    summary: dict | None = None,
    purpose: str = "",
    request=None,
) -> list[AuditEvent]:
    """One event per (object, subject) of `reads`, in one INSERT: a staff member was shown
    these people's personal data in full (a list page of ID numbers and phones)."""
    if not reads:
        return []
    model = _event(actor, action, summary, purpose, request, actor_role(actor))
    events = []
    for obj, subject in reads:
        event = copy.copy(model)
        event.object_type = obj._meta.label_lower
        event.object_id = str(obj.pk)
        event.subject_id = _pk(subject)
        events.append(event)
    return AuditEvent.objects.bulk_create(events)


def _request_id(request) -> str:
    """The id core/observe.py made or took for the request (or task) being answered; a
    request answered without that middleware (a command's, a test's) by its own header."""
    if current_request_id() or request is None:
        return current_request_id()
    return valid_request_id(request.headers.get("X-Request-Id")) or ""


def _event(actor, action: str, summary, purpose: str, request, role: str) -> AuditEvent:
    """An unsaved event: who, what, why, the request's id and address; no object yet."""
    if not action or len(action) > 64:
        raise ValueError(f"audit action must be 1-64 characters: {action!r}")
    summary = summary or {}
    if len(json.dumps(summary, default=str)) > SUMMARY_MAX_CHARS:
        raise ValueError(f"audit summary over {SUMMARY_MAX_CHARS} characters for {action}")
    if request is None:
        request = _request.get()
    return AuditEvent(
        actor=actor,
        actor_role=role,
        actor_unit=actor_unit(actor, role),
        action=action,
        summary=summary,
        purpose=str(purpose)[:200],
        request_id=_request_id(request),
        address_hash=address_hash(client_ip(request)) if request is not None else "",
        created_at=timezone.now(),
    )


def events_about(user):
    """The events where staff read or changed `user`'s data (GET /me/data-access): their
    own acts and the system's left out, newest first."""
    return (
        AuditEvent.objects.filter(subject_id=user.pk, actor__isnull=False)
        .exclude(actor_id=user.pk)
        .order_by("-created_at", "-pk")
    )
