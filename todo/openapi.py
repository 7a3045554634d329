"""The to-do API's OpenAPI description beyond its serializers: headers, parameters, answers."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from myblog.core.http_errors import ErrorSerializer

STORAGE_SCHEMA = inline_serializer(
    "Me",
    {
        "sub": serializers.CharField(),
        "email": serializers.EmailField(allow_null=True),
        "storage": inline_serializer(
            "Storage",
            {
                "bucket": serializers.CharField(),
                "region": serializers.CharField(),
                "prefix": serializers.CharField(),
                "user_pool_id": serializers.CharField(),
                "client_id": serializers.CharField(),
                "identity_pool_id": serializers.CharField(),
            },
        ),
    },
)
UPLOAD_SCHEMA = inline_serializer(
    "PresignedUpload",
    {
        "url": serializers.URLField(),
        "fields": serializers.DictField(child=serializers.CharField()),
        "key": serializers.CharField(),
        "prefix": serializers.CharField(),
        "max_bytes": serializers.IntegerField(help_text="The form takes at most this many bytes."),
        "used_bytes": serializers.IntegerField(help_text="Bytes in your folder now."),
        "quota_bytes": serializers.IntegerField(help_text="Bytes your folder may hold."),
        "expires_in": serializers.IntegerField(),
    },
)
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, description="The ETag you read; 412 if the to-do changed since."
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, description="An ETag you hold; 304 if unchanged."
)
ERROR = OpenApiResponse(ErrorSerializer, description='`{"error": {"code", "message", "fields"}}`')
UPLOAD_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description='`{"error": {"code", "message", "fields"}}`: `invalid` for a bad field, `quota_exceeded` '
    "when your storage quota has no room for `size` bytes (or for any byte without `size`).",
)
NEXT_LINK = OpenApiParameter(
    "Link",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description='`<...>; rel="next"` while there is a next page.',
)


class ClosedTodoInput(OpenApiSerializerExtension):
    """The to-do bodies as the API reads them: unknown fields are refused (a typo must not be
    dropped silently), and a PATCH changes at least one field."""

    target_class = "todo.serializers.TodoInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        if self.target.partial:
            schema["minProperties"] = 1
        return schema
