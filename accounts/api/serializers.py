from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.phone import normalize_phone


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


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phone_masked = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
