import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from django.conf import settings

from infra.bootstrap import bootstrap
from infra.templates import all_templates, load

ROOT = Path(__file__).resolve().parents[2]


def test_every_aws_resource_the_code_uses_is_declared_in_infra():
    declared = {
        template.physical_name(logical_id)
        for template in all_templates(Env="local")
        for logical_id in template.resources
    }
    used_by_settings = {settings.MEDIA_BUCKET}
    assert used_by_settings <= declared


@pytest.mark.parametrize("stage", ["blog_dev", "blog_production", "todo_dev", "todo_production"])
def test_every_bucket_and_table_a_zappa_stage_names_is_declared_in_infra(stage):
    config = json.loads((ROOT / "zappa_settings.json").read_text())[stage]
    env = config.get("environment_variables")
    named = {env.get(name) for name in ("MEDIA_BUCKET", "USER_FILES_BUCKET", "TODO_TABLE")} - {None}
    declared = {t.physical_name(r) for t in all_templates(Env=stage.split("_", 1)[1]) for r in t.resources}
    assert named and {*named, urlsplit(config["remote_env"]).netloc} <= declared


def test_the_bootstrap_creates_the_bucket_as_declared_and_can_run_again(local_aws):
    done = bootstrap("local", out=lambda line: None)
    assert {
        "s3 bucket myblog-local-media: exists",
        "s3 bucket myblog-local-config: exists",
        "s3 bucket policy myblog-local-media: applied (CloudFront reads become anonymous reads locally)",
    } <= set(done)
    assert [line for line in done if line.endswith(": created")] == []  # a second run creates nothing
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")
    bucket = load("storage.yaml", Env="local").physical_name("MediaBucket")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bucket_names_follow_the_environment_parameter():
    assert load("storage.yaml", Env="production").physical_name("MediaBucket") == "myblog-production-media"


@pytest.mark.slow
def test_cfn_lint_reports_nothing_on_any_template():
    templates = sorted(str(p) for p in (ROOT / "infra").glob("*.yaml"))
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), *templates], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_locally_only_what_cloudfront_serves_is_readable_without_credentials(local_aws):
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")
    for key in ("renditions/1/w320.webp", "static/site.css", "uploads/abc/original.jpg"):
        s3.put_object(Bucket="myblog-local-media", Key=key, Body=b"x")
    anonymous = {
        key: requests.get(f"{local_aws}/myblog-local-media/{key}", timeout=5).status_code
        for key in ("renditions/1/w320.webp", "static/site.css", "uploads/abc/original.jpg")
    }
    assert anonymous == {"renditions/1/w320.webp": 200, "static/site.css": 200, "uploads/abc/original.jpg": 403}
