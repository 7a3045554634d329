"""Publish the MyToDoList web app (clients/web/dist/, built by ``make web``) to app.yaml's bucket.

    python -m infra.publish_app STAGE [--dist DIR]     # e.g. todo_production

Uploads every built file with the Content-Type a browser needs (a module script or a service
worker of another type is refused) and a Cache-Control that CloudFront honours (app.yaml's cache
policy follows each object's): ``chunks/`` carry a hash of their content in their names and are
immutable for a year; every other file keeps its name across builds (the page, ``app.js``,
``sw.js``, the manifest, the icons) and is revalidated on every request. Then ``config.json``
from the stacks' outputs and the stage's API address, and last an invalidation of the files
without a hash, which CloudFront may still hold from the previous build. Chunks go first and the
page and service worker last, so a viewer never gets a page whose files are not there yet; old
chunks stay, for tabs still running the previous build. boto3 finds credentials as usual.
"""

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

from infra import stacks
from infra.cli import aws_failures_reported
from infra.templates import INFRA_DIR
from infra.zappa_stages import service_and_env, stage_config

DIST = INFRA_DIR.parent / "clients" / "web" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Files a browser must get with exactly this type; the rest by their extension.
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}
# Loaded last: what names the others (the page, and the worker that caches the shell).
LAST = ("sw.js", "index.html")


def content_type(key: str) -> str:
    suffix = Path(key).suffix
    return TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def cache_control(key: str) -> str:
    return IMMUTABLE if key.startswith("chunks/") else REVALIDATE


def upload_order(keys: list[str]) -> list[str]:
    """Hashed chunks first, then the files that load them, the page and service worker last."""

    def rank(key: str) -> int:
        return 0 if key.startswith("chunks/") else 2 + LAST.index(key) if key in LAST else 1

    return sorted(keys, key=lambda key: (rank(key), key))


def app_config(region: str, todo: dict[str, str], api_url: str) -> dict[str, Any]:
    """config.json: what web_app.config answers locally, for AWS (SRP: the password never leaves)."""
    return {
        "region": region,
        "userPoolId": todo["UserPoolId"],
        "clientId": todo["UserPoolClientId"],
        "identityPoolId": todo["IdentityPoolId"],
        "bucket": todo["UserFilesBucketName"],
        "apiOrigin": api_url,
        "awsEndpoint": None,
        "authFlow": "USER_SRP_AUTH",
    }


def invalidation_paths(keys: list[str]) -> list[str]:
    """The files without a hash, and "/": CloudFront caches the root (DefaultRootObject) apart
    from /index.html."""
    return ["/", *sorted(f"/{key}" for key in keys if cache_control(key) != IMMUTABLE)]


def publish(
    s3: Any, cloudfront: Any, bucket: str, distribution_id: str, dist: Path, config: dict[str, Any]
) -> list[str]:
    """Upload the build and config.json, invalidate the unhashed files; returns the keys uploaded."""
    if not (dist / "index.html").is_file():
        raise SystemExit(f"no build in {dist}: run `make web` first")
    files = {path.relative_to(dist).as_posix(): path for path in dist.rglob("*") if path.is_file()}
    files.pop("config.json", None)  # a local one never goes out: it is written from the stacks
    body = {key: path.read_bytes() for key, path in files.items()} | {"config.json": json.dumps(config).encode()}
    keys = upload_order(list(body))
    for key in keys:
        s3.put_object(
            Bucket=bucket, Key=key, Body=body[key], ContentType=content_type(key), CacheControl=cache_control(key)
        )
    cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths := invalidation_paths(keys)), "Items": paths},
            "CallerReference": f"publish-app-{time.time_ns()}",  # unique: a repeat would be ignored
        },
    )
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", help="the todo stage the app calls, e.g. todo_production")
    parser.add_argument("--dist", type=Path, default=DIST, help="the build (default clients/web/dist/)")
    args = parser.parse_args(argv)
    service, env = service_and_env(args.stage)
    if service != "todo":  # a blog stage would publish an app whose every call goes to the blog
        parser.error(f"the app calls a todo stage (todo_<env>), not {args.stage}")
    region = stage_config(args.stage)["aws_region"]
    import boto3

    with aws_failures_reported():
        cloudformation = boto3.client("cloudformation", region_name=region)
        try:
            todo = stacks.outputs(cloudformation, "todo", env)
            app = stacks.outputs(cloudformation, "app", env)
            api_url = stacks.api_url(boto3.client("apigateway", region_name=region), args.stage)
        except stacks.DeployError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        keys = publish(
            boto3.client("s3", region_name=region),
            boto3.client("cloudfront", region_name=region),
            app["AppBucketName"],
            app["DistributionId"],
            args.dist,
            app_config(region, todo, api_url),
        )
    print(f"{len(keys)} files in s3://{app['AppBucketName']}/, the app at https://{app['DistributionDomainName']}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
