"""Writes of the stalls app. Views, admin actions and pages all call these."""

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.services import review_create
from core import audit
from core.errors import Forbidden, Invalid
from core.parties import refuse_party
from core.photos import check_photo, resized_jpeg
from notifications.kinds import each_language
from notifications.services import notify

from . import permissions, selectors
from .cache import PUBLIC
from .errors import (
    AppealAlreadyDecided,
    AppealExists,
    OfficerNotReviewable,
    PledgeOutdated,
    RegistrationAlreadyDecided,
    RegistrationExists,
    RegistrationNotDecided,
    RenewalNotOpen,
    ReportAlreadyClosed,
    SiteFull,
    SlotTaken,
    StallNotActive,
    StallNotSuspended,
)
from .idcard import InvalidToken, encrypt_id_number, normalize_id_number, reencrypt_id_number
from .models import (
    GoodsCategory,
    Inspection,
    Registration,
    RenewalReminder,
    Site,
    Stall,
    StallAppeal,
    StallRenewal,
    StallReport,
    StallStatusChange,
)
from .pledge import PLEDGE_VERSION
from .terms import add_months, first_expiry, local_today, renewal_open

VENDOR_PHOTO_MAX_SIDE = 600

SUSPENSION_VIOLATIONS = 3
SUSPENSION_WINDOW = timedelta(days=30)
SUSPENSION_REASON = gettext_lazy("%(count)d violations within 30 days.")


def _ensure_manager(*, user, site: Site) -> None:
    if not permissions.can_manage(user=user, unit_id=site.unit_id):
        raise Forbidden()


def site_code_rotate(*, site: Site, actor) -> Site:
    """A new Stall Management Code: posters printed before stop resolving."""
    _ensure_manager(user=actor, site=site)
    with transaction.atomic():
        site.rotate_code(actor=actor)
        audit.record(
            actor, "site.code_rotate", site, summary={"after": {"version": site.code_version}}
        )
    return site


def registration_create(
    *,
    vendor,
    site: Site,
    vendor_name: str,
    id_number: str,
    goods_category: str,
    description: str = "",
    photo=None,
    waitlist: bool = False,
    pledge_version: str | None = None,
    filed_by=None,
) -> Registration:
    """File a vendor's registration with the site's unit: pending, or waiting when full.

    Registering accepts the current pledge (stalls.pledge), whose version is recorded. A
    caller that showed the vendor a pledge passes its `pledge_version`: an older one is
    409 `pledge_outdated` (the vendor accepted words that are no longer the pledge).
    `filed_by` is the service desk agent who filed it for the vendor (a party to it).
    """
    if pledge_version is not None and pledge_version != PLEDGE_VERSION:
        raise PledgeOutdated()
    errors = {}
    try:
        id_number = normalize_id_number(id_number)
    except ValueError as error:
        errors["id_number"] = [str(error.args[0])]
    if goods_category not in site.goods_categories or goods_category not in GoodsCategory.values:
        errors["goods_category"] = [_("This site does not allow these goods.")]
    if not vendor_name.strip():
        errors["vendor_name"] = [_("This field may not be blank.")]
    if errors:
        raise Invalid(fields=errors)
    check_photo(photo)

    if Registration.objects.filter(
        vendor=vendor, site=site, status__in=Registration.OPEN_STATUSES
    ).exists():
        raise RegistrationExists()
    status = Registration.Status.PENDING
    if Stall.objects.filter(site=site, status=Stall.Status.ACTIVE).count() >= site.capacity:
        if not waitlist:
            raise SiteFull()
        status = Registration.Status.WAITING
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                site=site,
                vendor=vendor,
                vendor_name=vendor_name.strip(),
                id_number_encrypted=encrypt_id_number(id_number),
                goods_category=goods_category,
                description=description,
                status=status,
                pledge_version=PLEDGE_VERSION,
                filed_by=filed_by,
            )
    except IntegrityError:
        # Two submissions at once: the partial UNIQUE constraint let one through.
        raise RegistrationExists() from None
    if photo is not None:
        registration.photo.save(photo.name, photo, save=True)
    return registration


def _lock_registration(registration: Registration) -> Registration:
    # Only the registration's row: the site's row is what waiting-list promotions queue on.
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("site")
        .get(pk=registration.pk)
    )


