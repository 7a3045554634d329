"""Serializer fields that take a JSON value only of their own JSON type.

DRF's fields coerce: ``0``, ``"yes"`` and ``"true"`` become True, ``"3"`` and ``3.0`` become 3, ``5``
becomes ``"5"``. The APIs refuse a value of the wrong type instead, as their schemas say
(myblog/core/query.py has the same rule for query parameters).
"""

from typing import Any

from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
