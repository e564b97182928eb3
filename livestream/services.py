"""Writes of the livestream duty: plan a session, record its outcome once, record income
and its transfer to a public-welfare fund, and the inspector's decision on a transfer."""

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import Forbidden, Invalid
from core.parties import refuse_party

from . import permissions
from .errors import (
    AlreadyTransferred,
    NotAHost,
    OutcomeRecorded,
    SessionNotHeld,
    SessionNotStarted,
    TransferDecided,
)
from .models import Income, Session, Transfer, evidence_path


def session_plan(
    *, user, title: str, unit, starts_at, platform: str, hosts: list, products: list
) -> Session:
    """The operator plans for any unit; a unit admin for their own unit's cadres only."""
    if not permissions.can_plan(user, unit_id=unit.pk):
        raise Forbidden()
    if not permissions.is_operator(user) and any(c.unit_id != unit.pk for c in hosts):
        raise Forbidden(_("A unit administrator plans sessions for cadres of their unit only."))
    with transaction.atomic():
        session = Session.objects.create(
            title=title, unit=unit, starts_at=starts_at, platform=platform, planned_by=user
        )
        session.hosts.set(hosts)
        session.products.set(products)
    return session


def _save_evidence(evidence) -> str:
    """Store an uploaded file under a random name; the name goes into the row."""
    return default_storage.save(evidence_path(None, evidence.name), evidence)


def _drop_evidence(name: str) -> None:
    default_storage.delete(name)


def session_outcome_record(
    *,
    user,
    session: Session,
    duration_minutes: int,
    peak_viewers: int,
    orders: int,
    sales,
    evidence,
) -> Session:
    """Once, by an operator who did not host it (permissions.party_to_session), after the
    session started (a conditional UPDATE: two operators at once leave exactly one outcome)."""
    if not permissions.can_record_outcome(user):
        raise Forbidden()
    refuse_party(permissions.party_to_session(user, session=session))
    now = timezone.now()
    if session.starts_at > now:
        raise SessionNotStarted()
    if session.outcome_recorded_at is not None:
        raise OutcomeRecorded()
    name = _save_evidence(evidence)
    with transaction.atomic():
        updated = Session.objects.filter(pk=session.pk, outcome_recorded_at__isnull=True).update(
            duration_minutes=duration_minutes,
            peak_viewers=peak_viewers,
            orders=orders,
            sales=sales,
            evidence=name,
            outcome_recorded_at=now,
            outcome_recorded_by=user,
        )
        if updated:
            audit.record(
                user,
                "livestream_session.outcome",
                session,
                summary={"after": {"orders": orders, "sales": str(sales)}},
            )
    if not updated:
        _drop_evidence(name)
        raise OutcomeRecorded()
    session.refresh_from_db()
    return session


def income_record(
    *, user, session: Session, cadre, kind: str, amount, received_on, note: str = "", corrects=None
) -> Income:
    """A host's income from a held session; a correction is a new signed entry."""
    if not permissions.can_record_income(user, cadre=cadre):
        raise Forbidden()
    if not session.held:
        raise SessionNotHeld()
    if not session.hosts.filter(pk=cadre.pk).exists():
        raise NotAHost()
    if corrects is not None:
        if corrects.session_id != session.pk or corrects.cadre_id != cadre.pk:
            raise Invalid(
                fields={"corrects": [_("Correct an entry of the same session and cadre.")]}
            )
        if not note.strip():
            raise Invalid(fields={"note": [_("Say why the entry is corrected.")]})
        if amount == 0:
            raise Invalid(fields={"amount": [_("A correction changes the amount.")]})
    elif amount <= 0:
        raise Invalid(fields={"amount": [_("Income is a positive amount.")]})
    return Income.objects.create(
        session=session,
        cadre=cadre,
        kind=kind,
        amount=amount,
        received_on=received_on,
        note=note,
        corrects=corrects,
        recorded_by=user,
    )


def transfer_record(
    *, user, income: Income, amount, fund: str, reference: str, transferred_on, evidence
) -> Transfer:
    """The whole income entry goes to a public-welfare fund: one live transfer per entry."""
    if not permissions.can_record_income(user, cadre=income.cadre):
        raise Forbidden()
    if income.amount <= 0:
        raise Invalid(
            fields={"income": [_("A correction that takes income back needs no transfer.")]}
        )
    if amount < income.amount:
        raise Invalid(fields={"amount": [_("The whole income must be transferred.")]})
    if income.transfers.exclude(status=Transfer.Status.REJECTED).exists():
        raise AlreadyTransferred()
    name = _save_evidence(evidence)
    try:
        with transaction.atomic():
            return Transfer.objects.create(
                income=income,
                amount=amount,
                fund=fund,
                reference=reference,
                transferred_on=transferred_on,
                evidence=name,
                recorded_by=user,
            )
    except IntegrityError:
        # A twin request won the UNIQUE constraint.
        _drop_evidence(name)
        raise AlreadyTransferred() from None


def _decide(*, user, transfer: Transfer, status: str, reason: str = "") -> Transfer:
    """A discipline inspector who is no party to the transfer (permissions.party_to_transfer)."""
    if not permissions.can_confirm_transfer(user, transfer=transfer):
        raise Forbidden()
    refuse_party(permissions.party_to_transfer(user, transfer=transfer))
    with transaction.atomic():
        updated = Transfer.objects.filter(pk=transfer.pk, status=Transfer.Status.PENDING).update(
            status=status, decided_by=user, decided_at=timezone.now(), reject_reason=reason
        )
        if not updated:
            raise TransferDecided()
        audit.record(
            user,
            f"transfer.{'confirm' if status == Transfer.Status.CONFIRMED else 'reject'}",
            transfer,
            summary={"before": {"status": "pending"}, "after": {"status": status}},
        )
    transfer.refresh_from_db()
    return transfer


def transfer_confirm(*, user, transfer: Transfer) -> Transfer:
    """A discipline inspector confirms the transfer against its evidence, once."""
    return _decide(user=user, transfer=transfer, status=Transfer.Status.CONFIRMED)


def transfer_reject(*, user, transfer: Transfer, reason: str) -> Transfer:
    """The evidence does not show the transfer: the income is owed again."""
    return _decide(user=user, transfer=transfer, status=Transfer.Status.REJECTED, reason=reason)
