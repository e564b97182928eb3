from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import RotatableCode
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
        choices=CadreRank.choices,
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
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cadre_reviews",
        verbose_name=_("reviewer"),
    )
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
        _("excluded because"), max_length=16, choices=Exclusion.choices, blank=True, default=""
    )
    excluded_at = models.DateTimeField(_("excluded at"), null=True, blank=True)
    # Submitted through a one-time service ticket (proof of presence), not a badge.
    verified = models.BooleanField(_("verified by a service ticket"), default=False)
    # Keyed hashes (HMAC of SECRET_KEY, cadres.fraud.keyed_hash) of the device id the app
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


class FlagRule(models.TextChoices):
    """The fraud signals (cadres/fraud.py). Colleague reviews are excluded outright."""

    BURST = "burst", _("burst of reviews from new accounts")
    DEVICE = "device", _("one device reviewing many cadres")
    ADDRESS = "address", _("one address reviewing many cadres")
    UNIT_SWEEP = "unit_sweep", _("every cadre of a unit rated 1 or 2 in a day")
    FEW_ACCOUNTS = "few_accounts", _("most reviews from a few accounts")
    COLLEAGUE = "colleague", _("review by a colleague")
    APPEALS_MOST = "appeals_most", _("the cadre appealed most of its bad reviews")
    ACCOUNT = "account", _("one account reviewing many cadres")
    ACCOUNT_DEVICES = "account_devices", _("one account presenting many devices")
    ADDRESS_DEVICES = "address_devices", _("one address presenting many devices")
    UNCONFIRMED = "unconfirmed", _("reviewer's phone not confirmed by SMS")


class ReviewFlag(models.Model):
    """A fraud signal on one review, waiting for (or decided by) a rating_moderator.

    `detail` holds counts only (never who or which device). One flag per review and
    rule: the nightly rerun adds nothing twice. Deciding a review decides all its open
    flags at once, recording who, when and why.
    """

    class State(models.TextChoices):
        OPEN = "open", _("open")
        EXCLUDED = "excluded", _("excluded")
        CLEARED = "cleared", _("cleared")

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="flags", verbose_name=_("review")
    )
    rule = models.CharField(_("rule"), max_length=16, choices=FlagRule.choices)
    detail = models.JSONField(_("signal"), default=dict, blank=True)
    created_at = models.DateTimeField(_("flagged at"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=500, blank=True)
    # A fraud verdict takes the review's points back: what was taken, and what the
    # resident had already spent (recorded, never taken below zero).
    points_taken_back = models.PositiveIntegerField(_("points taken back"), default=0)
    points_shortfall = models.PositiveIntegerField(_("points already spent"), default=0)

    class Meta:
        verbose_name = _("review flag")
        verbose_name_plural = _("review flags")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["review", "rule"], name="review_flag_once_per_rule"),
            models.CheckConstraint(
                condition=models.Q(state="open", decided_at__isnull=True)
                | (~models.Q(state="open") & models.Q(decided_at__isnull=False)),
                name="review_flag_decision_complete",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="review_flag_queue")]

    def __str__(self):
        return f"{self.get_rule_display()} #{self.review_id}"


