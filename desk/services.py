"""Writes of the service desk (docs/assisted-desk.md): sessions, and the acts an agent
files for a resident through the same services the resident's own endpoints call, so
the same rules and errors apply. Each act and its log row commit together."""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.consent import IdConsentRequired, consent_give, current_version
from accounts.models import Consent, OtpCode, User
from accounts.roles import Role
from accounts.services import otp_request, otp_verify, user_get_or_create
from cadres.models import Cadre, Review
from cadres.services import review_create
from core import audit
from core.errors import Invalid, or_404
from core.parties import refuse_party
from core.timezones import LOCAL_TZ
from points.models import MoralCategory, MoralClaim
from points.services import moral_claim_create
from stalls.idcard import normalize_id_number
from stalls.models import Registration, Site
from stalls.services import registration_create

from . import permissions
from .errors import (
    DailyLimit,
    IdCheckUnbound,
    SessionAlreadyConfirmed,
    SessionExpired,
    SessionNotConfirmed,
)
from .models import AgentFlag, AssistedAct, DeskSession

# The purpose an agent's acts and ID checks are recorded with (the resident reads it).
DESK_PURPOSE = "assisted service desk"


def id_number_hash(number: str) -> str:
    """A keyed hash of a normalised ID number: the same card gives the same hash, and a
    database dump alone does not give the number back (it depends on SECRET_KEY)."""
    return salted_hmac("duoduo.desk.id-number", number, algorithm="sha256").hexdigest()


def _locked(session_id: int) -> DeskSession:
    return or_404(DeskSession.objects.select_for_update().filter(pk=session_id).first())


def _require_awaiting(session: DeskSession, now: dt.datetime) -> None:
    status = session.status_at(now)
    if status == DeskSession.Status.ACTIVE:
        raise SessionAlreadyConfirmed()
    if status != DeskSession.Status.AWAITING_CODE:
        raise SessionExpired()


def _log(*, session, kind: str, object_id: int, now: dt.datetime) -> AssistedAct:
    """The act in the desk's log and in the audit trail, in the act's transaction."""
    act = _log_row(session=session, kind=kind, object_id=object_id, now=now)
    audit.record(
        session.agent,
        f"desk.{kind}",
        act,
        subject=session.resident_id,
        summary={"after": {"kind": kind, "object_id": object_id, "session": session.pk}},
        purpose=DESK_PURPOSE,
        role=Role.DESK_AGENT,
    )
    return act


def _log_row(*, session, kind: str, object_id: int, now: dt.datetime) -> AssistedAct:
    return AssistedAct.objects.create(
        session=session,
        agent_id=session.agent_id,
        resident_id=session.resident_id,
        kind=kind,
        object_id=object_id,
        created_at=now,
        local_date=timezone.localtime(now, LOCAL_TZ).date(),
    )


def desk_session_start(*, agent, phone: str, address: str, centre: str = "") -> DeskSession:
    """Open a session for the resident of `phone` and text them a desk code.

    The code goes through otp_request, so the sign-in limits of docs/signin-limits.md
    apply to the resident's phone and to the agent's address; a refused request (429)
    writes nothing.
    """
    refuse_party(permissions.party_to_desk_phone(user=agent, phone=phone))
    with transaction.atomic():
        otp = otp_request(phone=phone, address=address, purpose=OtpCode.Purpose.DESK)
        return DeskSession.objects.create(
            agent=agent,
            phone=phone,
            centre=centre.strip(),
            created_at=otp.created_at,
            confirm_by=otp.expires_at,
        )


def _confirm(session: DeskSession, *, resident, method: str, now: dt.datetime, **fields) -> None:
    session.resident = resident
    session.method = method
    session.confirmed_at = now
    session.expires_at = now + dt.timedelta(minutes=settings.DESK_SESSION_MINUTES)
    for name, value in fields.items():
        setattr(session, name, value)
    session.save(update_fields=["resident", "method", "confirmed_at", "expires_at", *fields.keys()])


