"""The assisted service desk (docs/assisted-desk.md): a desk agent's session for one
resident, and the append-only log of every act the agent files for them.

The desk sits above stalls, beside config's composition: it calls the services of
stalls, cadres, points and accounts (config -> desk -> stalls -> cadres -> points ->
accounts -> core).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.models import done_by


class DeskSession(models.Model):
    """An agent acting for the resident of `phone`, once the resident has confirmed.

    Confirmed by the SMS code the resident reads back, or by an ID check the agent
    records: only a keyed hash and the last 4 characters of the ID number are kept.
    """

    class Method(models.TextChoices):
        SMS = "sms", _("SMS code read back")
        ID_CHECK = "id_check", _("ID card checked")

    class Status(models.TextChoices):
        AWAITING_CODE = "awaiting_code", _("awaiting the resident's confirmation")
        ACTIVE = "active", _("active")
        EXPIRED = "expired", _("expired")
        CLOSED = "closed", _("closed")

    agent = done_by(_("agent"), optional=False, related_name="desk_sessions")
    phone = models.CharField(_("resident's phone number"), max_length=20)
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assisted_sessions",
        verbose_name=_("resident"),
    )
    centre = models.CharField(_("service centre"), max_length=100, blank=True)
    method = models.CharField(_("confirmed by"), max_length=8, choices=Method.choices, blank=True)
    id_number_hash = models.CharField(_("ID number (keyed hash)"), max_length=64, blank=True)
    id_number_last4 = models.CharField(_("ID number (last 4)"), max_length=4, blank=True)
    id_name = models.CharField(_("name on the ID card"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    confirm_by = models.DateTimeField(_("to be confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("active until"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("desk session")
        verbose_name_plural = _("desk sessions")
        indexes = [models.Index(fields=["resident", "method"], name="desk_session_resident")]

    def __str__(self):
        return f"#{self.pk} {self.phone}"

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def status_label(self) -> str | Promise:  # lazy: translated where it is shown
        return self.Status(self.status).label

    @property
    def deadline(self):
        """Until when the resident may confirm, then until when the agent may act."""
        return self.confirm_by if self.confirmed_at is None else self.expires_at

    def status_at(self, now) -> str:
        if self.closed_at is not None:
            return self.Status.CLOSED
        if self.confirmed_at is None:
            return self.Status.AWAITING_CODE if now < self.confirm_by else self.Status.EXPIRED
        return self.Status.ACTIVE if now < self.expires_at else self.Status.EXPIRED


class AssistedAct(models.Model):
    """One act an agent filed for a resident; append-only (a trigger on PostgreSQL)."""

    class Kind(models.TextChoices):
        ACCOUNT_CREATED = "account_created", _("account registered")
        REVIEW = "review", _("cadre review")
        MORAL_CLAIM = "moral_claim", _("moral points claim")
        STALL_REGISTRATION = "stall_registration", _("stall registration")

    # The acts that count against DESK_DAILY_LIMIT: registering the account needs the
    # resident's code or ID card in hand, so it is logged but not limited.
    LIMITED_KINDS = (Kind.REVIEW, Kind.MORAL_CLAIM, Kind.STALL_REGISTRATION)

    session = models.ForeignKey(
        DeskSession, on_delete=models.PROTECT, related_name="acts", verbose_name=_("session")
    )
    agent = done_by(_("agent"), optional=False, related_name="assisted_acts_done")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assisted_acts",
        verbose_name=_("resident"),
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    # The review, moral claim, registration or user the act created.
    object_id = models.PositiveBigIntegerField(_("object id"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    # The agent's Asia/Shanghai day: the daily limit counts on it.
    local_date = models.DateField(_("local date"))

    class Meta:
        verbose_name = _("assisted act")
        verbose_name_plural = _("assisted acts")
        indexes = [
            models.Index(fields=["agent", "local_date"], name="desk_act_agent_day"),
            models.Index(fields=["resident", "-id"], name="desk_act_resident"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.object_id}"


class AgentFlag(models.Model):
    """An agent who made more than DESK_ID_ACCOUNTS_PER_DAY accounts from ID checks
    alone (no SMS to the phone) in one Asia/Shanghai day: a made-up number with a valid
    check digit makes one, so staff look into who did it (the admin, read-only). One
    row per agent and day; `accounts` is the day's count when it was last raised."""

    agent = done_by(_("agent"), optional=False)
    local_date = models.DateField(_("day"))
    accounts = models.PositiveIntegerField(_("accounts made from an ID check alone"))
    created_at = models.DateTimeField(_("flagged at"))
    updated_at = models.DateTimeField(_("last raised at"))

    class Meta:
        verbose_name = _("desk agent flag")
        verbose_name_plural = _("desk agent flags")
        ordering = ["-local_date", "-accounts"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "local_date"], name="desk_agent_flag_once_a_day"
            )
        ]

    def __str__(self):
        return f"{self.agent} {self.local_date} ({self.accounts})"
