"""JSON from clients we do not trust: any bad body is a 4xx, never a 500.

The standard decoder turns a number beyond a float (``1e400``) into infinity, which DRF's
fields then take as the text "inf", and lets a deeply nested body (``[[[[...``) escape as a
RecursionError. (DRF reads JSON bodies through ``request.body``, so Django's
DATA_UPLOAD_MAX_MEMORY_SIZE already answers an oversized one with a 400.)
"""

import math
from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions, parsers
from rest_framework.utils import json


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"Number out of range: {text[:40]}")
    return value


def json_loads_untrusted(text: str | bytes) -> Any:
    """``json.loads`` that raises ValueError for every bad input: invalid UTF-8, NaN and
    Infinity, numbers out of range, integers too long to convert, nesting too deep."""
    try:
        # DRF's stub says str; its loads passes bytes on to the standard json.loads, which takes them.
        return json.loads(text, parse_float=_finite_float)  # type: ignore[arg-type]
    except RecursionError:
        raise ValueError("Nested too deeply.") from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with the decoder above."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        # get_encoding (DRF 3.18: text charsets only) is missing from djangorestframework-stubs 3.16.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            return json_loads_untrusted(stream.read().decode(encoding))
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
