"""The project's serializer fields: strict integers, and output fields computed from the
whole object.

`StrictIntegerField` is the API's integer: a JSON integer or a string of ASCII digits
(core.integers), never `"１０"`, `"1.0"`, `1.0` or `true`. Serializers declare it instead
of DRF's IntegerField, and `ModelSerializer` maps the models' integer columns to it.

Computed fields:

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

from .integers import parse_int


class StrictIntegerField(serializers.IntegerField):
    """DRF's IntegerField (same schema, bounds and messages) that reads only a JSON
    integer (not a bool, not a float) or a string of ASCII digits with an optional '-'."""

    def to_internal_value(self, data):
        number = parse_int(data)
        if number is None:
            self.fail("invalid")
        return number


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """DRF's PrimaryKeyRelatedField whose ids are read as StrictIntegerField reads them
    (the lookup itself would take `"１０"` for 10)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", StrictIntegerField())
        super().__init__(**kwargs)


# DRF's ModelSerializer whose generated integer fields and related ids are strict. (No
# docstring: drf-spectacular would publish it as the description of every subclass.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_related_field = PrimaryKeyRelatedField

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            model_field: StrictIntegerField
            for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
            if field is serializers.IntegerField
        },
    }


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


class ComputedIntegerField(_Computed, StrictIntegerField):
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
