"""Publishing the web app (infra/publish_app.py) into app.yaml's bucket, on the local endpoint.

What S3 and CloudFront would do with it: S3 serves each object with the Content-Type and
Cache-Control it was put with (boto3 sends ``binary/octet-stream`` when none is given, and a
browser refuses a module script or a service worker of that type); app.yaml's cache policy keeps
an object as long as its Cache-Control says, so a long-lived page or sw.js would keep viewers on an
old build; and what CloudFront already holds stays until an invalidation.
"""

import json
import types
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.cloudfront.models import CloudFrontBackend

from infra import publish_app, stacks
from tests.infra import moto_cloudformation

BUILD = {
    "index.html": b"<!doctype html><script type=module src=app.js></script>",
    "app.js": b'import("./chunks/files-ABC123.js")',
    "app.css": b"body{}",
    "sw.js": b"self.addEventListener('fetch',()=>{})",
    "manifest.webmanifest": b"{}",
    "icon-192.png": b"\x89PNG",
    "chunks/files-ABC123.js": b"export{}",
    "config.json": b'{"awsEndpoint": "http://127.0.0.1:5000"}',  # a local one, never published
}
CONFIG = {"region": "us-east-1", "apiOrigin": "https://todo-api.example.com", "awsEndpoint": None}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    for key, body in BUILD.items():
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(body)
    return tmp_path


@pytest.fixture
def aws(local_aws: str) -> dict[str, Any]:
    clients = {name: boto3.client(name, region_name="us-east-1") for name in ("s3", "cloudfront")}
    clients["s3"].create_bucket(Bucket="myblog-dev-app")
    origin = {
        "Id": "app",
        "DomainName": "myblog-dev-app.s3.us-east-1.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    created = clients["cloudfront"].create_distribution(
        DistributionConfig={
            "CallerReference": "app",
            "Comment": "",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": "redirect-to-https"},
        }
    )
    clients["distribution_id"] = created["Distribution"]["Id"]
    return clients


def publish(aws: dict[str, Any], dist: Path, s3: Any = None) -> list[str]:
    return publish_app.publish(
        s3 or aws["s3"], aws["cloudfront"], "myblog-dev-app", aws["distribution_id"], dist, CONFIG
    )


def head(aws: dict[str, Any], key: str) -> dict[str, Any]:
    return dict(aws["s3"].head_object(Bucket="myblog-dev-app", Key=key))


def test_every_file_is_served_with_the_type_a_browser_requires(aws, dist) -> None:
    publish(aws, dist)

    assert head(aws, "index.html")["ContentType"] == "text/html; charset=utf-8"
    # Module scripts and service workers of any other type are refused by the browser.
    for script in ("app.js", "sw.js", "chunks/files-ABC123.js"):
        assert head(aws, script)["ContentType"] == "text/javascript; charset=utf-8"
    assert head(aws, "app.css")["ContentType"] == "text/css; charset=utf-8"
    assert head(aws, "manifest.webmanifest")["ContentType"] == "application/manifest+json"
    assert head(aws, "icon-192.png")["ContentType"] == "image/png"
    assert head(aws, "config.json")["ContentType"] == "application/json"


def test_only_hashed_chunks_are_cached_long_and_the_page_worker_and_config_are_revalidated(aws, dist) -> None:
    publish(aws, dist)

    assert head(aws, "chunks/files-ABC123.js")["CacheControl"] == "public, max-age=31536000, immutable"
    # Same names in every build: kept longer, CloudFront and browsers would serve the old build
    # (and an old sw.js keeps the old shell cached offline).
    for key in ("index.html", "sw.js", "app.js", "app.css", "manifest.webmanifest", "icon-192.png", "config.json"):
        assert head(aws, key)["CacheControl"] == "no-cache", key


def test_config_json_comes_from_the_stacks_not_from_the_local_build(aws, dist) -> None:
    publish(aws, dist)

    body = aws["s3"].get_object(Bucket="myblog-dev-app", Key="config.json")["Body"].read()
    assert json.loads(body) == CONFIG


def test_a_page_is_never_published_before_the_files_it_loads(aws, dist) -> None:
    order: list[str] = []
    recording = types.SimpleNamespace(
        put_object=lambda **kwargs: order.append(kwargs["Key"]) or aws["s3"].put_object(**kwargs)
    )

    publish(aws, dist, s3=recording)

    assert order[0] == "chunks/files-ABC123.js"
    assert order[-2:] == ["sw.js", "index.html"]
    assert set(order) == set(BUILD)


