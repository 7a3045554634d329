"""The API Gateway of a Zappa stage as it must be served (docs/architecture.md, decisions 5 and 9).

Zappa's REST API has one catch-all ``ANY`` method on ``/`` and on ``/{proxy+}``, each with an
empty cache-key list: with the stage cache on, every path, query and user would share one entry.
After every ``zappa deploy`` / ``zappa update`` (Zappa's ``callbacks.post`` runs this; by hand:
``python -m infra.apigw_cache STAGE``) this module, idempotently:

- gives every method behind the Cognito authorizer the scope ``aws.cognito.signin.user.admin``.
  Without scopes a ``COGNITO_USER_POOLS`` authorizer accepts only ID tokens; with scopes it accepts
  only access tokens carrying one of them, and access tokens from the user-pools API (InitiateAuth)
  carry exactly that scope. The app accepts access tokens only (``todo/tokens.py``), so both
  layers agree. ``OPTIONS`` (CORS preflight) stays without authorizer;
- adds an explicit ``GET`` method next to each ``ANY`` (same Lambda integration, authorizer and
  scopes) whose cache key is the path, the query strings the service reads, and every request
  header that selects the answer: the caller (``Authorization``, ``Cookie``), the conditional
  headers (a cached 304 or 412 must never reach a request that did not ask for it: API Gateway
  caches the integration's answer whatever its status), content negotiation (``Accept``: 406), the
  forwarded host (links; 400 for a host not allowed) and, for CORS, ``Origin``;
- caches only those ``GET`` methods: ``ANY`` keeps every other method (POST, PATCH, DELETE...)
  uncached, and paths that must never be cached (the admin, the health check) get resources of
  their own with an uncached ``ANY``;
- deploys the stage with the cache cluster exactly as zappa_settings.json says
  (``cache_cluster_enabled``/``_size``, the values Zappa's own deployment passed a moment before,
  so the cluster is never switched off or resized), caches the ``GET`` methods for
  ``cache_cluster_ttl`` seconds, and refuses cache flushes from clients that are not
  IAM-authorized (``Cache-Control: max-age=0`` from the internet is ignored).

An answer is kept for the TTL whatever its status: API Gateway ignores the integration's
``Cache-Control`` and has no per-status rule for proxy integrations. So a 503 of an outage can be
served again for its key until the TTL ends. So the to-do app must retry a 5xx (and re-read after
its own write) with a new ``fresh=<anything>``, which is part of the key and misses the cache; for
the blog, ``python -m infra.apigw_cache STAGE --flush`` empties the stage cache after an incident.
"""

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The scope of every access token the user-pools API issues (InitiateAuth, REFRESH_TOKEN_AUTH).
ACCESS_TOKEN_SCOPES = ("aws.cognito.signin.user.admin",)
COGNITO = "COGNITO_USER_POOLS"

# Request headers that change a cached GET's answer in either service (checked by
# tests/infra/test_apigw_cache.py against the app itself).
_ANSWER_HEADERS = (
    "Accept",
    "X-Forwarded-Host",
    "If-None-Match",
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
)


@dataclass(frozen=True)
class CachePlan:
    # Only declared query strings can be cache keys, so this lists every one the service reads;
    # others (e.g. utm_*) are ignored by the app and may share the entry.
    query_strings: tuple[str, ...]
    headers: tuple[str, ...] = ()
    # First path segments that get resources of their own and are never cached.
    uncached: tuple[str, ...] = ()


PLANS = {
    "blog": CachePlan(
        # Pages (?page, ?tag), API (?search, ?page_size), sitemap (?p), schema (?format, ?lang), the
        # API docs' script (?script): myblog/core/origin.py READ_QUERY_STRINGS, the same list.
        query_strings=("page", "tag", "search", "page_size", "p", "format", "lang", "script"),
        # Readers send no cookie and share entries; a signed-in admin gets their own. The origin
        # secret CloudFront adds (cdn.yaml): without it the app answers 403, which must never be
        # kept where CloudFront's requests would find it (myblog/core/origin.py).
        headers=("Cookie", "X-Origin-Verify", *_ANSWER_HEADERS),
        uncached=("admin", "healthz", "unsubscribe"),
    ),
    "todo": CachePlan(
        query_strings=("limit", "cursor", "fresh"),
        # One entry per user (token); Origin decides the CORS headers of the answer.
        headers=("Authorization", "Origin", *_ANSWER_HEADERS),
    ),
}


@dataclass(frozen=True)
class StageCache:
    """The stage cache of zappa_settings.json: the one place its cluster and TTL are set."""

    enabled: bool
    size: str
    ttl_seconds: int
    encrypted: bool

    @classmethod
    def from_settings(cls, stage_config: dict[str, Any]) -> "StageCache":
        # The same defaults and conversions as Zappa's deploy_api_gateway (zappa/cli.py), so this
        # step's deployment asks for the very cluster Zappa's did.
        return cls(
            enabled=bool(stage_config.get("cache_cluster_enabled", False)),
            size=str(stage_config.get("cache_cluster_size", 0.5)),
            ttl_seconds=int(stage_config.get("cache_cluster_ttl", 300)),
            encrypted=bool(stage_config.get("cache_cluster_encrypted", False)),
        )


def _escape(path: str) -> str:
    """A resource path as method-settings paths write it: '/' → '~1'."""
    return path.replace("/", "~1")