def _slot_held(*, site: Site, slot: int) -> bool:
    """A friendly early answer; the partial UNIQUE constraint is what guarantees it."""
    return Stall.objects.filter(site=site, slot=slot, status=Stall.Status.ACTIVE).exists()


def _stall_create(*, registration: Registration, slot: int) -> Stall:
    if _slot_held(site=registration.site, slot=slot):
        raise SlotTaken()
    try:
        # A savepoint, so the loser of a race gets 409 and the transaction goes on.
        with transaction.atomic():
            return Stall.objects.create(
                registration=registration,
                site=registration.site,
                slot=slot,
                license_no=f"KBS-{registration.site_id:03d}-{registration.pk:07d}",
                expires_on=first_expiry(),
            )
    except IntegrityError:
        raise SlotTaken() from None


def _check_slot(site: Site, slot: int) -> None:
    if not (1 <= slot <= site.capacity):
        raise Invalid(
            fields={
                "slot": [
                    _("Slots at this site are numbered 1 to %(capacity)d.")
                    % {"capacity": site.capacity}
                ]
            }
        )


def registration_approve(*, registration: Registration, officer, slot: int) -> Stall:
    """Approve an open registration onto a free slot: the stall is created with its code."""
    _ensure_manager(user=officer, site=registration.site)
    with transaction.atomic():
        registration = _lock_registration(registration)
        refuse_party(permissions.party_to_registration(user=officer, registration=registration))
        if registration.status not in Registration.OPEN_STATUSES:
            raise RegistrationAlreadyDecided()
        _check_slot(registration.site, slot)
        stall = _stall_create(registration=registration, slot=slot)
        registration.status = Registration.Status.APPROVED
        registration.decided_by = officer
        registration.decided_at = timezone.now()
        registration.save(update_fields=["status", "decided_by", "decided_at"])
        _notify_stall(kind="registration_approved", registration=registration, stall=stall)
        PUBLIC.changed()
        audit.record(
            officer,
            "registration.approve",
            registration,
            subject=registration.vendor_id,
            summary={"after": {"status": "approved", "stall": stall.pk, "slot": slot}},
        )
    return stall


def _notify_stall(*, kind: str, registration: Registration, stall: Stall, **params) -> None:
    """The vendor of a stall hears of its approval, suspension, reinstatement."""
    notify(
        user_id=registration.vendor_id,
        kind=kind,
        key=f"{stall.pk}:{(stall.reinstated_at or stall.created_at).timestamp():.0f}",
        params={
            "site": stall.site.name,
            "slot": stall.slot,
            "licence": stall.license_no,
            **params,
        },
        link=f"/api/v1/stalls/{stall.pk}",
    )


def registration_reject(*, registration: Registration, officer, reason: str) -> Registration:
    _ensure_manager(user=officer, site=registration.site)
    if not reason.strip():
        raise Invalid(fields={"reason": [_("Give the vendor a reason.")]})
    with transaction.atomic():
        registration = _lock_registration(registration)
        refuse_party(permissions.party_to_registration(user=officer, registration=registration))
        if registration.status not in Registration.OPEN_STATUSES:
            raise RegistrationAlreadyDecided()
        registration.status = Registration.Status.REJECTED
        registration.decided_by = officer
        registration.decided_at = timezone.now()
        registration.reject_reason = reason.strip()
        registration.save(update_fields=["status", "decided_by", "decided_at", "reject_reason"])
        notify(
            user_id=registration.vendor_id,
            kind="registration_rejected",
            key=registration.pk,
            params={"site": registration.site.name, "reason": registration.reject_reason},
            link="/api/v1/stalls/registrations",
        )
        audit.record(
            officer,
            "registration.reject",
            registration,
            subject=registration.vendor_id,
            summary={"after": {"status": "rejected"}},
        )
    return registration


def _status_change(*, stall: Stall, new_status: str, actor, reason: str) -> None:
    StallStatusChange.objects.create(
        stall=stall, old_status=stall.status, new_status=new_status, actor=actor, reason=reason
    )
    stall.status = new_status
    stall.save(update_fields=["status", "slot", "reinstated_at"])


