"""Phone numbers: E.164, and by default a mainland China mobile number."""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Only ASCII digits are digits: `\d` would take full-width or other scripts' digits and
# let one phone pass as another.
_DIALLED = re.compile(r"\+?[0-9]{1,20}", re.ASCII)


def normalize_phone(raw: str) -> str:
    """'+86 138-0013-8000', '13800138000' -> '+8613800138000'; ValidationError if not valid."""
    if not isinstance(raw, str):
        raise ValidationError(_("Enter a valid mobile phone number."), code="invalid")
    phone = re.sub(r"[ \t\-()]", "", raw)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not _DIALLED.fullmatch(phone):
        raise ValidationError(_("Enter a valid mobile phone number."), code="invalid")
    if not phone.startswith("+"):
        phone = settings.PHONE_DEFAULT_COUNTRY_CODE + phone
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid mobile phone number."), code="invalid") from None
    phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number) or not re.fullmatch(
        settings.PHONE_NUMBER_PATTERN, phone, re.ASCII
    ):
        raise ValidationError(_("Enter a valid mobile phone number."), code="invalid")
    return phone


def validate_phone(value: str) -> None:
    if normalize_phone(value) != value:
        raise ValidationError(
            _("Enter the phone number in E.164 form, e.g. +8613800138000."), code="invalid"
        )
