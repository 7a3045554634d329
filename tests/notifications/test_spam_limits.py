"""Subscribing cannot be turned into a spam cannon (issue 12).

The throttle is driven through Zappa's real Lambda handler with API Gateway REST API events, as
AWS builds them: API Gateway appends the caller's address to whatever X-Forwarded-For the client
sent, and puts the address of the connection in requestContext.identity.sourceIp.
"""

import json
import os
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest

from notifications.models import Subscriber
from tests.myblog import test_lambda as on_lambda
from tests.myblog.test_lambda import API_HOST, Answer, Event, rest_api_event

# The Lambda function as a cold start builds it, with the settings module Zappa generates.
zappa_settings = on_lambda.zappa_settings
remote_env = on_lambda.remote_env
invoke = on_lambda.invoke
_served_hosts = on_lambda._served_hosts  # autouse: the API Gateway host is allowed

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/blog/subscribers/"


@pytest.fixture(scope="module")
def cold_start(zappa_settings: ModuleType, remote_env: dict[str, str], aws_endpoint: str) -> Iterator[None]:
    """Zappa's LambdaHandler singleton, with its secrets read from the remote_env file on S3.

    When this module builds it, it is dropped afterwards, so that test_lambda.py's own cold start
    (which checks what a cold start puts into the environment) still finds none built.
    """
    from zappa.handler import LambdaHandler

    built_here = LambdaHandler._LambdaHandler__instance is None  # type: ignore[attr-defined]  # the singleton
    location = urlsplit(zappa_settings.REMOTE_ENV)
    aws = {"AWS_ENDPOINT_URL": aws_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    with mock.patch.dict(os.environ, {**aws, "AWS_DEFAULT_REGION": "us-east-1"}):
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=location.netloc)
        s3.put_object(Bucket=location.netloc, Key=location.path.lstrip("/"), Body=json.dumps(remote_env))
        LambdaHandler()
    yield
    if built_here:
        LambdaHandler._LambdaHandler__instance = None  # type: ignore[attr-defined]


def subscribe_event(email: str, *, source_ip: str, forwarded_for: str | None = None) -> Event:
    """A POST as API Gateway hands it to Lambda: the client's X-Forwarded-For with the caller appended."""
    headers = {"Content-Type": "application/json"}
    headers["X-Forwarded-For"] = f"{forwarded_for}, {source_ip}" if forwarded_for else source_ip
    event = rest_api_event(API, host=API_HOST, headers=headers)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "POST"
    event["requestContext"]["identity"]["sourceIp"] = source_ip
    event["body"] = json.dumps({"email": email})
    return event


def test_a_client_rotating_forged_forwarded_for_values_is_still_throttled(
    invoke: Callable[[Event], Answer], settings: Any
) -> None:
    settings.SUBSCRIBE_THROTTLE_RATE = "2/hour"

    codes = [
        invoke(subscribe_event(f"r{i}@example.com", source_ip="198.51.100.7", forwarded_for=f"203.0.113.{i}")).status
        for i in range(4)
    ]

    assert codes == [202, 202, 429, 429]
    assert Subscriber.objects.count() == 2


def test_another_client_has_its_own_allowance(invoke: Callable[[Event], Answer], settings: Any) -> None:
    settings.SUBSCRIBE_THROTTLE_RATE = "1/hour"

    first = invoke(subscribe_event("a@example.com", source_ip="198.51.100.7"))
    # Forging the first client's address does not spend its allowance either.
    other = invoke(subscribe_event("b@example.com", source_ip="198.51.100.8", forwarded_for="198.51.100.7"))

    assert (first.status, other.status) == (202, 202)


def test_ipv6_clients_in_one_64_share_an_allowance_and_other_64s_do_not(
    invoke: Callable[[Event], Answer], settings: Any
) -> None:
    settings.SUBSCRIBE_THROTTLE_RATE = "1/hour"

    first = invoke(subscribe_event("a@example.com", source_ip="2001:db8:1:2::1"))
    same_64 = invoke(subscribe_event("b@example.com", source_ip="2001:db8:1:2:ffff:ffff:ffff:ffff"))
    other_64 = invoke(subscribe_event("c@example.com", source_ip="2001:db8:1:3::1"))

    assert (first.status, same_64.status, other_64.status) == (202, 429, 202)


def test_behind_cloudfront_the_configured_viewer_address_header_is_counted(
    invoke: Callable[[Event], Answer], settings: Any
) -> None:
    settings.SUBSCRIBE_THROTTLE_RATE = "1/hour"
    settings.THROTTLE_VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"
    edge = "130.176.0.1"  # every viewer arrives from a CloudFront edge address

    def through_cloudfront(email: str, viewer: str) -> int:
        event = subscribe_event(email, source_ip=edge)
        event["headers"]["CloudFront-Viewer-Address"] = viewer
        event["multiValueHeaders"]["CloudFront-Viewer-Address"] = [viewer]
        return invoke(event).status

    assert through_cloudfront("a@example.com", "198.51.100.1:46532") == 202
    assert through_cloudfront("b@example.com", "198.51.100.1:50000") == 429
    assert through_cloudfront("c@example.com", "198.51.100.2:46532") == 202
    assert through_cloudfront("d@example.com", "2001:db8:1:2::1:46532") == 202
    assert through_cloudfront("e@example.com", "2001:db8:1:2::9:46532") == 429


def test_behind_cloudfront_the_bare_address_the_cdn_function_writes_is_counted_per_64(
    invoke: Callable[[Event], Answer], settings: Any
) -> None:
    """X-Viewer-Address, written by infra/cdn.yaml's viewer-request function, is an address without a port."""
    settings.SUBSCRIBE_THROTTLE_RATE = "1/hour"
    settings.THROTTLE_VIEWER_ADDRESS_HEADER = "X-Viewer-Address"

    def through_cloudfront(email: str, viewer: str) -> int:
        event = subscribe_event(email, source_ip="130.176.0.1")
        event["headers"]["X-Viewer-Address"] = viewer
        event["multiValueHeaders"]["X-Viewer-Address"] = [viewer]
        return invoke(event).status

    assert through_cloudfront("a@example.com", "198.51.100.1") == 202
    assert through_cloudfront("b@example.com", "198.51.100.1") == 429
    assert through_cloudfront("c@example.com", "2001:db8:1:2:3:4:5:6") == 202
    # Same /64, another interface id: one allowance.
    assert through_cloudfront("d@example.com", "2001:db8:1:2:9:9:9:9") == 429
    assert through_cloudfront("e@example.com", "2001:db8:1:3:3:4:5:6") == 202