def _give_slot_to_waiting_list(*, site: Site, slot: int, actor) -> Stall | None:
    """The first vendor on the site's waiting list gets the freed slot.

    Promotions at a site queue on the site's row, so two slots freed at once (a suspension
    and a withdrawal) go to the first and the second vendor waiting. Each candidate is
    locked and checked again: a vendor who withdrew from the list meanwhile is passed
    over for the next one (a locked `... LIMIT 1` would return nothing on PostgreSQL).
    `actor` is None when no officer freed the slot (a withdrawal, a lapse).
    """
    Site.objects.select_for_update().filter(pk=site.pk).first()
    waiting = (
        Registration.objects.filter(site=site, status=Registration.Status.WAITING)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    first = None
    for candidate in list(waiting):
        first = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("site")
            .filter(pk=candidate, status=Registration.Status.WAITING)
            .first()
        )
        if first is not None:
            break
    if first is None:
        return None
    stall = _stall_create(registration=first, slot=slot)
    first.status = Registration.Status.APPROVED
    first.decided_by = actor
    first.decided_at = timezone.now()
    first.save(update_fields=["status", "decided_by", "decided_at"])
    _notify_stall(kind="waitlist_promoted", registration=first, stall=stall)
    return stall


def inspection_record(
    *, stall: Stall, officer, result: str, notes: str = "", at=None
) -> Inspection:
    """Record an inspection. The third violation within 30 days (since any reinstatement)
    suspends the stall and frees its slot for the first vendor on the waiting list."""
    _ensure_manager(user=officer, site=stall.site)
    at = at or timezone.now()
    with transaction.atomic():
        stall = Stall.objects.select_for_update().select_related("site").get(pk=stall.pk)
        refuse_party(permissions.party_to_stall(user=officer, stall=stall))
        inspection = Inspection.objects.create(
            stall=stall, officer=officer, result=result, notes=notes, inspected_at=at
        )
        outcome = {"result": result, "stall_status": stall.status}
        audit.record(
            officer,
            "stall.inspect",
            inspection,
            subject=stall.registration.vendor_id,
            summary={"after": outcome},
        )
        if result != Inspection.Result.VIOLATION or stall.status != Stall.Status.ACTIVE:
            return inspection
        since = at - SUSPENSION_WINDOW
        if stall.reinstated_at and stall.reinstated_at > since:
            since = stall.reinstated_at
        violations = Inspection.objects.filter(
            stall=stall,
            result=Inspection.Result.VIOLATION,
            inspected_at__gt=since,
            inspected_at__lte=at,
        ).count()
        if violations >= SUSPENSION_VIOLATIONS:
            _status_change(
                stall=stall,
                new_status=Stall.Status.SUSPENDED,
                actor=officer,
                reason=str(SUSPENSION_REASON) % {"count": violations},
            )
            _notify_stall(
                kind="stall_suspended",
                registration=stall.registration,
                stall=stall,
                reason=each_language(SUSPENSION_REASON, {"count": violations}),
            )
            _give_slot_to_waiting_list(site=stall.site, slot=stall.slot, actor=officer)
            PUBLIC.changed()
    return inspection


def stall_reinstate(*, stall: Stall, officer, reason: str, slot: int | None = None) -> Stall:
    """Put a suspended stall back, on its old slot or (when that went to someone) another."""
    with transaction.atomic():
        stall = _stall_reinstate(stall=stall, officer=officer, reason=reason, slot=slot)
        audit.record(
            officer,
            "stall.reinstate",
            stall,
            subject=stall.registration.vendor_id,
            summary={
                "before": {"status": "suspended"},
                "after": {"status": "active", "slot": stall.slot},
            },
        )
    return stall


def _stall_reinstate(*, stall: Stall, officer, reason: str, slot: int | None) -> Stall:
    _ensure_manager(user=officer, site=stall.site)
    if not reason.strip():
        raise Invalid(fields={"reason": [_("Say why the stall is reinstated.")]})
    with transaction.atomic():
        stall = Stall.objects.select_for_update().select_related("site").get(pk=stall.pk)
        refuse_party(permissions.party_to_stall(user=officer, stall=stall))
        if stall.status != Stall.Status.SUSPENDED:
            raise StallNotSuspended()
        if slot is not None:
            _check_slot(stall.site, slot)
            stall.slot = slot
        stall.reinstated_at = timezone.now()
        try:
            with transaction.atomic():
                _status_change(
                    stall=stall, new_status=Stall.Status.ACTIVE, actor=officer, reason=reason
                )
        except IntegrityError:
            raise SlotTaken() from None
        _notify_stall(kind="stall_reinstated", registration=stall.registration, stall=stall)
        PUBLIC.changed()
    return stall


