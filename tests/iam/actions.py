"""What IAM authorizes for one AWS API call: its action(s), resource ARN(s) and request context.

Per AWS's Service Authorization Reference, an operation is not always "service:Operation":
HeadObject is s3:GetObject, HeadBucket is s3:ListBucket *without* s3:prefix, a DynamoDB
transaction is authorized item by item, SES v2 SendEmail on the identity and on the
configuration set. Operations that IAM does not authorize (Cognito calls made with a user's own
token) map to no request. An operation missing from this table fails the rehearsal, so every new
call the code makes gets a deliberate entry.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any
from urllib.parse import urlparse

ACCOUNT = "123456789012"  # moto's account, and the one infra/templates.py renders ARNs with
REGION = "us-east-1"


@dataclass(frozen=True)
class IamRequest:
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = field(default=())


class UnmappedOperation(Exception):
    """The rehearsal does not know what IAM checks for this operation yet."""


def _s3_object(params: dict[str, Any], action: str = "s3:GetObject") -> list[IamRequest]:
    return [IamRequest(action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]


def _s3_list(params: dict[str, Any]) -> list[IamRequest]:
    # The request's own parameters become its condition keys; an absent Prefix is an absent key
    # (not ""), which a policy limited by s3:prefix does not allow.
    context = [(key, str(params[name])) for name, key in _LIST_KEYS.items() if name in params]
    return [IamRequest("s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}", tuple(context))]


_LIST_KEYS = {"Prefix": "s3:prefix", "Delimiter": "s3:delimiter", "MaxKeys": "s3:max-keys"}


def _s3_put(params: dict[str, Any]) -> list[IamRequest]:
    requests = _s3_object(params, "s3:PutObject")
    if "ACL" in params or any(name.startswith("Grant") for name in params):
        requests += _s3_object(params, "s3:PutObjectAcl")
    if "Tagging" in params:
        requests += _s3_object(params, "s3:PutObjectTagging")
    return requests


def _s3_copy(params: dict[str, Any]) -> list[IamRequest]:
    source = params["CopySource"]
    if isinstance(source, dict):
        source = f"{source['Bucket']}/{source['Key']}"
    return [*_s3_put(params), IamRequest("s3:GetObject", f"arn:aws:s3:::{source.lstrip('/').split('?')[0]}")]


def _s3_delete_objects(params: dict[str, Any]) -> list[IamRequest]:
    return [
        IamRequest("s3:DeleteObject", f"arn:aws:s3:::{params['Bucket']}/{item['Key']}")
        for item in params["Delete"]["Objects"]
    ]


def _table(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def _dynamodb_item(action: str) -> Callable[[dict[str, Any]], list[IamRequest]]:
    def requests(params: dict[str, Any]) -> list[IamRequest]:
        return [IamRequest(action, _table(params["TableName"]))]

    return requests


def _dynamodb_read(action: str) -> Callable[[dict[str, Any]], list[IamRequest]]:
    def requests(params: dict[str, Any]) -> list[IamRequest]:
        resource = _table(params["TableName"])
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        return [IamRequest(action, resource)]

    return requests


# TransactWriteItems has no IAM action of its own: each item needs the action it performs.
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _dynamodb_transact_write(params: dict[str, Any]) -> list[IamRequest]:
    requests = []
    for item in params["TransactItems"]:
        [(kind, body)] = item.items()
        requests.append(IamRequest(_TRANSACT_ACTIONS[kind], _table(body["TableName"])))
    return requests


def _dynamodb_transact_get(params: dict[str, Any]) -> list[IamRequest]:
    return [IamRequest("dynamodb:GetItem", _table(item["Get"]["TableName"])) for item in params["TransactItems"]]


def _dynamodb_batch_write(params: dict[str, Any]) -> list[IamRequest]:
    # BatchWriteItem is an action of its own, checked against each table it writes.
    return [IamRequest("dynamodb:BatchWriteItem", _table(table)) for table in params["RequestItems"]]


def _dynamodb_batch_get(params: dict[str, Any]) -> list[IamRequest]:
    return [IamRequest("dynamodb:BatchGetItem", _table(table)) for table in params["RequestItems"]]


def _sesv2_send(params: dict[str, Any]) -> list[IamRequest]:
    """SES v2 SendEmail is ses:SendEmail on the sending identity (the From address's domain
    identity, as infra/notifications.yaml verifies a domain) and on the configuration set."""
    sender = params.get("FromEmailAddress", "")
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    identity = params.get("FromEmailAddressIdentityArn") or (
        f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{address.rsplit('@', 1)[-1]}"
    )
    context = (("ses:FromAddress", address), ("ses:ApiVersion", "2"))
    requests = [IamRequest("ses:SendEmail", identity, context)]
    # django-ses names the configuration set in the raw message's X-SES-CONFIGURATION-SET header.
    raw = params.get("Content", {}).get("Raw", {}).get("Data")
    header = BytesHeaderParser().parsebytes(raw).get("X-SES-CONFIGURATION-SET") if isinstance(raw, bytes) else None
    configuration_set_name = params.get("ConfigurationSetName") or header
    if configuration_set_name:
        configuration_set = f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{configuration_set_name}"
        requests.append(IamRequest("ses:SendEmail", configuration_set, context))
    return requests


def _ses_v1_send(action: str) -> Callable[[dict[str, Any]], list[IamRequest]]:
    def requests(params: dict[str, Any]) -> list[IamRequest]:
        sender = params.get("Source", "")
        address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
        identity = params.get("SourceArn") or f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{address.rsplit('@', 1)[-1]}"
        found = [IamRequest(action, identity, (("ses:FromAddress", address), ("ses:ApiVersion", "1")))]
        if params.get("ConfigurationSetName"):
            configuration_set = f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{params['ConfigurationSetName']}"
            found.append(IamRequest(action, configuration_set))
        return found

    return requests


def _lambda_invoke(params: dict[str, Any]) -> list[IamRequest]:
    name = params["FunctionName"]
    if not name.startswith("arn:"):
        name = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    if params.get("Qualifier"):
        name += f":{params['Qualifier']}"
    return [IamRequest("lambda:InvokeFunction", name)]


def _sqs(action: str) -> Callable[[dict[str, Any]], list[IamRequest]]:
    """An SQS call on the queue its QueueUrl names (SendMessageBatch is sqs:SendMessage)."""

    def requests(params: dict[str, Any]) -> list[IamRequest]:
        path = urlparse(params["QueueUrl"]).path.strip("/").split("/")
        return [IamRequest(action, f"arn:aws:sqs:{REGION}:{path[-2]}:{path[-1]}")]

    return requests


_sqs_send = _sqs("sqs:SendMessage")


def _sns_publish(params: dict[str, Any]) -> list[IamRequest]:
    return [IamRequest("sns:Publish", params.get("TopicArn") or params["TargetArn"])]


def _user_pool(action: str) -> Callable[[dict[str, Any]], list[IamRequest]]:
    def requests(params: dict[str, Any]) -> list[IamRequest]:
        return [IamRequest(action, f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{params['UserPoolId']}")]

    return requests


def _no_iam(params: dict[str, Any]) -> list[IamRequest]:
    """Authorized by the caller's Cognito token or app client, not by IAM."""
    return []


