"""The points ledger (double entry), grab campaigns, rewards, moral claims and tiers.

Only `points.ledger` creates `Entry`/`LedgerTransaction` rows or changes a balance.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import done_by
from core.photos import validate_photo
from core.uploads import RandomName

MAX_POINTS = 100_000_000


class Currency(models.TextChoices):
    REDEEMABLE = "redeemable", _("redeemable points")
    MORAL = "moral", _("moral points")


class Account(models.Model):
    """A balance: a resident's redeemable or moral account, or a system account.

    `balance` is kept in the same database transaction as the account's entries, so a
    balance read is one row. The CHECK constraint is the real guard against overspending.
    """

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("resident")
        ISSUANCE = "issuance", _("issuance")
        POOL = "pool", _("campaign pool")
        MERCHANT = "merchant", _("merchant receivable")
        # Redeemed vouchers' points, held until the merchant confirms or the voucher is
        # cancelled or expires (docs/merchant-payments.md).
        ESCROW = "escrow", _("voucher escrow")
        REVOCATION = "revocation", _("revocations")
        ADJUSTMENT = "adjustment", _("adjustments")
        EXPIRY = "expiry", _("expired points")

    key = models.CharField(_("key"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=16, choices=Currency)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="point_accounts",
        verbose_name=_("owner"),
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    # A campaign's pool is split in shards (campaigns.POOL_SHARDS accounts): winners of a grab
    # then lock different rows instead of queueing on one.
    campaign = models.ForeignKey(
        "Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pool_accounts",
        verbose_name=_("campaign"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            # Residents, pools and merchants can never owe points; issuance can.
            models.CheckConstraint(
                condition=Q(kind__in=["issuance", "adjustment"]) | Q(balance__gte=0),
                name="points_account_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="resident") | Q(owner__isnull=False),
                name="points_account_resident_has_owner",
            ),
            models.UniqueConstraint(
                fields=["owner", "currency"],
                condition=Q(kind="resident"),
                name="points_account_one_per_resident_currency",
            ),
        ]

    def __str__(self):
        return self.key


class LedgerTransaction(models.Model):
    """One movement of points: two or more entries that sum to zero."""

    class Reason(models.TextChoices):
        CAMPAIGN_FUNDING = "campaign_funding", _("campaign funding")
        CAMPAIGN_CLAIM = "campaign_claim", _("campaign claim")
        REDEMPTION = "redemption", _("redemption")
        REDEMPTION_REFUND = "redemption_refund", _("redemption refund")
        REDEMPTION_CONFIRM = "redemption_confirm", _("voucher used: paid to the merchant")
        REDEMPTION_EXPIRY = "redemption_expiry", _("voucher expired: refunded")
        PAYMENT = "payment", _("payment at a merchant")
        PAYMENT_REFUND = "payment_refund", _("payment refunded by the merchant")
        REVIEW_AWARD = "review_award", _("points for a review")
        REVIEW_REVOCATION = "review_revocation", _("review points taken back (fraud)")
        MORAL_AWARD = "moral_award", _("moral claim approved")
        MORAL_REVOCATION = "moral_revocation", _("moral claim revoked")
        ADJUSTMENT = "adjustment", _("administrator adjustment")
        EXPIRY = "expiry", _("points expired")

    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    # What caused it ("claim:12", "redemption:7", "review:3"): unique per reason, so the
    # same cause can never be posted twice.
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    created_by = done_by(_("caused by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        constraints = [
            models.UniqueConstraint(
                fields=["reason", "reference"],
                condition=~Q(reference=""),
                name="points_transaction_unique_reference",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_reason_display()} {self.reference}"


class EntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ledger entries are append-only.")

    def delete(self):
        raise TypeError("Ledger entries are append-only.")


class Entry(models.Model):
    """One side of a transaction on one account. Never updated, never deleted."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("transaction"),
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    amount = models.BigIntegerField(_("amount"))
    balance_after = models.BigIntegerField(_("balance after"))
    # Copied from the transaction so the ledger filters without a join.
    reason = models.CharField(_("reason"), max_length=32, choices=LedgerTransaction.Reason.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_entry_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="points_entry_account_recent")]

    def __str__(self):
        return f"{self.account} {self.amount:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ledger entries are append-only.")


