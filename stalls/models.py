from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import RotatableCode, done_by
from core.photos import validate_photo
from core.uploads import RandomName

from .terms import first_expiry


class GoodsCategory(models.TextChoices):
    FRUIT_VEGETABLES = "fruit_vegetables", _("fruit and vegetables")
    COOKED_FOOD = "cooked_food", _("cooked food")
    SNACKS = "snacks", _("snacks and drinks")
    DAIRY_MEAT = "dairy_meat", _("dairy and meat")
    DAILY_GOODS = "daily_goods", _("daily goods")
    CLOTHING = "clothing", _("clothing and shoes")
    CRAFTS = "crafts", _("crafts and local products")
    REPAIRS = "repairs", _("repairs and services")
    OTHER = "other", _("other")


class Site(RotatableCode):
    """A market or convenience point with numbered slots 1..capacity and its own code."""

    class Kind(models.TextChoices):
        MORNING_MARKET = "morning_market", _("morning market")
        NIGHT_MARKET = "night_market", _("night market")
        CONVENIENCE_POINT = "convenience_point", _("convenience point")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    capacity = models.PositiveSmallIntegerField(_("capacity (slots)"))
    goods_categories = models.JSONField(
        _("goods categories allowed"),
        default=list,
        help_text=_("Codes of the goods categories vendors may sell here."),
    )
    unit = models.ForeignKey(
        "cadres.Unit",
        on_delete=models.PROTECT,
        related_name="stall_sites",
        verbose_name=_("responsible unit"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=1000), name="site_capacity_range"
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="site_coordinates_range",
            ),
        ]

    def __str__(self):
        return self.name


class TradingWindow(models.Model):
    """One trading window of a site, on the weekdays it applies to.

    A window whose end is before its start runs past midnight (a night market, 18:00
    to 01:00) and belongs to the day it starts on.
    """

    ALL_DAYS = 0b1111111

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="windows", verbose_name=_("site")
    )
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    # Bit n (0 = Monday .. 6 = Sunday) set: the window applies on that weekday.
    days_mask = models.PositiveSmallIntegerField(_("weekdays (bit mask)"), default=ALL_DAYS)

    class Meta:
        verbose_name = _("trading window")
        verbose_name_plural = _("trading windows")
        ordering = ["site", "start"]
        constraints = [
            models.CheckConstraint(condition=~Q(start=models.F("end")), name="window_not_empty"),
            models.CheckConstraint(
                condition=Q(days_mask__gte=1) & Q(days_mask__lte=127), name="window_days_mask"
            ),
        ]

    def __str__(self):
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def days(self) -> list[int]:
        """ISO weekdays, 1 = Monday .. 7 = Sunday."""
        return [day + 1 for day in range(7) if self.days_mask & (1 << day)]


