"""Moderation's rows: the fraud signals on reviews (flags) and the appeals against
reviews, with the holidays their deadlines skip. The tables keep the names they had in
cadres (`cadres_*`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cadres.models import Review
from core.models import done_by


class FlagRule(models.TextChoices):
    """The fraud signals (moderation/fraud.py). Colleague reviews are excluded outright."""

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

    The address rule is the exception: one flag per address and hour (`address_hash`,
    `hour`, the start of the hour), on the first review that tripped it, with the number
    of reviews it covers counted in place (`reviews`): a district office's NAT or a
    carrier's CGNAT puts many residents behind one address, and a flag per review would
    bury the queue (moderation/fraud.py).
    """

    class State(models.TextChoices):
        OPEN = "open", _("open")
        EXCLUDED = "excluded", _("excluded")
        CLEARED = "cleared", _("cleared")

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="flags", verbose_name=_("review")
    )
    rule = models.CharField(_("rule"), max_length=16, choices=FlagRule)
    detail = models.JSONField(_("signal"), default=dict, blank=True)
    created_at = models.DateTimeField(_("flagged at"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    decided_by = done_by(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=500, blank=True)
    # A fraud verdict takes the review's points back: what was taken, and what the
    # resident had already spent (recorded, never taken below zero).
    points_taken_back = models.PositiveIntegerField(_("points taken back"), default=0)
    points_shortfall = models.PositiveIntegerField(_("points already spent"), default=0)
    # The address rule's flag: the address (keyed hash) and hour it covers, and how many
    # reviews of that address and hour tripped it (1 for every other rule).
    address_hash = models.CharField(_("address (keyed hash)"), max_length=32, blank=True)
    hour = models.DateTimeField(_("hour"), null=True, blank=True)
    reviews = models.PositiveIntegerField(_("reviews covered"), default=1)

    class Meta:
        db_table = "cadres_reviewflag"
        verbose_name = _("review flag")
        verbose_name_plural = _("review flags")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["review", "rule"], name="review_flag_once_per_rule"),
            # One address flag per address and hour (`hour` is NULL for the other rules,
            # and NULLs never collide).
            models.UniqueConstraint(
                fields=["rule", "address_hash", "hour"], name="review_flag_once_per_address_hour"
            ),
            models.CheckConstraint(
                condition=models.Q(state="open", decided_at__isnull=True)
                | (~models.Q(state="open") & models.Q(decided_at__isnull=False)),
                name="review_flag_decision_complete",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="review_flag_queue")]

    def __str__(self):
        return f"{self.get_rule_display()} #{self.review_id}"


class Holiday(models.Model):
    """A public holiday: not a working day for the appeal deadlines (weekends never are)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        db_table = "cadres_holiday"
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
    appellant = done_by(_("appealed by"), optional=False)
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
    decided_by = done_by(_("decided by"))

    class Meta:
        db_table = "cadres_appeal"
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