OPERATIONS: dict[tuple[str, str], Callable[[dict[str, Any]], list[IamRequest]]] = {
    ("s3", "HeadBucket"): lambda params: [IamRequest("s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}")],
    ("s3", "ListObjectsV2"): _s3_list,
    ("s3", "ListObjects"): _s3_list,
    ("s3", "HeadObject"): _s3_object,
    ("s3", "GetObject"): _s3_object,
    ("s3", "PutObject"): _s3_put,
    ("s3", "CopyObject"): _s3_copy,
    ("s3", "DeleteObject"): lambda params: _s3_object(params, "s3:DeleteObject"),
    ("s3", "DeleteObjects"): _s3_delete_objects,
    ("s3", "CreateMultipartUpload"): _s3_put,
    ("s3", "UploadPart"): lambda params: _s3_object(params, "s3:PutObject"),
    ("s3", "CompleteMultipartUpload"): lambda params: _s3_object(params, "s3:PutObject"),
    ("s3", "AbortMultipartUpload"): lambda params: _s3_object(params, "s3:AbortMultipartUpload"),
    ("s3", "GetObjectTagging"): lambda params: _s3_object(params, "s3:GetObjectTagging"),
    ("s3", "GetBucketLocation"): lambda params: [
        IamRequest("s3:GetBucketLocation", f"arn:aws:s3:::{params['Bucket']}")
    ],
    # HeadObject/GetObject of a missing key that the code expects to see as 404 (tests/iam/recorder.py).
    ("s3", "MissingObject"): lambda params: [IamRequest("s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}")],
    # A presigned POST (recorded by tests/iam/recorder.py): the upload is authorized as the signer.
    ("s3", "PresignedPost"): lambda params: _s3_object(params, "s3:PutObject"),
    ("dynamodb", "GetItem"): _dynamodb_item("dynamodb:GetItem"),
    ("dynamodb", "PutItem"): _dynamodb_item("dynamodb:PutItem"),
    ("dynamodb", "UpdateItem"): _dynamodb_item("dynamodb:UpdateItem"),
    ("dynamodb", "DeleteItem"): _dynamodb_item("dynamodb:DeleteItem"),
    ("dynamodb", "Query"): _dynamodb_read("dynamodb:Query"),
    ("dynamodb", "Scan"): _dynamodb_read("dynamodb:Scan"),
    ("dynamodb", "TransactWriteItems"): _dynamodb_transact_write,
    ("dynamodb", "TransactGetItems"): _dynamodb_transact_get,
    ("dynamodb", "BatchWriteItem"): _dynamodb_batch_write,
    ("dynamodb", "BatchGetItem"): _dynamodb_batch_get,
    ("dynamodb", "DescribeTable"): _dynamodb_item("dynamodb:DescribeTable"),
    ("sesv2", "SendEmail"): _sesv2_send,
    ("ses", "SendEmail"): _ses_v1_send("ses:SendEmail"),
    ("ses", "SendRawEmail"): _ses_v1_send("ses:SendRawEmail"),
    ("lambda", "Invoke"): _lambda_invoke,
    ("sqs", "SendMessage"): _sqs_send,
    ("sqs", "SendMessageBatch"): _sqs_send,
    ("sqs", "ReceiveMessage"): _sqs("sqs:ReceiveMessage"),
    ("sqs", "DeleteMessage"): _sqs("sqs:DeleteMessage"),
    ("sqs", "DeleteMessageBatch"): _sqs("sqs:DeleteMessage"),
    ("sqs", "ChangeMessageVisibility"): _sqs("sqs:ChangeMessageVisibility"),
    ("sqs", "ChangeMessageVisibilityBatch"): _sqs("sqs:ChangeMessageVisibility"),
    ("sqs", "GetQueueAttributes"): _sqs("sqs:GetQueueAttributes"),
    ("sns", "Publish"): _sns_publish,
    ("cognito-idp", "GetUser"): _no_iam,
    ("cognito-idp", "InitiateAuth"): _no_iam,
    ("cognito-idp", "RespondToAuthChallenge"): _no_iam,
    ("cognito-idp", "SignUp"): _no_iam,
    ("cognito-idp", "ConfirmSignUp"): _no_iam,
    ("cognito-idp", "GlobalSignOut"): _no_iam,
    ("cognito-idp", "RevokeToken"): _no_iam,
    ("cognito-idp", "ChangePassword"): _no_iam,
    ("cognito-idp", "DeleteUser"): _no_iam,
    ("cognito-idp", "ForgotPassword"): _no_iam,
    ("cognito-idp", "ConfirmForgotPassword"): _no_iam,
    ("cognito-idp", "AdminGetUser"): _user_pool("cognito-idp:AdminGetUser"),
    ("cognito-idp", "AdminDeleteUser"): _user_pool("cognito-idp:AdminDeleteUser"),
    ("cognito-idp", "AdminUserGlobalSignOut"): _user_pool("cognito-idp:AdminUserGlobalSignOut"),
    ("cognito-identity", "GetId"): _no_iam,
    ("cognito-identity", "GetCredentialsForIdentity"): _no_iam,
    ("cognito-identity", "GetOpenIdToken"): _no_iam,
}


def iam_requests(service: str, operation: str, params: dict[str, Any]) -> list[IamRequest]:
    """The IAM checks AWS makes for this call."""
    try:
        mapping = OPERATIONS[(service, operation)]
    except KeyError:
        raise UnmappedOperation(f"{service} {operation}: add its IAM action(s) to tests/iam/actions.py") from None
    return mapping(params)