class Registration(models.Model):
    """A vendor's request to trade at a site, filed with the site's urban-management unit."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("registration status", "pending")
        WAITING = "waiting", pgettext_lazy("registration status", "on the waiting list")
        APPROVED = "approved", pgettext_lazy("registration status", "approved")
        REJECTED = "rejected", pgettext_lazy("registration status", "rejected")
        WITHDRAWN = "withdrawn", pgettext_lazy("registration status", "withdrawn")

    OPEN_STATUSES = (Status.PENDING, Status.WAITING)

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("site")
    )
    vendor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="stall_registrations",
        verbose_name=_("vendor account"),
    )
    # The service desk agent who filed the registration for the vendor (desk app): a party
    # to it, so never its decider (stalls.permissions.party_to_registration).
    filed_by = done_by(_("filed at a service desk by"))
    vendor_name = models.CharField(_("vendor name"), max_length=50)
    # Fernet ciphertext (stalls.crypto); the number itself is never stored in clear.
    id_number_encrypted = models.TextField(_("ID-card number (encrypted)"))
    goods_category = models.CharField(_("goods category"), max_length=32, choices=GoodsCategory)
    description = models.CharField(_("description"), max_length=500, blank=True)
    photo = models.ImageField(
        _("photo"),
        upload_to=RandomName("stalls/registrations"),
        blank=True,
        validators=[validate_photo],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = done_by(_("decided by"), related_name="stall_decisions")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)
    # The version of the vendor's pledge (stalls.pledge) accepted by registering; blank
    # for registrations filed before the pledge was recorded.
    pledge_version = models.CharField(_("pledge version"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "site"],
                condition=Q(status__in=["pending", "waiting"]),
                name="registration_one_open_per_vendor_site",
            ),
        ]
        indexes = [models.Index(fields=["site", "status", "created_at"], name="reg_site_status")]

    def __str__(self):
        return f"{self.vendor_name} @ {self.site}"


class Stall(models.Model):
    """An approved vendor on one slot of a site, with a license number and its own code."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("stall status", "active")
        SUSPENDED = "suspended", pgettext_lazy("stall status", "suspended")
        WITHDRAWN = "withdrawn", pgettext_lazy("stall status", "withdrawn")
        LAPSED = "lapsed", pgettext_lazy("stall status", "lapsed")

    # A stall in these states is over: nothing brings it back (the vendor registers again).
    ENDED_STATUSES = (Status.WITHDRAWN, Status.LAPSED)

    registration = models.OneToOneField(
        Registration,
        on_delete=models.PROTECT,
        related_name="stall",
        verbose_name=_("registration"),
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="stalls", verbose_name=_("site")
    )
    slot = models.PositiveSmallIntegerField(_("slot"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    license_no = models.CharField(_("license number"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Violations before this moment no longer count towards a suspension.
    reinstated_at = models.DateTimeField(_("reinstated at"), null=True, blank=True)
    # The last day (Asia/Shanghai) the registration is valid; renewing moves it on by
    # STALL_REGISTRATION_MONTHS, and the daily task lapses the stall the day after.
    expires_on = models.DateField(_("expires on"), default=first_expiry, db_index=True)
    # The vendor's photo, shown on the public view of an active stall (a licence display).
    photo = models.ImageField(
        _("vendor photo"),
        upload_to=RandomName("stalls/vendors"),
        blank=True,
        validators=[validate_photo],
    )

    class Meta:
        verbose_name = _("stall")
        verbose_name_plural = _("stalls")
        ordering = ["site", "slot"]
        constraints = [
            # The truth of "one active stall per slot": two approvals racing for slot 7
            # cannot both commit.
            models.UniqueConstraint(
                fields=["site", "slot"],
                condition=Q(status="active"),
                name="stall_one_active_per_slot",
            ),
            models.CheckConstraint(condition=Q(slot__gte=1), name="stall_slot_positive"),
        ]

    def __str__(self):
        return self.license_no


class StallStatusChange(models.Model):
    """Who suspended or reinstated a stall, when and why (None: the system's rule)."""

    stall = models.ForeignKey(
        Stall, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("stall")
    )
    old_status = models.CharField(_("old status"), max_length=16, choices=Stall.Status.choices)
    new_status = models.CharField(_("new status"), max_length=16, choices=Stall.Status.choices)
    actor = done_by(_("by"))
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("stall status change")
        verbose_name_plural = _("stall status changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.stall}: {self.old_status} -> {self.new_status}"


class StallRenewal(models.Model):
    """One renewal: the stall's expiry moved from `old_expires_on` to `new_expires_on`.

    UNIQUE (stall, old_expires_on) is the truth of "two renewals at once extend once".
    """

    stall = models.ForeignKey(
        Stall, on_delete=models.CASCADE, related_name="renewals", verbose_name=_("stall")
    )
    old_expires_on = models.DateField(_("expired on"))
    new_expires_on = models.DateField(_("now expires on"))
    renewed_by = done_by(_("renewed by"), optional=False)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["stall", "old_expires_on"], name="renewal_once_per_expiry"
            ),
        ]

    def __str__(self):
        return f"{self.stall}: {self.old_expires_on} -> {self.new_expires_on}"


class RenewalReminder(models.Model):
    """A reminder due `days_before` the stall's `expires_on`: recorded once (UNIQUE), sent
    by the notifications (kind `renewal_due`). A renewal starts a new cycle of reminders."""

    stall = models.ForeignKey(
        Stall, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("stall")
    )
    expires_on = models.DateField(_("expires on"))
    days_before = models.PositiveSmallIntegerField(_("days before"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("renewal reminder")
        verbose_name_plural = _("renewal reminders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["stall", "expires_on", "days_before"], name="reminder_once"
            ),
        ]

    def __str__(self):
        return f"{self.stall}: {self.days_before}"


class StallAppeal(models.Model):
    """A vendor's appeal against a suspension, decided by an officer of the site's unit
    who recorded none of the violations behind it."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("appeal status", "pending")
        UPHELD = "upheld", pgettext_lazy("appeal status", "upheld")
        DISMISSED = "dismissed", pgettext_lazy("appeal status", "dismissed")

    stall = models.ForeignKey(
        Stall, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("stall")
    )
    vendor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="stall_appeals",
        verbose_name=_("vendor account"),
    )
    reason = models.CharField(_("reason"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = done_by(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["stall"], condition=Q(status="pending"), name="appeal_one_open_per_stall"
            ),
        ]

    def __str__(self):
        return f"{self.stall}: {self.get_status_display()}"


class Inspection(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", pgettext_lazy("inspection result", "pass")
        VIOLATION = "violation", pgettext_lazy("inspection result", "violation")

    stall = models.ForeignKey(
        Stall, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("stall")
    )
    officer = done_by(_("officer"), optional=False, related_name="stall_inspections")
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    notes = models.CharField(_("notes"), max_length=1000, blank=True)
    inspected_at = models.DateTimeField(_("inspected at"), default=timezone.now)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at", "-pk"]
        indexes = [
            models.Index(fields=["stall", "result", "inspected_at"], name="inspection_recent"),
        ]

    def __str__(self):
        return f"{self.stall} {self.get_result_display()} {self.inspected_at:%Y-%m-%d}"


class StallReport(models.Model):
    """Public supervision: anyone signed in reports a stall; an officer closes it."""

    class Category(models.TextChoices):
        HYGIENE = "hygiene", _("hygiene")
        BLOCKING_ROAD = "blocking_road", _("blocking the road")
        PRICING = "pricing", _("pricing")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("report status", "open")
        CLOSED = "closed", pgettext_lazy("report status", "closed")

    stall = models.ForeignKey(
        Stall, on_delete=models.PROTECT, related_name="reports", verbose_name=_("stall")
    )
    reporter = done_by(_("reporter"), optional=False, related_name="stall_reports")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    photo = models.ImageField(
        _("photo"),
        upload_to=RandomName("stalls/reports"),
        blank=True,
        validators=[validate_photo],
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default="open")
    closed_by = done_by(_("closed by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.CharField(_("outcome"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.stall}: {self.get_category_display()}"
