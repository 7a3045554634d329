"""The CDN in front of the blog, the media bucket behind it and the upload event (docs/architecture.md, decisions 2, 8, 9).

The templates are read through infra.templates, as the local bootstrap reads them; the local
bucket settings and the S3 notification Zappa installs are checked on the moto endpoint.
"""

import io
import json
import os
import runpy
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from zappa.cli import ZappaCLI
from zappa.utilities import S3EventSource

from infra.bootstrap import lifecycle_configuration
from infra.templates import Template, load

ROOT = Path(__file__).resolve().parents[2]
ENVS = ["dev", "production"]
STAGES = [f"blog_{env}" for env in ENVS]  # the stages with the upload event
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
PUBLIC_PREFIXES = {"static/", "renditions/"}
UPLOAD_FUNCTION = "media.events.on_upload"


def cdn(env: str = "production", **parameters: str) -> Template:
    """cdn.yaml with the parameters its deploy takes from the storage stack of the same Env."""
    storage = load("storage.yaml", Env=env)
    bucket = storage.physical_name("MediaBucket")
    defaults = {
        "MediaBucketName": bucket,
        "MediaBucketRegionalDomainName": f"{bucket}.s3.us-east-1.amazonaws.com",
        "BlogApiDomainName": "abc123.execute-api.us-east-1.amazonaws.com",
        "BlogApiOriginPath": f"/{env}",
        "OriginSecret": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
    }
    return load("cdn.yaml", **{**defaults, **parameters})


def logical_id(template: Template, resource_type: str) -> str:
    (found,) = [name for name, resource in template.resources.items() if resource["Type"] == resource_type]
    return found


def distribution_config(template: Template) -> dict[str, Any]:
    return template.properties(logical_id(template, "AWS::CloudFront::Distribution"))["DistributionConfig"]


def behaviours(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]


