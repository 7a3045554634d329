"""AWS clients, one small module per service (DESIGN decision 1).

Clients are built lazily and cached per endpoint and region, so importing a module costs
nothing at cold start and tests that point settings at another endpoint get a fresh client.
"""

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings


@lru_cache(maxsize=32)
def _build(
    service: str, endpoint_url: str | None, region: str, key: str | None, secret: str | None, timeout: int
) -> Any:
    config = Config(
        signature_version="s3v4" if service == "s3" else None,
        connect_timeout=timeout,
        read_timeout=timeout * 3,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return boto3.session.Session().client(
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
