"""The local endpoint answers a browser's CORS preflight of an S3 object as S3 does: from the
bucket's CORS rules (infra/todo.yaml, UserFilesBucket), whatever the object's ACL. moto alone
answers 403 for any private object, so the web app could never read or delete an attachment."""

import boto3
import pytest
import requests
from django.conf import settings

pytestmark = [pytest.mark.aws]

SDK_HEADERS = "amz-sdk-invocation-id,amz-sdk-request,authorization,x-amz-content-sha256,x-amz-date,x-amz-security-token"


@pytest.mark.parametrize("method", ["GET", "DELETE", "HEAD"])
def test_the_preflight_of_a_private_object_is_answered_from_the_buckets_cors_rules(local_aws, method):
    bucket = settings.USER_FILES_BUCKET
    boto3.client("s3", endpoint_url=local_aws).put_object(Bucket=bucket, Key="users/someone/a b.txt", Body=b"x")

    answer = requests.options(
        f"{local_aws}/{bucket}/users/someone/a%20b.txt?x-id=GetObject",
        headers={
            "Origin": "http://localhost:8000",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": SDK_HEADERS,
        },
        timeout=5,
    )

    assert answer.status_code == 200
    assert method in answer.headers["Access-Control-Allow-Methods"]
    assert answer.headers["Access-Control-Expose-Headers"] == "ETag"  # the bucket's rule, not moto's blanket CORS
