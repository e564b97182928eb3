"""SMS providers that do not answer, for the tests of a sender that stops mid-way.

`HangingBackend` (in a worker or a subprocess the test kills): writes
SMS_FILE_PATH + ".sending" when called, then waits for ever.
`BlockingBackend` (in a thread of the test): sets `entered` when called and returns once
the test sets `release`. `RefusingBackend`: the provider refuses every code.
"""

import threading
import time
from pathlib import Path

from django.conf import settings

from accounts.sms import LocmemBackend, SmsError, SmsMessage


class HangingBackend:
    def _hang(self, phone: str) -> None:
        Path(settings.SMS_FILE_PATH + ".sending").write_text(phone)
        while True:
            time.sleep(60)

    def send(self, message: SmsMessage) -> None:
        self._hang(message.phone)


class BlockingBackend(LocmemBackend):
    entered = threading.Event()
    release = threading.Event()

    def send(self, message: SmsMessage) -> None:
        self.entered.set()
        assert self.release.wait(timeout=60)
        super().send(message)


class RefusingBackend(LocmemBackend):
    def send(self, message: SmsMessage) -> None:
        raise SmsError("provider refused")
