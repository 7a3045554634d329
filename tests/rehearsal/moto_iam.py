"""The rehearsal's own moto server: IAM enforced, with the action and resource AWS would check.

Run as ``python tests/rehearsal/moto_iam.py``: it prints ``PORT <n>`` once it listens on loopback
and serves until its standard input closes (so it ends with the test session that started it).

moto enforces IAM once ``/moto-api/reset-auth`` is posted (session token, action, resource), but
it names some requests differently from AWS, which would fail calls AWS allows (and so hide the
calls AWS refuses behind noise). Corrected here, for the services the two Lambda stages call:

- DynamoDB, Lambda and SES requests are checked against ``*``, never the table, function or
  identity ARN, so a least-privilege statement never matches. Here the ARN AWS evaluates is used.
- ``TransactWriteItems`` / ``TransactGetItems`` are not IAM actions: AWS checks PutItem,
  UpdateItem, DeleteItem, ConditionCheckItem and GetItem on each item's table instead.
- Lambda's ``Invoke`` operation is the IAM action ``lambda:InvokeFunction``.
- SES v2 ``SendEmail`` needs ``ses:SendEmail`` on the sending identity and on the configuration set.
- S3 ``HeadBucket`` needs ``s3:ListBucket``.
- SQS: ``SendMessageBatch``, ``DeleteMessageBatch`` and ``ChangeMessageVisibilityBatch`` are not
  IAM actions (``SendMessage``, ``DeleteMessage``, ``ChangeMessageVisibility`` allow them), and a
  request is checked on the queue its ``QueueUrl`` names.
- Presigned URLs and POST forms carry their credentials in the query or the form, where moto's
  enforcement never looks (HTTP 500): their key, session token and action are checked as a
  header-signed request's would be (a form's PutObject on the key it writes, as AWS does). The
  signature itself is not verified, as moto never verifies one of a presigned request.
- A role made by CloudFormation keeps its inline policies as dicts, which moto's evaluation
  cannot read (HTTP 500), with a statement that was ``!Ref AWS::NoValue`` left as null (AWS
  drops it): they are given to it as the JSON text ``PutRolePolicy`` would store, without nulls.

Still not evaluated (moto's gap, rehearsed by the IAM simulator instead): ``Condition`` blocks.
Nothing here changes what moto answers; only which (action, resource) pairs it authorises.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any
from urllib.parse import unquote

from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import AssumedRoleAccessKey, IAMRequestBase
from moto.server import ThreadedMotoServer

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/?]+)/invocations")
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}

Authorization = tuple[str, str]  # (service:Action, resource ARN)


def aws_authorizations(
    *, service: str, action: str, path: str, body: bytes | str | None, region: str, account: str, resource: str
) -> list[Authorization]:
    """What AWS authorises for one request, as (action, resource) pairs; moto's own pair otherwise."""
    operation = action.split(":", 1)[1]
    if service == "dynamodb":
        return _dynamodb(operation, _json(body), f"arn:aws:dynamodb:{region}:{account}:table/") or [(action, resource)]
    if service == "lambda":
        match = _INVOKE_PATH.match(path)
        if match:
            name = unquote(match.group(1))
            arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
            return [("lambda:InvokeFunction", arn)]
    if service == "ses" and operation == "SendEmail" and path.startswith("/v2/"):
        request = _json(body)
        pairs = []
        sender = str(request.get("FromEmailAddress", ""))
        address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
        if "@" in address:
            pairs.append((action, f"arn:aws:ses:{region}:{account}:identity/{address.rsplit('@', 1)[1]}"))
        if request.get("ConfigurationSetName"):
            pairs.append(
                (action, f"arn:aws:ses:{region}:{account}:configuration-set/{request['ConfigurationSetName']}")
            )
        return pairs or [(action, resource)]
    if service == "s3" and operation == "HeadBucket":
        return [("s3:ListBucket", resource)]
    if service == "sqs":
        queue_url = str(_json(body).get("QueueUrl", ""))
        if queue_url:
            *_, queue_account, name = queue_url.rstrip("/").split("/")
            resource = f"arn:aws:sqs:{region}:{queue_account}:{name}"
        return [(f"sqs:{operation.removesuffix('Batch')}", resource)]
    return [(action, resource)]


def _dynamodb(operation: str, request: dict[str, Any], table_arn: str) -> list[Authorization]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        pairs = []
        for item in request.get("TransactItems", []):
            for kind, details in item.items():
                pairs.append((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", table_arn + details["TableName"]))
        return pairs
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [(f"dynamodb:{operation}", table_arn + table) for table in request.get("RequestItems", {})]
    if "TableName" in request:
        arn = table_arn + request["TableName"]
        if request.get("IndexName"):
            arn += f"/index/{request['IndexName']}"
        return [(f"dynamodb:{operation}", arn)]
    return []


def _json(body: bytes | str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(body or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _as_stored(policy: Any) -> Any:
    if not isinstance(policy, dict) or "policy_document" in policy:
        return policy  # already what moto reads: JSON text, or a managed policy
    statements = policy.get("Statement")
    if isinstance(statements, list):
        policy = {**policy, "Statement": [statement for statement in statements if statement is not None]}
    return json.dumps(policy)


def _query_credentials(request: Any, iam_request_cls: type, resource: str) -> bool:
    """Authorise a presigned request (query or POST form credentials); False when it is not one."""
    if "Authorization" in request.headers:
        return False
    params = {name.lower(): values[0] for name, values in getattr(request, "querystring", {}).items() if values}
    if "x-amz-credential" not in params:
        return False
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={params['x-amz-credential']}, SignedHeaders=host, "
        f"Signature={params.get('x-amz-signature', '')}",
    }
    if "x-amz-security-token" in params:
        headers["X-Amz-Security-Token"] = params["x-amz-security-token"]
    if request.method == "POST" and "key" in params and resource.count("/") == 0:
        resource = f"{resource}/{params['key']}"  # a form's PutObject is on the key it writes
    iam_request = iam_request_cls(
        account_id=request.current_account,
        method=request.method,
        path=request.raw_path,
        data=request.data,
        body=request.raw_body,
        headers=headers,
        action=request._get_action(),
    )
    iam_request.check_action_permitted(resource)
    return True


def install() -> None:
    authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate_and_authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        enforced = ActionAuthenticatorMixin.request_count >= moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        if enforced and _query_credentials(self, iam_request_cls, resource):
            return
        authenticate(self, iam_request_cls, resource)

    # Patching moto's methods is the point of this module.
    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate_and_authorize  # type: ignore[method-assign]
    original = IAMRequestBase.check_action_permitted
    collect_policies = AssumedRoleAccessKey.collect_policies

    def collect_role_policies(self: AssumedRoleAccessKey) -> list[Any]:
        return [_as_stored(policy) for policy in collect_policies(self)]

    def check_action_permitted(self: IAMRequestBase, resource: str) -> None:
        pairs = aws_authorizations(
            service=self._service,
            action=self._action,
            path=self._path,
            body=self._body or None,
            region=self._region,
            account=self.account_id,
            resource=resource,
        )
        for action, arn in pairs:
            self._action = action
            original(self, arn)

    # Patched on purpose, as above.
    IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]
    AssumedRoleAccessKey.collect_policies = collect_role_policies  # type: ignore[method-assign]


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    print(f"PORT {server.get_host_and_port()[1]}", flush=True)
    sys.stdin.read()  # until the parent closes the pipe (or exits)
    server.stop()


if __name__ == "__main__":
    main()
