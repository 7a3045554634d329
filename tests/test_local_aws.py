"""The suite's local AWS (tests/conftest.py): created once, put back as the bootstrap left it before
every test that uses it, and out of reach of the tests that do not."""

from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from moto.core.base_backend import BackendDict

from tests.conftest import MotoSnapshot

REGION = "us-east-1"


def _clients(endpoint: str) -> dict[str, Any]:
    return {
        service: boto3.client(service, endpoint_url=endpoint, region_name=REGION)
        for service in ("s3", "dynamodb", "cognito-idp", "sesv2", "sqs")
    }


def _state(endpoint: str) -> dict[str, Any]:
    aws = _clients(endpoint)
    pools = aws["cognito-idp"].list_user_pools(MaxResults=60)["UserPools"]
    buckets = sorted(bucket["Name"] for bucket in aws["s3"].list_buckets()["Buckets"])
    return {
        "buckets": {
            name: (
                [item["Key"] for item in aws["s3"].list_objects_v2(Bucket=name).get("Contents", [])],
                aws["s3"].get_bucket_versioning(Bucket=name).get("Status"),
            )
            for name in buckets
        },
        "tables": {
            name: aws["dynamodb"].scan(TableName=name)["Count"] for name in aws["dynamodb"].list_tables()["TableNames"]
        },
        "pools": {pool["Id"]: len(aws["cognito-idp"].list_users(UserPoolId=pool["Id"])["Users"]) for pool in pools},
        "queues": aws["sqs"].list_queues().get("QueueUrls", []),
        "sent": requests.get(f"{endpoint}/moto-api/data.json", timeout=5).json()["ses"]["RawMessage"],
    }


@pytest.mark.aws
def test_what_a_test_changes_on_the_local_aws_is_gone_for_the_next_one(
    _local_aws_session: tuple[str, MotoSnapshot], settings: Any
) -> None:
    endpoint, snapshot = _local_aws_session
    bootstrapped = _state(endpoint)
    assert bootstrapped["buckets"] and bootstrapped["tables"] and bootstrapped["pools"]
    # The bootstrap declares the queues of infra/ (task dead letters, the newsletter's); no mail yet.
    assert any(url.endswith("-newsletter") for url in bootstrapped["queues"]) and not bootstrapped["sent"]

    aws = _clients(endpoint)
    bucket = settings.MEDIA_BUCKET
    aws["s3"].put_object(Bucket=bucket, Key="uploads/a.jpg", Body=b"x")
    aws["s3"].put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    other = next(name for name in bootstrapped["buckets"] if name != bucket)
    aws["s3"].delete_bucket(Bucket=other)
    table = next(iter(bootstrapped["tables"]))
    described = aws["dynamodb"].describe_table(TableName=table)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    key = {k["AttributeName"]: {types[k["AttributeName"]]: "1"} for k in described["KeySchema"]}
    aws["dynamodb"].put_item(TableName=table, Item=key)
    pool_id = next(iter(bootstrapped["pools"]))
    aws["cognito-idp"].admin_create_user(UserPoolId=pool_id, Username="someone@example.com")
    aws["sqs"].create_queue(QueueName="made-by-a-test")
    aws["s3"].create_bucket(Bucket="made-by-a-test")
    aws["sesv2"].send_email(
        FromEmailAddress=settings.DEFAULT_FROM_EMAIL,
        Destination={"ToAddresses": ["reader@example.com"]},
        Content={"Raw": {"Data": b"Subject: hello\r\n\r\nhello"}},
    )
    assert _state(endpoint) != bootstrapped

    snapshot.restore()

    assert _state(endpoint) == bootstrapped  # same ids, same settings, no leftovers
    aws["s3"].create_bucket(Bucket="made-by-a-test")  # S3's one namespace forgot the name too


@pytest.mark.aws
def test_after_motos_own_reset_the_bootstrapped_resources_come_back(
    _local_aws_session: tuple[str, MotoSnapshot],
) -> None:
    """mock_aws (tests/infra) resets every backend of the process when it starts and stops."""
    endpoint, snapshot = _local_aws_session
    bootstrapped = _state(endpoint)
    BackendDict.reset()
    assert _state(endpoint)["buckets"] == {}

    snapshot.restore()

    assert _state(endpoint) == bootstrapped


def test_a_test_without_the_aws_marker_reaches_no_aws_endpoint(settings: Any) -> None:
    s3 = boto3.client(
        "s3", endpoint_url=settings.AWS_ENDPOINT_URL, region_name=REGION, config=Config(retries={"max_attempts": 1})
    )
    with pytest.raises(EndpointConnectionError):
        s3.list_buckets()
