"""Amazon Cognito: the to-do app's user pool, its app client and the identity pool.

Production names the pool, client and identity pool by id (COGNITO_USER_POOL_ID, ...). Where the
settings give no id (on a developer's machine, whose moto endpoint generates new ids every time
it starts), the ids are looked up once per process by the names infra/todo.yaml declares, which
works the same against real AWS.
"""

from functools import lru_cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from myblog.core import aws
from myblog.core.errors import ServiceUnavailable

_UNAVAILABLE = "The sign-in service is busy or unavailable; try again shortly."


class CognitoError(Exception):
    """Cognito refused the request (bad credentials, unknown user, weak password...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def idp() -> Any:
    return aws.client("cognito-idp")


def identity() -> Any:
    return aws.client("cognito-identity")


def user_pool_id() -> str:
    if settings.COGNITO_USER_POOL_ID:
        return str(settings.COGNITO_USER_POOL_ID)
    return _looked_up(_pool_id_by_name, _endpoint_key(), settings.COGNITO_USER_POOL_NAME)


def app_client_id() -> str:
    if settings.COGNITO_APP_CLIENT_ID:
        return str(settings.COGNITO_APP_CLIENT_ID)
    return _looked_up(_client_id_by_name, _endpoint_key(), user_pool_id(), settings.COGNITO_APP_CLIENT_NAME)


def identity_pool_id() -> str:
    if settings.COGNITO_IDENTITY_POOL_ID:
        return str(settings.COGNITO_IDENTITY_POOL_ID)
    return _looked_up(_identity_pool_id_by_name, _endpoint_key(), settings.COGNITO_IDENTITY_POOL_NAME)


def pool_region(pool_id: str) -> str:
    """A pool id is ``<region>_<suffix>``."""
    return pool_id.split("_", 1)[0]


def issuer(pool_id: str) -> str:
    # Always the real AWS form: it is what Cognito (and the local endpoint) put in `iss`.
    return f"https://cognito-idp.{pool_region(pool_id)}.amazonaws.com/{pool_id}"


def jwks_url(pool_id: str) -> str:
    """COGNITO_JWKS_URL when set (a Lambda in a VPC may reach the keys only through a proxy or a
    copy), else the pool's own key set on the configured endpoint."""
    if settings.COGNITO_JWKS_URL:
        return settings.COGNITO_JWKS_URL
    if settings.AWS_ENDPOINT_URL:
        return f"{settings.AWS_ENDPOINT_URL.rstrip('/')}/{pool_id}/.well-known/jwks.json"
    return f"{issuer(pool_id)}/.well-known/jwks.json"


def user_attributes(access_token: str) -> dict[str, str]:
    """The signed-in user's attributes, read with their own access token (no IAM needed)."""
    response = call(idp().get_user, AccessToken=access_token)
    return {attribute["Name"]: attribute["Value"] for attribute in response.get("UserAttributes", [])}


def forget_resolved_ids() -> None:
    """Drop the ids looked up by name (the local endpoint was reset)."""
    for cached in (_pool_id_by_name, _client_id_by_name, _identity_pool_id_by_name):
        cached.cache_clear()


def call(operation: Any, **kwargs: Any) -> dict[str, Any]:
    """Run one Cognito operation: refusals raise CognitoError, throttling and outages ServiceUnavailable."""
    try:
        return aws.call(operation, unavailable=_UNAVAILABLE, **kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CognitoError(aws.error_code(exc), str(error.get("Message", aws.error_code(exc)))) from exc
    except ParamValidationError as exc:  # refused by botocore before sending, as Cognito would refuse it
        raise CognitoError("InvalidParameterException", str(exc.kwargs.get("report", exc))) from exc


def _looked_up(lookup: Any, *args: Any) -> str:
    try:
        return str(lookup(*args))
    except (ClientError, BotoCoreError) as exc:
        raise ServiceUnavailable(_UNAVAILABLE) from exc


def _endpoint_key() -> str:
    # Part of the cache key, so a process pointed at another endpoint looks the ids up again.
    return f"{settings.AWS_ENDPOINT_URL}|{settings.AWS_REGION}"


@lru_cache(maxsize=8)
def _pool_id_by_name(endpoint: str, name: str | None) -> str:
    if not name:
        raise ImproperlyConfigured("Set COGNITO_USER_POOL_ID (or COGNITO_USER_POOL_NAME to look it up).")
    for page in idp().get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return str(pool["Id"])
    raise ServiceUnavailable(f"The user pool {name} does not exist; run `python -m infra.bootstrap`.")


@lru_cache(maxsize=8)
def _client_id_by_name(endpoint: str, pool_id: str, name: str | None) -> str:
    if not name:
        raise ImproperlyConfigured("Set COGNITO_APP_CLIENT_ID (or COGNITO_APP_CLIENT_NAME to look it up).")
    for page in idp().get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for app in page["UserPoolClients"]:
            if app["ClientName"] == name:
                return str(app["ClientId"])
    raise ServiceUnavailable(f"The app client {name} does not exist; run `python -m infra.bootstrap`.")


@lru_cache(maxsize=8)
def _identity_pool_id_by_name(endpoint: str, name: str | None) -> str:
    if not name:
        raise ImproperlyConfigured("Set COGNITO_IDENTITY_POOL_ID (or COGNITO_IDENTITY_POOL_NAME to look it up).")
    request: dict[str, Any] = {"MaxResults": 60}
    while True:
        page = identity().list_identity_pools(**request)
        for pool in page["IdentityPools"]:
            if pool["IdentityPoolName"] == name:
                return str(pool["IdentityPoolId"])
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    raise ServiceUnavailable(f"The identity pool {name} does not exist; run `python -m infra.bootstrap`.")
