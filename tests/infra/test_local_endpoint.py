"""The local endpoint keeps DynamoDB's guarantee that each write to an item is atomic."""

import threading
import time
from collections import Counter

import boto3
import pytest
from botocore.config import Config

WRITERS = 8


def dynamodb(endpoint: str):
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def table(local_aws: str) -> str:
    dynamodb(local_aws).create_table(
        TableName="atomicity",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb(local_aws).put_item(TableName="atomicity", Item={"k": {"S": "one"}, "version": {"N": "1"}})
    return "atomicity"


@pytest.fixture
def slow_moto_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """moto checks a condition and writes without a lock: stretch that window (the server runs in
    this process) and record how many writes are inside it at once."""
    from moto.dynamodb.models import DynamoDBBackend

    inside, peaks, lock = [0], [], threading.Lock()
    original = DynamoDBBackend.update_item

    def slow_update_item(self, *args, **kwargs):
        with lock:
            inside[0] += 1
            peaks.append(inside[0])
        try:
            time.sleep(0.05)
            return original(self, *args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(DynamoDBBackend, "update_item", slow_update_item)
    return peaks


def test_concurrent_conditional_writes_to_one_item_let_exactly_one_through(
    local_aws: str, table: str, slow_moto_writes: list[int]
) -> None:
    barrier, outcomes = threading.Barrier(WRITERS), []

    def writer(n: int) -> None:
        client = dynamodb(local_aws)
        barrier.wait(timeout=30)
        try:
            client.update_item(
                TableName=table,
                Key={"k": {"S": "one"}},
                UpdateExpression="SET version = :next, writer = :n",
                ConditionExpression="version = :seen",
                ExpressionAttributeValues={":seen": {"N": "1"}, ":next": {"N": "2"}, ":n": {"N": str(n)}},
            )
            outcomes.append("written")
        except client.exceptions.ConditionalCheckFailedException:
            outcomes.append("condition failed")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(outcomes) == {"written": 1, "condition failed": WRITERS - 1}
    assert max(slow_moto_writes) == 1
