"""The blog function's Zappa events of the newsletter (zappa_settings.json ``events``).

- ``publish_due_posts``: a scheduled event (``rate(...)``) that starts the mailing of every post
  whose publish time has come since the last run; a post nobody touched still goes out.
- ``on_queue_message``: the SQS event source of the fan-out queue (infra/newsletter.yaml).

Zappa 0.63 creates the SQS event source mapping without ``FunctionResponseTypes``
(ReportBatchItemFailures), so Lambda would ignore a ``batchItemFailures`` answer and delete every
message of a batch that "succeeded". The mapping therefore takes one message per batch
(``batch_size`` 1), and a message that fails raises: Lambda leaves it on the queue, SQS makes it
visible again after its visibility timeout, and after maxReceiveCount moves it to the dead-letter
queue (README "New posts by email").
"""

import logging
from typing import Any

from django.db import close_old_connections

from newsletter.queue import message_read
from newsletter.services import mailings_start_due, message_handle

logger = logging.getLogger(__name__)


class MessagesFailed(Exception):
    """Some messages of the batch failed; Lambda returns them to the queue."""


def publish_due_posts(event: dict[str, Any], context: Any) -> dict[str, int]:
    close_old_connections()  # a warm function's connection may be gone
    started = mailings_start_due()
    logger.info("newsletter sweep: %s mailing(s) started", started)
    return {"mailings_started": started}


def on_queue_message(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    close_old_connections()
    failures = []
    for record in event.get("Records", []):
        try:
            message_handle(message_read(record["body"]))
        except Exception:
            logger.exception("newsletter message %s failed", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    if failures:
        raise MessagesFailed(f"{len(failures)} of {len(event['Records'])} message(s) failed")
    return {"batchItemFailures": []}
