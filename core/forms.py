"""A DomainError shown to a person on a page or in the admin, rather than as an API body."""

from core.errors import DomainError


def error_message(error: DomainError) -> str:
    """One line: the field messages when the error names fields, else its detail."""
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
