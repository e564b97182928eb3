from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # a name of django-stubs only: a str or a lazy translation
    from django.utils.functional import _StrOrPromise


def done_by(
    verbose_name: "_StrOrPromise", *, optional: bool = True, related_name: str = "+"
) -> "models.ForeignKey[Any, Any]":
    """Who did something to a record (decided it, paid it, filed it, inspected...): a user
    who can never be deleted from under the record, without a reverse accessor unless
    one is named; `optional` until the act happens. The one declaration of the fields
    `<act>_by` and of the actors (agent, officer, reviewer, appellant...)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=optional,
        blank=optional,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class IdempotencyRecord(models.Model):
    """The first response to a write sent with an Idempotency-Key, kept for replays."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    response_body = models.JSONField(_("response body"), null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key"),
        ]

    def __str__(self):
        return self.key


class RotatableCode(models.Model):
    """A record with a printed, rotatable code (a cadre's badge, a site's poster): its
    version is in the token, so a rotation makes every code printed before stop
    resolving; who rotated it last, and when, is kept."""

    code_version = models.PositiveIntegerField(_("code version"), default=1)
    # Who replaced the code last, and when (the admin and the API both pass the actor).
    code_rotated_at = models.DateTimeField(_("code replaced at"), null=True, blank=True)
    code_rotated_by = done_by(_("code replaced by"))

    class Meta:
        abstract = True

    def rotate_code(self, *, actor) -> None:
        """Bump the version in the database (no lost update) and record `actor`."""
        type(self)._default_manager.filter(pk=self.pk).update(
            code_version=F("code_version") + 1,
            code_rotated_at=timezone.now(),
            code_rotated_by=actor,
        )
        self.refresh_from_db(fields=["code_version", "code_rotated_at", "code_rotated_by"])


class FormSubmission(models.Model):
    """A page or admin form's one-time nonce, spent in the transaction of its act, with
    the act's outcome (its messages and where it went) for a second submit to replay
    (core/form_nonces.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=64)
    messages = models.JSONField(_("messages"), default=list)
    redirect_url = models.CharField(_("redirect URL"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="form_submission_unique_user_key"),
        ]

    def __str__(self):
        return self.key


class AuditEvent(models.Model):
    """One act on behalf of someone else, or one read of someone's personal data, by
    whom and why (core/audit.py writes it, in the act's transaction; docs/audit.md).

    Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE. It holds ids, codes
    and a short summary, never a phone number or a name, so erasing an account's
    personal data never needs to touch it."""

    actor = done_by(_("actor"))
    # The role the actor acted in, and their unit (its name, not theirs): what the
    # resident is shown (GET /api/v1/me/data-access).
    actor_role = models.CharField(_("actor's role"), max_length=32, blank=True)
    actor_unit = models.CharField(_("actor's unit"), max_length=200, blank=True)
    # A short code: "<object>.<verb>", e.g. "moral_claim.approve", "id_number.reveal".
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Whose data the act read or changed (none for an act on no one's data).
    subject = done_by(_("whose data"))
    # {"before": {...}, "after": {...}}: states, amounts and ids, never a name or phone.
    summary = models.JSONField(_("summary"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    address_hash = models.CharField(_("address (keyed hash)"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject", "created_at"], name="auditevent_subject_time"),
            models.Index(fields=["object_type", "object_id"], name="auditevent_object"),
            models.Index(fields=["actor", "created_at"], name="auditevent_actor_time"),
        ]

    def __str__(self):
        return f"{self.action} {self.object_type}#{self.object_id}"
