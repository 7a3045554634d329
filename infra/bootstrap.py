"""Create the local AWS resources from the templates in infra/ (docs/architecture.md, decision 10).

Usage: python -m infra.bootstrap [--env local]

Talks to whatever endpoint AWS_ENDPOINT_URL names (the local moto server by default). Every
step is idempotent: running it again leaves what exists, creates what is missing and puts the
declared bucket settings (versioning, encryption, public access block, CORS, lifecycle) again.

Template parameters are the templates' defaults, with Env set and the overrides of
PARAMETERS[env] (e.g. locally the admin's browser uploads come from http://127.0.0.1:8000).

Not created locally: cdn.yaml and updates_cdn.yaml (CloudFront distributions, Origin Access Control, cache
policy and function, and the media bucket policy). moto cannot serve a CDN, and locally the site
links media and static files to the moto endpoint directly (settings.AWS_S3_CUSTOM_DOMAIN
without CDN_DOMAIN), so nothing local goes through them. Resource types without a
creator in CREATORS are skipped.
"""

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.templates import Template, all_templates

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"

# Per-env template parameter values that differ from the templates' defaults. Values are
# strings, as the CloudFormation CLI takes them (a CommaDelimitedList is comma-separated).
PARAMETERS: dict[str, dict[str, str]] = {
    "local": {
        "AdminOrigins": "http://127.0.0.1:8000,http://localhost:8000",
        "MediaBucketName": "myblog-local-media",
        # The domain of settings.DEFAULT_FROM_EMAIL's local default.
        "MailDomain": "myblog.localhost",
    },
}


def _client(service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL", DEFAULT_ENDPOINT),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        config=Config(signature_version="s3v4", retries={"max_attempts": 2}),
    )


def create_bucket(template: Template, logical_id: str) -> str:
    s3 = _client("s3")
    name = template.physical_name(logical_id)
    props = template.properties(logical_id)
    try:
        s3.head_bucket(Bucket=name)
        state = "exists"
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise
        s3.create_bucket(Bucket=name)
        state = "created"
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
    if "BucketEncryption" in props:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                # CloudFormation and the S3 API name the same setting differently.
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                    for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                ]
            },
        )
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "CorsConfiguration" in props:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration=cors_configuration(props["CorsConfiguration"]))
    if "LifecycleConfiguration" in props:
        lifecycle = props["LifecycleConfiguration"]
        extra = {key: lifecycle[key] for key in ("TransitionDefaultMinimumObjectSize",) if key in lifecycle}
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration=lifecycle_configuration(lifecycle), **extra
        )
    return f"s3 bucket {name}: {state}"


# CloudFormation and the S3 API name the same CORS and lifecycle settings differently. Unknown
# properties raise, so a template change cannot be dropped silently on the local endpoint.
_CORS_KEYS = {
    "Id": "ID",
    "AllowedHeaders": "AllowedHeaders",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "ExposedHeaders": "ExposeHeaders",
    "MaxAge": "MaxAgeSeconds",
}


def cors_configuration(cfn: dict[str, Any]) -> dict[str, Any]:
    """AWS::S3::Bucket CorsConfiguration -> the CORSConfiguration of put_bucket_cors."""
    return {"CORSRules": [_renamed(rule, _CORS_KEYS) for rule in cfn["CorsRules"]]}


def lifecycle_configuration(cfn: dict[str, Any]) -> dict[str, Any]:
    """AWS::S3::Bucket LifecycleConfiguration -> the LifecycleConfiguration of put_bucket_lifecycle_configuration."""
    return {"Rules": [_lifecycle_rule(rule) for rule in cfn["Rules"]]}


