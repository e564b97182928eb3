from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import RotatableCode, done_by
from core.photos import validate_photo
from core.uploads import RandomName


class Unit(models.Model):
    """A department, bureau or street office of the district government."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("bureau")
        URBAN_MANAGEMENT = "urban_management", _("urban management")
        PUBLIC_SECURITY = "public_security", _("public security")
        STREET_OFFICE = "street_office", _("street office")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.BUREAU)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CadreRank(models.TextChoices):
    SECTION = "section", _("section level")
    DIVISION = "division", _("division level and above")


class Cadre(RotatableCode):
    """A government official or staff member, who wears a badge with a personal code."""

    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("title"), max_length=100, blank=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="cadres", verbose_name=_("unit")
    )
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    photo = models.ImageField(
        _("photo"), upload_to=RandomName("cadres"), blank=True, validators=[validate_photo]
    )
    active = models.BooleanField(_("active"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cadre",
        verbose_name=_("user"),
    )
    # The livestream duty's quota depends on it (LIVESTREAM_QUOTA).
    rank = models.CharField(
        pgettext_lazy("cadre grade", "rank"),
        max_length=16,
        choices=CadreRank,
        default=CadreRank.SECTION,
    )

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["unit__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.unit})"


class UnitMembership(models.Model):
    """A unit_admin or urban_officer acts for one unit (grant_role ... --unit ID)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unit_memberships",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=32)

    class Meta:
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unit_membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} {self.role} {self.unit}"


class Exclusion(models.TextChoices):
    """Why a kept review does not count in the rankings."""

    COLLEAGUE = "colleague", _("colleague of the cadre")
    APPEAL = "appeal", _("appeal upheld")
    FRAUD = "fraud", _("fraud")
    # Not a verdict: a review by an account whose phone no SMS has confirmed (made at a
    # service desk from an ID check alone) waits here until a moderator decides it
    # (cleared: it counts; excluded: fraud or colleague). See docs/review-fraud.md.
    UNCONFIRMED = "unconfirmed", _("held: the reviewer's phone is not confirmed")


