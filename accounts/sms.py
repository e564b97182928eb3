"""Sending SMS. `SMS_BACKEND` names one: "console" (default), "file", "locmem" (tests),
or the dotted path of a provider's class.

A provider's backend is a class with two methods:

    class AliyunSmsBackend:
        def send_code(self, *, phone: str, code: str, message: str) -> None:
            # call the provider; raise SmsError if it refuses
        def send_text(self, *, phone: str, text: str, key: str) -> None:
            # a notification (notifications.services.sms_deliver); `key` names its event

`message` is the whole text in the user's language; providers that send a registered
template with a variable use `code` instead. Sign-in codes go out at once; notifications
are sent by Celery with retries, at most once per event (see notifications/).
"""

import json
import sys
import threading

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsError(Exception):
    pass


class ConsoleBackend:
    def send_code(self, *, phone: str, code: str, message: str) -> None:
        sys.stdout.write(f"[SMS to {phone}] {message}\n")
        sys.stdout.flush()

    def send_text(self, *, phone: str, text: str, key: str) -> None:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()


class FileBackend:
    """One JSON object per line (for tests and demos): a sign-in code is
    {"phone", "code", "sent_at"}, a notification {"phone", "text", "key", "sent_at"}."""

    _lock = threading.Lock()

    def send_code(self, *, phone: str, code: str, message: str) -> None:
        self._write({"phone": phone, "code": code, "sent_at": timezone.now().isoformat()})

    def send_text(self, *, phone: str, text: str, key: str) -> None:
        self._write(
            {"phone": phone, "text": text, "key": key, "sent_at": timezone.now().isoformat()}
        )

    def _write(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False)
        with self._lock, open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as out:
            out.write(line + "\n")


class LocmemBackend:
    """Keeps messages in `LocmemBackend.outbox`, like Django's locmem mail backend."""

    outbox: list[dict] = []

    def send_code(self, *, phone: str, code: str, message: str) -> None:
        self.outbox.append({"phone": phone, "code": code, "message": message})

    def send_text(self, *, phone: str, text: str, key: str) -> None:
        self.outbox.append({"phone": phone, "code": None, "message": text, "key": key})


_ALIASES = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "locmem": LocmemBackend,
}


def sms_backend():
    name = settings.SMS_BACKEND
    backend_class = _ALIASES.get(name) or import_string(name)
    return backend_class()
