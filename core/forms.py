"""A DomainError shown to a person on a page or in the admin, rather than as an API body."""

import math

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError, Throttled


def wait_text(seconds: int) -> str:
    """How long to wait, as a person reads it: seconds under a minute, else minutes."""
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def error_message(error: DomainError) -> str:
    """One line: the field messages when the error names fields, else its detail; a limit
    reached (Throttled, e.g. the shared SMS limit at the desk) says when to try again."""
    if isinstance(error, Throttled) and not error.fields:
        wait = wait_text(error.wait_seconds)
        if str(error.detail) == str(Throttled.default_detail):
            return _("Too many requests. Try again in %(wait)s.") % {"wait": wait}
        return _("%(detail)s Try again in %(wait)s.") % {"detail": error.detail, "wait": wait}
    if error.fields:
        return "; ".join(str(message) for messages in error.fields.values() for message in messages)
    return str(error.detail)


def add_form_errors(form, error: DomainError) -> None:
    """Each field message on its form field (non-field when the form has no such field)."""
    for field, messages in (error.fields or {}).items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
    if not error.fields:
        form.add_error(None, str(error.detail))