class Lot(models.Model):
    """The redeemable points a resident earned in one month (Asia/Shanghai) not yet spent.

    Kept by `points.ledger.post` only, in the posting's own statement: a credit adds to
    the lot of its month, a debit takes from the oldest lots first. The lots of an
    account sum to its balance (`verify_ledger` checks it). Moral points have none.
    """

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lots", verbose_name=_("account")
    )
    month = models.DateField(_("month earned (its first day)"))
    expires_on = models.DateField(_("expires after"))
    remaining = models.BigIntegerField(_("points remaining"), default=0)

    class Meta:
        verbose_name = _("lot of points")
        verbose_name_plural = _("lots of points")
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="points_lot_one_per_month"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0), name="points_lot_remaining_not_negative"
            ),
        ]
        indexes = [
            # The nightly sweep and the 30-day notice: unspent lots by expiry date.
            models.Index(
                fields=["expires_on"],
                condition=Q(remaining__gt=0),
                name="points_lot_unspent_expiry",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.month:%Y-%m}: {self.remaining}"


class Campaign(models.Model):
    """A grab campaign: a pool of `claims` claims of `points_per_claim` points each."""

    title = models.CharField(_("title"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    points_per_claim = models.PositiveIntegerField(_("points per claim"))
    claims = models.PositiveIntegerField(_("number of claims"))
    created_by = done_by(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # Not columns: what a read already learned of the pool, kept on the object. Its shard
    # accounts' ids in key order (selectors.campaign_pool_ids: they never change), and
    # its balance where a queryset annotated it (selectors.campaigns_active).
    pool_ids: list[int] | None = None
    pool_balance: int | None = None

    class Meta:
        verbose_name = _("grab campaign")
        verbose_name_plural = _("grab campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="points_campaign_window"
            ),
            models.CheckConstraint(
                condition=Q(points_per_claim__gte=1) & Q(claims__gte=1),
                name="points_campaign_positive",
            ),
        ]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="points_campaign_window")]

    def __str__(self):
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at


class CampaignClaim(models.Model):
    """A resident's one claim on a campaign (the UNIQUE constraint is the rule)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="claim_set", verbose_name=_("campaign")
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="campaign_claims",
        verbose_name=_("resident"),
    )
    amount = models.PositiveIntegerField(_("amount"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign claim")
        verbose_name_plural = _("campaign claims")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "resident"], name="points_claim_once_per_resident"
            ),
        ]

    def __str__(self):
        return f"{self.campaign} / {self.resident}"


class Merchant(models.Model):
    """A local shop that takes points; `users` are its `merchant` staff."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="merchants", verbose_name=_("users")
    )
    account = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="merchant", verbose_name=_("account")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Reward(models.Model):
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("merchant")
    )
    title = models.CharField(_("title"), max_length=100)
    cost_points = models.PositiveIntegerField(
        _("cost in points"), validators=[MinValueValidator(1), MaxValueValidator(10_000_000)]
    )
    stock = models.PositiveIntegerField(_("stock"))
    active = models.BooleanField(_("active"), default=True)
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_reward_stock"),
            models.CheckConstraint(condition=Q(cost_points__gte=1), name="points_reward_cost"),
        ]

    def __str__(self):
        return f"{self.title} ({self.merchant})"

    def is_available(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.active
            and (self.available_from is None or self.available_from <= now)
            and (self.available_until is None or now < self.available_until)
        )


class Redemption(models.Model):
    """A voucher: points held in escrow until the merchant confirms it (then paid to the
    merchant), refunded when cancelled or unused after VOUCHER_VALID_DAYS."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("issued")
        USED = "used", _("used")
        CANCELLED = "cancelled", _("cancelled")

    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("resident"),
    )
    cost_points = models.PositiveIntegerField(_("cost in points"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ISSUED
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = done_by(_("confirmed by"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [
            models.Index(fields=["resident", "-id"], name="points_redemption_resident"),
            # The expiry task's scan of issued vouchers, oldest first.
            models.Index(fields=["status", "created_at"], name="points_redemption_status_age"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.reward.title}"


class ReviewAward(models.Model):
    """Points given for one cadre review (0 when the daily cap was reached)."""

    review_id = models.BigIntegerField(_("review"), unique=True)
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_awards",
        verbose_name=_("resident"),
    )
    points = models.PositiveIntegerField(_("points"))
    awarded_on = models.DateField(_("day (Asia/Shanghai)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("review award")
        verbose_name_plural = _("review awards")
        indexes = [models.Index(fields=["resident", "awarded_on"], name="points_review_award_day")]

    def __str__(self):
        return f"review {self.review_id}: {self.points}"


class MoralCategory(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    min_points = models.PositiveIntegerField(
        _("minimum points"), validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    max_points = models.PositiveIntegerField(
        _("maximum points"), validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("moral point category")
        verbose_name_plural = _("moral point categories")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_points__gte=1) & Q(max_points__gte=F("min_points")),
                name="points_moral_category_range",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.min_points and self.max_points and self.max_points < self.min_points:
            raise ValidationError({"max_points": _("The maximum must not be below the minimum.")})


class MoralClaim(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        REVOKED = "revoked", _("revoked")

    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="moral_claims",
        verbose_name=_("resident"),
    )
    category = models.ForeignKey(
        MoralCategory, on_delete=models.PROTECT, related_name="claims", verbose_name=_("category")
    )
    # The service desk agent who filed the claim for the resident (desk app): a party to
    # it, so never its decider (points.permissions.party_to_moral_claim).
    filed_by = done_by(_("filed at a service desk by"))
    description = models.TextField(_("description"), max_length=2000)
    occurred_on = models.DateField(_("date of the deed"))
    photo = models.ImageField(
        _("photo"),
        upload_to=RandomName("moral_claims"),
        blank=True,
        validators=[validate_photo],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    points = models.PositiveIntegerField(_("points"), null=True, blank=True)
    decided_by = done_by(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)
    revoked_by = done_by(_("revoked by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("moral point claim")
        verbose_name_plural = _("moral point claims")
        indexes = [
            models.Index(fields=["resident", "-id"], name="points_moral_claim_resident"),
            models.Index(fields=["status", "id"], name="points_moral_claim_queue"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.category} ({self.resident})"


class PrivilegeTier(models.Model):
    """Unlocked at `min_score` moral points; partners see its privileges."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    min_score = models.PositiveIntegerField(_("minimum moral score"), unique=True)
    privileges = models.JSONField(_("privileges"), default=list, blank=True)

    class Meta:
        verbose_name = _("privilege tier")
        verbose_name_plural = _("privilege tiers")
        ordering = ["min_score"]

    def __str__(self):
        return f"{self.name} (≥{self.min_score})"

    def clean(self):
        if not isinstance(self.privileges, list) or not all(
            isinstance(item, str) for item in self.privileges
        ):
            raise ValidationError({"privileges": _('A list of texts, e.g. ["VIP queue"].')})

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "privileges": list(self.privileges)}
