"""Sending SMS: the one path for sign-in codes and notifications (`sms_send`).

`SMS_BACKEND` names one backend: "console" (default), "file", "locmem" (tests), "aliyun",
"tencent" (accounts/sms_providers.py), or the dotted path of a class. `SMS_BACKENDS`
("aliyun,tencent") names several in order: the next one is tried when one has an outage
or throttles (`SmsRetry`), never when it refuses the message for good (`SmsRejected`).
docs/sms.md has the settings, the templates and each provider's codes.

A backend is a class with one method:

    class MyBackend:
        name = "mine"
        def send(self, message: SmsMessage) -> SmsSent | None:
            # call the provider; raise SmsRetry (outage, throttled: try again later or
            # another provider) or SmsRejected (invalid number, unapproved template...)

`message.text` is the whole text in the user's language; providers that send a
registered template use `message.kind` (which template) and `message.variables`.
Sign-in codes go out at once; notifications are sent by Celery with retries, at most
once per event (see notifications/).
"""

import json
import sys
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsError(Exception):
    """A provider's failure. `code` is the provider's answer code where it gave one."""

    def __init__(self, message: str = "", *, provider: str = "", code: str = ""):
        super().__init__(message)
        self.provider = provider
        self.code = code


class SmsRetry(SmsError):
    """Outage, busy or throttled: the message may go out later or through another provider."""


class SmsRejected(SmsError):
    """Failed for good (invalid or blacklisted number, unapproved template or sign name):
    no other provider and no later try will do better."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    # "sign_in", "desk" (a code) or a notification kind: names the provider's template.
    kind: str
    text: str
    # The template's variables, in the template's order (Tencent's parameter set is a list).
    variables: dict[str, str] = field(default_factory=dict)
    code: str = ""  # a sign-in code
    key: str = ""  # a notification's event key


@dataclass(frozen=True)
class SmsSent:
    """Who took the message and the id its delivery receipt will carry."""

    provider: str
    message_id: str = ""


class ConsoleBackend:
    name = "console"

    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"[SMS to {message.phone}] {message.text}\n")
        sys.stdout.flush()


class FileBackend:
    """One JSON object per line (for tests and demos): a sign-in code is
    {"phone", "code", "sent_at"}, a notification {"phone", "text", "key", "sent_at"}."""

    name = "file"
    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        now = timezone.now().isoformat()
        if message.code:
            record = {"phone": message.phone, "code": message.code, "sent_at": now}
        else:
            record = {"phone": message.phone, "text": message.text, "key": message.key}
            record["sent_at"] = now
        line = json.dumps(record, ensure_ascii=False)
        with self._lock, open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as out:
            out.write(line + "\n")


class LocmemBackend:
    """Keeps messages in `LocmemBackend.outbox`, like Django's locmem mail backend."""

    name = "locmem"
    outbox: list[dict] = []

    def send(self, message: SmsMessage) -> None:
        if message.code:
            self.outbox.append(
                {"phone": message.phone, "code": message.code, "message": message.text}
            )
        else:
            self.outbox.append(
                {"phone": message.phone, "code": None, "message": message.text, "key": message.key}
            )


_ALIASES = {
    "console": "accounts.sms.ConsoleBackend",
    "file": "accounts.sms.FileBackend",
    "locmem": "accounts.sms.LocmemBackend",
    "aliyun": "accounts.sms_providers.AliyunBackend",
    "tencent": "accounts.sms_providers.TencentBackend",
}


def backend_names() -> list[str]:
    """The backends in the order they are tried: SMS_BACKENDS, else SMS_BACKEND."""
    names = [name.strip() for name in settings.SMS_BACKENDS.split(",") if name.strip()]
    return names or [settings.SMS_BACKEND]


def sms_backend(name: str):
    return import_string(_ALIASES.get(name, name))()


def sms_send(message: SmsMessage) -> SmsSent:
    """Send `message` through the first backend that takes it (SMS_BACKENDS in order).

    A backend's outage or throttling (SmsRetry, or any other error of its client) moves
    on to the next; a refusal for good (SmsRejected) is raised at once. When every one
    failed, the last failure is raised as SmsRetry (a later try may do better).
    """
    failure: SmsError | None = None
    for name in backend_names():
        backend = sms_backend(name)
        provider = getattr(backend, "name", name)
        try:
            sent = backend.send(message)
        except SmsRejected:
            raise
        except SmsError as error:
            failure = error
            continue
        except Exception as error:  # the client's own (connection refused, timeout...)
            failure = SmsRetry(f"{type(error).__name__}: {error}", provider=provider)
            continue
        return sent or SmsSent(provider=provider)
    assert failure is not None
    if isinstance(failure, SmsRetry):
        raise failure
    raise SmsRetry(str(failure), provider=failure.provider, code=failure.code) from failure
