"""Log lines: the request id of what is running, JSON lines (LOG_FORMAT=json), and the
scrubbing of personal data from what is written or reported.

The request id is the `X-Request-Id` a client or the proxy sent (1 to 64 letters, digits,
`.`, `_`, `-`), or one made here; the request middleware (core/observe.py) sets it for the
request, the Celery hooks for the task that request queued. `RequestIdFilter` puts it on
every log record, so anything logged while it runs carries it (an SMS sent by a task
included). Imports nothing of Django: the logging configuration loads it first.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current_request_id() -> str:
    """The id of the request (or of the request that queued the task) running now, or ""."""
    return _request_id.get()


def valid_request_id(value: str | None) -> str | None:
    """`value` if it may be used as a request id, else None."""
    if value and _SAFE_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def set_request_id(value: str) -> contextvars.Token:
    """Make `value` the current request id; `reset_request_id(token)` when done."""
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


# What a log line or an error report must not carry. A mainland mobile number (with or
# without +86), an 18-character resident ID number, a JWT, a bearer token; and the values
# of fields and parameters whose names say they hold a secret (`scrub_mapping`).
PHONE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9]{9}(?![0-9])")
ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
BEARER = re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{8,}")
# A sign-in code, a voucher or payment code, a QR token: a run of 4 to 8 digits after a
# word that names one ("code 123456", "code=123456", "验证码123456").
CODE = re.compile(r"(?i)(code|otp|pin|验证码)([\"' :=：]*)[0-9]{4,8}")
FILTERED = "[Filtered]"
SECRET_NAMES = re.compile(
    r"(?i)(authorization|cookie|token|secret|password|passwd|phone|mobile|code|otp|"
    r"id_number|idcard|id_card|signature|session|csrf|refresh|access|api_key|apikey|dsn)"
)


def scrub_text(text: str) -> str:
    """`text` with phone numbers, ID numbers, tokens and codes replaced by [Filtered]."""
    text = JWT.sub(FILTERED, text)
    text = BEARER.sub(lambda m: f"{m.group(1)} {FILTERED}", text)
    text = CODE.sub(lambda m: f"{m.group(1)}{m.group(2)}{FILTERED}", text)
    text = ID_NUMBER.sub(FILTERED, text)
    return PHONE.sub(FILTERED, text)


def scrub(value):
    """Every string in `value` (nested dicts, lists) scrubbed, and the value of every key
    whose name says it holds a secret replaced whole."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: FILTERED
            if isinstance(key, str) and SECRET_NAMES.search(key) and item not in (None, "")
            else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (`%(request_id)s`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id,
    the record's `fields` (a dict passed as `extra={"fields": ...}`) and the traceback;
    message and traceback scrubbed (`scrub_text`)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub_text(record.getMessage()),
            "request_id": getattr(record, "request_id", "") or current_request_id(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)