def report_create(*, stall: Stall, reporter, category: str, comment: str = "", photo=None):
    if category not in StallReport.Category.values:
        raise Invalid(fields={"category": [_("Choose a category.")]})
    check_photo(photo)
    report = StallReport.objects.create(
        stall=stall, reporter=reporter, category=category, comment=comment
    )
    if photo is not None:
        report.photo.save(photo.name, photo, save=True)
    return report


def report_close(*, report: StallReport, officer, resolution: str) -> StallReport:
    _ensure_manager(user=officer, site=report.stall.site)
    if not resolution.strip():
        raise Invalid(fields={"resolution": [_("Say what was done.")]})
    with transaction.atomic():
        report = StallReport.objects.select_for_update().get(pk=report.pk)
        refuse_party(permissions.party_to_report(user=officer, report=report))
        if report.status != StallReport.Status.OPEN:
            raise ReportAlreadyClosed()
        report.status = StallReport.Status.CLOSED
        report.closed_by = officer
        report.closed_at = timezone.now()
        report.resolution = resolution.strip()
        report.save(update_fields=["status", "closed_by", "closed_at", "resolution"])
        notify(
            user_id=report.reporter_id,
            kind="report_closed",
            key=report.pk,
            params={"site": report.stall.site.name, "resolution": report.resolution},
            link="/api/v1/stalls/reports/mine",
        )
        audit.record(
            officer,
            "stall_report.close",
            report,
            subject=report.reporter_id,
            summary={"after": {"status": "closed"}},
        )
    return report


def registration_review(
    *, registration: Registration, vendor, rating: int, tags=(), comment: str = ""
):
    """The vendor reviews the officer who decided the registration: a cadre review."""
    if registration.vendor_id != vendor.pk:
        raise Forbidden()
    if registration.decided_by_id is None:
        raise RegistrationNotDecided()
    cadre = getattr(registration.decided_by, "cadre", None)
    if cadre is None:
        raise OfficerNotReviewable()
    return review_create(cadre=cadre, reviewer=vendor, rating=rating, tags=tags, comment=comment)


def _lock_stall(stall: Stall) -> Stall:
    return (
        Stall.objects.select_for_update(of=("self",))
        .select_related("site", "registration")
        .get(pk=stall.pk)
    )


def _ensure_vendor(*, stall: Stall, user) -> None:
    if stall.registration.vendor_id != user.pk:
        raise Forbidden()


def _end_stall(*, stall: Stall, new_status: str, actor, reason: str) -> Stall | None:
    """Withdraw or lapse a locked stall; an active one's slot goes to the waiting list
    (the promoted stall is returned)."""
    was_active = stall.status == Stall.Status.ACTIVE
    _status_change(stall=stall, new_status=new_status, actor=actor, reason=reason)
    promoted = None
    if was_active:
        promoted = _give_slot_to_waiting_list(site=stall.site, slot=stall.slot, actor=None)
    PUBLIC.changed()
    return promoted


def stall_withdraw(*, stall: Stall, vendor, reason: str = "") -> Stall:
    """The vendor gives up the stall: `withdrawn` for good, its slot to the first waiting."""
    _ensure_vendor(stall=stall, user=vendor)
    with transaction.atomic():
        stall = _lock_stall(stall)
        if stall.status in Stall.ENDED_STATUSES:
            raise StallNotActive()
        _end_stall(
            stall=stall,
            new_status=Stall.Status.WITHDRAWN,
            actor=vendor,
            reason=reason.strip() or _("Given up by the vendor."),
        )
    return stall


def registration_withdraw(*, registration: Registration, vendor) -> Registration:
    """The vendor withdraws a pending or waiting registration (it leaves the queue)."""
    if registration.vendor_id != vendor.pk:
        raise Forbidden()
    with transaction.atomic():
        registration = _lock_registration(registration)
        if registration.status not in Registration.OPEN_STATUSES:
            raise RegistrationAlreadyDecided()
        registration.status = Registration.Status.WITHDRAWN
        registration.decided_at = timezone.now()
        registration.save(update_fields=["status", "decided_at"])
    return registration


