"""The cadres' livestream duty: sessions selling local products, their outcome, and the
income hosts receive, which goes whole to a public-welfare fund (docs/livestream.md)."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, Unit
from core.models import done_by


def evidence_path(instance, filename: str) -> str:
    """A random name in a private folder: nothing of the original name, nothing guessable."""
    extension = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"private/livestream/{secrets.token_hex(16)}.{extension}"


class Product(models.Model):
    """A local product of the catalogue that sessions feature."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("local product")
        verbose_name_plural = _("local products")
        ordering = ["pk"]

    def __str__(self):
        return self.name


class Platform(models.TextChoices):
    DUODUOPIN = "duoduopin", _("Duoduopin live room")
    DOUYIN = "douyin", _("Douyin")
    KUAISHOU = "kuaishou", _("Kuaishou")
    WECHAT_CHANNELS = "wechat_channels", _("WeChat Channels")
    OTHER = "other", _("other platform")


class Session(models.Model):
    """A live sales session: planned, then its outcome recorded once by the operator."""

    title = models.CharField(_("title"), max_length=100)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="live_sessions", verbose_name=_("unit")
    )
    starts_at = models.DateTimeField(_("starts at"))
    platform = models.CharField(_("platform"), max_length=32, choices=Platform)
    hosts = models.ManyToManyField(Cadre, related_name="live_sessions", verbose_name=_("hosts"))
    products = models.ManyToManyField(
        Product, related_name="sessions", verbose_name=_("products featured")
    )
    planned_by = done_by(_("planned by"), optional=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    peak_viewers = models.PositiveIntegerField(_("peak viewers"), null=True, blank=True)
    orders = models.PositiveIntegerField(_("orders"), null=True, blank=True)
    sales = models.DecimalField(
        _("sales (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    outcome_recorded_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    outcome_recorded_by = done_by(_("outcome recorded by"))

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            # The outcome is all there or not at all.
            models.CheckConstraint(
                condition=Q(
                    outcome_recorded_at__isnull=True,
                    duration_minutes__isnull=True,
                    peak_viewers__isnull=True,
                    orders__isnull=True,
                    sales__isnull=True,
                )
                | Q(
                    outcome_recorded_at__isnull=False,
                    duration_minutes__isnull=False,
                    peak_viewers__isnull=False,
                    orders__isnull=False,
                    sales__gte=0,
                ),
                name="live_session_outcome_complete",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    @property
    def held(self) -> bool:
        return self.outcome_recorded_at is not None


class Income(models.Model):
    """Money a host received from a session. Append-only: a correction is a new entry
    (`corrects`) carrying the signed difference, with its reason."""

    class Kind(models.TextChoices):
        COMMISSION = "commission", _("commission")
        TIPS = "tips", _("tips")
        FEE = "fee", _("appearance fee")
        OTHER = "other", _("other income")

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="incomes", verbose_name=_("session")
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="live_incomes", verbose_name=_("cadre")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects entry"),
    )
    recorded_by = done_by(_("recorded by"), optional=False)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("livestream income")
        verbose_name_plural = _("livestream income")
        ordering = ["-received_on", "-pk"]
        constraints = [
            # Income is positive; only a correction may take some back, and never zero.
            models.CheckConstraint(
                condition=Q(amount__gt=0) | (Q(corrects__isnull=False) & ~Q(amount=0)),
                name="live_income_amount_sign",
            ),
        ]

    def __str__(self):
        return f"{self.cadre.name} {self.amount} ({self.received_on})"


class Transfer(models.Model):
    """The transfer of one income entry to a public-welfare fund, with its evidence;
    a discipline inspector confirms it (or rejects it, freeing the entry for a new one).
    A decided transfer never changes (a trigger on PostgreSQL)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    income = models.ForeignKey(
        Income, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("income")
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    fund = models.CharField(_("public-welfare fund"), max_length=100)
    reference = models.CharField(_("transfer reference"), max_length=64)
    transferred_on = models.DateField(_("transferred on"))
    evidence = models.FileField(_("evidence"), upload_to=evidence_path)
    recorded_by = done_by(_("recorded by"), optional=False)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = done_by(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("public-welfare transfer")
        verbose_name_plural = _("public-welfare transfers")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="live_transfer_positive"),
            # One live transfer per income entry: a pending or confirmed one.
            models.UniqueConstraint(
                fields=["income"],
                condition=Q(status__in=["pending", "confirmed"]),
                name="live_transfer_one_per_income",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True, decided_by__isnull=True)
                | Q(status__in=["confirmed", "rejected"], decided_at__isnull=False),
                name="live_transfer_decision_complete",
            ),
        ]

    def __str__(self):
        return f"{self.fund} {self.amount} ({self.reference})"


class QuotaShortfall(Cadre):
    """The admin's list of cadres short of their livestream quota this quarter."""

    class Meta:
        proxy = True
        verbose_name = _("cadre short of the livestream quota")
        verbose_name_plural = _("cadres short of the livestream quota")


class OverdueIncome(Income):
    """The admin's list of income not transferred within LIVESTREAM_TRANSFER_DAYS."""

    class Meta:
        proxy = True
        verbose_name = _("income not transferred in time")
        verbose_name_plural = _("income not transferred in time")
