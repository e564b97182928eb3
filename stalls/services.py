"""Writes of the stalls app. Views, admin actions and pages all call these."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.services import review_create
from core.errors import Forbidden, Invalid
from core.photos import check_photo
from notifications.kinds import each_language
from notifications.services import notify

from . import permissions
from .cache import PUBLIC
from .errors import (
    OfficerNotReviewable,
    OwnRegistration,
    RegistrationAlreadyDecided,
    RegistrationExists,
    RegistrationNotDecided,
    ReportAlreadyClosed,
    SiteFull,
    SlotTaken,
    StallNotSuspended,
)
from .idcard import encrypt_id_number, normalize_id_number
from .models import (
    GoodsCategory,
    Inspection,
    Registration,
    Site,
    Stall,
    StallReport,
    StallStatusChange,
)

SUSPENSION_VIOLATIONS = 3
SUSPENSION_WINDOW = timedelta(days=30)
SUSPENSION_REASON = gettext_lazy("%(count)d violations within 30 days.")


def _ensure_manager(*, user, site: Site) -> None:
    if not permissions.can_manage(user=user, unit_id=site.unit_id):
        raise Forbidden()


def _ensure_not_own(*, registration: Registration, officer) -> None:
    """Nobody decides their own registration, as nobody decides their own moral claim."""
    if registration.vendor_id == officer.pk:
        raise OwnRegistration()


def site_code_rotate(*, site: Site, actor) -> Site:
    """A new Stall Management Code: posters printed before stop resolving."""
    _ensure_manager(user=actor, site=site)
    site.rotate_code(actor=actor)
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
) -> Registration:
    """File a vendor's registration with the site's unit: pending, or waiting when full."""
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
            )
    except IntegrityError:
        # Two submissions at once: the partial UNIQUE constraint let one through.
        raise RegistrationExists() from None
    if photo is not None:
        registration.photo.save(photo.name, photo, save=True)
    return registration


def _lock_registration(registration: Registration) -> Registration:
    return Registration.objects.select_for_update().select_related("site").get(pk=registration.pk)


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
        _ensure_not_own(registration=registration, officer=officer)
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
        _ensure_not_own(registration=registration, officer=officer)
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
    return registration


def _status_change(*, stall: Stall, new_status: str, actor, reason: str) -> None:
    StallStatusChange.objects.create(
        stall=stall, old_status=stall.status, new_status=new_status, actor=actor, reason=reason
    )
    stall.status = new_status
    stall.save(update_fields=["status", "slot", "reinstated_at"])


def _give_slot_to_waiting_list(*, site: Site, slot: int, actor) -> Stall | None:
    """The first vendor on the site's waiting list gets the freed slot."""
    first = (
        Registration.objects.select_for_update()
        .select_related("site")
        .filter(site=site, status=Registration.Status.WAITING)
        .order_by("created_at", "pk")
        .first()
    )
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
        inspection = Inspection.objects.create(
            stall=stall, officer=officer, result=result, notes=notes, inspected_at=at
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
    _ensure_manager(user=officer, site=stall.site)
    if not reason.strip():
        raise Invalid(fields={"reason": [_("Say why the stall is reinstated.")]})
    with transaction.atomic():
        stall = Stall.objects.select_for_update().select_related("site").get(pk=stall.pk)
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
