"""Create the local AWS resources from the templates in infra/ (DESIGN decision 10).

Usage: python -m infra.bootstrap [--env local]

Talks to whatever endpoint AWS_ENDPOINT_URL names (the local moto server by default). Every
step is idempotent: running it again leaves what exists and creates what is missing.
"""

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.templates import Template, all_templates

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


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
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": props["CorsConfiguration"]["CorsRules"]})
    return f"s3 bucket {name}: {state}"


# Resource type -> how to create it locally. Types not listed here are not needed locally.
CREATORS: dict[str, Callable[[Template, str], str]] = {"AWS::S3::Bucket": create_bucket}


def bootstrap(env: str = "local", out: Callable[[str], None] = print) -> list[str]:
    done = []
    for template in all_templates(Env=env):
        for logical_id, resource in template.resources.items():
            creator = CREATORS.get(resource["Type"])
            if creator is None:
                continue
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
