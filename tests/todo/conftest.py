"""Fixtures of the to-do API tests: real Cognito users on the moto endpoint, and clients for them."""

import itertools
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from django.test import Client

from todo import cognito, tokens

PASSWORD = "Correct-Horse-9"
_emails = itertools.count(1)


@dataclass(frozen=True)
class CognitoTestUser:
    email: str
    sub: str
    access_token: str
    id_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.access_token}"}


@pytest.fixture(autouse=True)
def _fresh_cognito_lookups(local_aws):
    """Ids resolved in an earlier test may be of another endpoint (tests/faults) or settings:
    look them up again."""
    cognito.forget_resolved_ids()
    tokens.key_set.cache_clear()
    yield
    cognito.forget_resolved_ids()
    tokens.key_set.cache_clear()


@pytest.fixture
def idp(local_aws) -> Any:
    return boto3.client("cognito-idp", endpoint_url=local_aws, region_name="us-east-1")


def sign_up_and_in(idp: Any, *, client_id: str, pool_id: str, email: str, password: str = PASSWORD) -> CognitoTestUser:
    """What the app and an administrator do: sign up, confirm, then USER_PASSWORD_AUTH."""
    signed_up = idp.sign_up(
        ClientId=client_id, Username=email, Password=password, UserAttributes=[{"Name": "email", "Value": email}]
    )
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
    result = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
    )["AuthenticationResult"]
    return CognitoTestUser(
        email=email,
        sub=signed_up["UserSub"],
        access_token=result["AccessToken"],
        id_token=result["IdToken"],
        refresh_token=result["RefreshToken"],
    )


@pytest.fixture
def make_user(idp):
    def make(email: str | None = None) -> CognitoTestUser:
        return sign_up_and_in(
            idp,
            client_id=cognito.app_client_id(),
            pool_id=cognito.user_pool_id(),
            email=email or f"user{next(_emails)}@example.com",
        )

    return make


@pytest.fixture
def alice(make_user) -> CognitoTestUser:
    return make_user("alice@example.com")


@pytest.fixture
def bob(make_user) -> CognitoTestUser:
    return make_user("bob@example.com")


class ApiClient:
    """Django's test client with a bearer token and JSON bodies."""

    def __init__(self, user: CognitoTestUser | None) -> None:
        self.client = Client()
        self.headers = user.auth if user else {}

    def _send(self, method: str, path: str, data: Any = None, headers: dict[str, str] | None = None, **extra: Any):
        send = getattr(self.client, method)
        all_headers = {**self.headers, **(headers or {})}
        if method in ("get", "head", "options"):
            return send(path, data or {}, headers=all_headers, **extra)
        if data is None:
            return send(path, headers=all_headers, **extra)
        return send(path, data, content_type="application/json", headers=all_headers, **extra)

    def get(self, path: str, data: Any = None, **kwargs: Any):
        return self._send("get", path, data, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any):
        return self._send("post", path, data, **kwargs)

    def put(self, path: str, data: Any = None, **kwargs: Any):
        return self._send("put", path, data, **kwargs)

    def patch(self, path: str, data: Any = None, **kwargs: Any):
        return self._send("patch", path, data, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self._send("delete", path, **kwargs)

    def options(self, path: str, **kwargs: Any):
        return self._send("options", path, **kwargs)

    def head(self, path: str, **kwargs: Any):
        return self._send("head", path, **kwargs)


@pytest.fixture
def api_for():
    return ApiClient


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(alice)


@pytest.fixture
def bob_api(bob) -> ApiClient:
    return ApiClient(bob)