def desk_session_confirm_code(*, session_id: int, code: str, address: str) -> DeskSession:
    """The resident read back the desk code: the session is theirs, active for
    DESK_SESSION_MINUTES. A new phone becomes a resident's account (logged)."""
    session = or_404(DeskSession.objects.filter(pk=session_id).first())
    _require_awaiting(session, timezone.now())
    existed = User.objects.filter(phone=session.phone).exists()
    # Outside the transaction below: a wrong code stays counted even though this raises.
    resident = otp_verify(
        phone=session.phone, code=code, address=address, purpose=OtpCode.Purpose.DESK
    )
    with transaction.atomic():
        now = timezone.now()
        session = _locked(session_id)
        _require_awaiting(session, now)
        _confirm(session, resident=resident, method=DeskSession.Method.SMS, now=now)
        if not existed:
            _log(
                session=session,
                kind=AssistedAct.Kind.ACCOUNT_CREATED,
                object_id=resident.pk,
                now=now,
            )
    return session


def _id_consent_require(id_consent: bool) -> None:
    """The resident's separate consent to give the ID-card number, given on paper or at
    the counter and ticked by the agent (docs/privacy.md): 409 `consent_required`."""
    if not id_consent:
        raise IdConsentRequired(
            fields={"version": [current_version()], "purpose": [Consent.Purpose.ID_NUMBER]}
        )


def _id_consent_record(*, resident: User, agent) -> None:
    if resident.id_consent_version != current_version():
        consent_give(
            user=resident,
            version=current_version(),
            purpose=Consent.Purpose.ID_NUMBER,
            recorded_by=agent,
        )


def desk_session_confirm_id(
    *, session_id: int, id_number: str, name: str, id_consent: bool
) -> DeskSession:
    """The agent checked the resident's ID card in person (a resident without the phone),
    with the resident's consent to give the number (`id_consent`, recorded for them).

    A new phone number becomes an account bound to this card (its keyed hash); an
    existing account is confirmed this way only if an earlier ID check bound it to the
    same card, so an ID card alone never takes over an account that has a phone.
    """
    _id_consent_require(id_consent)
    fields = {}
    try:
        number = normalize_id_number(id_number)
    except ValueError as error:
        fields["id_check.id_number"] = [str(error.args[0])]
    name = (name or "").strip()
    if not name:
        fields["id_check.name"] = [_("This field may not be blank.")]
    if fields:
        raise Invalid(fields=fields)
    digest = id_number_hash(number)
    with transaction.atomic():
        now = timezone.now()
        session = _locked(session_id)
        _require_awaiting(session, now)
        resident = User.objects.filter(phone=session.phone).first()
        created = resident is None
        if resident is None:
            # An ID check proves a person, not the phone: the account earns no review
            # points, and its reviews wait for a moderator, until an SMS code reaches it.
            # Named as on the card the agent checked, not after the phone's digits.
            resident = user_get_or_create(
                phone=session.phone, display_name=name, phone_verified=False
            )
        elif not DeskSession.objects.filter(
            resident=resident, method=DeskSession.Method.ID_CHECK, id_number_hash=digest
        ).exists():
            raise IdCheckUnbound()
        _confirm(
            session,
            resident=resident,
            method=DeskSession.Method.ID_CHECK,
            now=now,
            id_number_hash=digest,
            id_number_last4=number[-4:],
            id_name=name,
        )
        _id_consent_record(resident=resident, agent=session.agent)
        audit.record(
            session.agent,
            "desk.id_check",
            session,
            subject=resident,
            summary={"after": {"method": "id_check", "account_created": created}},
            purpose=DESK_PURPOSE,
            role=Role.DESK_AGENT,
        )
        if created:
            act = _log(
                session=session,
                kind=AssistedAct.Kind.ACCOUNT_CREATED,
                object_id=resident.pk,
                now=now,
            )
            _agent_id_accounts_check(agent_id=session.agent_id, day=act.local_date, now=now)
    return session


def _agent_id_accounts_check(*, agent_id: int, day: dt.date, now: dt.datetime) -> None:
    """Flag the agent (AgentFlag) past DESK_ID_ACCOUNTS_PER_DAY accounts made from an ID
    check alone on `day`. Two made at once may both count one short; the next flags."""
    made = AssistedAct.objects.filter(
        agent_id=agent_id,
        local_date=day,
        kind=AssistedAct.Kind.ACCOUNT_CREATED,
        session__method=DeskSession.Method.ID_CHECK,
    ).count()
    if made > settings.DESK_ID_ACCOUNTS_PER_DAY:
        AgentFlag.objects.update_or_create(
            agent_id=agent_id,
            local_date=day,
            defaults={"accounts": made, "updated_at": now},
            create_defaults={"accounts": made, "created_at": now, "updated_at": now},
        )


