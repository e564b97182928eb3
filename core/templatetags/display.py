"""`{{ rate|percent }}`: a rate the API gives as a decimal string ("0.8333") shown as a
person reads it ("83.3 %"); the API's strings stay as they are."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value, digits: int = 1) -> str:
    """ "0.8333" -> "83.3 %"; empty for nothing, the value itself when it is not a number."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    # U+00A0: the number and its sign stay on one line.
    return f"{number_format(round(number, int(digits)), int(digits))}\u00a0%"
