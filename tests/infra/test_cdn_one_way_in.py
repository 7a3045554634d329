"""CloudFront is the blog's only way in (docs/architecture.md, decision 13), as the templates and
the stages say it: the distribution proves itself to the blog with a secret header and carries the
readers' domain; no blog stage has an API Gateway custom domain that would bypass it; the secret
reaches the stage through its remote_env file; API Gateway's cache keys on the header.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.apigw_cache import PLANS
from infra.stage_env import SOURCES, Operator, required_variables
from infra.templates import Template, load
from myblog.core.origin import ORIGIN_HEADER, READ_QUERY_STRINGS
from tests.infra.test_cdn import distribution_config, logical_id, origins_by_id

ROOT = Path(__file__).resolve().parents[2]
SECRET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
# Headers CloudFront refuses to add to origin requests (Developer Guide, "Custom headers that
# CloudFront can't add to origin requests"); prefixes X-Amz- and X-Edge- too.
CLOUDFRONT_REFUSES = {
    "cache-control", "connection", "content-length", "cookie", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "max-forwards", "pragma", "proxy-authorization",
    "proxy-connection", "range", "request-range", "te", "trailer", "transfer-encoding", "upgrade", "via",
    "x-real-ip",
}  # fmt: skip


def cdn(**parameters: str) -> Template:
    defaults = {
        "MediaBucketName": "myblog-production-media",
        "MediaBucketRegionalDomainName": "myblog-production-media.s3.us-east-1.amazonaws.com",
        "BlogApiDomainName": "abc123.execute-api.us-east-1.amazonaws.com",
        "BlogApiOriginPath": "/blog_production",
        "OriginSecret": SECRET,
    }
    return load("cdn.yaml", **{**defaults, **parameters})


def test_cloudfront_sends_the_blog_the_origin_secret_in_the_header_the_blog_checks() -> None:
    blog = origins_by_id(distribution_config(cdn()))["blog-api"]

    assert blog["OriginCustomHeaders"] == [{"HeaderName": ORIGIN_HEADER, "HeaderValue": SECRET}]
    name = ORIGIN_HEADER.lower()
    assert name not in CLOUDFRONT_REFUSES and not name.startswith(("x-amz-", "x-edge-"))


def test_the_media_bucket_never_receives_the_secret() -> None:
    media = origins_by_id(distribution_config(cdn()))["media-bucket"]

    assert "OriginCustomHeaders" not in media


def test_the_secret_is_a_long_parameter_that_cloudformation_never_shows() -> None:
    declared = load("cdn.yaml").body["Parameters"]["OriginSecret"]

    assert declared["NoEcho"] is True
    assert declared["MinLength"] >= 32
    assert "Default" not in declared


def test_the_readers_domain_is_an_alias_of_the_distribution() -> None:
    template = cdn(Aliases="blog.example.com", CertificateArn=ARN)

    config = distribution_config(template)
    assert config["Aliases"] == ["blog.example.com"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == ARN
    assert logical_id(template, "AWS::CloudFront::Distribution")


@pytest.mark.parametrize("stage", ["blog_dev", "blog_production"])
def test_no_blog_stage_has_an_api_gateway_custom_domain_beside_the_cdn(stage: str) -> None:
    """`zappa certify` would map the readers' domain to API Gateway, straight past CloudFront."""
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    config = {**settings.get(settings[stage].get("extends", ""), {}), **settings[stage]}

    assert "domain" not in config
    assert "certificate_arn" not in config


def test_the_blog_stage_needs_the_secret_from_its_remote_env_file() -> None:
    assert "CDN_ORIGIN_SECRET" in required_variables("blog")
    assert "CDN_ORIGIN_SECRET" not in required_variables("todo")
    assert isinstance(SOURCES["CDN_ORIGIN_SECRET"], Operator)  # a secret: never in zappa_settings.json


def test_api_gateways_cache_keys_the_blog_on_the_origin_header() -> None:
    assert ORIGIN_HEADER in PLANS["blog"].headers


def test_api_gateways_cache_keys_the_blog_on_every_query_string_it_reads_and_no_other() -> None:
    """The ETag and every link leave out what is not in this list (myblog/core/origin.py)."""
    assert set(PLANS["blog"].query_strings) == READ_QUERY_STRINGS


def test_cfn_lint_reports_nothing_on_the_cdn_template() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(ROOT / "infra" / "cdn.yaml")], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr
