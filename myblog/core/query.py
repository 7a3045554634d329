"""Query parameters of the APIs: one rule for both (README "MyToDoList API").

A known parameter with an invalid value, or given more than once, is refused with the JSON 400
error shape, its name in ``fields``; unknown parameters are ignored, as on the rest of the web
(tracking tags, cache busters). Each view declares its parameters as a serializer, which is also
what its OpenAPI schema documents (``extend_schema(parameters=[TheSerializer])``).
"""

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

REPEATED = "Give this parameter at most once."


def validated_query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request's query parameters that ``serializer_class`` declares, validated."""
    query = request.query_params
    names = serializer_class().fields.keys()
    repeated = {name: [REPEATED] for name in names if len(query.getlist(name)) > 1}
    if repeated:
        raise serializers.ValidationError(repeated)
    serializer = serializer_class(data={name: query[name] for name in names if name in query})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
