"""Flows of the product evaluated against the roles they run under in production, with an IAM
simulator that evaluates conditions (moto enforces none). The session plugin (plugin.py) does the
same for every call of the whole suite; these tests name the flows that once failed or that the
rest of the suite only fakes (the async invocation, the mobile app's own S3 calls)."""

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from django.conf import settings

from infra.bootstrap import bootstrap
from media.services import UploadRejected, photo_upload_check
from myblog.health import health_report
from tests.todo.conftest import CognitoTestUser
from todo import cognito, user_files
from todo import services as todo_services

from . import recorder
from .conftest import denials, described
from .roles import production_roles


@pytest.mark.django_db
def test_the_health_check_of_both_services_needs_only_what_their_roles_allow(iam_calls):
    healthy, report = health_report()

    assert healthy, report
    found = denials(iam_calls)
    assert not found, described(found)
    assert {role for role, _ in iam_calls.checks} == {"blog", "todo"}


def test_a_photo_upload_that_never_arrived_is_rejected_with_only_what_the_blog_role_allows(iam_calls):
    """Without s3:ListBucket S3 answers 403, not 404, for a missing key: the check must not
    depend on a permission the role does not have."""
    with pytest.raises(UploadRejected, match="not found"):
        photo_upload_check(key="uploads/0123456789abcdef/never-uploaded.jpg")

    found = denials(iam_calls)
    assert not found, described(found)


def test_a_missing_user_file_is_not_found_with_only_what_the_todo_role_allows(alice, iam_calls):
    with pytest.raises(user_files.FileNotFound):
        todo_services.user_file_delete(owner=alice.sub, path="never/uploaded.txt")

    found = denials(iam_calls)
    assert not found, described(found)


@pytest.mark.django_db(transaction=True)
def test_an_async_task_on_lambda_invokes_the_blog_function_as_its_role_allows(monkeypatch, iam_calls):
    """Zappa's @task on Lambda: an asynchronous Invoke of the function itself (AWS_LAMBDA_FUNCTION_NAME)."""
    import zappa.asynchronous

    from notifications.services import subscriber_subscribe

    function = "myblog-blog-production"  # Zappa's name for the blog_production stage
    lambda_client = boto3.client("lambda", region_name="us-east-1")
    stubber = Stubber(lambda_client)
    stubber.add_response(
        "invoke", {"StatusCode": 202}, {"FunctionName": function, "InvocationType": "Event", "Payload": ANY}
    )
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", function)
    monkeypatch.setattr(zappa.asynchronous, "LAMBDA_CLIENT", lambda_client)

    with stubber:
        subscriber_subscribe(email="reader@example.com")
        stubber.assert_no_pending_responses()

    found = denials(iam_calls)
    assert not found, described(found)
    assert any(request.action == "lambda:InvokeFunction" for _, request in iam_calls.checks)


def test_the_mobile_app_uses_its_own_folder_with_identity_pool_credentials(alice, iam_calls):
    """What the app does with /api/me/'s answer: list, read and delete in users/<sub>/ (it uploads
    through the API's presigned POST: tests/iam/test_app_role.py)."""
    s3 = _app_s3(alice)
    bucket, folder = settings.USER_FILES_BUCKET, f"users/{alice.sub}/"
    uploaded = boto3.client("s3", endpoint_url=settings.AWS_ENDPOINT_URL, region_name=settings.AWS_REGION)
    uploaded.put_object(Bucket=bucket, Key=f"{folder}photos/cat.jpg", Body=b"cat")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=folder)
    assert s3.get_object(Bucket=bucket, Key=f"{folder}photos/cat.jpg")["Body"].read() == b"cat"
    s3.delete_object(Bucket=bucket, Key=f"{folder}photos/cat.jpg")

    assert [entry["Key"] for entry in listed["Contents"]] == [f"{folder}photos/cat.jpg"]
    found = denials(iam_calls)
    assert not found, described(found)
    assert {role for role, _ in iam_calls.checks} == {"app"}


def test_the_app_role_would_refuse_another_users_folder(alice, bob, iam_calls_denied_on_purpose):
    """The evaluation applies the role's principal tag: what moto lets through, AWS would not."""
    s3 = _app_s3(alice)

    s3.list_objects_v2(Bucket=settings.USER_FILES_BUCKET, Prefix=f"users/{bob.sub}/")

    found = denials(iam_calls_denied_on_purpose)
    assert [(denial.role, denial.request.action) for denial in found] == [("app", "s3:ListBucket")]
    assert "ListOwnFolderOnly allows the action but not its Condition" in found[0].describe()


def test_the_rendered_roles_are_the_production_ones():
    roles = production_roles()

    assert roles["blog"].principal.endswith(":assumed-role/myblog-production-blog-lambda/myblog-blog-production")
    assert roles["todo"].principal.endswith(":assumed-role/myblog-production-todo-lambda/myblog-todo-production")
    statements = [s for policy in roles["app"].policies for s in policy["policy"]["Statement"]]
    assert "arn:aws:s3:::myblog-production-user-files/users/${aws:PrincipalTag/sub}/*" in [
        s["Resource"] for s in statements
    ]


def test_the_local_bootstrap_and_lookups_by_name_are_not_production_calls(iam_calls):
    cognito.forget_resolved_ids()

    bootstrap("local", out=lambda line: None)
    cognito.user_pool_id()

    assert not iam_calls.checks
    assert {why for why, _ in iam_calls.excluded} == {
        "local bootstrap and operator tools",
        recorder.LOCAL_ONLY[("todo/cognito.py", "_pool_id_by_name")],
    }


def _app_s3(user: CognitoTestUser) -> Any:
    """An S3 client with the credentials the identity pool gives this user, as the app builds it."""
    region = settings.AWS_REGION
    identity = boto3.client("cognito-identity", endpoint_url=settings.AWS_ENDPOINT_URL, region_name=region)
    login = {f"cognito-idp.{region}.amazonaws.com/{cognito.user_pool_id()}": user.id_token}
    identity_id = identity.get_id(IdentityPoolId=cognito.identity_pool_id(), Logins=login)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=login)["Credentials"]
    return boto3.client(
        "s3",
        endpoint_url=settings.AWS_ENDPOINT_URL,
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )
