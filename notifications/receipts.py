"""Delivery receipts of the SMS providers (docs/sms.md): each moves the outbox row (a
sign-in code or a notification) that the provider took under that message id from
`sent` to `delivered` or `undelivered`, with the provider's code and time.

A receipt for a message id nobody sent is ignored and counted; a receipt replayed (the
row already has its outcome) changes nothing. The endpoints are authenticated by a
secret token in the callback URL (`?token=`, SMS_ALIYUN_RECEIPT_TOKEN and
SMS_TENCENT_RECEIPT_TOKEN).
"""

import datetime as dt
import hmac
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import OtpCode
from core.errors import Forbidden, NotFound

from .models import Notification

logger = logging.getLogger(__name__)

TOKENS = {"aliyun": "SMS_ALIYUN_RECEIPT_TOKEN", "tencent": "SMS_TENCENT_RECEIPT_TOKEN"}


@dataclass(frozen=True)
class Receipt:
    message_id: str
    delivered: bool
    code: str
    at: dt.datetime | None


@dataclass(frozen=True)
class ReceiptsRecorded:
    recorded: int  # rows moved to delivered or undelivered
    replayed: int  # rows that had their outcome already: unchanged
    unknown: int  # message ids nobody sent: ignored


def receipt_token_check(*, provider: str, token: str) -> None:
    """404 when the provider's receipts are not configured (no token), 403 on a wrong one."""
    expected = getattr(settings, TOKENS[provider])
    if not expected:
        raise NotFound()
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise Forbidden(_("Wrong or missing receipt token."))


def receipts_record(*, provider: str, receipts: list[Receipt]) -> ReceiptsRecorded:
    """Record each receipt on its row, in one transaction: a row still `sent` gets its
    outcome; a row with its outcome already is left alone (a replay)."""
    recorded = replayed = unknown = 0
    with transaction.atomic():
        for receipt in receipts:
            found = False
            for model in (OtpCode, Notification):
                rows = model.objects.filter(
                    sms_provider=provider, sms_message_id=receipt.message_id
                )
                total = rows.count() if receipt.message_id else 0
                if not total:
                    continue
                found = True
                status = model.Sms.DELIVERED if receipt.delivered else model.Sms.UNDELIVERED
                moved = rows.filter(sms_status=model.Sms.SENT).update(
                    sms_status=status,
                    sms_provider_code=receipt.code[:64],
                    sms_receipt_at=receipt.at,
                )
                recorded += moved
                replayed += total - moved
                break
            unknown += not found
    if unknown:
        logger.warning("%d %s SMS receipts for unknown message ids: ignored", unknown, provider)
    return ReceiptsRecorded(recorded=recorded, replayed=replayed, unknown=unknown)
