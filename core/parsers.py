"""The API's JSON parser: DRF's, with a bound on nesting.

Python's json module recurses once per nested array or object: a body of 100,000 `[`
(well under the size limit) raised RecursionError, a 500. No request of the API nests
more than a few levels, so anything deeper than MAX_JSON_DEPTH is a malformed body.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32


def json_depth(data) -> int:
    """How deep arrays and objects nest in `data` (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError() from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError()
        return data
