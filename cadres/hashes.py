"""Devices and addresses as a review stores them: keyed hashes (HMAC-SHA256 with
SECRET_KEY), never as sent. The fraud rules (moderation.fraud) compare them."""

from core.devices import device_token_valid
from core.hashes import address_hash, keyed_hash

__all__ = ["address_hash", "device_hash", "keyed_hash"]


def device_hash(device_id: str) -> str:
    """The device token (X-Device-Id, or the page's cookie) as stored; "" (no device)
    for anything the server did not sign (core.devices)."""
    device_id = (device_id or "").strip()
    if not device_token_valid(device_id):
        return ""
    return keyed_hash(device_id, purpose="device")
