"""The retention purge (docs/privacy.md, its table) and the deletions whose cooling-off
ended: the nightly beat (privacy.tasks.personal_data_purge) and
`manage.py purge_personal_data`."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import OtpCode, OtpGuess, User
from cadres.models import Review
from core.models import IdempotencyRecord
from desk.models import DeskSession
from notifications.models import Notification

from . import erasure
from .export import export_file
from .models import Export
from .selectors import deletion_blockers

logger = logging.getLogger(__name__)


def deletions_carry_out(*, now) -> int:
    """Anonymise every account whose cooling-off ended (one transaction each); one that
    gained a role or a stall meanwhile waits. Returns how many were anonymised."""
    done = 0
    for user in User.objects.filter(deletion_due_at__lte=now, anonymised_at__isnull=True):
        if deletion_blockers(user=user):
            logger.warning("Deletion of user %s waits: a role or an active stall", user.pk)
            continue
        for row in Export.objects.filter(user=user):
            export_file(row).unlink(missing_ok=True)
        Export.objects.filter(user=user).delete()
        erasure.anonymise(user=user)
        done += 1
    return done


def personal_data_purge(*, now=None) -> dict[str, int]:
    """The retention table of docs/privacy.md, each after its setting, and the due
    deletions. Returns how many rows each step touched."""
    now = now or timezone.now()
    days = timedelta(days=1)
    done = {}
    codes_before = now - settings.RETAIN_SIGNIN_CODES_DAYS * days
    done["signin_attempts"] = OtpGuess.objects.filter(created_at__lt=codes_before).delete()[0]
    done["signin_codes"] = OtpCode.objects.filter(created_at__lt=codes_before).delete()[0]
    hashes_before = now - settings.RETAIN_REVIEW_HASHES_DAYS * days
    done["review_hashes"] = (
        Review.objects.filter(created_at__lt=hashes_before)
        .exclude(device_hash="", address_hash="")
        .update(device_hash="", address_hash="")
    )
    done["sms_texts"] = (
        Notification.objects.filter(created_at__lt=now - settings.RETAIN_SMS_TEXT_DAYS * days)
        .exclude(params={}, link="")
        .update(params={}, link="")
    )
    done["idempotency_records"] = IdempotencyRecord.objects.filter(
        created_at__lt=now - settings.IDEMPOTENCY_KEY_TTL
    ).delete()[0]
    done["desk_id_checks"] = (
        DeskSession.objects.filter(created_at__lt=now - settings.RETAIN_DESK_CHECKS_DAYS * days)
        .exclude(id_number_hash="", id_number_last4="", id_name="")
        .update(id_number_hash="", id_number_last4="", id_name="")
    )
    expired = Export.objects.filter(expires_at__lt=now, state=Export.State.READY)
    for row in expired:
        export_file(row).unlink(missing_ok=True)
    done["exports"] = expired.update(state=Export.State.EXPIRED)
    done["deletions"] = deletions_carry_out(now=now)
    return done
