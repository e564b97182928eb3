"""The rankings' access rules (the bottom's warnings), one predicate each."""

from core.parties import Party

from .models import BottomWarning


def party_to_warning(*, user, warning: BottomWarning) -> Party | None:
    """Moving a bottom warning on (talk held, closed): the warned cadre."""
    if warning.cadre is not None and warning.cadre.user_id == user.pk:
        return Party.SUBJECT
    return None