def origins_by_id(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {origin["Id"]: origin for origin in config["Origins"]}


def s3_behaviours(config: dict[str, Any]) -> list[dict[str, Any]]:
    origins = origins_by_id(config)
    return [b for b in behaviours(config) if "S3OriginConfig" in origins[b["TargetOriginId"]]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def stage_config(stage: str) -> dict[str, Any]:
    """The stage's settings as Zappa merges them (`extends` merges top-level keys only)."""
    cli = ZappaCLI()
    cli.zappa_settings = json.loads((ROOT / "zappa_settings.json").read_text())
    cli.api_stage = stage
    return cli.stage_config


def upload_event_source(stage: str) -> dict[str, Any]:
    (event,) = [e for e in stage_config(stage).get("events", []) if e.get("function") == UPLOAD_FUNCTION]
    return event["event_source"]


# --- CloudFront ----------------------------------------------------------------------------------


def test_only_static_and_renditions_are_served_from_the_media_bucket():
    config = distribution_config(cdn())
    patterns = {b["PathPattern"] for b in s3_behaviours(config)}
    assert patterns == {"/static/*", "/renditions/*"}
    assert not any("uploads" in b.get("PathPattern", "") for b in behaviours(config))
    assert not any("users" in b.get("PathPattern", "") for b in behaviours(config))


def test_the_default_behaviour_goes_to_the_blog_api_over_tls12_only():
    config = distribution_config(cdn())
    default = config["DefaultCacheBehavior"]
    origin = origins_by_id(config)[default["TargetOriginId"]]
    assert origin["DomainName"] == "abc123.execute-api.us-east-1.amazonaws.com"
    assert origin["OriginPath"] == "/production"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    # The admin posts; the API Gateway origin needs its own Host header, everything else passes.
    assert set(default["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER


def test_a_custom_domain_origin_gets_no_origin_path():
    config = distribution_config(cdn(BlogApiDomainName="origin.blog.example.com", BlogApiOriginPath=""))
    origin = origins_by_id(config)[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert origin["DomainName"] == "origin.blog.example.com"
    assert "OriginPath" not in origin


def test_the_blog_is_cached_only_as_its_cache_control_says_keyed_on_path_and_query():
    template = cdn()
    policy_ref = distribution_config(template)["DefaultCacheBehavior"]["CachePolicyId"]
    policy = template.properties(policy_ref)["CachePolicyConfig"]
    assert template.resources[policy_ref]["Type"] == "AWS::CloudFront::CachePolicy"
    assert (policy["MinTTL"], policy["DefaultTTL"], policy["MaxTTL"]) == (0, 0, 365 * 24 * 3600)
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    assert key["CookiesConfig"]["CookieBehavior"] == "none"
    assert key["HeadersConfig"]["HeaderBehavior"] == "none"
    assert key["EnableAcceptEncodingGzip"] and key["EnableAcceptEncodingBrotli"]


def test_every_behaviour_sends_viewers_to_https_and_compresses():
    for behaviour in behaviours(distribution_config(cdn())):
        assert behaviour["ViewerProtocolPolicy"] in ("redirect-to-https", "https-only")
        assert behaviour["Compress"] is True


def test_the_bucket_behaviours_are_read_only_and_cached_with_caching_optimized():
    for behaviour in s3_behaviours(distribution_config(cdn())):
        assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD"}
        assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED


def test_the_bucket_origin_is_reached_only_through_an_origin_access_control():
    template = cdn()
    config = distribution_config(template)
    (bucket_origin,) = [o for o in config["Origins"] if "S3OriginConfig" in o]
    assert bucket_origin["DomainName"] == "myblog-production-media.s3.us-east-1.amazonaws.com"
    assert bucket_origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    oac_id = logical_id(template, "AWS::CloudFront::OriginAccessControl")
    assert bucket_origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    oac = template.properties(oac_id)["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )


@pytest.mark.parametrize("env", ENVS)
def test_the_bucket_policy_lets_only_this_distribution_get_only_the_public_prefixes(env):
    template = cdn(env)
    bucket = load("storage.yaml", Env=env).physical_name("MediaBucket")
    policy = template.properties(logical_id(template, "AWS::S3::BucketPolicy"))
    distribution = logical_id(template, "AWS::CloudFront::Distribution")
    assert policy["Bucket"] == bucket
    statements = policy["PolicyDocument"]["Statement"]
    assert statements
    granted = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert as_list(statement["Action"]) == ["s3:GetObject"]
        # The resolver gives a resource's logical id for its Ref, i.e. "this distribution".
        assert statement["Condition"] == {
            "StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::123456789012:distribution/{distribution}"}
        }
        granted.update(as_list(statement["Resource"]))
    assert granted == {f"arn:aws:s3:::{bucket}/{prefix}*" for prefix in PUBLIC_PREFIXES}


def test_without_a_certificate_the_distribution_uses_the_cloudfront_one():
    config = distribution_config(cdn())
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert "Aliases" not in config
    assert config["HttpVersion"] == "http2and3"
    assert config["PriceClass"] == "PriceClass_100"


def test_aliases_come_with_their_acm_certificate():
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
    config = distribution_config(cdn(Aliases="blog.example.com, www.blog.example.com", CertificateArn=arn))
    assert config["Aliases"] == ["blog.example.com", "www.blog.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": arn,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }


def test_the_stack_outputs_what_the_blog_stage_needs():
    template = cdn()
    outputs = template.body["Outputs"]
    distribution = logical_id(template, "AWS::CloudFront::Distribution")
    assert outputs["DistributionId"]["Value"] == {"Ref": distribution}
    assert outputs["DistributionDomainName"]["Value"] == {"Fn::GetAtt": [distribution, "DomainName"]}


# --- The upload event ----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_watches_its_own_media_bucket_for_uploads_only(stage):
    source = upload_event_source(stage)
    bucket = load("storage.yaml", Env=stage.split("_", 1)[1]).physical_name("MediaBucket")
    assert source["arn"] == f"arn:aws:s3:::{bucket}"
    assert stage_config(stage)["environment_variables"]["MEDIA_BUCKET"] == bucket
    assert source["events"] == ["s3:ObjectCreated:*"]
    # Read the filter the way the pinned Zappa reads it (it ignores kappa's old key_filters).
    zappa_source = S3EventSource(boto3.Session(region_name="us-east-1"), source)
    assert zappa_source.prefix == "uploads/"
    assert zappa_source.suffix == ""


@pytest.mark.parametrize("stage", STAGES)
def test_a_thumbnail_never_triggers_the_upload_event(stage):
    prefix = S3EventSource(boto3.Session(region_name="us-east-1"), upload_event_source(stage)).prefix
    assert prefix, "an empty prefix would watch the whole bucket"
    assert "uploads/42/photo.jpg".startswith(prefix)
    for key in ("renditions/42/640.webp", "static/css/site.0123abcd.css", "users/abc/notes.txt"):
        assert not key.startswith(prefix)
    assert not any(public.startswith(prefix) or prefix.startswith(public) for public in PUBLIC_PREFIXES)


@pytest.mark.parametrize("stage", STAGES)
def test_lambda_routes_the_bucket_events_to_the_upload_function(stage, tmp_path):
    """Zappa's generated settings map the bucket ARN to the function the handler imports."""
    result = subprocess.run(
        [
            Path(sys.executable).with_name("zappa"),
            "save-python-settings-file",
            stage,
            "-o",
            tmp_path / "zappa_settings.py",
        ],
        cwd=ROOT,
        env={**os.environ, "VIRTUAL_ENV": sys.prefix},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    generated = runpy.run_path(str(tmp_path / "zappa_settings.py"))
    # (The newsletter's queue is the other event source: tests/newsletter/test_zappa_events.py.)
    assert generated["AWS_EVENT_MAPPING"][upload_event_source(stage)["arn"]] == [UPLOAD_FUNCTION]


def test_zappa_installs_the_upload_notification_with_its_prefix_filter(local_aws):
    """What `zappa schedule` puts on the bucket, done by Zappa's own code on the local endpoint."""
    bucket = load("storage.yaml", Env="local").physical_name("MediaBucket")
    kwargs = {"endpoint_url": local_aws, "region_name": "us-east-1"}
    role = boto3.client("iam", **kwargs).create_role(
        RoleName="myblog-dev-ZappaLambdaExecutionRole", AssumeRolePolicyDocument="{}"
    )
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(event, context):\n    return None\n")
    function = boto3.client("lambda", **kwargs).create_function(
        FunctionName="myblog-dev",
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="handler.lambda_handler",
        Code={"ZipFile": code.getvalue()},
    )
    source = {**upload_event_source("blog_dev"), "arn": f"arn:aws:s3:::{bucket}"}

    S3EventSource(boto3.Session(region_name="us-east-1"), source).add(function["FunctionArn"])

    s3 = boto3.client("s3", **kwargs)
    (notification,) = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert notification["LambdaFunctionArn"] == function["FunctionArn"]
    assert notification["Events"] == ["s3:ObjectCreated:*"]
    assert notification["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "uploads/"}]
    # Without ":" in the id, Zappa's handler finds the function through AWS_EVENT_MAPPING.
    assert ":" not in notification["Id"]


# --- The media bucket ----------------------------------------------------------------------------


def test_the_local_media_bucket_lets_the_dev_servers_browser_post_uploads(local_aws):
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")
    bucket = load("storage.yaml", Env="local").physical_name("MediaBucket")
    (rule,) = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert "POST" in rule["AllowedMethods"]
    assert set(rule["AllowedMethods"]) == {"POST", "GET", "HEAD"}
    assert rule["AllowedOrigins"] == ["http://127.0.0.1:8000", "http://localhost:8000"]
    assert rule["AllowedHeaders"] == ["*"]
    assert rule["ExposeHeaders"] == ["ETag"]
    assert rule["MaxAgeSeconds"] == 3000


def test_the_deployed_media_bucket_allows_the_admin_origin_given_at_deploy():
    props = load("storage.yaml", Env="production").properties("MediaBucket")
    assert props["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] == ["https://blog.example.com"]
    custom = load("storage.yaml", Env="production", AdminOrigins="https://a.example, https://b.example")
    assert custom.properties("MediaBucket")["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] == [
        "https://a.example",
        "https://b.example",
    ]


def test_the_media_bucket_stays_private():
    props = load("storage.yaml", Env="production").properties("MediaBucket")
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"


def test_the_local_media_bucket_expires_old_versions_and_abandoned_uploads(local_aws):
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")
    bucket = load("storage.yaml", Env="local").physical_name("MediaBucket")
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Filter"] == {"Prefix": ""}
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7
    assert rule["Expiration"] == {"ExpiredObjectDeleteMarker": True}


def test_lifecycle_rules_are_renamed_from_cloudformation_to_the_s3_api():
    cfn = {
        "Rules": [
            {
                "Id": "archive",
                "Status": "Enabled",
                "Prefix": "renditions/",
                "TagFilters": [{"Key": "kind", "Value": "thumb"}],
                "ExpirationInDays": 365,
                "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}],
                "NoncurrentVersionTransitions": [{"StorageClass": "GLACIER", "TransitionInDays": 60}],
                "NoncurrentVersionExpirationInDays": 90,
            },
            {"Status": "Disabled", "Prefix": "uploads/"},
        ]
    }
    assert lifecycle_configuration(cfn) == {
        "Rules": [
            {
                "ID": "archive",
                "Status": "Enabled",
                "Filter": {"And": {"Prefix": "renditions/", "Tags": [{"Key": "kind", "Value": "thumb"}]}},
                "Expiration": {"Days": 365},
                "Transitions": [{"StorageClass": "STANDARD_IA", "Days": 30}],
                "NoncurrentVersionTransitions": [{"StorageClass": "GLACIER", "NoncurrentDays": 60}],
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
            },
            {"Status": "Disabled", "Filter": {"Prefix": "uploads/"}},
        ]
    }
    with pytest.raises(ValueError, match="Frobnicate"):
        lifecycle_configuration({"Rules": [{"Status": "Enabled", "Frobnicate": 1}]})
