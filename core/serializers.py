"""Output fields whose value is computed from the whole object.

`SerializerMethodField` would compute them too, but it is read-only and the OpenAPI schema
would mark the field `readOnly`, changing published components; these keep the declared
type (string, URL, integer, list...) in the schema. Examples:

    code_url = ComputedCharField(badge_url)  # badge_url(cadre)
    photo_url = ComputedURLField(
        lambda cadre, context: photo_url(cadre, context.get("request")),
        with_context=True,
        allow_null=True,
    )
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class _Computed:
    def __init__(self, compute, *, with_context=False, **kwargs):
        self.compute = compute
        self.with_context = with_context
        super().__init__(source="*", **kwargs)

    def to_representation(self, obj):
        value = self.compute(obj, self.context) if self.with_context else self.compute(obj)
        return None if value is None else super().to_representation(value)


class ComputedCharField(_Computed, serializers.CharField):
    pass


class ComputedURLField(_Computed, serializers.URLField):
    pass


class ComputedIntegerField(_Computed, serializers.IntegerField):
    pass


class ComputedBooleanField(_Computed, serializers.BooleanField):
    pass


class ComputedDecimalField(_Computed, serializers.DecimalField):
    pass


class ComputedDateField(_Computed, serializers.DateField):
    pass


class ComputedListField(_Computed, serializers.ListField):
    pass


class ComputedDictField(_Computed, serializers.DictField):
    pass


def as_object(serializer_class):
    """Document a nested serializer as a free-form object (`{"type": "object"}`), as a
    `DictField` was published before the body had a serializer: the schema stays stable."""
    return extend_schema_field(OpenApiTypes.OBJECT)(serializer_class)


@extend_schema_field(serializers.ListField(child=serializers.DictField()))
class RowsField(serializers.ListField):
    """A list of rows (`child` a serializer), documented as a list of free-form objects as
    it was published before the rows had a serializer: the schema stays stable."""


class ComputedRowsField(_Computed, RowsField):
    pass
