"""The AWS client factory and what an AWS error means (docs/architecture.md, decision 1).

Clients are built lazily and cached per endpoint and region, so importing a module costs
nothing at cold start and tests that point settings at another endpoint get a fresh client.
Each service's own module (todo/repository.py, todo/user_files.py, todo/cognito.py,
media/bucket.py) builds on these and decides what a refusal means for its callers; whether the
service itself is unavailable is decided here, once.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import boto3
import botocore.session
from botocore import loaders
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from django.conf import settings

from myblog.core.errors import ServiceUnavailable

# Codes that mean "the service cannot serve this now", in any of the services we call: throttling
# (each service spells it its own way), the service's own failures, and a resource the deployment
# should have made that is missing (a table, a bucket): an operator's problem, not the caller's.
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "ThrottlingError",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
        "InternalServerError",
        "InternalErrorException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ConnectionException",  # DAX
        "ResourceNotFoundException",
        "NoSuchBucket",
    }
)


@lru_cache(maxsize=1)
def _loader() -> loaders.Loader:
    """One botocore loader for every client: each service's model is read and parsed once per process
    (with SnapStart, once before the snapshot), not again for every client a new session builds."""
    return loaders.create_loader()


@lru_cache(maxsize=32)
def _build(
    service: str, endpoint_url: str | None, region: str, key: str | None, secret: str | None, timeout: int
) -> Any:
    # A new session still resolves credentials afresh (myblog/snapstart.py drops the clients after a restore).
    session = botocore.session.get_session()
    session.register_component("data_loader", _loader())
    config = Config(
        signature_version="s3v4" if service == "s3" else None,
        connect_timeout=timeout,
        read_timeout=timeout * 3,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return boto3.session.Session(botocore_session=session).client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=config,
    )


def client(service: str) -> Any:
    """The shared boto3 client for ``service`` under the current settings."""
    return _build(
        service,
        settings.AWS_ENDPOINT_URL,
        settings.AWS_REGION,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
        settings.AWS_TIMEOUT_SECONDS,
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_status(exc: ClientError) -> int:
    try:
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    except (TypeError, ValueError):
        return 0


def is_unavailable(exc: BaseException) -> bool:
    """Whether a failed call says the service is down, throttling, unreachable or not deployed,
    after botocore's own retries, rather than refusing this request."""
    if isinstance(exc, ClientError):
        status = error_status(exc)
        return status >= 500 or status == 429 or error_code(exc) in UNAVAILABLE_CODES
    if isinstance(exc, ParamValidationError):
        return False  # botocore refused the request before sending it: it is the request, not the service
    return isinstance(exc, BotoCoreError | OSError)  # connection errors and timeouts


def call(operation: Callable[..., dict[str, Any]], /, *, unavailable: str, **kwargs: Any) -> dict[str, Any]:
    """Run one client operation; an unavailable service raises ServiceUnavailable(``unavailable``),
    any other error (the service refused the request) is the caller's to interpret."""
    try:
        return operation(**kwargs)
    except (ClientError, BotoCoreError, OSError) as exc:
        if is_unavailable(exc):
            raise ServiceUnavailable(unavailable) from exc
        raise
