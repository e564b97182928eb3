"""The Idempotency-Key mechanism (IETF draft), for every write that moves points.

Decorate an APIView method with `@idempotent`. With the header:

- the first request claims the key (a committed "in progress" row), then runs the view
  and stores its response in the same database transaction as the view's writes, so a
  crash leaves neither the writes nor a stored response;
- the same key and body from the same user replays the stored response and writes
  nothing again (header `Idempotent-Replayed: true`);
- the same key with another body is 422 `idempotency_key_reused`;
- the same key while the first request runs is 409 `idempotency_key_in_progress`,
  whose `retry_after` (body) and `Retry-After` (header) say in how many seconds the key
  may be taken over.

A key whose request died mid-way (no response after IDEMPOTENCY_STALE_AFTER) may be
claimed again. Records are purged after IDEMPOTENCY_KEY_TTL by a beat task.

A hot write may instead claim the key inside its own transaction and statement
(`claimed_write`, `IDEMPOTENCY_CLAIM_CTE_SQL`: the payment at a merchant's counter): the
claim, the write and the stored answer commit together or not at all, and a second
request with the same key waits on the claimed row until the first ends, then replays
its answer (or claims the key, when the first rolled back). No 409 in progress there.
"""

import functools
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response

from .errors import DomainError, Invalid, error_body
from .headers import IDEMPOTENCY_KEY as HEADER
from .models import IdempotencyRecord


class IdempotencyKeyReused(DomainError):
    status = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used with a different request.")


class IdempotencyKeyInProgress(DomainError):
    status = status.HTTP_409_CONFLICT
    code = "idempotency_key_in_progress"
    default_detail = _("A request with this Idempotency-Key is still being processed.")

    def __init__(self, *, retry_after: float):
        super().__init__(retry_after=math.ceil(retry_after))


