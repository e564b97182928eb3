"""Nobody decides their own case: the kinds of party and their refusals.

Each decision states who is a party to its case once, as a predicate
`party_to_<case>(*, user, <case>) -> Party | None` in its app's permissions.py, and the
service that the API, the pages and the admin all call refuses a party with
`refuse_party(...)`: a 403 whose code names the kind of party (docs/parties.md).
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from .errors import Forbidden


class Party(StrEnum):
    """How a user can be a party to a case."""

    AUTHOR = "author"  # wrote what the case is about (the review, the report, the appeal)
    SUBJECT = "subject"  # the case is about them (the claimant, the vendor, the cadre...)
    UNIT = "unit"  # of the subject's unit (a cadre of it, or acting for it)
    RECORDER = "recorder"  # recorded or filed it (the transfer, the violation, at a desk)
    HOST = "host"  # hosted the live session the case is about


class OwnCase(Forbidden):
    """A party to a case tried to decide it."""

    code = "own_case"


class OwnCaseAuthor(OwnCase):
    code = "own_case_author"
    default_detail = _("You wrote what this case is about: someone else decides it.")


class OwnCaseSubject(OwnCase):
    code = "own_case_subject"
    default_detail = _("This case is about you: someone else decides it.")


class OwnCaseUnit(OwnCase):
    code = "own_case_unit"
    default_detail = _("This case is about your unit: someone outside it decides.")


class OwnCaseRecorder(OwnCase):
    code = "own_case_recorder"
    default_detail = _("You recorded or filed what this case is about: someone else decides it.")


class OwnCaseHost(OwnCase):
    code = "own_case_host"
    default_detail = _("You hosted the live session this case is about: someone else decides it.")


OWN_CASE_ERRORS: dict[Party, type[OwnCase]] = {
    Party.AUTHOR: OwnCaseAuthor,
    Party.SUBJECT: OwnCaseSubject,
    Party.UNIT: OwnCaseUnit,
    Party.RECORDER: OwnCaseRecorder,
    Party.HOST: OwnCaseHost,
}


def refuse_party(party: Party | None) -> None:
    """Raise the 403 of `party` (a permissions.party_to_* answer); nothing for None."""
    if party is not None:
        raise OWN_CASE_ERRORS[party]()
