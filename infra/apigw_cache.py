"""A safe API Gateway stage cache for a Zappa stage (DESIGN decision 9).

Zappa's REST API has one catch-all ``ANY`` method on ``/`` and on ``/{proxy+}``, each with an
empty cache-key list: with the stage cache on, every path, query and user would share one entry.
After every ``zappa deploy`` / ``zappa update`` (Zappa's ``callbacks.post`` runs this; by hand:
``python -m infra.apigw_cache STAGE``) this module, idempotently:

- adds an explicit ``GET`` method next to each ``ANY`` (same Lambda integration and authorizer)
  whose cache key is the path, the query strings the service reads and, per service, a header:
  ``Authorization`` for the to-do API (one entry per user), ``Cookie`` for the blog (readers send
  none and share entries; a signed-in admin gets their own);
- caches only those ``GET`` methods: ``ANY`` keeps every other method (POST, PATCH, DELETE...)
  uncached, and paths that must never be cached (the admin, the health check) get resources of
  their own with an uncached ``ANY``;
- deploys the stage, then sets its cache cluster and the TTL per service, and refuses cache
  flushes from clients that are not IAM-authorized (``Cache-Control: max-age=0`` from the
  internet is ignored).

A client refreshing after its own write: the to-do API answers every write with the new state
of the to-do (and its ETag), so the app updates its copy from the answer; to re-read the list
at once, it adds ``fresh=<anything new>`` (e.g. the ``updated_at`` it got back) to the query,
which is part of the cache key and so misses the cache. Otherwise a list is at most
``ttl_seconds`` old (30 s for the to-do API). The blog's readers never write.
"""

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CachePlan:
    ttl_seconds: int
    # Only declared query strings can be cache keys, so this lists every one the service reads;
    # others (e.g. utm_*) are ignored by the app and may share the entry.
    query_strings: tuple[str, ...]
    headers: tuple[str, ...] = ()
    # First path segments that get resources of their own and are never cached.
    uncached: tuple[str, ...] = ()
    cluster_size: str = "0.5"


PLANS = {
    "blog": CachePlan(
        ttl_seconds=300,
        # Pages (?page, ?tag), API (?search, ?page_size), sitemap (?p), schema (?format, ?lang).
        query_strings=("page", "tag", "search", "page_size", "p", "format", "lang"),
        headers=("Cookie",),
        uncached=("admin", "healthz", "unsubscribe"),
    ),
    "todo": CachePlan(
        ttl_seconds=30,
        query_strings=("limit", "cursor", "fresh"),
        headers=("Authorization",),
    ),
}


def _escape(path: str) -> str:
    """A resource path as method-settings paths write it: '/' → '~1'."""
    return path.replace("/", "~1")


