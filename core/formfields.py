"""Form fields of the pages and the admin (Django forms; no DRF here: core.admin, loaded
with the app registry, imports this)."""

from django import forms
from django.core.exceptions import ValidationError

from .integers import parse_int


class StrictIntegerField(forms.IntegerField):
    """Django's IntegerField (same widget, bounds and messages) that reads only ASCII
    digits with an optional '-' (surrounding spaces dropped): not "１０", not "1.0"."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_int(value.strip() if isinstance(value, str) else value)
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number
