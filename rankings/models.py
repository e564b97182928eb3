"""The rankings' rows: each month's snapshot (its versions), its entries, and the bottom's
streaks and warnings. The tables keep the names they had in cadres (`cadres_*`)."""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, Unit
from core.models import done_by


class RankingMonth(models.Model):
    """The snapshot of one month's rankings; publishing freezes it and seals its digest."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    # 1: the month as published on the 4th; 2, 3...: corrections (docs/cadres-corrections.md).
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    compiled_at = models.DateTimeField(_("compiled at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The moment of publication of version 1, kept by every later version: each version
    # counts the reviews, answers and verdicts given by it (rankings/cutoff.py).
    cutoff = models.DateTimeField(_("cutoff"), null=True, blank=True)
    # The month's reviews held for moderation (Exclusion.UNCONFIRMED) at the cutoff, on
    # version 1: a review cleared or decided later keeps out of every version, since
    # the review row no longer says it was held then.
    held_at_cutoff = ArrayField(
        models.BigIntegerField(), verbose_name=_("reviews held at the cutoff"), default=list
    )
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
    # A correction's entries that differ from the version it replaces (rankings.diffs:
    # old and new figures, counts only); [] for version 1. Written once, with the digest.
    changes = models.JSONField(_("changes"), default=list, blank=True)

    class Meta:
        db_table = "cadres_rankingmonth"
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
        db_table = "cadres_rankingentry"
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
        db_table = "cadres_bottomstreak"
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
    subject, month and kind; its state changes only through services.bottom_warning_*,
    except that a correction the streaks no longer support withdraws it (rankings/bottom.py)."""

    class Kind(models.TextChoices):
        TALK = "talk", _("warning talk")
        POST_REVIEW = "post_review", _("post review")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        TALK_HELD = "talk_held", _("talk held")
        CLOSED = "closed", _("closed")
        # A correction of its month or an earlier one left the streak short of it: kept,
        # with the version that withdrew it; no admin moves it on.
        WITHDRAWN = "withdrawn", _("withdrawn")

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
    changed_by = done_by(_("changed by"))
    withdrawn_by = models.ForeignKey(
        RankingMonth,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="withdrawn_warnings",
        verbose_name=_("withdrawn by the version"),
    )

    class Meta:
        db_table = "cadres_bottomwarning"
        verbose_name = _("bottom warning")
        verbose_name_plural = _("bottom warnings")
        ordering = ["-ranking__month", "kind", "name"]
        # One standing warning per subject, month version and kind; withdrawn ones are
        # kept beside it (a later correction may support the same warning again).
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "kind", "scope", "unit", "cadre"],
                condition=~models.Q(state="withdrawn"),
                name="bottom_warning_one_per_cadre",
            ),
            models.UniqueConstraint(
                fields=["ranking", "kind", "scope", "unit"],
                condition=models.Q(cadre__isnull=True) & ~models.Q(state="withdrawn"),
                name="bottom_warning_one_per_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(state="withdrawn", withdrawn_by__isnull=False)
                | (~models.Q(state="withdrawn") & models.Q(withdrawn_by__isnull=True)),
                name="bottom_warning_withdrawn_by_a_version",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="closed") | ~models.Q(note=""),
                name="bottom_warning_closed_has_note",
            ),
        ]

    def __str__(self):
        return f"{self.ranking} {self.get_kind_display()} {self.name}"
