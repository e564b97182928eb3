"""Mainland resident ID-card numbers: validation, and encryption at rest.

The number is stored as Fernet ciphertext under its own keys, `ID_ENCRYPTION_KEYS`
(never derived from SECRET_KEY), so a database dump alone does not reveal it: the first
key encrypts, every key decrypts, and `manage.py rotate_id_key` re-encrypts every row
with the first (docs/audit.md).
"""

import datetime
import functools
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.masking import mask_id_number

__all__ = [
    "InvalidToken",
    "check_char",
    "decrypt_id_number",
    "encrypt_id_number",
    "invalid_keys",
    "masked_id_number",
    "normalize_id_number",
    "reencrypt_id_number",
]

_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def check_char(first17: str) -> str:
    """The 18th character of GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits."""
    return _CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    """The canonical 18-character number; ValueError with a message for a person if invalid."""
    number = (value or "").strip().upper()
    # ASCII digits only: str.isdigit() takes superscripts and full-width digits too.
    if not _ID_NUMBER.fullmatch(number):
        raise ValueError(_("An ID-card number has 17 digits and a final digit or X."))
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError(_("The date of birth in this ID-card number is not a date.")) from None
    if not (datetime.date(1900, 1, 1) <= birth <= datetime.date.today()):
        raise ValueError(_("The date of birth in this ID-card number is not a date."))
    if check_char(number[:17]) != number[17]:
        raise ValueError(_("The check digit of this ID-card number is wrong."))
    return number


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.ID_ENCRYPTION_KEYS))


def invalid_keys() -> list[int]:
    """The positions (from 1) in ID_ENCRYPTION_KEYS of values that are no Fernet key."""
    wrong = []
    for position, key in enumerate(settings.ID_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            wrong.append(position)
    return wrong


def encrypt_id_number(number: str) -> str:
    return _current().encrypt(number.encode()).decode()


def decrypt_id_number(token: str) -> str:
    """The number in clear; "" when no key of this deployment decrypts it."""
    try:
        return _current().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""


def reencrypt_id_number(token: str) -> str:
    """The same number under the first key (rotate_id_key); InvalidToken if no key
    decrypts it."""
    return _current().rotate(token.encode()).decode()


def masked_id_number(token: str) -> str:
    return mask_id_number(decrypt_id_number(token))
