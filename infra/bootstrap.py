"""Create the local AWS resources from the templates in infra/ (DESIGN decision 10).

Usage: python -m infra.bootstrap [--env local]

Talks to whatever endpoint AWS_ENDPOINT_URL names (the local moto server by default). Every
step is idempotent: running it again leaves what exists, creates what is missing and puts the
declared bucket settings (versioning, encryption, public access block, CORS, lifecycle) again.

Template parameters are the templates' defaults, with Env set and the overrides of
PARAMETERS[env] (e.g. locally the admin's browser uploads come from http://127.0.0.1:8000).

Not created locally: cdn.yaml (the CloudFront distribution, its Origin Access Control, cache
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
    "local": {"AdminOrigins": "http://127.0.0.1:8000,http://localhost:8000", "MediaBucketName": "myblog-local-media"},
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


CREATORS: dict[str, Callable[[Template, str], str]] = {
    "AWS::S3::Bucket": create_bucket,
    "AWS::S3::BucketPolicy": create_bucket_policy,
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
