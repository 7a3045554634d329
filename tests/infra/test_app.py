"""The web app's hosting (infra/app.yaml): a private bucket read only by its own CloudFront
distribution, over HTTPS, with a Content-Security-Policy that lets the app reach exactly the
API, Cognito's two services and the user-files bucket the app uses (clients/web/)."""

from typing import Any

from infra.templates import Template, load

API = "https://todo-api.example.org"
BUCKET = "myblog-production-user-files"


def app(**parameters: str) -> Template:
    return load("app.yaml", Env="production", ApiOrigin=API, UserFilesBucketName=BUCKET, **parameters)


def policy_of(template: Template) -> dict[str, str]:
    headers = template.resolve(template.resources["AppHeadersPolicy"]["Properties"])
    text = headers["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert text["Override"] is True  # the bucket's objects carry no CSP of their own to keep
    directives = [part.split(None, 1) for part in text["ContentSecurityPolicy"].split("; ")]
    return {name: " ".join(value.split()) for name, value in directives}


def distribution(template: Template) -> dict[str, Any]:
    return dict(template.resolve(template.resources["Distribution"]["Properties"]["DistributionConfig"]))


def test_the_app_may_reach_only_the_api_cognito_and_the_user_files_bucket():
    csp = policy_of(app())

    assert csp["connect-src"].split() == [
        "'self'",
        API,
        "https://cognito-idp.us-east-1.amazonaws.com",  # amazon-cognito-identity-js's endpoint
        "https://cognito-identity.us-east-1.amazonaws.com",  # GetId, GetCredentialsForIdentity
        f"https://{BUCKET}.s3.us-east-1.amazonaws.com",  # the S3 client: list, get, delete
        f"https://{BUCKET}.s3.amazonaws.com",  # the API's presigned POST (boto3's global name)
    ]


def test_the_app_runs_no_inline_script_or_style_and_cannot_be_framed():
    csp = policy_of(app())

    assert csp["script-src"] == csp["style-src"] == "'self'"
    assert "unsafe" not in " ".join(csp.values())
    assert csp["worker-src"] == "'self'"  # the service worker
    assert csp["frame-ancestors"] == csp["object-src"] == "'none'"


def test_the_bucket_is_private_and_read_only_by_this_distribution():
    template = app()
    bucket = template.resolve(template.resources["AppBucket"]["Properties"])
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    statement = template.resolve(template.resources["AppBucketPolicy"]["Properties"])["PolicyDocument"]["Statement"]

    assert statement == [
        {
            "Sid": "OnlyThisDistributionReads",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::myblog-production-app/*",
            "Condition": {
                "StringEquals": {"AWS:SourceArn": statement[0]["Condition"]["StringEquals"]["AWS:SourceArn"]}
            },
        }
    ]
    assert statement[0]["Condition"]["StringEquals"]["AWS:SourceArn"].startswith(
        "arn:aws:cloudfront::123456789012:distribution/"
    )
    origin = distribution(template)["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["AppOriginAccessControl", "Id"]}


def test_viewers_get_the_page_over_https_with_the_headers_policy():
    template = app()
    config = distribution(template)
    behaviour = config["DefaultCacheBehavior"]

    assert config["DefaultRootObject"] == "index.html"
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert behaviour["ResponseHeadersPolicyId"] == template.resolve({"Ref": "AppHeadersPolicy"})
    assert "Aliases" not in config and config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


def test_the_cache_follows_each_objects_cache_control():
    template = app()
    cache = template.resolve(template.resources["AppCachePolicy"]["Properties"])["CachePolicyConfig"]

    # DefaultTTL 0: an object without Cache-Control (the page, sw.js, config.json) is never kept stale.
    assert (cache["MinTTL"], cache["DefaultTTL"]) == (0, 0)
    assert cache["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
