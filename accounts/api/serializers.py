from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import selectors
from accounts.consent import consent_needed, current_version
from accounts.models import User
from accounts.phone import normalize_phone
from core.masking import mask_phone
from core.serializers import (
    ComputedBooleanField,
    ComputedCharField,
    ComputedIntegerField,
    ComputedListField,
    StrictIntegerField,
)


class PhoneField(serializers.CharField):
    """A phone number, normalised to E.164 (+8613800138000)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # A JSON number is not a phone: the schema says string (CharField would cast it).
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        try:
            return normalize_phone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class WechatCodeField(serializers.RegexField):
    """A code the mini program got from WeChat (wx.login's, the phone button's): a JSON
    string of printable ASCII, passed on to WeChat as it came."""

    def __init__(self, **kwargs):
        super().__init__(r"^[\x21-\x7e]+$", max_length=256, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UserSerializer(serializers.Serializer):
    id = StrictIntegerField()
    phone_masked = ComputedCharField(lambda user: mask_phone(user.phone))
    display_name = serializers.CharField()
    roles = ComputedListField(
        lambda user: selectors.user_roles(user=user), child=serializers.CharField()
    )


class OtpSentSerializer(serializers.Serializer):
    expires_in = ComputedIntegerField(
        lambda otp: int((otp.expires_at - otp.created_at).total_seconds())
    )


@dataclass(frozen=True)
class SignedIn:
    """A sign-in's answer: the user and their new refresh token (the access one inside)."""

    user: User
    refresh: RefreshToken
    deletion_cancelled: bool = False


class TokensSerializer(serializers.Serializer):
    access = ComputedCharField(lambda signed_in: str(signed_in.refresh.access_token))
    refresh = ComputedCharField(lambda signed_in: str(signed_in.refresh))
    user = UserSerializer()
    consent_required = ComputedBooleanField(
        lambda signed_in: consent_needed(user=signed_in.user),
        help_text="The current privacy notice is not accepted yet: show it, then POST "
        "/me/consents (routes that collect data answer 409 `consent_required` until then).",
    )
    privacy_version = ComputedCharField(lambda signed_in: current_version())
    deletion_cancelled = serializers.BooleanField(
        help_text="This sign-in cancelled the account's pending deletion."
    )


class RefreshedTokensSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
