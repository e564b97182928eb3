from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Export(models.Model):
    """A copy of a person's data (docs/privacy.md): built by a Celery task into a ZIP
    under EXPORT_ROOT (outside the web root), downloaded with its unguessable token until
    `expires_at`, then deleted by the retention purge."""

    class State(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    token = models.CharField(_("download token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        indexes = [models.Index(fields=["user", "-created_at"], name="export_user_recent")]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M} {self.state}"
