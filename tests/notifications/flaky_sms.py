"""An SMS provider for the worker tests: the file backend, failing its first
FLAKY_SMS_FAILURES notification sends (counted in a file beside SMS_FILE_PATH)."""

import os
from pathlib import Path

from django.conf import settings

from accounts.sms import FileBackend, SmsError, SmsMessage


class FlakyFileBackend(FileBackend):
    def send(self, message: SmsMessage) -> None:
        if not message.code:
            counter = Path(settings.SMS_FILE_PATH + ".attempts")
            attempts = int(counter.read_text() or 0) + 1 if counter.exists() else 1
            counter.write_text(str(attempts))
            if attempts <= int(os.environ.get("FLAKY_SMS_FAILURES", "0")):
                raise SmsError(f"provider unavailable (attempt {attempts})")
        super().send(message)