def _lifecycle_rule(cfn: dict[str, Any]) -> dict[str, Any]:
    cfn = dict(cfn)
    rule: dict[str, Any] = {"Status": cfn.pop("Status")}
    if "Id" in cfn:
        rule["ID"] = cfn.pop("Id")

    # Prefix, TagFilters and the object size limits are one Filter in the API (And when several).
    conditions: dict[str, Any] = {}
    if "Prefix" in cfn:
        conditions["Prefix"] = cfn.pop("Prefix")
    tags = cfn.pop("TagFilters", [])
    for key in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        if key in cfn:
            conditions[key] = int(cfn.pop(key))
    if len(conditions) + len(tags) > 1:
        rule["Filter"] = {"And": {**conditions, **({"Tags": tags} if tags else {})}}
    elif tags:
        rule["Filter"] = {"Tag": tags[0]}
    else:
        rule["Filter"] = conditions or {"Prefix": ""}

    expiration = {
        api: cfn.pop(key) for key, api in (("ExpirationInDays", "Days"), ("ExpirationDate", "Date")) if key in cfn
    }
    if "ExpiredObjectDeleteMarker" in cfn:
        expiration["ExpiredObjectDeleteMarker"] = cfn.pop("ExpiredObjectDeleteMarker")
    if expiration:
        rule["Expiration"] = expiration

    transitions = cfn.pop("Transitions", []) + ([cfn.pop("Transition")] if "Transition" in cfn else [])
    if transitions:
        rule["Transitions"] = [
            _renamed(t, {"TransitionInDays": "Days", "TransitionDate": "Date", "StorageClass": "StorageClass"})
            for t in transitions
        ]
    noncurrent = cfn.pop("NoncurrentVersionTransitions", []) + (
        [cfn.pop("NoncurrentVersionTransition")] if "NoncurrentVersionTransition" in cfn else []
    )
    if noncurrent:
        rule["NoncurrentVersionTransitions"] = [
            _renamed(
                t,
                {
                    "TransitionInDays": "NoncurrentDays",
                    "StorageClass": "StorageClass",
                    "NewerNoncurrentVersions": "NewerNoncurrentVersions",
                },
            )
            for t in noncurrent
        ]

    if "NoncurrentVersionExpirationInDays" in cfn:  # the deprecated short form
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": cfn.pop("NoncurrentVersionExpirationInDays")}
    if "NoncurrentVersionExpiration" in cfn:  # same names: NoncurrentDays, NewerNoncurrentVersions
        rule["NoncurrentVersionExpiration"] = cfn.pop("NoncurrentVersionExpiration")
    if "AbortIncompleteMultipartUpload" in cfn:  # same name: DaysAfterInitiation
        rule["AbortIncompleteMultipartUpload"] = cfn.pop("AbortIncompleteMultipartUpload")

    if cfn:
        raise ValueError(f"lifecycle rule properties the local bootstrap does not map: {sorted(cfn)}")
    return rule


def _renamed(cfn: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    unknown = set(cfn) - set(names)
    if unknown:
        raise ValueError(f"properties the local bootstrap does not map: {sorted(unknown)}")
    return {names[key]: value for key, value in cfn.items()}


# Resource type -> how to create it locally. Types not listed here are not needed locally.
def create_bucket_policy(template: Template, logical_id: str) -> str:
    """Locally there is no CloudFront: let readers fetch what CloudFront would serve (the same
    actions on the same prefixes) straight from the endpoint, so pages show their images."""
    props = template.properties(logical_id)
    statements = []
    for statement in props["PolicyDocument"]["Statement"]:
        local = {key: value for key, value in statement.items() if key != "Condition"}
        if "cloudfront.amazonaws.com" in json.dumps(statement.get("Principal", {})):
            local["Principal"] = "*"
        statements.append(local)
    policy = {**props["PolicyDocument"], "Statement": statements}
    _client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(policy))
    return f"s3 bucket policy {props['Bucket']}: applied (CloudFront reads become anonymous reads locally)"


def create_ses_configuration_set(template: Template, logical_id: str) -> str:
    """Only the name matters locally: django-ses names the set in every message it sends."""
    name = template.properties(logical_id)["Name"]
    sesv2 = _client("sesv2")
    try:
        sesv2.get_configuration_set(ConfigurationSetName=name)
        state = "exists"
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("NotFoundException", "ConfigurationSetDoesNotExist"):
            raise
        sesv2.create_configuration_set(ConfigurationSetName=name)
        state = "created"
    return f"ses configuration set {name}: {state}"


def create_ses_identity(template: Template, logical_id: str) -> str:
    """A verified identity, so the local SES accepts mail From it (MessageRejected otherwise).
    moto verifies at once; in AWS the DKIM records of the stack's outputs do it."""
    identity = template.properties(logical_id)["EmailIdentity"]
    sesv2 = _client("sesv2")
    try:
        sesv2.get_email_identity(EmailIdentity=identity)
        state = "exists"
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NotFoundException":
            raise
        sesv2.create_email_identity(EmailIdentity=identity)
        state = "created"
    return f"ses identity {identity}: {state}"