class RankingMonth(models.Model):
    """The snapshot of one month's rankings; publishing freezes it and seals its digest."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    # 1: the month as published on the 1st; 2, 3...: corrections (docs/cadres-corrections.md).
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    compiled_at = models.DateTimeField(_("compiled at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # SHA-256 of the digest this version follows and of this version's entries: version 1
    # follows a version of the month published before it, version n the version n - 1.
    digest = models.CharField(_("digest"), max_length=64, blank=True)
    previous_digest = models.CharField(_("previous digest"), max_length=64, blank=True)
    # RANKINGS_VERIFIED_ONLY when compiled: only reviews through a service ticket counted.
    verified_only = models.BooleanField(_("verified reviews only"), default=False)
    # Whether the digest covers each entry's excluded counts and verified_share: false for
    # the months published before reviews could be excluded or verified, so that their
    # digests stay what they were.
    digest_covers_verified = models.BooleanField(
        _("digest covers the verified share"), default=True
    )
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    # The month's reviews excluded when this version was compiled, and how many of them
    # were not yet excluded in the version it replaces (0 for version 1).
    excluded_total = models.PositiveIntegerField(_("reviews excluded in all"), default=0)
    excluded_reviews = models.PositiveIntegerField(
        _("reviews excluded since the previous version"), default=0
    )

    class Meta:
        verbose_name = _("monthly ranking")
        verbose_name_plural = _("monthly rankings")
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["month", "version"], name="ranking_month_version"),
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True) | ~models.Q(digest=""),
                name="ranking_published_has_digest",
            ),
            models.CheckConstraint(
                condition=models.Q(version=1, corrected_at__isnull=True)
                | models.Q(version__gt=1, corrected_at__isnull=False),
                name="ranking_correction_dated",
            ),
        ]

    def __str__(self):
        label = self.month.strftime("%Y-%m")
        return label if self.version == 1 else f"{label} v{self.version}"

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")


class RankingEntry(models.Model):
    """One line of a month's ranking, in one scope."""

    class Scope(models.TextChoices):
        UNIT = "unit", _("units across the district")
        CADRE = "cadre", _("cadres across the district")
        # Not stored: a cadre row carries its rank within its unit (unit_*), which the
        # API and the digest read as this scope.
        UNIT_CADRE = "unit_cadre", _("cadres of one unit")

    # The entry's ids are references into the live tables without database constraints
    # or indexes of their own: a month writes ten thousand of these at once, and names
    # are copied in, so a published month reads the same whatever happens to the rows.
    ranking = models.ForeignKey(
        RankingMonth,
        on_delete=models.CASCADE,
        related_name="entries",
        verbose_name=_("month"),
        db_index=False,  # the list index starts with it
        # Written only by the compile, under the month's row lock; the deferred check of
        # 5,000 rows at commit was a third of the compile at 100k reviews.
        db_constraint=False,
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
        db_constraint=False,
        db_index=False,
    )
    cadre = models.ForeignKey(
        Cadre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cadre"),
        db_constraint=False,
        db_index=False,
    )
    # Names as they were when compiled: a published month never changes.
    name = models.CharField(_("name"), max_length=100)
    unit_name = models.CharField(_("unit name"), max_length=100)
    position = models.PositiveIntegerField(_("position"))
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    reviews = models.PositiveIntegerField(_("reviews"))
    satisfied = models.PositiveIntegerField(_("rated 4 or 5"))
    bad = models.PositiveIntegerField(_("bad reviews"))
    bad_answered = models.PositiveIntegerField(_("bad reviews answered"))
    verdicts = models.PositiveIntegerField(_("answers with a verdict"))
    rejected = models.PositiveIntegerField(_("answers rejected"))
    # Counted reviews submitted through a service ticket (proof of presence).
    verified = models.PositiveIntegerField(_("verified reviews"), default=0)
    satisfaction_rate = models.DecimalField(_("satisfaction rate"), max_digits=5, decimal_places=4)
    response_rate = models.DecimalField(_("response rate"), max_digits=5, decimal_places=4)
    rejection_rate = models.DecimalField(_("rejection rate"), max_digits=5, decimal_places=4)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    bottom = models.BooleanField(_("bottom 10%"), default=False)
    # A cadre's line within its own unit (scope cadre only): one row a cadre, not two.
    unit_position = models.PositiveIntegerField(_("position in unit"), null=True, blank=True)
    unit_rank = models.PositiveIntegerField(_("rank in unit"), null=True, blank=True)
    unit_bottom = models.BooleanField(_("bottom tenth of the unit"), default=False)
    # Reviews of the month left out of the figures, by ground (counts only).
    excluded_colleague = models.PositiveIntegerField(_("excluded: colleague"), default=0)
    excluded_appeal = models.PositiveIntegerField(_("excluded: appeal"), default=0)
    excluded_fraud = models.PositiveIntegerField(_("excluded: fraud"), default=0)

    class Meta:
        verbose_name = _("ranking entry")
        verbose_name_plural = _("ranking entries")
        ordering = ["ranking", "scope", "position"]
        # Two indexes, both invariants: a month writes 5,000 rows at once, and each
        # index more was a tenth of the compile. Lists read a month's rows through the
        # first (every row of a month is in it: a unit's NULL cadre never collides) and
        # sort a scope's few thousand rows by position.
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "cadre"], name="ranking_entry_one_per_cadre"
            ),
            models.UniqueConstraint(
                fields=["ranking", "unit"],
                condition=models.Q(cadre__isnull=True),
                name="ranking_entry_one_per_unit",
            ),
        ]

    def __str__(self):
        return f"{self.ranking} {self.scope} {self.name}"

    @property
    def verified_share(self) -> Decimal:
        """Verified reviews / counted reviews, 4 places (0 without reviews)."""
        if not self.reviews:
            return Decimal("0.0000")
        return (Decimal(self.verified) / Decimal(self.reviews)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )


