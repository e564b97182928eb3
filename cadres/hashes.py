"""Devices and addresses as a review stores them: keyed hashes (HMAC-SHA256 with
SECRET_KEY), never as sent. The fraud rules (moderation.fraud) compare them."""

import hashlib
import hmac

from django.conf import settings

from core.devices import device_token_valid


def keyed_hash(value: str, *, purpose: str) -> str:
    """A device id or an address as stored: 32 hex digits of an HMAC; "" for nothing."""
    if not value:
        return ""
    message = f"{purpose}:{value}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def device_hash(device_id: str) -> str:
    """The device token (X-Device-Id, or the page's cookie) as stored; "" (no device)
    for anything the server did not sign (core.devices)."""
    device_id = (device_id or "").strip()
    if not device_token_valid(device_id):
        return ""
    return keyed_hash(device_id, purpose="device")


def address_hash(address: str) -> str:
    return keyed_hash(address or "", purpose="address")
