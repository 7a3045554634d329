"""The to-dos table: the only module that knows DynamoDB (docs/architecture.md, decision 4).

Items map to `todo.domain.Todo`; everything DynamoDB-shaped (attribute values, key names,
`LastEvaluatedKey`, condition expressions, error codes) stays in here.

Table layout (infra/todo.yaml):

- partition key ``owner`` (the Cognito ``sub``), sort key ``id``;
- local secondary index ``by-position`` on ``position`` = ``<order + 2**31, 10 digits>#<id>``, so
  one Query returns a page in the API's order (``order``, then creation, since ids sort by
  creation time). An LSI shares the partition, so each user's list is one key range;
- one counter item per user (``id`` = ``#meta``, no ``position``, so never in the index) holding
  ``todo_count``; it is written in the same transaction as every create and delete, which makes
  the quota exact under concurrency.

Optimistic concurrency: every write increments ``version`` in the same conditional request, and
an ``If-Match`` becomes ``version IN (...)`` in the condition; a failed condition is followed by
one consistent read to tell "gone" (404) from "changed" (412).

Throttling and outages that outlast botocore's retries become `ServiceUnavailable` (503 with
Retry-After). The client is injected; `todo_repository()` builds the one the settings ask for:
the DAX client when ``DAX_ENDPOINT`` is set (imported only then: it starts background threads and
costs cold-start time), else the shared boto3 client.
"""

import logging
import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from django.conf import settings
from django.core import signing

from myblog.core import aws
from myblog.core.errors import ServiceUnavailable
from todo.domain import (
    ORDER_MIN,
    InvalidCursor,
    QuotaExceeded,
    Todo,
    TodoChanges,
    TodoNotFound,
    TodoPage,
    VersionConflict,
)

logger = logging.getLogger(__name__)

POSITION_INDEX = "by-position"
META_ID = "#meta"
# A transaction takes at most 100 actions: 99 deletes and the counter.
_DELETE_CHUNK = 99
_TRANSACTION_ATTEMPTS = 4
# Cancellation reasons of a transaction that may go through when tried again: a concurrent
# transaction on one of its items, or throttling of one of them (DynamoDB names it both ways).
_RETRYABLE_CANCELLATIONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}

_deserializer = TypeDeserializer()


def _position(order: int, todo_id: str) -> str:
    return f"{order - ORDER_MIN:010d}#{todo_id}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


class TodoRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    # --- reads -------------------------------------------------------------------------------

    def check(self) -> None:
        """One cheap read (an item that never exists), for the health check: ServiceUnavailable
        when the table, or DAX in front of it, cannot answer."""
        self._call("get_item", Key=self._key("-health-", "-"), TableName=self.table)

    def get(self, *, owner: str, todo_id: str, consistent: bool = False) -> Todo | None:
        response = self._call(
            "get_item", Key=self._key(owner, todo_id), ConsistentRead=consistent, TableName=self.table
        )
        item = response.get("Item")
        return _to_todo(item) if item else None

    def page(self, *, owner: str, limit: int, cursor: str | None = None) -> TodoPage:
        """One page of the owner's to-dos in list order: exactly one Query request.

        It asks for one item more than the page so that the last page carries no cursor.
        """
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": POSITION_INDEX,
            "KeyConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {":owner": {"S": owner}},
            "Limit": limit + 1,
        }
        if cursor:
            request["ExclusiveStartKey"] = self._decode_cursor(owner, cursor)
        response = self._call("query", **request)
        todos = [_to_todo(item) for item in response.get("Items", [])]
        if len(todos) > limit:
            todos = todos[:limit]
            last = todos[-1]
            next_cursor: str | None = self._encode_cursor(owner, last.id, _position(last.order, last.id))
        elif "LastEvaluatedKey" in response:  # DynamoDB stopped at its 1 MB page size
            key = response["LastEvaluatedKey"]
            next_cursor = self._encode_cursor(owner, key["id"]["S"], key["position"]["S"])
        else:
            next_cursor = None
        return TodoPage(items=todos, cursor=next_cursor)

    def count(self, *, owner: str) -> int:
        response = self._call("get_item", TableName=self.table, Key=self._key(owner, META_ID), ConsistentRead=True)
        return int(response.get("Item", {}).get("todo_count", {}).get("N", "0"))

    # --- writes ------------------------------------------------------------------------------

    def create(self, *, todo: Todo, quota: int) -> Todo:
        """Store a new to-do and count it, unless the owner already has ``quota`` of them."""
        reasons = self._transact(
            [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": self._key(todo.owner, META_ID),
                        "UpdateExpression": "ADD todo_count :one",
                        "ConditionExpression": "attribute_not_exists(todo_count) OR todo_count < :quota",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":quota": {"N": str(quota)}},
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": _to_item(todo),
                        "ConditionExpression": "attribute_not_exists(#id)",
                        "ExpressionAttributeNames": {"#id": "id"},
                    }
                },
            ]
        )
        if reasons is None:
            return todo
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise QuotaExceeded(
                f"You have reached the limit of {quota} to-dos; delete some first.",
                fields={"title": [f"At most {quota} to-dos per user."]},
            )
        # The id exists already: 80 random bits make this all but impossible, so it is a bug.
        raise RuntimeError(f"to-do id collision on {todo.id}: {reasons}")

    def update(
        self, *, owner: str, todo_id: str, changes: TodoChanges, expected_versions: Sequence[int] | None = None
    ) -> Todo:
        """Apply ``changes``, increment ``version``; ``expected_versions`` is the If-Match."""
        now = datetime.now(UTC)
        names = {"#version": "version", "#updated_at": "updated_at", "#id": "id"}
        values: dict[str, Any] = {":one": {"N": "1"}, ":now": {"S": _iso(now)}}
        sets = ["#version = #version + :one", "#updated_at = :now"]
        if changes.title is not None:
            names["#title"] = "title"
            values[":title"] = {"S": changes.title}
            sets.append("#title = :title")
        if changes.completed is not None:
            names["#completed"] = "completed"
            values[":completed"] = {"BOOL": changes.completed}
            sets.append("#completed = :completed")
        if changes.order is not None:
            names["#order"], names["#position"] = "order", "position"
            values[":order"] = {"N": str(changes.order)}
            values[":position"] = {"S": _position(changes.order, todo_id)}
            sets += ["#order = :order", "#position = :position"]
        condition = self._version_condition(expected_versions, values)
        try:
            response = self._call(
                "update_item",
                TableName=self.table,
                Key=self._key(owner, todo_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if aws.error_code(exc) != "ConditionalCheckFailedException":
                raise
            raise self._why_condition_failed(owner, todo_id) from exc
        return _to_todo(response["Attributes"])

    def delete(self, *, owner: str, todo_id: str, expected_versions: Sequence[int] | None = None) -> None:
        values: dict[str, Any] = {}
        condition = self._version_condition(expected_versions, values)
        delete: dict[str, Any] = {
            "TableName": self.table,
            "Key": self._key(owner, todo_id),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#id": "id"} | ({"#version": "version"} if expected_versions else {}),
        }
        if values:
            delete["ExpressionAttributeValues"] = values
        if self._transact([{"Delete": delete}, self._count_change(owner, -1)]) is not None:
            raise self._why_condition_failed(owner, todo_id)

    def delete_all(self, *, owner: str) -> int:
        """Delete every to-do of the owner; returns how many. Safe against concurrent writes:
        each chunk deletes only items that still exist and moves the counter by as many."""
        deleted, retries = 0, 0
        while True:
            ids = list(self._ids(owner, limit=_DELETE_CHUNK))
            if not ids:
                return deleted
            actions = [
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": self._key(owner, todo_id),
                        "ConditionExpression": "attribute_exists(#id)",
                        "ExpressionAttributeNames": {"#id": "id"},
                    }
                }
                for todo_id in ids
            ]
            if self._transact([*actions, self._count_change(owner, -len(ids))]) is not None:
                # Another request deleted one of them meanwhile: read the keys again.
                retries += 1
                if retries > _TRANSACTION_ATTEMPTS:
                    raise ServiceUnavailable("The to-dos are being changed elsewhere; try again shortly.")
                continue
            deleted += len(ids)

    # --- helpers -----------------------------------------------------------------------------

    def _transact(self, actions: list[dict[str, Any]]) -> list[str] | None:
        """Run a write transaction: None when it committed, else the cancellation reason codes
        (one per action) when a condition failed. Conflicts with concurrent transactions on the
        same items (the counter of one user) and throttled items are retried, then answered 503."""
        for attempt in range(_TRANSACTION_ATTEMPTS):
            try:
                self._call("transact_write_items", TransactItems=actions)
            except ClientError as exc:
                if aws.error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = _cancellation_codes(exc)
                if "ConditionalCheckFailed" in reasons:
                    return reasons
                if not _RETRYABLE_CANCELLATIONS.intersection(reasons):
                    raise
                time.sleep(0.02 * 2**attempt + random.uniform(0, 0.02))  # noqa: S311 - jitter, not crypto
                continue
            return None
        raise ServiceUnavailable("The to-dos are being changed elsewhere; try again shortly.")

    def _ids(self, owner: str, *, limit: int) -> Iterator[str]:
        response = self._call(
            "query",
            TableName=self.table,
            IndexName=POSITION_INDEX,
            KeyConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner", "#id": "id"},
            ExpressionAttributeValues={":owner": {"S": owner}},
            ProjectionExpression="#id",
            ConsistentRead=True,
            Limit=limit,
        )
        for item in response.get("Items", []):
            yield item["id"]["S"]

    def _count_change(self, owner: str, delta: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": self._key(owner, META_ID),
                "UpdateExpression": "ADD todo_count :delta",
                "ExpressionAttributeValues": {":delta": {"N": str(delta)}},
            }
        }

    @staticmethod
    def _version_condition(expected_versions: Sequence[int] | None, values: dict[str, Any]) -> str:
        condition = "attribute_exists(#id)"
        if expected_versions:
            placeholders = []
            for i, version in enumerate(expected_versions):
                values[f":v{i}"] = {"N": str(version)}
                placeholders.append(f":v{i}")
            condition += f" AND #version IN ({', '.join(placeholders)})"
        return condition

    def _why_condition_failed(self, owner: str, todo_id: str) -> Exception:
        if self.get(owner=owner, todo_id=todo_id, consistent=True) is None:
            return TodoNotFound("No such to-do.")
        return VersionConflict("The to-do has changed since you read it; fetch it again and retry.")

    @staticmethod
    def _key(owner: str, todo_id: str) -> dict[str, Any]:
        return {"owner": {"S": owner}, "id": {"S": todo_id}}

    @staticmethod
    def _encode_cursor(owner: str, todo_id: str, position: str) -> str:
        # Signed and bound to the owner: a cursor cannot be forged or replayed by another user.
        return signing.dumps([todo_id, position], salt=f"todo.cursor:{owner}")

    @staticmethod
    def _decode_cursor(owner: str, cursor: str) -> dict[str, Any]:
        try:
            todo_id, position = signing.loads(cursor, salt=f"todo.cursor:{owner}")
        except (signing.BadSignature, ValueError, TypeError) as exc:
            raise InvalidCursor() from exc
        if not isinstance(todo_id, str) or not isinstance(position, str):
            raise InvalidCursor()
        return {"owner": {"S": owner}, "id": {"S": todo_id}, "position": {"S": position}}

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return aws.call(
                getattr(self.client, operation),
                unavailable="The to-do store is busy or unavailable; try again shortly.",
                **kwargs,
            )
        except ServiceUnavailable as exc:
            logger.warning("DynamoDB %s unavailable: %s", operation, exc.__cause__)
            raise


