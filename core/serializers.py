"""Output fields whose value is computed from the whole object.

`SerializerMethodField` would compute them too, but it is read-only and the OpenAPI schema
would mark the field `readOnly`, changing published components; these keep the declared
type (string, URL, integer, boolean) in the schema. Example:

    code_url = ComputedCharField(badge_url)            # badge_url(cadre)
    photo_url = ComputedURLField(photo_url, allow_null=True, with_request=True)
"""

from rest_framework import serializers


class _Computed:
    def __init__(self, compute, *, with_request=False, **kwargs):
        self.compute = compute
        self.with_request = with_request
        super().__init__(source="*", **kwargs)

    def to_representation(self, obj):
        if self.with_request:
            value = self.compute(obj, self.context.get("request"))
        else:
            value = self.compute(obj)
        return None if value is None else super().to_representation(value)


class ComputedCharField(_Computed, serializers.CharField):
    pass


class ComputedURLField(_Computed, serializers.URLField):
    pass


class ComputedIntegerField(_Computed, serializers.IntegerField):
    pass


class ComputedBooleanField(_Computed, serializers.BooleanField):
    pass
