import contextlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.masking import mask_phone

from .phone import normalize_phone, validate_phone
from .roles import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone, password=None, **extra_fields):
        user = self.model(phone=normalize_phone(phone), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra_fields)

    def get_by_natural_key(self, phone):
        # A login that is not a valid phone number is simply not found.
        with contextlib.suppress(ValidationError):
            phone = normalize_phone(phone)
        return self.get(phone=phone)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: signs in with a phone number (an SMS code; administrators a password)."""

    phone = models.CharField(
        _("phone number"), max_length=20, unique=True, validators=[validate_phone]
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # When an SMS code first proved the phone is the user's. Empty for an account a
    # service desk made from an ID check alone: its reviews earn no points and wait for
    # a moderator until then (docs/assisted-desk.md).
    phone_verified_at = models.DateTimeField(_("phone confirmed by SMS at"), null=True, blank=True)
    # The privacy notice's version last accepted, and the separate consent to give an
    # ID-card number: kept on the row auth loads anyway, so the consent gate of a route
    # that collects data costs no query (history: Consent; docs/privacy.md).
    # (db_default: rows written outside the ORM, e.g. the benchmarks' COPY, start empty.)
    consent_version = models.CharField(
        _("privacy notice accepted"), max_length=16, blank=True, default="", db_default=""
    )
    id_consent_version = models.CharField(
        _("ID number consent"), max_length=16, blank=True, default="", db_default=""
    )
    # Leaving: the account is anonymised at this time unless the user signs in before.
    deletion_due_at = models.DateTimeField(_("deletion due at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        # Shown in every admin list that names a person (agent, resident, owner): never
        # the phone in full (the user's own page shows it, audited: accounts/admin.py).
        return self.display_name or mask_phone(self.phone)

    @cached_property
    def roles(self) -> list[str]:
        """The user's roles in the order of Role; everyone is a resident. Read once per
        instance (a request's user): accounts.selectors.user_roles is the way in."""
        names = set(self.groups.values_list("name", flat=True))
        names.add(Role.RESIDENT)
        if self.is_superuser:
            names.add(Role.DISTRICT_ADMIN)
        return [role for role in Role.values if role in names]


class OtpCode(models.Model):
    """A one-time sign-in code, stored as an HMAC of phone and code, never in clear."""

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        USED = "used", _("used")
        VOIDED = "voided", _("voided after too many wrong tries")
        SUPERSEDED = "superseded", _("replaced by a newer code")

    class Sms(models.TextChoices):
        """The code's SMS: `sending` while the request that asked for it calls the
        provider (holding the row locked), then `sent` or `failed`; `unknown` when that
        process stopped mid-way (the lock is free, the row still `sending`) or it stayed
        `sending` longer than NOTIFY_SMS_SENDING_TIMEOUT."""

        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        UNKNOWN = "unknown", _("outcome unknown")
        # The provider's delivery receipt (docs/sms.md): reached the phone, or not.
        DELIVERED = "delivered", _("delivered")
        UNDELIVERED = "undelivered", _("not delivered")

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("sign-in")
        # Read back to a service desk agent who then acts for the resident (desk app):
        # never accepted for a sign-in, so reading it aloud hands over no account.
        DESK = "desk", _("service desk")
        # A fresh code confirming a copy of one's data or leaving (docs/privacy.md).
        EXPORT = "export", _("copy of my data")
        DELETE = "delete", _("account deletion")

    phone = models.CharField(_("phone number"), max_length=20)
    code_hash = models.CharField(_("code hash"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ACTIVE)
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    # Who asked, and through which lane of docs/signin-limits.md: the database's count
    # of codes when Redis is unreachable.
    address = models.CharField(_("requested from"), max_length=45, blank=True, default="")
    slow_lane = models.BooleanField(_("slow lane"), default=False)
    purpose = models.CharField(
        _("purpose"), max_length=8, choices=Purpose.choices, default=Purpose.SIGN_IN
    )
    sms_status = models.CharField(_("SMS"), max_length=12, choices=Sms.choices, default=Sms.SENDING)
    # Which provider took it and its id (the receipt's key), the provider's last code
    # (a refusal's or the receipt's) and the receipt's time (docs/sms.md).
    sms_provider = models.CharField(_("SMS provider"), max_length=20, blank=True)
    sms_message_id = models.CharField(_("SMS message id"), max_length=64, blank=True)
    sms_provider_code = models.CharField(_("SMS provider code"), max_length=64, blank=True)
    sms_receipt_at = models.DateTimeField(_("SMS receipt at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [
            models.Index(fields=["phone", "-created_at"], name="otp_phone_recent"),
            models.Index(fields=["address", "-created_at"], name="otp_address_recent"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(sms_status="sending"),
                name="otp_sms_sending",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(sms_status="unknown"),
                name="otp_sms_unknown",
            ),
            models.Index(
                fields=["sms_provider", "sms_message_id"],
                condition=~models.Q(sms_message_id=""),
                name="otp_sms_message",
            ),
        ]

    def __str__(self):
        return f"{mask_phone(self.phone)} {self.created_at:%Y-%m-%d %H:%M}"


class OtpGuess(models.Model):
    """A wrong code tried for a phone from an address (docs/signin-limits.md)."""

    otp = models.ForeignKey(OtpCode, on_delete=models.CASCADE, related_name="guesses")
    phone = models.CharField(_("phone number"), max_length=20)
    address = models.CharField(_("address"), max_length=45)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("wrong sign-in code")
        verbose_name_plural = _("wrong sign-in codes")
        indexes = [
            models.Index(fields=["phone", "-created_at"], name="otpguess_phone_recent"),
            models.Index(fields=["address", "-created_at"], name="otpguess_address_recent"),
        ]

    def __str__(self):
        return f"{self.phone} {self.address} {self.created_at:%Y-%m-%d %H:%M}"


class SignedOutSession(models.Model):
    """A sign-in session ended by `/auth/logout`: the access tokens carrying its id (the
    `sid` claim) are refused until the last of them expires (`expires_at`). Redis holds the
    same entry for the fast check; this row answers while Redis cannot be reached."""

    sid = models.CharField(_("session id"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("signed-out session")
        verbose_name_plural = _("signed-out sessions")

    def __str__(self):
        return self.sid


class WechatBinding(models.Model):
    """A WeChat account (its openid in our mini program) that signs a user in
    (`POST /auth/wechat`, docs/wechat.md). The unionid, when WeChat gives one, names the
    same person across the district's other WeChat apps."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="wechat_bindings", verbose_name=_("user")
    )
    openid = models.CharField(_("WeChat openid"), max_length=128, unique=True)
    unionid = models.CharField(_("WeChat unionid"), max_length=128, blank=True, default="")
    created_at = models.DateTimeField(_("bound at"), default=timezone.now)

    class Meta:
        verbose_name = _("WeChat binding")
        verbose_name_plural = _("WeChat bindings")

    def __str__(self):
        return self.openid


class Consent(models.Model):
    """A consent given: who, to what (the privacy notice, or giving an ID-card number),
    which version, when, and the desk agent who recorded one given at a counter."""

    class Purpose(models.TextChoices):
        NOTICE = "notice", _("privacy notice")
        ID_NUMBER = "id_number", _("ID-card number")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    version = models.CharField(_("version"), max_length=16)
    created_at = models.DateTimeField(_("given at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["user", "-created_at"], name="consent_user_recent")]

    def __str__(self):
        return f"{self.user_id} {self.purpose} {self.version}"
