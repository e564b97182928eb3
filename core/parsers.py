"""The API's parsers: DRF's, refusing what no request of the API needs.

- Nesting deeper than MAX_JSON_DEPTH. Python's json module recurses once per nested array
  or object: a body of 100,000 `[` (well under the size limit) raised RecursionError, a
  500. No request of the API nests more than a few levels.
- Text no field needs (`refused_text`): NUL, which PostgreSQL refuses in text, and the
  other C0 control characters but tab, line feed and carriage return; and lone UTF-16
  surrogates (`"\\ud800"` in JSON), which no encoder can write back out (a choice field
  answered them with a 500). In JSON this covers keys as well as values; in form and
  multipart bodies the field names, values and file names. Form bodies decode invalid
  UTF-8 (%ED%A0%80) to U+FFFD, so they cannot carry a surrogate, only a control character.

Each is a 400 `invalid` (a ParseError), before any serializer sees the body. Pages get the
same rule from core.middleware.RefusedCharactersMiddleware.
"""

import re
from collections.abc import Iterable

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32

# All C0 controls but \t \n \r, and every surrogate code point: in a str decoded from
# JSON a valid pair is already one character, so any surrogate left is a lone one.
_REFUSED_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def refused_text(text: str) -> bool:
    """True when `text` holds a character no field of a request needs (see above)."""
    return _REFUSED_IN_TEXT.search(text) is not None


def json_depth(data) -> int:
    """How deep arrays and objects nest in `data` (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable
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


def json_has_refused_text(data) -> bool:
    """True when a string of `data` (a key or a value, at any depth) is `refused_text`."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if refused_text(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def form_has_refused_text(data, files=None) -> bool:
    """True when a field name or value of a form body, or a file name, is `refused_text`."""
    for key, values in data.lists():
        if refused_text(key) or any(isinstance(v, str) and refused_text(v) for v in values):
            return True
    for key, uploads in files.lists() if files is not None else []:
        if refused_text(key) or any(refused_text(upload.name or "") for upload in uploads):
            return True
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError() from None
        # Depth first: the text walk is iterative too, but need not see a deep body.
        if json_depth(data) > MAX_JSON_DEPTH or json_has_refused_text(data):
            raise ParseError()
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if form_has_refused_text(parsed.data, parsed.files):
            raise ParseError()
        return parsed


# The `parser_classes` of an operation that takes a file: multipart (the one body its
# schema declares), and JSON for a client that sends no file.
UPLOAD_PARSERS = [MultiPartParser, JSONParser]
