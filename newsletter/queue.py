"""The fan-out queue (infra/newsletter.yaml): what its messages say, and sending them.

Two kinds of message, JSON bodies, each small and idempotent to handle:

- ``plan``: queue the ``send`` messages of the next confirmed subscribers after ``after`` (by id,
  keyset pagination), and the next ``plan`` when there are more. No Lambda run ever reads more
  than PLAN_SIZE subscribers, whatever the list's length.
- ``send``: send the post to the confirmed subscribers whose ids are in [first, last], at most
  BATCH_SIZE when it was planned. ``attempt`` counts the times SES throttling put it back.
"""

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from django.conf import settings

from myblog.core.aws import client

BATCH_SIZE = 50  # recipients per send message: one consumer run of a few seconds
PLAN_SIZE = 100 * BATCH_SIZE  # subscribers one plan message looks at
_SQS_BATCH = 10  # SendMessageBatch's maximum
MAX_DELAY_SECONDS = 900  # SQS's maximum DelaySeconds


@dataclass(frozen=True)
class Plan:
    post: int
    after: int
    kind: Literal["plan"] = "plan"


@dataclass(frozen=True)
class Send:
    post: int
    first: int
    last: int
    attempt: int = 0
    kind: Literal["send"] = "send"


Message = Plan | Send


def message_read(body: str) -> Message:
    data: dict[str, Any] = json.loads(body)
    kind = data.pop("kind")
    if kind == "plan":
        return Plan(**data)
    if kind == "send":
        return Send(**data)
    raise ValueError(f"unknown newsletter message kind {kind!r}")


def queue_send(messages: Sequence[Message], *, delay_seconds: int = 0) -> None:
    """Send the messages (SendMessageBatch, ten at a time); raises when SQS refused any of them,
    so the caller's own message is retried (the duplicates that makes are harmless)."""
    sqs = client("sqs")
    for start in range(0, len(messages), _SQS_BATCH):
        entries = [
            {
                "Id": str(index),
                "MessageBody": json.dumps(asdict(message)),
                "DelaySeconds": min(delay_seconds, MAX_DELAY_SECONDS),
            }
            for index, message in enumerate(messages[start : start + _SQS_BATCH])
        ]
        response = sqs.send_message_batch(QueueUrl=settings.NEWSLETTER_QUEUE_URL, Entries=entries)
        if response.get("Failed"):
            raise QueueRefused(f"SQS refused {len(response['Failed'])} message(s): {response['Failed'][0]}")


class QueueRefused(Exception):
    pass
