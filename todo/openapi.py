"""The to-do API's OpenAPI description beyond its serializers: headers, parameters, answers."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from myblog.core.http_errors import ErrorSerializer
from todo.domain import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX
from todo.serializers import FILE_LIMIT_DEFAULT, FILE_LIMIT_MAX

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
LIMIT = OpenApiParameter(
    "limit", int, description=f"Page size, default {LIST_LIMIT_DEFAULT}, at most {LIST_LIMIT_MAX}."
)
CURSOR = OpenApiParameter("cursor", str, description='Opaque; follow the `Link: <...>; rel="next"` header.')
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
FILE_LIMIT = OpenApiParameter(
    "limit", int, description=f"Page size, default {FILE_LIMIT_DEFAULT}, at most {FILE_LIMIT_MAX}."
)
