import email
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import boto3
import pytest
import requests
from django.db import close_old_connections, connection
from django.utils import timezone

from newsletter import events
from notifications.models import Subscriber
from tests.factories import PostFactory

QUEUE = "myblog-local-newsletter"  # infra/newsletter.yaml, Env=local


@pytest.fixture(autouse=True)
def _connection_kept_inside_the_tests_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Lambda entry points start with close_old_connections(), as on Lambda, where no
    transaction is open. Inside a test's transaction it would close the connection (its
    autocommit is off) and end the test's transaction on PostgreSQL (SQLite's in-memory test
    database ignores the close), so there it is left out, as Django's test client does for its
    request signals; outside one it runs."""

    def close_unless_in_the_tests_transaction() -> None:
        if not connection.in_atomic_block:
            close_old_connections()

    monkeypatch.setattr(events, "close_old_connections", close_unless_in_the_tests_transaction)


class EventSource:
    """Lambda's SQS event source mapping of the blog stages (zappa_settings.json: batch_size 1):
    receive a message, invoke the function with it, delete it when the invocation returned; when
    it raised, leave it, visible again once its visibility timeout ends (here at once)."""

    def __init__(self, endpoint: str, url: str) -> None:
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
        self.url = url
        self.arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.invocations = 0
        self.failed = 0

    def receive(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=60, AttributeNames=["All"]
        ).get("Messages", [])

    def record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": "us-east-1",
        }

    def invoke(self, message: dict[str, Any], function: Callable[..., Any] = events.on_queue_message) -> bool:
        self.invocations += 1
        try:
            function({"Records": [self.record(message)]}, None)
        except BaseException:  # an error, or the function stopped (a crash, a timeout)
            self.failed += 1
            self.sqs.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
            return False
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return True

    def drain(self, *, rounds: int = 10_000, duplicate_every: int = 0) -> None:
        """Until the queue is empty. ``duplicate_every``: SQS delivers every n-th message twice
        (at-least-once delivery), the copy first."""
        seen = 0
        for _ in range(rounds):
            messages = self.receive()
            if not messages:
                return
            for message in messages:
                seen += 1
                if duplicate_every and seen % duplicate_every == 0:
                    self.invoke_copy(message)
                self.invoke(message)
        raise AssertionError("the queue never emptied")

    def invoke_copy(self, message: dict[str, Any]) -> None:
        events.on_queue_message({"Records": [self.record(message)]}, None)
        self.invocations += 1

    def waiting(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def queue(local_aws: str, settings: Any) -> Iterator[EventSource]:
    url = boto3.client("sqs", endpoint_url=local_aws, region_name="us-east-1").get_queue_url(QueueName=QUEUE)[
        "QueueUrl"
    ]
    settings.NEWSLETTER_QUEUE_URL = url
    settings.NEWSLETTER_SEND_RATE = 0  # moto has no send rate; pacing is tested on its own
    yield EventSource(local_aws, url)


@pytest.fixture
def sent_mail(local_aws: str) -> Callable[[], list[EmailMessage]]:
    """What the local SES accepted: one parsed message per send, oldest first."""

    def read() -> list[EmailMessage]:
        data = requests.get(f"{local_aws}/moto-api/data.json", timeout=30).json()
        return [
            email.message_from_string(raw["raw_data"], policy=default_policy)  # type: ignore[misc]
            for raw in data["ses"]["RawMessage"]
        ]

    return read


def confirmed_subscribers(count: int, prefix: str = "reader") -> list[Subscriber]:
    return Subscriber.objects.bulk_create(
        [Subscriber(email=f"{prefix}{n}@example.com", status=Subscriber.Status.CONFIRMED) for n in range(count)]
    )


def visible_post(**kwargs: Any) -> Any:
    """A post that became visible a minute ago (the factory's posts are hours old)."""
    return PostFactory(publish_at=timezone.now() - timedelta(minutes=1), **kwargs)


def recipients(messages: list[EmailMessage]) -> list[str]:
    return [str(message["To"]) for message in messages]


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
