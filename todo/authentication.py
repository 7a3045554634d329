"""DRF authentication of the to-do API with Cognito bearer tokens."""

from dataclasses import dataclass

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from todo.tokens import AccessToken, InvalidToken, verify_access_token

REALM = "todo"


@dataclass(frozen=True)
class CognitoUser:
    """The caller, as the access token says. Not a Django user: the to-do API keeps no rows."""

    token: AccessToken

    is_authenticated = True
    is_anonymous = False

    @property
    def sub(self) -> str:
        return self.token.sub

    @property
    def username(self) -> str:
        return self.token.username

    def __str__(self) -> str:
        return self.token.sub


def authentication_failed(request: Request, message: str) -> exceptions.AuthenticationFailed:
    """The error to raise, with the request marked so that the 401 says why (authenticate_header)."""
    request._todo_auth_error = True  # type: ignore[attr-defined]  # a flag of ours; DRF's Request declares none
    return exceptions.AuthenticationFailed(message)


class CognitoAuthentication(BaseAuthentication):
    """``Authorization: Bearer <Cognito access token>``.

    No header means anonymous (the permission then answers 401); a header that is not a valid
    token is a 401 at once. Either way the answer carries ``WWW-Authenticate: Bearer``.
    """

    def authenticate(self, request: Request) -> tuple[CognitoUser, str] | None:
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != b"bearer":
            raise authentication_failed(request, "Use the Bearer scheme with a Cognito access token.")
        if len(header) != 2:
            raise authentication_failed(request, "The Authorization header must be `Bearer <token>`.")
        try:
            token = header[1].decode("ascii")
            verified = verify_access_token(token)
        except (UnicodeDecodeError, InvalidToken) as exc:
            message = str(exc) if isinstance(exc, InvalidToken) else "The token is not valid."
            raise authentication_failed(request, message) from exc
        return CognitoUser(verified), token

    def authenticate_header(self, request: Request) -> str:
        # RFC 6750: say why when a token was sent and refused.
        if getattr(request, "_todo_auth_error", False):
            return f'Bearer realm="{REALM}", error="invalid_token"'
        return f'Bearer realm="{REALM}"'
