"""Operations map to the IAM checks AWS's Service Authorization Reference lists for them."""

import pytest

from .actions import IamRequest, UnmappedOperation, iam_requests

BUCKET = "arn:aws:s3:::media"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/todos"


def test_head_bucket_is_list_bucket_without_a_prefix():
    assert iam_requests("s3", "HeadBucket", {"Bucket": "media"}) == [IamRequest("s3:ListBucket", BUCKET)]


def test_a_listing_carries_its_prefix_and_page_size_as_condition_keys():
    [request] = iam_requests("s3", "ListObjectsV2", {"Bucket": "media", "Prefix": "uploads/", "MaxKeys": 1})

    assert (request.action, request.resource) == ("s3:ListBucket", BUCKET)
    assert dict(request.context) == {"s3:prefix": "uploads/", "s3:max-keys": "1"}


def test_head_object_is_get_object_on_the_object():
    assert iam_requests("s3", "HeadObject", {"Bucket": "media", "Key": "uploads/a.jpg"}) == [
        IamRequest("s3:GetObject", f"{BUCKET}/uploads/a.jpg")
    ]


def test_a_transaction_needs_each_items_own_action_on_its_table():
    items = [
        {"Put": {"TableName": "todos"}},
        {"Update": {"TableName": "todos"}},
        {"Delete": {"TableName": "todos"}},
        {"ConditionCheck": {"TableName": "todos"}},
    ]

    assert [r.action for r in iam_requests("dynamodb", "TransactWriteItems", {"TransactItems": items})] == [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ]


def test_a_query_on_an_index_is_authorized_on_the_index():
    [request] = iam_requests("dynamodb", "Query", {"TableName": "todos", "IndexName": "by-position"})

    assert request == IamRequest("dynamodb:Query", f"{TABLE}/index/by-position")


def test_sesv2_send_email_needs_the_identity_and_the_configuration_set_of_the_raw_message():
    raw = b"X-SES-CONFIGURATION-SET: mail\r\nFrom: Blog <news@blog.example.com>\r\n\r\nHello"
    params = {"FromEmailAddress": "Blog <news@blog.example.com>", "Content": {"Raw": {"Data": raw}}}

    assert [(r.action, r.resource) for r in iam_requests("sesv2", "SendEmail", params)] == [
        ("ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/blog.example.com"),
        ("ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:configuration-set/mail"),
    ]


def test_an_async_invoke_is_invoke_function_on_the_function():
    assert iam_requests("lambda", "Invoke", {"FunctionName": "myblog-blog-production"}) == [
        IamRequest("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:myblog-blog-production")
    ]


def test_cognito_calls_made_with_the_users_own_token_need_no_iam():
    assert iam_requests("cognito-idp", "GetUser", {"AccessToken": "token"}) == []


def test_an_operation_nobody_mapped_yet_is_an_error_not_a_pass():
    with pytest.raises(UnmappedOperation, match="s3 PutBucketPolicy"):
        iam_requests("s3", "PutBucketPolicy", {"Bucket": "media"})
