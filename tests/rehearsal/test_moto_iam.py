"""The rehearsal's moto server asks IAM what AWS asks it: the (action, resource) pairs of a request."""

import json

from tests.rehearsal.moto_iam import aws_authorizations

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/"


def pairs(service: str, action: str, body: object = None, path: str = "/", resource: str = "*") -> list:
    raw = json.dumps(body) if body is not None else None
    return aws_authorizations(
        service=service,
        action=action,
        path=path,
        body=raw,
        region="us-east-1",
        account="123456789012",
        resource=resource,
    )


def test_a_dynamodb_transaction_needs_each_items_own_action_on_its_table() -> None:
    body = {
        "TransactItems": [
            {"Put": {"TableName": "todos", "Item": {}}},
            {"Update": {"TableName": "todos", "Key": {}}},
            {"ConditionCheck": {"TableName": "meta", "Key": {}}},
            {"Delete": {"TableName": "todos", "Key": {}}},
        ]
    }

    assert pairs("dynamodb", "dynamodb:TransactWriteItems", body) == [
        ("dynamodb:PutItem", TABLE + "todos"),
        ("dynamodb:UpdateItem", TABLE + "todos"),
        ("dynamodb:ConditionCheckItem", TABLE + "meta"),
        ("dynamodb:DeleteItem", TABLE + "todos"),
    ]


def test_dynamodb_reads_are_checked_on_the_table_or_the_index_they_read() -> None:
    assert pairs("dynamodb", "dynamodb:GetItem", {"TableName": "todos"}) == [("dynamodb:GetItem", TABLE + "todos")]
    assert pairs("dynamodb", "dynamodb:Query", {"TableName": "todos", "IndexName": "by-position"}) == [
        ("dynamodb:Query", TABLE + "todos/index/by-position")
    ]
    assert pairs("dynamodb", "dynamodb:BatchWriteItem", {"RequestItems": {"todos": []}}) == [
        ("dynamodb:BatchWriteItem", TABLE + "todos")
    ]


def test_a_lambda_invoke_is_lambda_invoke_function_on_the_function() -> None:
    assert pairs("lambda", "lambda:Invoke", path="/2015-03-31/functions/myblog-blog-dev/invocations") == [
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:myblog-blog-dev")
    ]


def test_sending_an_email_needs_the_identity_and_the_configuration_set() -> None:
    body = {"FromEmailAddress": "MyBlog <news@blog.example.com>", "ConfigurationSetName": "myblog-dev-mail"}

    assert pairs("ses", "ses:SendEmail", body, path="/v2/email/outbound-emails") == [
        ("ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/blog.example.com"),
        ("ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:configuration-set/myblog-dev-mail"),
    ]


def test_head_bucket_needs_list_bucket_and_other_requests_keep_what_moto_asks() -> None:
    bucket = "arn:aws:s3:::media"

    assert pairs("s3", "s3:HeadBucket", resource=bucket) == [("s3:ListBucket", bucket)]
    assert pairs("s3", "s3:GetObject", resource=f"{bucket}/uploads/a.jpg") == [
        ("s3:GetObject", f"{bucket}/uploads/a.jpg")
    ]


def test_an_sqs_batch_is_authorised_as_its_single_action_on_the_queue_its_url_names() -> None:
    """AWS has no sqs:SendMessageBatch permission (SQS Developer Guide, "Amazon SQS batch
    actions"): SendMessage allows both; moto asked for the batch action, on no queue."""
    body = {"QueueUrl": "http://127.0.0.1:4566/123456789012/myblog-dev-newsletter", "Entries": []}
    queue = "arn:aws:sqs:us-east-1:123456789012:myblog-dev-newsletter"

    assert pairs("sqs", "sqs:SendMessageBatch", body) == [("sqs:SendMessage", queue)]
    assert pairs("sqs", "sqs:DeleteMessageBatch", body) == [("sqs:DeleteMessage", queue)]
    assert pairs("sqs", "sqs:ChangeMessageVisibilityBatch", body) == [("sqs:ChangeMessageVisibility", queue)]
    assert pairs("sqs", "sqs:ReceiveMessage", body) == [("sqs:ReceiveMessage", queue)]