def request_fingerprint(request) -> str:
    """Method, path and body; a JSON body is canonicalised so key order does not matter."""
    raw = request.body or b""
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        # Not JSON, or nested too deep for json (the parser refuses it): the raw bytes.
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _claim(*, user, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    """The record this request now owns, or the response to give instead of running."""
    try:
        # Committed at once (durable: never inside another transaction), so that a second
        # request with the key sees it in progress.
        with transaction.atomic(durable=True):
            return IdempotencyRecord.objects.create(
                user=user,
                key=key,
                fingerprint=fingerprint,
                state=IdempotencyRecord.State.IN_PROGRESS,
            )
    except IntegrityError:
        pass
    with transaction.atomic(durable=True):
        record = IdempotencyRecord.objects.select_for_update().get(user=user, key=key)
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if record.state == IdempotencyRecord.State.DONE:
            response = Response(record.response_body, status=record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        free_at = record.updated_at + settings.IDEMPOTENCY_STALE_AFTER
        if timezone.now() < free_at:
            raise IdempotencyKeyInProgress(retry_after=(free_at - timezone.now()).total_seconds())
        # The first request died without an answer: this one takes the key over.
        record.save(update_fields=["updated_at"])
        return record


def _check_key(key: str) -> None:
    if not (1 <= len(key) <= 255) or not key.isprintable():
        raise Invalid(fields={HEADER: [_("Must be 1 to 255 printable characters.")]})


def _replay_or_refuse(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.state == IdempotencyRecord.State.DONE:
        response = Response(record.response_body, status=record.response_status)
        response["Idempotent-Replayed"] = "true"
        return response
    free_at = record.updated_at + settings.IDEMPOTENCY_STALE_AFTER
    raise IdempotencyKeyInProgress(retry_after=max(1.0, (free_at - timezone.now()).total_seconds()))


_RECORD = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
_USER = connection.ops.quote_name(get_user_model()._meta.db_table)
# The key claimed in the write's own statement, as its CTE `claimed` (a row when this
# request owns the key). ON CONFLICT waits for a transaction that claimed the key and
# has not ended: committed, the key is taken (no row); rolled back, it is claimed here.
# Only an existing, active user claims: the write's caller may have authenticated by
# the token alone (accounts.authentication.KeyedStatelessJWTAuthentication), and reads
# IDEMPOTENCY_CLAIMANT_ACTIVE_SQL to tell a refused user from a taken key.
IDEMPOTENCY_CLAIM_CTE_SQL = f"""
claimed AS (
    INSERT INTO {_RECORD} (user_id, key, fingerprint, state, created_at, updated_at)
    SELECT u.id, %(claim_key)s, %(claim_fingerprint)s, 'in_progress', %(claim_now)s,
           %(claim_now)s
    FROM {_USER} u WHERE u.id = %(claim_user)s AND u.is_active
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING id
)"""  # noqa: S608
# True when the claiming user exists and is active (NULL: no such user).
IDEMPOTENCY_CLAIMANT_ACTIVE_SQL = f"(SELECT u.is_active FROM {_USER} u WHERE u.id = %(claim_user)s)"  # noqa: S608
# The stored answer, as a CTE `answered` of a later statement of the claim's transaction
# (the claimed row is not visible to its own statement): `answer_params`.
IDEMPOTENCY_ANSWER_CTE_SQL = f"""
answered AS (
    UPDATE {_RECORD} SET state = 'done', response_status = %(answer_status)s,
        response_body = %(answer_body)s, updated_at = %(answer_now)s
    WHERE id = %(answer_record)s
)"""  # noqa: S608


def answer_params(record_id: int, response: Response) -> dict:
    """The parameters of IDEMPOTENCY_ANSWER_CTE_SQL: `response` stored for the claimed
    record, as `_record_done` stores it."""
    body = IdempotencyRecord._meta.get_field("response_body")
    return {
        "answer_record": record_id,
        "answer_status": response.status_code,
        "answer_body": body.get_db_prep_value(response.data, connection),
        "answer_now": timezone.now(),
    }


@dataclass(frozen=True)
class Claim:
    """The key a `claimed_write` claims: the parameters of IDEMPOTENCY_CLAIM_CTE_SQL."""

    user_id: int
    key: str
    fingerprint: str

    def params(self) -> dict:
        return {
            "claim_user": self.user_id,
            "claim_key": self.key,
            "claim_fingerprint": self.fingerprint,
            "claim_now": timezone.now(),
        }


def _record_done(record_id: int, status_code: int, body) -> None:
    IdempotencyRecord.objects.filter(pk=record_id).update(
        state=IdempotencyRecord.State.DONE,
        response_status=status_code,
        response_body=body,
        updated_at=timezone.now(),
    )


def claimed_write(
    request,
    fingerprint: str,
    write: Callable[[Claim], tuple[int | None, Response | DomainError | None, bool]],
) -> Response:
    """Run `write(claim)` with the request's Idempotency-Key claimed in its own statement.

    `write` runs inside this function's transaction (durable), puts
    IDEMPOTENCY_CLAIM_CTE_SQL in its statement with `claim.params()`, and returns the
    `claimed` row's id (None when the key was taken: nothing written), its answer, a
    Response or a refusal (a DomainError returned, not raised: nothing was written, and
    the transaction is still usable), and whether it stored the answer itself (with
    IDEMPOTENCY_ANSWER_CTE_SQL in a later statement). Otherwise the answer is stored
    here, with the write; a refusal is raised once it is committed. A refusal without a
    claimed row (the user is not active) is raised as it is. A taken key replays the
    stored answer, or is 422 for another request, in the same rules as `idempotent`.
    `fingerprint`: the request's (`request_fingerprint`), taken before its body was
    parsed.
    """
    key = request.headers[HEADER]
    _check_key(key)
    claim = Claim(int(request.user.pk), key, fingerprint)
    with transaction.atomic(durable=True):
        record_id, answer, stored = write(claim)
        if record_id is not None and not stored:
            if isinstance(answer, DomainError):
                body = error_body(answer.code, answer.detail, answer.fields, answer.retry_after)
                _record_done(record_id, answer.status, body)
            elif isinstance(answer, Response):
                _record_done(record_id, answer.status_code, answer.data)
    if record_id is None:
        if isinstance(answer, DomainError):
            raise answer
        record = IdempotencyRecord.objects.get(user_id=claim.user_id, key=key)
        return _replay_or_refuse(record, claim.fingerprint)
    if isinstance(answer, DomainError):
        raise answer
    if not isinstance(answer, Response):
        raise TypeError("claimed_write: the write answers a Response or a DomainError")
    return answer


def idempotent(view_method):
    """Wrap an APIView write method (post/put/patch/delete) in the Idempotency-Key rules."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        _check_key(key)
        claimed = _claim(user=request.user, key=key, fingerprint=request_fingerprint(request))
        if isinstance(claimed, Response):
            return claimed
        try:
            # The outermost transaction (durable): the view's services nest in it, so its
            # writes and the stored response commit together.
            with transaction.atomic(durable=True):
                response = view_method(view, request, *args, **kwargs)
                if response.status_code < 500:
                    IdempotencyRecord.objects.filter(pk=claimed.pk).update(
                        state=IdempotencyRecord.State.DONE,
                        response_status=response.status_code,
                        response_body=response.data,
                        updated_at=timezone.now(),
                    )
                    return response
                raise _ServerError(response)
        except _ServerError as error:
            IdempotencyRecord.objects.filter(pk=claimed.pk).delete()
            return error.response
        except DomainError as error:
            # A refusal is a final answer: store it like any other response.
            body = error_body(error.code, error.detail, error.fields, error.retry_after)
            IdempotencyRecord.objects.filter(pk=claimed.pk).update(
                state=IdempotencyRecord.State.DONE,
                response_status=error.status,
                response_body=body,
                updated_at=timezone.now(),
            )
            raise
        except BaseException:
            IdempotencyRecord.objects.filter(pk=claimed.pk).delete()
            raise

    wrapper.idempotent = True
    return wrapper


def keyed(view_method):
    """Mark a write method that applies the Idempotency-Key rules itself (through
    `claimed_write`, or `idempotent` on the method it calls): the schema documents the
    header and its errors as for `idempotent`."""
    view_method.idempotent = True
    return view_method


class _ServerError(Exception):
    def __init__(self, response):
        self.response = response


def idempotency_keys_purge(*, older_than=None) -> int:
    """Delete records past their time to live; returns how many went."""
    cutoff = timezone.now() - (older_than or settings.IDEMPOTENCY_KEY_TTL)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
