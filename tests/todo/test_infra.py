"""infra/todo.yaml: what the code uses is declared there, and the local bootstrap builds it."""

import boto3
import pytest
from django.conf import settings

from infra.templates import load
from todo import cognito


@pytest.fixture
def template():
    return load("todo.yaml", Env="local")


def test_the_names_the_settings_use_locally_are_the_ones_todo_yaml_declares(template):
    declared = {
        "TODO_TABLE": template.physical_name("TodosTable"),
        "USER_FILES_BUCKET": template.physical_name("UserFilesBucket"),
        "COGNITO_USER_POOL_NAME": template.physical_name("UserPool"),
        "COGNITO_APP_CLIENT_NAME": template.properties("UserPoolClient")["ClientName"],
        "COGNITO_IDENTITY_POOL_NAME": template.properties("IdentityPool")["IdentityPoolName"],
    }

    assert declared == {name: getattr(settings, name) for name in declared}


def test_the_bootstrap_creates_the_table_as_declared(local_aws, template):
    dynamodb = boto3.client("dynamodb", endpoint_url=local_aws, region_name="us-east-1")
    declared = template.properties("TodosTable")

    table = dynamodb.describe_table(TableName=settings.TODO_TABLE)["Table"]

    assert table["KeySchema"] == declared["KeySchema"]
    assert [index["IndexName"] for index in table["LocalSecondaryIndexes"]] == ["by-position"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["DeletionProtectionEnabled"] is True
    backups = dynamodb.describe_continuous_backups(TableName=settings.TODO_TABLE)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_the_bootstrap_creates_the_pool_and_a_public_app_client(local_aws):
    idp = boto3.client("cognito-idp", endpoint_url=local_aws, region_name="us-east-1")

    pool = idp.describe_user_pool(UserPoolId=cognito.user_pool_id())["UserPool"]
    client = idp.describe_user_pool_client(UserPoolId=cognito.user_pool_id(), ClientId=cognito.app_client_id())

    assert pool["UsernameAttributes"] == ["email"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert "ClientSecret" not in client["UserPoolClient"]
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(
        client["UserPoolClient"]["ExplicitAuthFlows"]
    )


def test_the_identity_pool_trusts_exactly_our_pool_and_client(local_aws):
    identity = boto3.client("cognito-identity", endpoint_url=local_aws, region_name="us-east-1")

    pool = identity.describe_identity_pool(IdentityPoolId=cognito.identity_pool_id())

    assert pool["AllowUnauthenticatedIdentities"] is False
    assert pool["CognitoIdentityProviders"] == [
        {
            "ProviderName": f"cognito-idp.us-east-1.amazonaws.com/{cognito.user_pool_id()}",
            "ClientId": cognito.app_client_id(),
            "ServerSideTokenCheck": True,
        }
    ]


def test_the_authenticated_role_allows_s3_only_in_the_users_own_folder(template):
    role = template.resources["AuthenticatedRole"]["Properties"]
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    tag_map = template.resources["IdentityPoolSubTag"]["Properties"]

    assert tag_map["PrincipalTags"] == {"sub": "sub"}
    assert statements["ReadAndDeleteInOwnFolder"]["Resource"] == {
        "Fn::Sub": "${UserFilesBucket.Arn}/users/${!aws:PrincipalTag/sub}/*"
    }
    # Uploads only through the API's presigned POST (tests/iam/test_app_role.py).
    assert statements["ReadAndDeleteInOwnFolder"]["Action"] == ["s3:GetObject", "s3:DeleteObject"]
    assert statements["ListOwnFolderOnly"]["Action"] == "s3:ListBucket"
    assert statements["ListOwnFolderOnly"]["Condition"] == {
        "StringLike": {"s3:prefix": ["users/${aws:PrincipalTag/sub}/", "users/${aws:PrincipalTag/sub}/*"]}
    }
    assert set(statements) == {"ReadAndDeleteInOwnFolder", "ListOwnFolderOnly"}
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert set(trust["Action"]) == {"sts:AssumeRoleWithWebIdentity", "sts:TagSession"}


def test_the_table_keeps_its_data(template):
    table = template.resources["TodosTable"]
    home = table["Properties"]["Replicas"][0]

    assert table["DeletionPolicy"] == "Retain"
    assert home["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert home["DeletionProtectionEnabled"] is True
    assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True


def test_dax_is_all_behind_the_enable_dax_parameter_with_a_short_query_ttl(template):
    dax = {name: r for name, r in template.resources.items() if r["Type"].startswith("AWS::DAX::")}

    assert {r["Type"] for r in dax.values()} == {
        "AWS::DAX::Cluster",
        "AWS::DAX::SubnetGroup",
        "AWS::DAX::ParameterGroup",
    }
    assert all(r.get("Condition") == "UseDax" for r in dax.values())
    assert template.resources["DaxSecurityGroup"]["Condition"] == "UseDax"
    assert template.condition("UseDax") is False
    assert load("todo.yaml", EnableDax="true").condition("UseDax") is True
    ttl = template.resources["DaxParameterGroup"]["Properties"]["ParameterNameValues"]["query-ttl-millis"]
    assert template.resolve(ttl) <= 5000