# --- infra/todo.yaml: the to-dos table and Cognito -------------------------------------------
# moto's CloudFormation skips GlobalTable and every Cognito type, so they are made by API here.
# Ids (pool, client, identity pool) are generated by the endpoint; every creator finds an
# existing resource by its declared name first, and the Django side looks the ids up the same way.

# AWS::DynamoDB::GlobalTable properties that CreateTable takes as they are.
_TABLE_KEYS = ("TableName", "AttributeDefinitions", "KeySchema", "LocalSecondaryIndexes", "GlobalSecondaryIndexes")
_TABLE_SETTINGS = _TABLE_KEYS + ("BillingMode", "SSESpecification", "StreamSpecification", "Replicas")


def create_global_table(template: Template, logical_id: str) -> str:
    """The table in this region only: a local endpoint has no other regions to replicate to.
    The replica of the template's own region gives point-in-time recovery and deletion protection."""
    raw = template.resources[logical_id]["Properties"]
    unknown = set(raw) - set(_TABLE_SETTINGS)
    if unknown:
        raise ValueError(f"global table properties the local bootstrap does not map: {sorted(unknown)}")
    # Only these are resolved: replicas of other regions use functions the loader leaves alone.
    args: dict[str, Any] = {key: template.resolve(raw[key]) for key in _TABLE_KEYS if key in raw}
    args["BillingMode"] = template.resolve(raw.get("BillingMode", "PROVISIONED"))
    if "SSESpecification" in raw:
        sse = template.resolve(raw["SSESpecification"])
        args["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled")), "SSEType": sse.get("SSEType", "KMS")}
    if "StreamSpecification" in raw:
        view = template.resolve(raw["StreamSpecification"])["StreamViewType"]
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    home = template.resolve(next((r for r in raw.get("Replicas", []) if r.get("Region") == {"Ref": "AWS::Region"}), {}))
    args["DeletionProtectionEnabled"] = bool(home.get("DeletionProtectionEnabled", False))
    dynamodb = _client("dynamodb")
    name = args["TableName"]
    try:
        dynamodb.describe_table(TableName=name)
        state = "exists"
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        dynamodb.create_table(**args)
        state = "created"
    if home.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return f"dynamodb table {name}: {state}"


# AWS::Cognito::UserPool property -> CreateUserPool argument (same shapes, one new name).
_USER_POOL_KEYS = {
    "UserPoolName": "PoolName",
    "UsernameAttributes": "UsernameAttributes",
    "AutoVerifiedAttributes": "AutoVerifiedAttributes",
    "UsernameConfiguration": "UsernameConfiguration",
    "Policies": "Policies",
    "AccountRecoverySetting": "AccountRecoverySetting",
    "Schema": "Schema",
    "DeletionProtection": "DeletionProtection",
    "MfaConfiguration": "MfaConfiguration",
}
_USER_POOL_CLIENT_KEYS = {
    "UserPoolId": "UserPoolId",
    "ClientName": "ClientName",
    "GenerateSecret": "GenerateSecret",
    "ExplicitAuthFlows": "ExplicitAuthFlows",
    "PreventUserExistenceErrors": "PreventUserExistenceErrors",
    "EnableTokenRevocation": "EnableTokenRevocation",
    "AccessTokenValidity": "AccessTokenValidity",
    "IdTokenValidity": "IdTokenValidity",
    "RefreshTokenValidity": "RefreshTokenValidity",
    "TokenValidityUnits": "TokenValidityUnits",
}


def user_pool_id_by_name(name: str) -> str | None:
    for page in _client("cognito-idp").get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return str(pool["Id"])
    return None


def user_pool_client_id_by_name(pool_id: str, name: str) -> str | None:
    pages = _client("cognito-idp").get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60)
    for page in pages:
        for app in page["UserPoolClients"]:
            if app["ClientName"] == name:
                return str(app["ClientId"])
    return None


def _pool_id_of(template: Template, pool_logical_id: str) -> str:
    name = template.physical_name(pool_logical_id)
    pool_id = user_pool_id_by_name(name)
    if pool_id is None:
        raise ValueError(f"user pool {name} must be created first (CREATORS order)")
    return pool_id


def create_user_pool(template: Template, logical_id: str) -> str:
    args = _renamed(template.properties(logical_id), _USER_POOL_KEYS)
    name = args["PoolName"]
    if user_pool_id_by_name(name):
        return f"cognito user pool {name}: exists"
    _client("cognito-idp").create_user_pool(**args)
    return f"cognito user pool {name}: created"


def create_user_pool_client(template: Template, logical_id: str) -> str:
    raw = template.resources[logical_id]["Properties"]
    args = _renamed(template.properties(logical_id), _USER_POOL_CLIENT_KEYS)
    # Ref of a pool is its id in AWS; locally the pool is found by its name.
    args["UserPoolId"] = _pool_id_of(template, raw["UserPoolId"]["Ref"])
    if user_pool_client_id_by_name(args["UserPoolId"], args["ClientName"]):
        return f"cognito app client {args['ClientName']}: exists"
    _client("cognito-idp").create_user_pool_client(**args)
    return f"cognito app client {args['ClientName']}: created"


def create_identity_pool(template: Template, logical_id: str) -> str:
    """The identity pool and its user-pool provider. Not locally: the role attachment and the
    principal-tag map (moto implements neither; it also hands credentials to any token)."""
    raw = template.resources[logical_id]["Properties"]
    name = template.resolve(raw["IdentityPoolName"])
    providers = []
    for provider in raw.get("CognitoIdentityProviders", []):
        pool_logical_id = provider["ProviderName"]["Fn::GetAtt"][0]
        pool_id = _pool_id_of(template, pool_logical_id)
        client_props = template.resources[provider["ClientId"]["Ref"]]["Properties"]
        client_id = user_pool_client_id_by_name(pool_id, template.resolve(client_props["ClientName"]))
        providers.append(
            {
                "ProviderName": f"cognito-idp.{pool_id.split('_', 1)[0]}.amazonaws.com/{pool_id}",
                "ClientId": client_id,
                "ServerSideTokenCheck": bool(template.resolve(provider.get("ServerSideTokenCheck", False))),
            }
        )
    identity = _client("cognito-identity")
    for page in identity.get_paginator("list_identity_pools").paginate(MaxResults=60):
        if any(pool["IdentityPoolName"] == name for pool in page["IdentityPools"]):
            return f"cognito identity pool {name}: exists"
    identity.create_identity_pool(
        IdentityPoolName=name,
        AllowUnauthenticatedIdentities=bool(template.resolve(raw.get("AllowUnauthenticatedIdentities", False))),
        CognitoIdentityProviders=providers,
    )
    return f"cognito identity pool {name}: created"


def create_queue(template: Template, logical_id: str) -> str:
    """An SQS queue with its timeouts and its redrive to a dead-letter queue declared before it
    (newsletter.yaml): make run and the tests consume the fan-out queue as Lambda would."""
    sqs = _client("sqs")
    name = template.physical_name(logical_id)
    declared = template.resources[logical_id].get("Properties", {})
    attributes = {key: str(declared[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod") if key in declared}
    if redrive := declared.get("RedrivePolicy"):
        dead_letters = template.physical_name(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0])
        dead_url = sqs.get_queue_url(QueueName=dead_letters)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": arn, "maxReceiveCount": redrive["maxReceiveCount"]}
        )
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    if attributes:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return f"sqs queue {name}: ready"


CREATORS: dict[str, Callable[[Template, str], str]] = {
    "AWS::S3::Bucket": create_bucket,
    "AWS::S3::BucketPolicy": create_bucket_policy,
    "AWS::SES::ConfigurationSet": create_ses_configuration_set,
    "AWS::SES::EmailIdentity": create_ses_identity,
    "AWS::DynamoDB::GlobalTable": create_global_table,
    # Pools before their clients, clients before the identity pool that names them.
    "AWS::Cognito::UserPool": create_user_pool,
    "AWS::Cognito::UserPoolClient": create_user_pool_client,
    "AWS::Cognito::IdentityPool": create_identity_pool,
    "AWS::SQS::Queue": create_queue,
}


def bootstrap(env: str = "local", out: Callable[[str], None] = print) -> list[str]:
    done = []
    templates = all_templates(Env=env, **PARAMETERS.get(env, {}))
    # In the order of CREATORS, so that buckets exist before their policies, whatever the file.
    for resource_type, creator in CREATORS.items():
        for template in templates:
            for logical_id, resource in template.resources.items():
                if resource["Type"] == resource_type:
                    line = creator(template, logical_id)
                    out(f"  {template.path.name}: {line}")
                    done.append(line)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="local", help="value of the templates' Env parameter (default: local)")
    args = parser.parse_args(argv)
    print(f"Creating local AWS resources on {os.environ.get('AWS_ENDPOINT_URL', DEFAULT_ENDPOINT)}")
    bootstrap(args.env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
