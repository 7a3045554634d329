"""OpenAPI for the to-do API: the bearer scheme, and keeping the blog's schema to the blog."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

TODO_PATH_PREFIXES = ("/api/todos/", "/api/me/", "/api/files/")


class CognitoBearerScheme(OpenApiAuthenticationExtension):
    target_class = "todo.authentication.CognitoAuthentication"
    name = "cognitoAccessToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Cognito user-pool access token (`python manage.py cognito_user` prints one locally).",
        }


def without_todo_endpoints(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """Preprocessing hook of the blog schema (/api/schema/): the to-do API has its own."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith(TODO_PATH_PREFIXES)]