def apply_cache_plan(
    apigw: Any, *, api_id: str, stage: str, plan: CachePlan, out: Callable[[str], None] = print
) -> None:
    resources = {r["path"]: r for r in _resources(apigw, api_id)}
    root, proxy = resources["/"], resources["/{proxy+}"]
    method = apigw.get_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY")
    integration = method["methodIntegration"]

    def ensure_method(resource: dict[str, Any], http_method: str, cache_key: list[str]) -> None:
        if http_method in resource.get("resourceMethods", {}):
            apigw.delete_method(restApiId=api_id, resourceId=resource["id"], httpMethod=http_method)
        auth = {"authorizationType": method["authorizationType"]}
        if method.get("authorizerId"):
            auth["authorizerId"] = method["authorizerId"]
        apigw.put_method(
            restApiId=api_id,
            resourceId=resource["id"],
            httpMethod=http_method,
            requestParameters={name: name == "method.request.path.proxy" for name in cache_key},
            **auth,
        )
        apigw.put_integration(
            restApiId=api_id,
            resourceId=resource["id"],
            httpMethod=http_method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=integration["uri"],
            passthroughBehavior="NEVER",
            cacheNamespace=resource["id"],
            cacheKeyParameters=cache_key,
            **({"credentials": integration["credentials"]} if integration.get("credentials") else {}),
        )

    shared_key = [f"method.request.querystring.{name}" for name in plan.query_strings]
    shared_key += [f"method.request.header.{name}" for name in plan.headers]
    ensure_method(root, "GET", shared_key)
    ensure_method(proxy, "GET", ["method.request.path.proxy", *shared_key])
    out(f"  GET / and /{{proxy+}}: cache key = path + {', '.join(plan.query_strings + plan.headers)}")

    for part in plan.uncached:
        top = resources.get(f"/{part}") or apigw.create_resource(restApiId=api_id, parentId=root["id"], pathPart=part)
        below = resources.get(f"/{part}/{{proxy+}}") or apigw.create_resource(
            restApiId=api_id, parentId=top["id"], pathPart="{proxy+}"
        )
        for resource in (top, below):
            ensure_method(resource, "ANY", [])
        out(f"  /{part} and /{part}/*: never cached")

    # Deploy first: the stage's method settings may name only methods its deployment has.
    apigw.create_deployment(restApiId=api_id, stageName=stage, description="Cache keys and TTLs (infra.apigw_cache)")
    settings = {
        "/cacheClusterEnabled": "true",
        "/cacheClusterSize": plan.cluster_size,
        "/*/*/caching/enabled": "false",
        "/*/*/caching/requireAuthorizationForCacheControl": "true",
        "/*/*/caching/unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITHOUT_RESPONSE_HEADER",
    }
    for path in ("/", "/{proxy+}"):
        prefix = f"/{_escape(path)}/GET/caching"
        settings |= {f"{prefix}/enabled": "true", f"{prefix}/ttlInSeconds": str(plan.ttl_seconds)}
        settings[f"{prefix}/dataEncrypted"] = "true"
    apigw.update_stage(
        restApiId=api_id,
        stageName=stage,
        patchOperations=[{"op": "replace", "path": path, "value": value} for path, value in settings.items()],
    )
    out(f"  stage {stage}: cache cluster {plan.cluster_size} GB, GET cached {plan.ttl_seconds} s, deployed")


def _resources(apigw: Any, api_id: str) -> list[dict[str, Any]]:
    pages = apigw.get_paginator("get_resources").paginate(restApiId=api_id, embed=["methods"])
    return [item for page in pages for item in page["items"]]


def service_of(stage: str) -> str:
    """Stages are named <service>_<environment> (zappa_settings.json)."""
    service = stage.split("_", 1)[0]
    if service not in PLANS:
        raise SystemExit(f"Stage {stage!r} is not <service>_<env> with a service among {sorted(PLANS)}.")
    return service


def zappa_post_callback(cli: Any) -> None:
    """Zappa's ``callbacks.post``: runs on the operator's machine after deploy and update."""
    print(f"Setting the API Gateway cache of {cli.api_stage}")
    api_id = cli.zappa.get_api_id(cli.lambda_name)
    plan = PLANS[service_of(cli.api_stage)]
    apply_cache_plan(cli.zappa.apigateway_client, api_id=api_id, stage=cli.api_stage, plan=plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", help="a stage of zappa_settings.json, e.g. blog_production")
    args = parser.parse_args(argv)
    import boto3

    config = json.loads((ROOT / "zappa_settings.json").read_text())
    if args.stage not in config:
        parser.error(f"no stage {args.stage!r} in zappa_settings.json")
    stage_config = {**config.get(config[args.stage].get("extends", ""), {}), **config[args.stage]}
    api_name = f"{stage_config['project_name']}-{args.stage}".replace("_", "-")
    apigw = boto3.client("apigateway", region_name=stage_config.get("aws_region"))
    apis = [api for page in apigw.get_paginator("get_rest_apis").paginate() for api in page["items"]]
    match = [api["id"] for api in apis if api["name"] == api_name]
    if len(match) != 1:
        parser.error(f"expected one REST API named {api_name}, found {len(match)}: deploy the stage first")
    print(f"Setting the API Gateway cache of {args.stage} ({api_name}, {match[0]})")
    apply_cache_plan(apigw, api_id=match[0], stage=args.stage, plan=PLANS[service_of(args.stage)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
