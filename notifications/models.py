"""The notifications (an outbox: each row is written in the transaction of the change it
reports, and its SMS, if any, is sent after the commit), preferences, and broadcasts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import done_by

from . import kinds


class Notification(models.Model):
    class Sms(models.TextChoices):
        NONE = "none", _("no SMS")
        PENDING = "pending", _("to send")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("turned off")
        FAILED = "failed", _("failed")
        # Claimed (`sending`) and never finished: the worker stopped between the claim and
        # the provider's answer, so nobody knows whether it went out (never sent again
        # by itself; staff may send it again from the admin).
        UNKNOWN = "unknown", _("outcome unknown")
        # The provider's delivery receipt (docs/sms.md): reached the phone, or not.
        DELIVERED = "delivered", _("delivered")
        UNDELIVERED = "undelivered", _("not delivered")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    # What happened, once per recipient: a second notify of the same event is nothing.
    event_key = models.CharField(_("event key"), max_length=120)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    sms_status = models.CharField(_("SMS"), max_length=12, choices=Sms.choices, default=Sms.NONE)
    # Quiet hours: not before this time (08:00 Asia/Shanghai after a night-time event).
    sms_not_before = models.DateTimeField(_("SMS not before"), null=True, blank=True)
    sms_queued_at = models.DateTimeField(_("SMS queued at"), null=True, blank=True)
    sms_attempts = models.PositiveSmallIntegerField(_("SMS attempts"), default=0)
    # When the last claim (pending -> sending) was made: `sending` for longer than
    # NOTIFY_SMS_SENDING_TIMEOUT is `unknown` (delivery.sms_sending_expire).
    sms_claimed_at = models.DateTimeField(_("SMS claimed at"), null=True, blank=True)
    sms_sent_at = models.DateTimeField(_("SMS sent at"), null=True, blank=True)
    sms_error = models.CharField(_("SMS error"), max_length=300, blank=True)
    # Which provider took it and its id (the receipt's key), the provider's last code
    # (a refusal's or the receipt's) and the receipt's time (docs/sms.md).
    sms_provider = models.CharField(_("SMS provider"), max_length=20, blank=True)
    sms_message_id = models.CharField(_("SMS message id"), max_length=64, blank=True)
    sms_provider_code = models.CharField(_("SMS provider code"), max_length=64, blank=True)
    sms_receipt_at = models.DateTimeField(_("SMS receipt at"), null=True, blank=True)
    # When the dispatch beat queued it again (its task lost with the broker's data): once.
    sms_requeued_at = models.DateTimeField(_("SMS queued again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "event_key"], name="notification_once")
        ]
        indexes = [
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["sms_not_before"],
                condition=models.Q(sms_status="pending"),
                name="notification_sms_pending",
            ),
            models.Index(
                fields=["sms_claimed_at"],
                condition=models.Q(sms_status="sending"),
                name="notification_sms_sending",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(sms_status="unknown"),
                name="notification_sms_unknown",
            ),
            models.Index(
                fields=["sms_provider", "sms_message_id"],
                condition=~models.Q(sms_message_id=""),
                name="notification_sms_message",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.event_key}"

    @property
    def kind_spec(self) -> kinds.Kind:
        return kinds.get(self.kind)

    @property
    def title(self) -> str:
        return self.kind_spec.render(self.params)[0]

    @property
    def body(self) -> str:
        return self.kind_spec.render(self.params)[1]


class Preference(models.Model):
    """A person's choice for one kind: SMS on or off (in-app is always on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    sms = models.BooleanField(_("SMS"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self):
        return f"{self.kind} sms={self.sms}"


class Broadcast(models.Model):
    """One message to many: the district's notices and the campaign announcements.

    Created by a request or beat in a moment; a Celery task then writes its rows in
    batches (`services.broadcast_run`). Its `key` is the event key of every row.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        DONE = "done", _("done")

    key = models.CharField(_("key"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    audience = models.CharField(_("audience"), max_length=60)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_by = done_by(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-created_at"]

    def __str__(self):
        return self.key