def test_a_republish_invalidates_every_unhashed_file_and_the_root(aws, dist) -> None:
    publish(aws, dist)
    publish(aws, dist)

    listed = aws["cloudfront"].list_invalidations(DistributionId=aws["distribution_id"])["InvalidationList"]
    assert listed["Quantity"] == 2  # each publish its own: a repeated CallerReference would be ignored
    invalidation = aws["cloudfront"].get_invalidation(
        DistributionId=aws["distribution_id"], Id=listed["Items"][0]["Id"]
    )["Invalidation"]
    paths = invalidation["InvalidationBatch"]["Paths"]["Items"]
    # "/" is cached apart from /index.html (DefaultRootObject); chunks never change.
    assert sorted(paths) == sorted(["/", *(f"/{key}" for key in BUILD if not key.startswith("chunks/"))])


def test_there_is_nothing_to_publish_without_a_build(aws, tmp_path) -> None:
    with pytest.raises(SystemExit, match="make web"):
        publish(aws, tmp_path)


def record_invalidations(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """moto's CloudFormation makes no distribution (a stand-in id, tests/infra/moto_cloudformation.py),
    so CloudFront would answer NoSuchDistribution: record the invalidation of a stand-in instead."""
    recorded: list[list[str]] = []
    create = CloudFrontBackend.create_invalidation

    def create_invalidation(self: CloudFrontBackend, dist_id: str, paths: list[str], caller_ref: str) -> Any:
        if not dist_id.endswith("-standin"):
            return create(self, dist_id, paths, caller_ref)
        recorded.append(paths)
        distribution = types.SimpleNamespace(distribution_id=dist_id)
        return types.SimpleNamespace(
            id=f"I{len(recorded)}",
            status="InProgress",
            create_time="2026-01-01T00:00:00Z",
            paths=paths,
            caller_ref=caller_ref,
            distribution=distribution,
            location=f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{dist_id}/invalidation/I{len(recorded)}",
        )

    monkeypatch.setattr(CloudFrontBackend, "create_invalidation", create_invalidation)
    return recorded


def test_the_command_publishes_with_the_todo_stacks_ids_and_the_stages_api(local_aws, dist, monkeypatch) -> None:
    moto_cloudformation.teach(monkeypatch)
    invalidations = record_invalidations(monkeypatch)
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    apigateway = boto3.client("apigateway", region_name="us-east-1")
    api_id = apigateway.create_rest_api(name="myblog-todo-dev")["id"]
    stacks.deploy(cloudformation, "todo", "dev", {})
    stacks.deploy(cloudformation, "app", "dev", stacks.app_api_origin(apigateway, "todo_dev"))

    assert publish_app.main(["todo_dev", "--dist", str(dist)]) == 0

    todo = stacks.outputs(cloudformation, "todo", "dev")
    app = stacks.outputs(cloudformation, "app", "dev")
    body = boto3.client("s3").get_object(Bucket=app["AppBucketName"], Key="config.json")["Body"].read()
    assert json.loads(body) == {
        "region": "us-east-1",
        "userPoolId": todo["UserPoolId"],
        "clientId": todo["UserPoolClientId"],
        "identityPoolId": todo["IdentityPoolId"],
        "bucket": todo["UserFilesBucketName"],
        # todo_dev has no custom domain: Zappa's paths start with the stage on execute-api.
        "apiOrigin": f"https://{api_id}.execute-api.us-east-1.amazonaws.com/todo_dev",
        "awsEndpoint": None,
        "authFlow": "USER_SRP_AUTH",  # SRP in AWS: the password never leaves the browser
    }
    parameters = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in cloudformation.describe_stacks(StackName="myblog-dev-app")["Stacks"][0]["Parameters"]
    }
    # The CSP's connect-src names an origin, no path.
    assert parameters["ApiOrigin"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
    assert len(invalidations) == 1


def test_a_stage_with_a_custom_domain_is_called_there() -> None:
    # todo_production's domain (zappa certify): served at its root, no REST API lookup needed.
    assert stacks.api_url(None, "todo_production") == "https://todo-api.example.com"
    assert stacks.app_api_origin(None, "todo_production") == {"ApiOrigin": "https://todo-api.example.com"}


def test_a_blog_stage_is_refused_before_anything_is_read_or_published(capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        publish_app.main(["blog_dev"])

    assert exit.value.code == 2
    assert "the app calls a todo stage (todo_<env>), not blog_dev" in capsys.readouterr().err