def stall_renew(*, stall: Stall, vendor) -> Stall:
    """Renew in the last STALL_RENEWAL_WINDOW_DAYS days up to the expiry: the stall keeps
    its slot and its expiry moves on by STALL_REGISTRATION_MONTHS from the old expiry.

    Two renewals at once extend once: the stall's row is locked and the window checked
    again (the first renewal moved the expiry out of it), and UNIQUE (stall,
    old_expires_on) on the renewals refuses a second extension of the same expiry.
    """
    _ensure_vendor(stall=stall, user=vendor)
    with transaction.atomic():
        stall = _lock_stall(stall)
        if stall.status in Stall.ENDED_STATUSES:
            raise StallNotActive()
        if not renewal_open(stall.expires_on):
            raise RenewalNotOpen()
        old, new = (
            stall.expires_on,
            add_months(stall.expires_on, settings.STALL_REGISTRATION_MONTHS),
        )
        try:
            with transaction.atomic():
                StallRenewal.objects.create(
                    stall=stall, old_expires_on=old, new_expires_on=new, renewed_by=vendor
                )
        except IntegrityError:
            raise RenewalNotOpen() from None
        stall.expires_on = new
        stall.save(update_fields=["expires_on"])
        PUBLIC.changed()  # the public view shows the expiry
    return stall


def stalls_lapse_expired(*, today=None) -> int:
    """Lapse every active or suspended stall whose expiry is before `today` (Asia/Shanghai):
    `lapsed`, and an active one's slot to the waiting list. Safe to run twice."""
    today = today or local_today()
    live = (Stall.Status.ACTIVE, Stall.Status.SUSPENDED)
    lapsed = 0
    expired = Stall.objects.filter(status__in=live, expires_on__lt=today).order_by("pk")
    for pk in list(expired.values_list("pk", flat=True)):
        with transaction.atomic(durable=True):
            stall = (
                Stall.objects.select_for_update(of=("self",))
                .select_related("site", "registration")
                .filter(pk=pk, status__in=live, expires_on__lt=today)
                .first()
            )
            if stall is None:  # renewed or ended meanwhile
                continue
            _end_stall(
                stall=stall,
                new_status=Stall.Status.LAPSED,
                actor=None,
                reason=_("The registration expired on %(day)s and was not renewed.")
                % {"day": stall.expires_on.isoformat()},
            )
            lapsed += 1
    return lapsed


def renewal_reminders_record(*, today=None) -> list[RenewalReminder]:
    """Record the renewal reminders due today, each once (UNIQUE (stall, expires_on,
    days_before)); returns those recorded now. Each new row tells its vendor in its own
    transaction (kind `renewal_due`, keyed by the row; the SMS after the commit)."""
    today = today or local_today()
    recorded = []
    for due in selectors.stalls_due_for_renewal_reminder(today):
        try:
            with transaction.atomic(durable=True):
                reminder = RenewalReminder.objects.create(
                    stall=due.stall,
                    expires_on=due.stall.expires_on,
                    days_before=due.days_before,
                )
                notify(
                    user_id=due.stall.registration.vendor_id,
                    kind="renewal_due",
                    key=reminder.pk,
                    params={
                        "site": due.stall.site.name,
                        "date": f"{reminder.expires_on:%Y-%m-%d}",
                    },
                    link=f"/api/v1/stalls/{due.stall.pk}",
                )
                recorded.append(reminder)
        except IntegrityError:
            continue  # recorded by a run at the same moment
    return recorded


def appeal_create(*, stall: Stall, vendor, reason: str) -> StallAppeal:
    """The vendor of a suspended stall appeals; one appeal waits at a time."""
    _ensure_vendor(stall=stall, user=vendor)
    if not reason.strip():
        raise Invalid(fields={"reason": [_("Say why the suspension is wrong.")]})
    with transaction.atomic():
        stall = _lock_stall(stall)
        if stall.status != Stall.Status.SUSPENDED:
            raise StallNotSuspended()
        if stall.appeals.filter(status=StallAppeal.Status.PENDING).exists():
            raise AppealExists()
        try:
            with transaction.atomic():
                return StallAppeal.objects.create(stall=stall, vendor=vendor, reason=reason.strip())
        except IntegrityError:
            raise AppealExists() from None


