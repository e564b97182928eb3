"""Phone numbers: E.164, and by default a mainland China mobile number."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_phone(raw: str) -> str:
    """'+86 138-0013-8000', '13800138000' -> '+8613800138000'; ValidationError if not valid."""
    if not isinstance(raw, str):
        raise ValidationError(_("Enter a valid mobile phone number."), code="invalid")
    phone = re.sub(r"[\s\-()]", "", raw)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not phone.startswith("+"):
        phone = settings.PHONE_DEFAULT_COUNTRY_CODE + phone
    if not re.fullmatch(settings.PHONE_NUMBER_PATTERN, phone):
        raise ValidationError(_("Enter a valid mobile phone number."), code="invalid")
    return phone


def validate_phone(value: str) -> None:
    if normalize_phone(value) != value:
        raise ValidationError(
            _("Enter the phone number in E.164 form, e.g. +8613800138000."), code="invalid"
        )
