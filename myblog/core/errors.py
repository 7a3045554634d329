"""The domain errors every app raises: what went wrong, in words and a stable code.

They know nothing of HTTP; myblog/core/http_errors.py turns them into API answers.
"""


class ApplicationError(Exception):
    """Base of the domain errors: ``code`` names what went wrong (the API's error code)."""

    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ApplicationError):
    """The thing asked for does not exist (or is none of the caller's business)."""

    code = "not_found"


class Conflict(ApplicationError):
    """The thing changed since the caller read it (a failed If-Match)."""

    code = "precondition_failed"


class ServiceUnavailable(ApplicationError):
    """A dependency (database, AWS service) is down or throttling: the client should retry."""

    code = "service_unavailable"
    retry_after = 5
