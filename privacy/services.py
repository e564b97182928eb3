"""Writes of the privacy app (docs/privacy.md): a copy of one's data and leaving
(the retention purge and the deletions it carries out: privacy/retention.py)."""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import status

from accounts.models import OtpCode, User
from accounts.services import otp_request, otp_verify
from core import audit
from core.errors import DomainError

from . import tasks
from .models import Export
from .selectors import deletion_blockers

logger = logging.getLogger(__name__)


class DeletionBlocked(DomainError):
    status = status.HTTP_409_CONFLICT
    code = "deletion_blocked"
    default_detail = gettext_lazy("The account cannot be deleted yet: see `fields.first`.")


def fresh_code_send(*, user: User, purpose: str, address: str) -> OtpCode:
    """Send a code to the user's own phone confirming an export or a deletion."""
    return otp_request(phone=user.phone, address=address, purpose=purpose)


def _fresh_code_check(*, user: User, code: str, purpose: str, address: str) -> None:
    otp_verify(phone=user.phone, code=code, address=address, purpose=purpose)


def export_request(*, user: User, code: str, address: str) -> Export:
    """Check the fresh code, then queue the ZIP's build (privacy.tasks.export_build)."""
    _fresh_code_check(user=user, code=code, purpose=OtpCode.Purpose.EXPORT, address=address)
    with transaction.atomic():
        row = Export.objects.create(user=user, token=secrets.token_urlsafe(32))
        audit.record(user, "privacy.export", row, subject=user)
        transaction.on_commit(lambda: _export_queue(row.pk))
    return row


def _export_queue(export_id: int) -> None:
    """Hand the build to a worker; never raises (the export stays `pending`: asking
    again builds a new one)."""
    try:
        tasks.export_build.apply_async(args=[export_id], retry=False)
    except Exception:  # the broker's, whatever it is
        logger.warning("export %s not queued", export_id)


def deletion_request(*, user: User, code: str, address: str) -> User:
    """Check the fresh code, refuse (409) while something must happen first, then start
    the cooling-off: the account is anonymised after ACCOUNT_DELETION_COOLING_DAYS
    unless the user signs in again."""
    blockers = deletion_blockers(user=user)
    if blockers:
        raise DeletionBlocked(fields={"first": blockers})
    _fresh_code_check(user=user, code=code, purpose=OtpCode.Purpose.DELETE, address=address)
    due = timezone.now() + timedelta(days=settings.ACCOUNT_DELETION_COOLING_DAYS)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(deletion_due_at=due)
        audit.record(user, "account.deletion_request", user, subject=user, summary={"due": due})
    user.deletion_due_at = due
    return user