def _cancellation_codes(exc: ClientError) -> list[str]:
    reasons = exc.response.get("CancellationReasons") or getattr(exc, "cancellation_reasons", None) or []
    return [str((reason or {}).get("Code", "None")) for reason in reasons]


def _to_item(todo: Todo) -> dict[str, Any]:
    return {
        "owner": {"S": todo.owner},
        "id": {"S": todo.id},
        "title": {"S": todo.title},
        "completed": {"BOOL": todo.completed},
        "order": {"N": str(todo.order)},
        "position": {"S": _position(todo.order, todo.id)},
        "created_at": {"S": _iso(todo.created_at)},
        "updated_at": {"S": _iso(todo.updated_at)},
        "version": {"N": str(todo.version)},
    }


def _to_todo(item: dict[str, Any]) -> Todo:
    data = {key: _deserializer.deserialize(value) for key, value in item.items()}
    return Todo(
        owner=data["owner"],
        id=data["id"],
        title=data["title"],
        completed=bool(data["completed"]),
        order=int(data["order"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        version=int(data["version"]),
    )


@lru_cache(maxsize=4)
def _dax_client(endpoint: str, region: str) -> Any:
    # Imported here, only when DAX is configured: it starts cluster discovery threads.
    from amazondax import AmazonDaxClient

    return AmazonDaxClient(endpoint_url=endpoint, region_name=region)


def todo_repository() -> TodoRepository:
    """The repository for the current settings (DAX in production, DynamoDB otherwise)."""
    if settings.DAX_ENDPOINT:
        client = _dax_client(settings.DAX_ENDPOINT, settings.AWS_REGION)
    else:
        client = aws.client("dynamodb")
    return TodoRepository(client, settings.TODO_TABLE)