def appeal_decide(
    *, appeal: StallAppeal, officer, upheld: bool, reason: str, slot: int | None = None
) -> StallAppeal:
    """An officer of the site's unit who is no party to the appeal (neither its vendor nor
    one who recorded a violation behind the suspension: permissions.party_to_stall_appeal)
    decides: upheld reinstates the stall (stall_reinstate, optionally on another `slot`),
    dismissed leaves it suspended."""
    _ensure_manager(user=officer, site=appeal.stall.site)
    if not reason.strip():
        raise Invalid(fields={"reason": [_("Give the vendor a reason.")]})
    with transaction.atomic():
        appeal = (
            StallAppeal.objects.select_for_update(of=("self",))
            .select_related("stall", "stall__site")
            .get(pk=appeal.pk)
        )
        if appeal.status != StallAppeal.Status.PENDING:
            raise AppealAlreadyDecided()
        refuse_party(permissions.party_to_stall_appeal(user=officer, appeal=appeal))
        if upheld:
            _stall_reinstate(stall=appeal.stall, officer=officer, reason=reason, slot=slot)
        appeal.status = StallAppeal.Status.UPHELD if upheld else StallAppeal.Status.DISMISSED
        appeal.decided_by = officer
        appeal.decided_at = timezone.now()
        appeal.decision_reason = reason.strip()
        appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit.record(
            officer,
            "stall_appeal.decide",
            appeal,
            subject=appeal.vendor_id,
            summary={"before": {"status": "pending"}, "after": {"status": appeal.status}},
        )
    return appeal


def stall_photo_set(*, stall: Stall, vendor, photo) -> Stall:
    """The vendor's photo for the licence display: checked, resized to at most 600 px a
    side, re-encoded as JPEG without metadata, stored under a random private name."""
    _ensure_vendor(stall=stall, user=vendor)
    if stall.status in Stall.ENDED_STATUSES:
        raise StallNotActive()
    check_photo(photo)
    content = resized_jpeg(photo, max_side=VENDOR_PHOTO_MAX_SIDE)
    with transaction.atomic():
        stall = _lock_stall(stall)
        old = stall.photo.name if stall.photo else ""
        stall.photo.save("photo.jpg", ContentFile(content), save=False)
        stall.save(update_fields=["photo"])
        if old:
            storage = stall.photo.storage
            transaction.on_commit(lambda: storage.delete(old))
        PUBLIC.changed()
    return stall


# The purpose recorded when an officer is shown a vendor's ID number and phone in full.
REVEAL_PURPOSE = "deciding a stall registration"


def registrations_revealed(
    *, officer, rows: list[Registration], officer_unit_ids: set[int]
) -> None:
    """Audit that `officer` was shown the whole ID number and phone of each registration
    of `rows` at a site of `officer_unit_ids` (the officer's queue, a registration's
    page, the admin's decide page): one event per registration, about its vendor."""
    shown = [r for r in rows if r.site.unit_id in officer_unit_ids]
    audit.record_reads(
        officer,
        "registration.reveal",
        [(registration, registration.vendor_id) for registration in shown],
        summary={"fields": ["id_number", "phone"]},
        purpose=REVEAL_PURPOSE,
    )


def id_numbers_rotate(*, batch: int = 500) -> tuple[int, list[int]]:
    """Every registration's ID number re-encrypted with the first of ID_ENCRYPTION_KEYS
    (manage.py rotate_id_key), a batch per transaction: how many rows were rotated, and
    the ids of those no key decrypts (left as they are)."""
    rotated, unreadable = 0, list[int]()
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                Registration.objects.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "id_number_encrypted")[:batch]
            )
            if not rows:
                return rotated, unreadable
            for pk, token in rows:
                try:
                    fresh = reencrypt_id_number(token)
                except InvalidToken:
                    unreadable.append(pk)
                    continue
                Registration.objects.filter(pk=pk).update(id_number_encrypted=fresh)
                rotated += 1
            last = rows[-1][0]