def desk_session_close(*, session_id: int) -> DeskSession:
    """The resident has left: nothing more is filed in this session."""
    with transaction.atomic():
        session = _locked(session_id)
        if session.closed_at is None:
            session.closed_at = timezone.now()
            session.save(update_fields=["closed_at"])
    return session


def _act(*, session_id: int, agent, kind: str, perform: Callable):
    """Run `perform(resident)` for an active session within the agent's daily limit,
    and log it in the same transaction: a refused act writes nothing."""
    with transaction.atomic():
        # The agent's acts queue on the agent's row, so two at once cannot both pass the
        # limit; then the session's row, so a closing session takes no more acts.
        User.objects.select_for_update().only("pk").get(pk=agent.pk)
        session = _locked(session_id)
        now = timezone.now()
        status = session.status_at(now)
        if status == DeskSession.Status.AWAITING_CODE:
            raise SessionNotConfirmed()
        if status != DeskSession.Status.ACTIVE:
            raise SessionExpired()
        refuse_party(permissions.party_to_desk_session(user=agent, session=session))
        today = timezone.localtime(now, LOCAL_TZ).date()
        done = AssistedAct.objects.filter(
            agent_id=agent.pk, local_date=today, kind__in=AssistedAct.LIMITED_KINDS
        ).count()
        if done >= settings.DESK_DAILY_LIMIT:
            raise DailyLimit()
        result = perform(session.resident)
        _log(session=session, kind=kind, object_id=result.pk, now=now)
    return result


def assisted_review_create(
    *,
    session_id: int,
    agent,
    cadre: Cadre,
    rating: int,
    tags: list[str],
    comment: str,
    address: str = "",
) -> Review:
    """The resident's own rating of `cadre`, filed by the agent: marked assisted, the
    points to the resident, every rule of cadres.services.review_create. An agent who is
    that cadre does not file reviews of themselves, whoever they are for. `address` is the
    desk's: the fraud rules see the centre's reviews together, marked assisted."""
    refuse_party(permissions.party_to_assisted_review(user=agent, cadre=cadre))
    return _act(
        session_id=session_id,
        agent=agent,
        kind=AssistedAct.Kind.REVIEW,
        perform=lambda resident: review_create(
            cadre=cadre,
            reviewer=resident,
            rating=rating,
            tags=tags,
            comment=comment,
            address=address,
            assisted=True,
        ),
    )


def assisted_moral_claim_create(
    *,
    session_id: int,
    agent,
    category: MoralCategory,
    description: str,
    occurred_on: dt.date,
    photo=None,
) -> MoralClaim:
    return _act(
        session_id=session_id,
        agent=agent,
        kind=AssistedAct.Kind.MORAL_CLAIM,
        perform=lambda resident: moral_claim_create(
            resident=resident,
            category=category,
            description=description,
            occurred_on=occurred_on,
            photo=photo,
            filed_by=agent,
        ),
    )


def assisted_registration_create(
    *,
    session_id: int,
    agent,
    site: Site,
    vendor_name: str,
    id_number: str,
    goods_category: str,
    description: str = "",
    photo=None,
    waitlist: bool = False,
    id_consent: bool,
) -> Registration:
    """With the resident's consent to give the ID number (`id_consent`, recorded)."""
    _id_consent_require(id_consent)

    def perform(resident):
        _id_consent_record(resident=resident, agent=agent)
        return registration_create(
            vendor=resident,
            site=site,
            vendor_name=vendor_name,
            id_number=id_number,
            goods_category=goods_category,
            description=description,
            photo=photo,
            waitlist=waitlist,
            filed_by=agent,
        )

    return _act(
        session_id=session_id,
        agent=agent,
        kind=AssistedAct.Kind.STALL_REGISTRATION,
        perform=perform,
    )
