"""Values stored as keyed hashes (HMAC-SHA256 with SECRET_KEY), never as sent: a
review's device and address, an audit event's address."""

import hashlib
import hmac

from django.conf import settings


def keyed_hash(value: str, *, purpose: str) -> str:
    """A device id or an address as stored: 32 hex digits of an HMAC; "" for nothing."""
    if not value:
        return ""
    message = f"{purpose}:{value}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def address_hash(address: str) -> str:
    return keyed_hash(address or "", purpose="address")