class ServiceTicket(models.Model):
    """A one-time proof of presence: issued by a cadre (or the service window's screen)
    after serving someone, valid SERVICE_TICKET_HOURS, used by exactly one review.

    A review through a ticket is marked verified; the ticket's `review` is set in the
    review's own transaction, by one conditional UPDATE (two reviews with one ticket at
    once: exactly one)."""

    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("cadre")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
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


class BottomStreak(models.Model):
    """How many published months in a row a cadre or a unit has been in the bottom 10 %
    of its district scope, as of one published month (written on publication)."""

    ranking = models.ForeignKey(
        RankingMonth,
        on_delete=models.CASCADE,
        related_name="bottom_streaks",
        verbose_name=_("month"),
    )
    scope = models.CharField(_("scope"), max_length=16, choices=RankingEntry.Scope.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    cadre = models.ForeignKey(
        Cadre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cadre"),
    )
    name = models.CharField(_("name"), max_length=100)
    months = models.PositiveSmallIntegerField(_("months in a row"))

    class Meta:
        verbose_name = _("bottom streak")
        verbose_name_plural = _("bottom streaks")
        ordering = ["-ranking__month", "scope", "-months", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "scope", "unit", "cadre"], name="bottom_streak_one_per_cadre"
            ),
            models.UniqueConstraint(
                fields=["ranking", "scope", "unit"],
                condition=models.Q(cadre__isnull=True),
                name="bottom_streak_one_per_unit",
            ),
        ]

    def __str__(self):
        return f"{self.ranking} {self.name} {self.months}"


class BottomWarning(models.Model):
    """What the bottom brings: a warning talk (提醒谈话) at two months in a row, a listing
    for a post review (岗位调整建议) at three or more. Created on publication, once per
    subject, month and kind; its state changes only through services.bottom_warning_*."""

    class Kind(models.TextChoices):
        TALK = "talk", _("warning talk")
        POST_REVIEW = "post_review", _("post review")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        TALK_HELD = "talk_held", _("talk held")
        CLOSED = "closed", _("closed")

    ranking = models.ForeignKey(
        RankingMonth,
        on_delete=models.PROTECT,
        related_name="bottom_warnings",
        verbose_name=_("month"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=RankingEntry.Scope.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="bottom_warnings", verbose_name=_("unit")
    )
    cadre = models.ForeignKey(
        Cadre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bottom_warnings",
        verbose_name=_("cadre"),
    )
    name = models.CharField(_("name"), max_length=100)
    streak = models.PositiveSmallIntegerField(_("months in a row"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"))
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("bottom warning")
        verbose_name_plural = _("bottom warnings")
        ordering = ["-ranking__month", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "kind", "scope", "unit", "cadre"],
                name="bottom_warning_one_per_cadre",
            ),
            models.UniqueConstraint(
                fields=["ranking", "kind", "scope", "unit"],
                condition=models.Q(cadre__isnull=True),
                name="bottom_warning_one_per_unit",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="closed") | ~models.Q(note=""),
                name="bottom_warning_closed_has_note",
            ),
        ]

    def __str__(self):
        return f"{self.ranking} {self.get_kind_display()} {self.name}"


class Holiday(models.Model):
    """A public holiday: not a working day for the appeal deadlines (weekends never are)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class Appeal(models.Model):
    """A cadre's (or their unit admin's) appeal against one review, decided at district level.

    Upheld: the review is excluded from the rankings (cadres.services.review_exclude) and
    kept; a published month then gets a correction. Who decided is recorded here and
    shown to nobody but the admin of the appeals.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DECIDED = "decided", _("decided")

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("upheld")
        DISMISSED = "dismissed", _("dismissed")

    review = models.OneToOneField(
        Review, on_delete=models.PROTECT, related_name="appeal", verbose_name=_("review")
    )
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("appealed by"),
    )
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("appealed at"))
    # The end of the 5th working day after the appeal (Asia/Shanghai).
    due_at = models.DateTimeField(_("decision due by"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    decision_reason = models.CharField(_("reason of the decision"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status="pending", outcome="", decided_at__isnull=True, decided_by__isnull=True
                )
                | models.Q(
                    status="decided",
                    outcome__in=["upheld", "dismissed"],
                    decided_at__isnull=False,
                    decided_by__isnull=False,
                ),
                name="appeal_decision_complete",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="appeal_queue")]

    def __str__(self):
        return f"{self.review} ({self.get_status_display()})"