def apply_cache_plan(
    apigw: Any,
    *,
    api_id: str,
    stage: str,
    plan: CachePlan,
    cache: StageCache,
    out: Callable[[str], None] = print,
) -> None:
    resources = {r["path"]: r for r in _resources(apigw, api_id)}
    root, proxy = resources["/"], resources["/{proxy+}"]

    scoped = _scope_cognito_methods(apigw, api_id, resources.values())
    if scoped:
        out(f"  {', '.join(scoped)}: Cognito access tokens (scope {', '.join(ACCESS_TOKEN_SCOPES)})")

    method = apigw.get_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY")
    integration = method["methodIntegration"]
    auth: dict[str, Any] = {"authorizationType": method["authorizationType"]}
    if method.get("authorizerId"):
        auth["authorizerId"] = method["authorizerId"]
    if method["authorizationType"] == COGNITO:
        auth["authorizationScopes"] = list(ACCESS_TOKEN_SCOPES)

    def ensure_method(resource: dict[str, Any], http_method: str, cache_key: list[str]) -> None:
        if http_method in resource.get("resourceMethods", {}):
            apigw.delete_method(restApiId=api_id, resourceId=resource["id"], httpMethod=http_method)
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

    # Deploy first: the stage's method settings may name only methods its deployment has. The
    # cluster is passed as Zappa passed it: an omitted or different value could delete the
    # cluster and its entries (a resize recreates it, which takes minutes).
    apigw.create_deployment(
        restApiId=api_id,
        stageName=stage,
        description="Authorizer scopes, cache keys and TTLs (infra.apigw_cache)",
        cacheClusterEnabled=cache.enabled,
        cacheClusterSize=cache.size,
    )
    settings = {
        "/*/*/caching/enabled": "false",
        "/*/*/caching/requireAuthorizationForCacheControl": "true",
        "/*/*/caching/unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITHOUT_RESPONSE_HEADER",
    }
    for path in ("/", "/{proxy+}"):
        prefix = f"/{_escape(path)}/GET/caching"
        settings |= {f"{prefix}/enabled": "true", f"{prefix}/ttlInSeconds": str(cache.ttl_seconds)}
        settings[f"{prefix}/dataEncrypted"] = str(cache.encrypted).lower()
    apigw.update_stage(
        restApiId=api_id,
        stageName=stage,
        patchOperations=[{"op": "replace", "path": path, "value": value} for path, value in settings.items()],
    )
    cluster = f"cache cluster {cache.size} GB" if cache.enabled else "NO cache cluster (cache_cluster_enabled)"
    out(f"  stage {stage}: {cluster}, GET cached {cache.ttl_seconds} s, deployed")


def _scope_cognito_methods(apigw: Any, api_id: str, resources: Any) -> list[str]:
    """Add the access-token scopes to every method behind the Cognito authorizer (Zappa's ANY
    methods included); UpdateMethod accepts only ``add``/``remove`` on /authorizationScopes."""
    scoped = []
    for resource in resources:
        for http_method in resource.get("resourceMethods", {}):
            method = apigw.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod=http_method)
            if method["authorizationType"] != COGNITO:
                continue
            present = set(method.get("authorizationScopes") or ())
            missing = [scope for scope in ACCESS_TOKEN_SCOPES if scope not in present]
            if missing:
                apigw.update_method(
                    restApiId=api_id,
                    resourceId=resource["id"],
                    httpMethod=http_method,
                    patchOperations=[{"op": "add", "path": "/authorizationScopes", "value": s} for s in missing],
                )
            scoped.append(f"{http_method} {resource['path']}")
    return scoped


def _resources(apigw: Any, api_id: str) -> list[dict[str, Any]]:
    pages = apigw.get_paginator("get_resources").paginate(restApiId=api_id, embed=["methods"])
    return [item for page in pages for item in page["items"]]


def zappa_post_callback(cli: Any) -> None:
    """Zappa's ``callbacks.post``: runs on the operator's machine after deploy and update."""
    print(f"Setting the API Gateway authorizer scopes and cache of {cli.api_stage}")
    api_id = cli.zappa.get_api_id(cli.lambda_name)
    apply_cache_plan(
        cli.zappa.apigateway_client,
        api_id=api_id,
        stage=cli.api_stage,
        # SERVICE selects the service in the function (tests/infra/test_zappa_stages.py: as the name says).
        plan=PLANS[cli.stage_config["environment_variables"]["SERVICE"]],
        cache=StageCache.from_settings(cli.stage_config),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", help="a stage of zappa_settings.json, e.g. blog_production")
    parser.add_argument("--flush", action="store_true", help="only empty the stage cache (after an incident)")
    args = parser.parse_args(argv)
    import boto3

    # Here, not at the top: Zappa loads this module by its file path as the post callback, outside
    # the infra package; the callback uses only the stage as Zappa resolved it (cli.stage_config).
    from infra import zappa_stages
    from infra.cli import aws_failures_reported

    settings = zappa_stages.read()
    if args.stage not in settings:
        parser.error(f"no stage {args.stage!r} in zappa_settings.json")
    stage_config = zappa_stages.resolve(args.stage, settings)
    with aws_failures_reported():
        api_name = f"{stage_config['project_name']}-{args.stage}".replace("_", "-")
        apigw = boto3.client("apigateway", region_name=stage_config.get("aws_region"))
        apis = [api for page in apigw.get_paginator("get_rest_apis").paginate() for api in page["items"]]
        match = [api["id"] for api in apis if api["name"] == api_name]
        if len(match) != 1:
            parser.error(f"expected one REST API named {api_name}, found {len(match)}: deploy the stage first")
        if args.flush:
            apigw.flush_stage_cache(restApiId=match[0], stageName=args.stage)
            print(f"Flushed the API Gateway cache of {args.stage} ({api_name}, {match[0]})")
            return 0
        print(f"Setting the API Gateway authorizer scopes and cache of {args.stage} ({api_name}, {match[0]})")
        apply_cache_plan(
            apigw,
            api_id=match[0],
            stage=args.stage,
            plan=PLANS[zappa_stages.service_of(args.stage)],
            cache=StageCache.from_settings(stage_config),
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