class Review(models.Model):
    """A resident's (or a vendor's) rating of the service a cadre gave.

    The reviewer is kept for the one-a-day rule and the verdict, and never shown to the
    cadre or the unit. The answer to the review and the reviewer's verdict live on the
    same row, so a month's figures come from one pass over one table.
    """

    class Rating(models.IntegerChoices):
        VERY_SATISFIED = 5, _("very satisfied")
        SATISFIED = 4, _("satisfied")
        BASICALLY_SATISFIED = 3, _("basically satisfied")
        DISSATISFIED = 2, _("dissatisfied")
        VERY_DISSATISFIED = 1, _("very dissatisfied")

    class Tag(models.TextChoices):
        ATTITUDE = "attitude", _("attitude")
        EFFICIENCY = "efficiency", _("efficiency")
        PROFESSIONALISM = "professionalism", _("professionalism")
        FAIRNESS = "fairness", _("fairness")
        INTEGRITY = "integrity", _("integrity")

    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("cadre")
    )
    reviewer = done_by(_("reviewer"), optional=False, related_name="cadre_reviews")
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("submitted at"))
    # The Asia/Shanghai day of created_at: the one-a-day rule and the month both use it.
    local_date = models.DateField(_("local date"))
    points_awarded = models.PositiveIntegerField(_("points awarded"), default=0)
    # Filed by a service desk agent for the reviewer (desk app, docs/assisted-desk.md):
    # the reviewer's own rating, which fraud rules may weigh apart.
    assisted = models.BooleanField(_("assisted at a service desk"), default=False)

    response_message = models.CharField(_("answer"), max_length=1000, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    verdict_accepted = models.BooleanField(_("answer accepted"), null=True, blank=True)
    verdict_at = models.DateTimeField(_("verdict at"), null=True, blank=True)
    # Set by the hourly task when a bad review is still unanswered after 72 hours.
    overdue_at = models.DateTimeField(_("recorded overdue at"), null=True, blank=True)

    # A review is never deleted: one that must not count (an upheld appeal, a fraud
    # verdict, a colleague's review) is kept and marked with why. The rankings count
    # only the reviews whose excluded_reason is empty.
    excluded_reason = models.CharField(
        _("excluded because"), max_length=16, choices=Exclusion, blank=True, default=""
    )
    excluded_at = models.DateTimeField(_("excluded at"), null=True, blank=True)
    # Submitted through a one-time service ticket (proof of presence), not a badge.
    verified = models.BooleanField(_("verified by a service ticket"), default=False)
    # Keyed hashes (HMAC of SECRET_KEY, cadres.hashes.keyed_hash) of the device id the app
    # or the page sent and of the client address: the fraud rules compare them, and
    # nobody can read a device or an address back from them.
    device_hash = models.CharField(_("device (keyed hash)"), max_length=32, blank=True)
    address_hash = models.CharField(_("address (keyed hash)"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "cadre", "local_date"], name="review_one_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(responded_at__isnull=False) | models.Q(verdict_at__isnull=True),
                name="review_verdict_needs_answer",
            ),
            models.CheckConstraint(
                condition=models.Q(verdict_at__isnull=True, verdict_accepted__isnull=True)
                | models.Q(verdict_at__isnull=False, verdict_accepted__isnull=False),
                name="review_verdict_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(excluded_reason="", excluded_at__isnull=True)
                | (~models.Q(excluded_reason="") & models.Q(excluded_at__isnull=False)),
                name="review_exclusion_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["local_date", "cadre"], name="review_month_cadre"),
            models.Index(fields=["cadre", "-created_at"], name="review_cadre_recent"),
            # The fraud rules' look-backs of an hour per device and per address.
            models.Index(
                fields=["device_hash", "created_at"],
                name="review_device_recent",
                condition=~models.Q(device_hash=""),
            ),
            models.Index(fields=["address_hash", "created_at"], name="review_address_recent"),
            # The devices an address presented: its reviews with a device only, so that a
            # NAT's many reviews without one are not read and skipped at every review.
            models.Index(
                fields=["address_hash", "created_at"],
                name="review_address_device_recent",
                condition=~models.Q(device_hash=""),
            ),
            # Excluded reviews are few: the compile counts them per month through this.
            models.Index(
                fields=["local_date", "cadre"],
                name="review_month_excluded",
                condition=~models.Q(excluded_reason=""),
            ),
        ]

    def __str__(self):
        return f"{self.cadre.name} {self.rating} {self.local_date}"

    @property
    def is_bad(self) -> bool:
        return self.rating <= 2


class OverdueReview(Review):
    """The admin's list of bad reviews recorded overdue (unanswered after 72 hours)."""

    class Meta:
        proxy = True
        verbose_name = _("overdue bad review")
        verbose_name_plural = _("overdue bad reviews")


class ServiceTicket(models.Model):
    """A one-time proof of presence: issued by a cadre (or the service window's screen)
    after serving someone, valid SERVICE_TICKET_HOURS, used by exactly one review.

    A review through a ticket is marked verified; the ticket's `review` is set in the
    review's own transaction, by one conditional UPDATE (two reviews with one ticket at
    once: exactly one)."""

    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("cadre")
    )
    issued_by = done_by(_("issued by"), optional=False)
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    review = models.OneToOneField(
        Review,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ticket",
        verbose_name=_("review"),
    )

    class Meta:
        verbose_name = _("service ticket")
        verbose_name_plural = _("service tickets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(used_at__isnull=True, review__isnull=True)
                | models.Q(used_at__isnull=False, review__isnull=False),
                name="service_ticket_used_with_review",
            ),
        ]
        indexes = [models.Index(fields=["cadre", "-issued_at"], name="ticket_cadre_recent")]

    def __str__(self):
        return f"{self.cadre.name} {self.issued_at:%Y-%m-%d %H:%M}"
