"""Integers from requests: ASCII digits (with an optional leading '-') or JSON integers.

Python's `int()` reads far more than a person types as a number: full-width and other
scripts' digits (`int("１０") == 10`), underscores (`"1_0"`), surrounding whitespace; DRF
and Django's integer fields also drop a trailing `.0` (`"1.0"` -> 1). `str.isdigit()` is
True for superscripts too (`"²"`), which `int()` then refuses. Every integer the API, the
pages and the admin read goes through `parse_int` (or the strict fields built on it:
core.serializers.StrictIntegerField, core.formfields.StrictIntegerField).
"""

import re

# The largest id a bigint column holds.
MAX_ID = 2**63 - 1

# The longest digit string read: a bigint has 19 digits; longer text is no id or amount.
MAX_DIGITS = 20

_INTEGER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")


def parse_int(value, *, min_value: int | None = None, max_value: int | None = None) -> int | None:
    """`value` as an int when it is a JSON/Python int (not a bool) or a string of ASCII
    digits with an optional leading '-', within the bounds given; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    if (min_value is not None and value < min_value) or (
        max_value is not None and value > max_value
    ):
        return None
    return value
