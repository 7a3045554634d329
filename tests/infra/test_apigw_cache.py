"""API Gateway as deployed (issue 11, rehearsal part 4).

The REST API of each service is built on the local endpoint from the template `zappa template`
generates, deployed the way `zappa deploy`/`update` does (Zappa's own ``deploy_api_gateway``, then
the stage's ``callbacks.post``), and every method is checked against what AWS would do with it.

moto is not API Gateway, so these tests read AWS's behaviour from its documentation, not from moto:
- moto has no UpdateMethod: the client here answers it itself, applying the patch to moto's model
  after checking it against the operations AWS's "Patch Operations" table supports;
- moto drops an integration's cacheKeyParameters and rebuilds a stage from nothing on every
  CreateDeployment (cluster off, method settings gone), where AWS keeps the stage and sets its
  cluster from the request: cache keys and the stage are judged from the requests sent
  (``AwsStage``), recorded with botocore's event hooks;
- moto evaluates no Cognito authorizer: ``authorizer_accepts`` applies AWS's documented rule.
"""

import json
import os
import subprocess
import sys
import types
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from django.test import Client
from django.utils.http import http_date
from moto.apigateway.models import apigateway_backends
from moto.core.models import DEFAULT_ACCOUNT_ID

from infra import zappa_stages
from infra.apigw_cache import ACCESS_TOKEN_SCOPES, PLANS, StageCache, main
from infra.zappa_stages import service_of
from myblog.core.errors import ServiceUnavailable
from tests.factories import PostFactory
from tests.todo.conftest import sign_up_and_in
from todo import cognito, selectors, tokens

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/myblog-stage"
STAGES = ("blog_dev", "todo_dev")
CACHED = {("/", "GET"), ("/{proxy+}", "GET")}


def settings_file() -> dict[str, Any]:
    return zappa_stages.read()


def lambda_name(stage: str) -> str:
    """Zappa's name of a stage's function (and REST API): <project_name>-<stage>, '_' → '-'."""
    return f"{zappa_stages.resolve(stage, settings_file())['project_name']}-{stage}".replace("_", "-")


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """`zappa template` of each stage: the API exactly as `zappa deploy` creates it."""
    env = {**os.environ, "VIRTUAL_ENV": sys.prefix, "AWS_DEFAULT_REGION": REGION}
    env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    zappa = str(Path(sys.executable).parent / "zappa")
    found = {}
    for stage in STAGES:
        output = tmp_path_factory.mktemp("zappa") / f"{stage}.json"
        function = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:{lambda_name(stage)}"
        result = subprocess.run(
            [zappa, "template", stage, "-l", function, "-r", ROLE_ARN, "--output", str(output)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        found[stage] = json.loads(output.read_text())
    return found


# --- API Gateway's behaviour where moto has none -----------------------------------------------

# AWS "Patch Operations" (API Gateway API reference): the ops UpdateMethod supports per path.
UPDATE_METHOD_OPS = {
    "/authorizationScopes": {"add", "remove"},
    "/authorizationType": {"replace"},
    "/authorizerId": {"replace"},
    "/apiKeyRequired": {"replace"},
    "/operationName": {"replace"},
    "/requestValidatorId": {"replace"},
}
STAGE_PATHS_REPLACE_ONLY = ("/cacheClusterEnabled", "/cacheClusterSize", "/tracingEnabled", "/description")


def check_stage_patch(operations: list[dict[str, str]]) -> None:
    """UpdateStage: cluster and per-method settings (/{path}/{method}/caching/...) are replace-only."""
    for operation in operations:
        per_method = operation["path"].count("/") >= 3
        if per_method or operation["path"] in STAGE_PATHS_REPLACE_ONLY:
            assert operation["op"] == "replace", f"AWS refuses UpdateStage {operation}"


def serve_update_method(params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """UpdateMethod as AWS applies it (moto answers 500), on moto's in-process model."""
    method = apigateway_backends[DEFAULT_ACCOUNT_ID][REGION].get_method(
        params["restApiId"], params["resourceId"], params["httpMethod"]
    )
    for operation in params.get("patchOperations", []):
        allowed = UPDATE_METHOD_OPS.get(operation["path"], set())
        assert operation["op"] in allowed, f"AWS refuses UpdateMethod {operation} (supports {allowed or 'nothing'})"
        assert operation["path"] == "/authorizationScopes", f"not emulated here: {operation}"
        scopes = list(method.authorization_scopes or [])
        # What AWS does with a scope added twice is not documented: an idempotent step never asks.
        assert (operation["op"] == "add") != (operation["value"] in scopes), f"{operation} on scopes {scopes}"
        if operation["op"] == "add":
            scopes.append(operation["value"])
        else:
            scopes.remove(operation["value"])
        method.authorization_scopes = scopes
    return types.SimpleNamespace(status_code=200, headers={}), method.to_json()


def as_aws(client: Any) -> Any:
    """Record every API Gateway request of ``client`` (``client.sent``: (operation, params)) and
    answer what moto cannot as AWS would."""
    client.sent = []

    def record(params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        client.sent.append((model.name, json.loads(json.dumps(params))))
        if model.name == "UpdateStage":
            check_stage_patch(params.get("patchOperations", []))

    def answer(model: Any, **kwargs: Any) -> Any:
        # before-call sees the serialized request; the parameters are the ones just recorded.
        if model.name == "UpdateMethod":
            return serve_update_method(client.sent[-1][1])
        if model.name == "FlushStageCache":  # moto has none; AWS answers 202 with no body
            return types.SimpleNamespace(status_code=202, headers={}), {}
        return None

    client.meta.events.register("provide-client-params.apigateway", record)
    client.meta.events.register("before-call.apigateway", answer)
    return client


@dataclass
class AwsStage:
    """A stage as AWS keeps it across the requests sent: it outlives deployments, which set its
    cache cluster from the request (moto instead rebuilds it with the cluster off)."""

    cluster: list[tuple[bool, str]] = field(default_factory=list)  # after each request that sets it
    settings: dict[str, dict[str, str]] = field(default_factory=dict)  # "path/METHOD" → key → value

    @classmethod
    def from_requests(cls, sent: list[tuple[str, dict[str, Any]]]) -> "AwsStage":
        stage = cls()
        for operation, params in sent:
            if operation == "CreateDeployment":
                assert "cacheClusterEnabled" in params, (
                    "CreateDeployment without cacheClusterEnabled: AWS documents no default for an existing stage"
                )
                stage.cluster.append((params["cacheClusterEnabled"], params.get("cacheClusterSize", "0.5")))
            elif operation == "UpdateStage":
                for patch in params["patchOperations"]:
                    if patch["path"] == "/cacheClusterEnabled":
                        stage.cluster.append((patch["value"] == "true", stage.cluster[-1][1]))
                    elif patch["path"] == "/cacheClusterSize":
                        stage.cluster.append((stage.cluster[-1][0], patch["value"]))
                    elif patch["path"].count("/") >= 3:
                        resource, method, setting = patch["path"][1:].split("/", 2)
                        stage.settings.setdefault(f"{resource}/{method}", {})[setting] = patch["value"]
        return stage

    def setting(self, path: str, method: str, name: str) -> str | None:
        """A method's setting: its own override, else the stage-wide ``*/*`` one."""
        own = self.settings.get(f"{path.replace('/', '~1')}/{method}", {})
        return own.get(name, self.settings.get("*/*", {}).get(name))

    def caches(self, path: str, method: str) -> bool:
        value = self.setting(path, method, "caching/enabled")
        # "When you enable caching for a stage, only GET methods have caching enabled by default."
        return value == "true" if value is not None else method == "GET"


def authorizer_accepts(method: dict[str, Any], token: str) -> bool:
    """A COGNITO_USER_POOLS authorizer's choice of token (API Gateway PutMethod reference: "When
    the method scope is configured, the client must provide an access token instead of an identity
    token"; a method without scopes takes the ID token). Signature and expiry: the app checks them."""
    claims = jwt.decode(token, options={"verify_signature": False})
    scopes = set(method.get("authorizationScopes") or ())
    if not scopes:
        return claims.get("token_use") == "id"
    return claims.get("token_use") == "access" and bool(scopes & set(claims.get("scope", "").split()))


# --- the API as Zappa deploys it ---------------------------------------------------------------

TEMPLATE_PROPERTIES = {
    "AWS::ApiGateway::RestApi": {"Name", "Description", "EndpointConfiguration"},
    "AWS::ApiGateway::Resource": {"ParentId", "PathPart", "RestApiId"},
    "AWS::ApiGateway::Authorizer": {"AuthorizerUri", "IdentitySource", "Name", "ProviderARNs", "RestApiId", "Type"},
    "AWS::ApiGateway::Method": {
        "ApiKeyRequired",
        "AuthorizationType",
        "AuthorizerId",
        "AuthorizationScopes",
        "HttpMethod",
        "Integration",
        "MethodResponses",
        "ResourceId",
        "RestApiId",
    },
}
# A method's Integration property → PutIntegration's parameter.
INTEGRATION_PARAMETERS = {
    "Type": "type",
    "Uri": "uri",
    "IntegrationHttpMethod": "integrationHttpMethod",
    "Credentials": "credentials",
    "CacheKeyParameters": "cacheKeyParameters",
    "CacheNamespace": "cacheNamespace",
    "RequestTemplates": "requestTemplates",
    "PassthroughBehavior": "passthroughBehavior",
}


def build_api(apigw: Any, template: dict) -> str:
    """Every resource of the template, created through the API with every property it sets (a
    property this builder does not know fails the test: a newer Zappa must be looked at)."""
    resources = template["Resources"]
    for name, resource in resources.items():
        unknown = set(resource["Properties"]) - TEMPLATE_PROPERTIES.get(resource["Type"], set())
        if resource["Type"] == "AWS::ApiGateway::Method":
            unknown |= set(resource["Properties"]["Integration"]) - {*INTEGRATION_PARAMETERS, "IntegrationResponses"}
        assert not unknown, f"{name} ({resource['Type']}): properties this rehearsal does not build: {unknown}"
    api = resources["Api"]["Properties"]
    endpoint = {"types": api["EndpointConfiguration"]["Types"]}
    api_id = apigw.create_rest_api(name=api["Name"], description=api["Description"], endpointConfiguration=endpoint)[
        "id"
    ]
    ids = {"root": next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")}

    def ref(value: Any) -> str:
        return ids["root"] if "Fn::GetAtt" in value else ids[value["Ref"]]

    for name, resource in resources.items():
        props = resource["Properties"]
        if resource["Type"] == "AWS::ApiGateway::Resource":
            created = apigw.create_resource(
                restApiId=api_id, parentId=ref(props["ParentId"]), pathPart=props["PathPart"]
            )
            ids[name] = created["id"]
        elif resource["Type"] == "AWS::ApiGateway::Authorizer":
            ids[name] = apigw.create_authorizer(
                restApiId=api_id,
                name=props["Name"],
                type=props["Type"],
                providerARNs=props["ProviderARNs"],
                identitySource=props["IdentitySource"],
                authorizerUri=props["AuthorizerUri"],
            )["id"]
    for resource in resources.values():
        if resource["Type"] != "AWS::ApiGateway::Method":
            continue
        props = resource["Properties"]
        where = {"restApiId": api_id, "resourceId": ref(props["ResourceId"]), "httpMethod": props["HttpMethod"]}
        auth = {"authorizerId": ids[props["AuthorizerId"]["Ref"]]} if "AuthorizerId" in props else {}
        if "AuthorizationScopes" in props:
            auth["authorizationScopes"] = props["AuthorizationScopes"]
        apigw.put_method(
            **where,
            authorizationType=props["AuthorizationType"],
            apiKeyRequired=props.get("ApiKeyRequired", False),
            **auth,
        )
        integration = props["Integration"]
        apigw.put_integration(
            **where, **{INTEGRATION_PARAMETERS[k]: v for k, v in integration.items() if k in INTEGRATION_PARAMETERS}
        )
        for response in props.get("MethodResponses", []):
            apigw.put_method_response(
                **where,
                statusCode=response["StatusCode"],
                responseParameters=response.get("ResponseParameters", {}),
                responseModels=response.get("ResponseModels", {}),
            )
        for response in integration.get("IntegrationResponses", []):
            apigw.put_integration_response(
                **where,
                statusCode=response["StatusCode"],
                responseParameters=response.get("ResponseParameters", {}),
                responseTemplates=response.get("ResponseTemplates", {}),
            )
    return api_id


def zappa_cli(stage: str) -> Any:
    """Zappa's CLI object for the stage, with its own boto clients on the local endpoint."""
    from zappa.cli import ZappaCLI
    from zappa.core import Zappa

    cli = ZappaCLI()
    cli.zappa_settings = settings_file()
    cli.api_stage = stage
    cli.lambda_name = lambda_name(stage)
    cli.zappa = Zappa(boto_session=boto3.Session(region_name=REGION), aws_region=REGION)
    as_aws(cli.zappa.apigateway_client)
    return cli


@dataclass
class Deployed:
    stage: str
    api_id: str
    apigw: Any
    template: dict
    cli: Any

    def update(self) -> None:
        """What `zappa update` does to the stage once the API exists."""
        self.cli.deploy_api_gateway(self.api_id)
        self.cli.callback("post")

    @property
    def aws_stage(self) -> AwsStage:
        return AwsStage.from_requests(self.apigw.sent)

    def methods(self) -> dict[tuple[str, str], dict[str, Any]]:
        found = {}
        for resource in self.apigw.get_resources(restApiId=self.api_id, embed=["methods"])["items"]:
            for http_method in resource.get("resourceMethods", {}):
                found[(resource["path"], http_method)] = self.apigw.get_method(
                    restApiId=self.api_id, resourceId=resource["id"], httpMethod=http_method
                )
        return found

    def cache_keys(self) -> dict[tuple[str, str], list[str]]:
        """(path, method) → cacheKeyParameters of the last PutIntegration sent for it."""
        paths = {r["id"]: r["path"] for r in self.apigw.get_resources(restApiId=self.api_id)["items"]}
        return {
            (paths[params["resourceId"]], params["httpMethod"]): params.get("cacheKeyParameters", [])
            for operation, params in self.apigw.sent
            if operation == "PutIntegration"
        }


def deploy(stage: str, templates: dict[str, dict], monkeypatch: pytest.MonkeyPatch, times: int = 1) -> Deployed:
    """What `zappa deploy` does to API Gateway: the template's API, Zappa's deployment of the stage
    with its settings, then the stage's post callback (resolved from zappa_settings.json)."""
    monkeypatch.chdir(ROOT)  # Zappa imports the callback module relative to the working directory
    cli = zappa_cli(stage)
    api_id = build_api(cli.zappa.apigateway_client, templates[stage])
    deployed = Deployed(stage, api_id, cli.zappa.apigateway_client, templates[stage], cli)
    for _ in range(times):
        deployed.update()
    return deployed


@pytest.fixture
def deployed(templates, monkeypatch, local_aws):
    return lambda stage, times=1: deploy(stage, templates, monkeypatch, times)


# --- 1. the Cognito authorizer and the app agree on the token ---------------------------------


def test_every_to_do_method_behind_the_authorizer_takes_access_tokens_and_preflights_stay_open(deployed) -> None:
    api = deployed("todo_dev")

    methods = api.methods()
    authorizer = api.apigw.get_authorizers(restApiId=api.api_id)["items"][0]
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    for (path, http_method), method in methods.items():
        if http_method == "OPTIONS":
            assert method["authorizationType"] == "NONE", f"the CORS preflight {path} must need no token"
            assert not method.get("authorizationScopes")
            continue
        assert method["authorizationType"] == "COGNITO_USER_POOLS", f"{http_method} {path} lost its authorizer"
        assert method["authorizerId"] == authorizer["id"], f"{http_method} {path}"
        assert method["authorizationScopes"] == list(ACCESS_TOKEN_SCOPES), f"{http_method} {path}"
    assert {("/", "ANY"), ("/{proxy+}", "ANY"), ("/", "OPTIONS"), ("/{proxy+}", "OPTIONS")} | CACHED <= set(methods)


def template_methods(template: dict) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, HTTP method) → the properties of each method of Zappa's template."""
    paths = {
        name: f"/{resource['Properties']['PathPart']}"
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::ApiGateway::Resource"
    }
    found = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ApiGateway::Method":
            props = resource["Properties"]
            path = "/" if "Fn::GetAtt" in props["ResourceId"] else paths[props["ResourceId"]["Ref"]]
            found[(path, props["HttpMethod"])] = props
    return found


def test_no_method_the_template_authorizes_loses_its_authorizer(deployed) -> None:
    api = deployed("todo_dev")
    authorized = {key for key, props in template_methods(api.template).items() if props["AuthorizationType"] != "NONE"}

    methods = api.methods()

    assert authorized == {("/", "ANY"), ("/{proxy+}", "ANY")}
    assert all(methods[key]["authorizationType"] == "COGNITO_USER_POOLS" for key in authorized)


def test_the_access_token_the_app_accepts_passes_the_authorizer_of_every_method_and_the_id_token_does_not(
    deployed, todo_user
) -> None:
    api = deployed("todo_dev")

    assert tokens.verify_access_token(todo_user.access_token).sub == todo_user.sub
    for (path, http_method), method in api.methods().items():
        if method["authorizationType"] == "COGNITO_USER_POOLS":
            assert authorizer_accepts(method, todo_user.access_token), (
                f"API Gateway refuses the app's token: {http_method} {path}"
            )
            assert not authorizer_accepts(method, todo_user.id_token), f"{http_method} {path}"


def test_the_blog_has_no_authorizer_anywhere(deployed) -> None:
    api = deployed("blog_dev")

    assert {m["authorizationType"] for m in api.methods().values()} == {"NONE"}
    assert not api.apigw.get_authorizers(restApiId=api.api_id)["items"]


# --- 2. the stage cache: one source of truth, never switched off -------------------------------


@pytest.mark.parametrize(("service", "ttl"), [("blog", 300), ("todo", 30)])
def test_every_stage_of_a_service_keeps_its_cache_cluster_on_with_its_ttl(service: str, ttl: int) -> None:
    config = settings_file()
    for stage in (name for name in config if name.startswith(f"{service}_")):
        cache = StageCache.from_settings(zappa_stages.resolve(stage, config))
        assert cache.enabled, stage
        assert cache.size in {"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}, stage  # CreateStage's values
        assert cache.ttl_seconds == ttl, stage
        assert cache.encrypted, stage


@pytest.mark.parametrize("stage", STAGES)
def test_zappas_deployment_and_the_post_step_never_leave_the_cache_cluster_off_nor_resize_it(deployed, stage) -> None:
    api = deployed(stage, times=2)  # a deploy, then an update

    cache = StageCache.from_settings(zappa_stages.resolve(stage, settings_file()))
    assert api.aws_stage.cluster, "nothing set the cache cluster"
    assert set(api.aws_stage.cluster) == {(True, cache.size)}


# --- 3 and 4. which methods are cached, and on what ---------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_get_methods_are_cached_for_the_stages_ttl_keyed_on_path_query_and_answer_headers(deployed, stage):
    api = deployed(stage)
    plan, cache = PLANS[service_of(stage)], StageCache.from_settings(zappa_stages.resolve(stage, settings_file()))

    methods, keys, aws_stage = api.methods(), api.cache_keys(), api.aws_stage

    assert {key for key in methods if aws_stage.caches(*key)} == CACHED
    shared = [f"method.request.querystring.{q}" for q in plan.query_strings]
    shared += [f"method.request.header.{h}" for h in plan.headers]
    assert keys[("/", "GET")] == shared
    assert keys[("/{proxy+}", "GET")] == ["method.request.path.proxy", *shared]
    for key in CACHED:
        # A cache key must be a declared request parameter of its method.
        assert set(keys[key]) <= set(methods[key]["requestParameters"])
        assert aws_stage.setting(*key, "caching/ttlInSeconds") == str(cache.ttl_seconds)
        assert aws_stage.setting(*key, "caching/dataEncrypted") == "true"
        assert methods[key]["methodIntegration"]["uri"] == methods[("/{proxy+}", "ANY")]["methodIntegration"]["uri"]
    assert aws_stage.setting("/", "GET", "caching/requireAuthorizationForCacheControl") == "true"
    for part in plan.uncached:
        assert (f"/{part}/{{proxy+}}", "ANY") in methods and not aws_stage.caches(f"/{part}/{{proxy+}}", "ANY")
        assert (f"/{part}/{{proxy+}}", "GET") not in methods


@pytest.mark.parametrize("stage", STAGES)
def test_running_the_step_again_after_an_update_changes_nothing(deployed, stage) -> None:
    api = deployed(stage)

    def shape() -> dict:
        return {
            key: (m["authorizationType"], m.get("authorizationScopes"), sorted(m.get("requestParameters") or {}))
            for key, m in api.methods().items()
        }

    first = shape()
    api.update()

    assert shape() == first
    assert len(api.apigw.get_resources(restApiId=api.api_id)["items"]) == 2 + 2 * len(PLANS[service_of(stage)].uncached)


# --- 3. a cached answer never reaches a request it does not answer ---------------------------


SEMANTIC_HEADERS = (
    "ETag",
    "Last-Modified",
    "Location",
    "Content-Type",
    "Link",
    "Access-Control-Allow-Origin",
    "Retry-After",
)


def answer(response: Any) -> tuple:
    """What a client acts on: the status, the body and the headers that mean something."""
    return response.status_code, response.content, {h: response.headers.get(h) for h in SEMANTIC_HEADERS}


class StageCacheEmulator:
    """API Gateway's cache in front of the app: entries keyed on the path, the declared query
    strings and headers; any status is kept (AWS has no per-status rule for proxy integrations)."""

    def __init__(self, plan: Any, send: Any) -> None:
        self.plan, self.send, self.entries = plan, send, {}

    def get(self, path: str, query: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Any:
        query, headers = query or {}, {k.lower(): v for k, v in (headers or {}).items()}
        key = (
            path,
            *(query.get(q) for q in self.plan.query_strings),
            *(headers.get(h.lower()) for h in self.plan.headers),
        )
        if key not in self.entries:
            self.entries[key] = self.send(path, query, headers)
        return self.entries[key]


@pytest.fixture
def production_hosts(settings):
    settings.USE_X_FORWARDED_HOST = True  # as on every deployed stage (DJANGO_ENV=production)
    settings.ALLOWED_HOSTS = ["testserver", "blog.example.com"]


@pytest.fixture
def todo_user(local_aws, production_hosts):
    cognito.forget_resolved_ids()
    tokens.key_set.cache_clear()
    idp = boto3.client("cognito-idp", endpoint_url=local_aws, region_name=REGION)
    return sign_up_and_in(
        idp, client_id=cognito.app_client_id(), pool_id=cognito.user_pool_id(), email="cache@example.com"
    )


def send(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
    """The app's answer through Django's stack; what escapes it is Zappa's 500 on Lambda."""
    try:
        return Client(raise_request_exception=False).get(path, query, headers=headers)
    except Exception:  # noqa: BLE001 - e.g. an error page that itself fails
        return types.SimpleNamespace(status_code=500, content=b"", headers={})


def header_variants(plain: Any) -> dict[str, str]:
    """Request headers a client or an attacker may send, each with a value the app could react to."""
    return {
        "If-None-Match": plain.headers.get("ETag", '"x"'),
        "If-Modified-Since": plain.headers.get("Last-Modified", http_date(datetime.now(UTC).timestamp())),
        "If-Match": '"no-such-etag"',
        "If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT",
        "Accept": "application/xml",
        "Accept-Language": "fr",
        "Accept-Encoding": "gzip",
        "Origin": "https://app.example.org",
        "X-Forwarded-Host": "not-ours.example.org",
        "X-Forwarded-Proto": "http",
        "Range": "bytes=0-1",
        "User-Agent": "probe/1",
        "Cache-Control": "no-cache",
    }


def headers_that_change_the_answer(path: str, base: dict[str, str]) -> set[str]:
    plain = send(path, {}, base)
    assert plain.status_code == 200, plain.content
    return {
        name
        for name, value in header_variants(plain).items()
        if answer(send(path, {}, {**base, name: value})) != answer(plain)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/blog/posts/", "/feed/", "/api/schema/"])
def test_every_request_header_that_changes_a_blog_answer_is_in_its_cache_key(production_hosts, path) -> None:
    PostFactory()

    changing = headers_that_change_the_answer(path, {})

    assert {"If-None-Match", "If-Modified-Since"} <= changing  # the probe sees conditional requests
    assert changing <= set(PLANS["blog"].headers), f"not in the cache key: {changing - set(PLANS['blog'].headers)}"


def test_every_request_header_that_changes_a_to_do_answer_is_in_its_cache_key(todo_user) -> None:
    changing = headers_that_change_the_answer("/api/todos/", {"Authorization": f"Bearer {todo_user.access_token}"})

    assert "If-None-Match" in changing
    assert changing <= set(PLANS["todo"].headers), f"not in the cache key: {changing - set(PLANS['todo'].headers)}"


@pytest.mark.django_db
def test_a_cached_304_is_never_served_to_a_reader_who_did_not_revalidate(production_hosts) -> None:
    PostFactory()
    etag = send("/api/blog/posts/", {}, {}).headers["ETag"]
    gateway = StageCacheEmulator(PLANS["blog"], send)

    first = gateway.get("/api/blog/posts/", headers={"If-None-Match": etag})
    then = gateway.get("/api/blog/posts/")
    poisoned = gateway.get("/api/blog/posts/", headers={"If-Match": '"stale"'})
    after = gateway.get("/api/blog/posts/")

    assert (first.status_code, then.status_code) == (304, 200)
    assert (poisoned.status_code, after.status_code) == (412, 200)


def test_a_cached_to_do_answer_never_reaches_a_request_it_does_not_answer(todo_user) -> None:
    auth = {"Authorization": f"Bearer {todo_user.access_token}"}
    etag = send("/api/todos/", {}, auth).headers["ETag"]
    gateway = StageCacheEmulator(PLANS["todo"], send)

    revalidated = gateway.get("/api/todos/", headers={**auth, "If-None-Match": etag})
    from_a_browser = gateway.get("/api/todos/", headers={**auth, "Origin": "https://app.example.org"})
    from_the_app = gateway.get("/api/todos/", headers=auth)

    assert revalidated.status_code == 304
    assert from_a_browser.status_code == 200 and from_a_browser.headers["Access-Control-Allow-Origin"] == "*"
    assert from_the_app.status_code == 200


def test_a_503_the_gateway_kept_is_not_served_to_the_apps_retry_which_adds_a_new_fresh(todo_user, monkeypatch):
    auth = {"Authorization": f"Bearer {todo_user.access_token}"}
    gateway = StageCacheEmulator(PLANS["todo"], send)
    real_list = selectors.todo_list

    def outage(**kwargs: Any) -> Any:
        raise ServiceUnavailable("DynamoDB is throttling.")

    monkeypatch.setattr(selectors, "todo_list", outage)
    during = gateway.get("/api/todos/", headers=auth)
    monkeypatch.setattr(selectors, "todo_list", real_list)

    same_key = gateway.get("/api/todos/", headers=auth)
    retry = gateway.get("/api/todos/", {"fresh": "1"}, headers=auth)

    assert during.status_code == 503 and during.headers["Retry-After"]
    assert same_key.status_code == 503  # what API Gateway may do for the TTL (30 s)
    assert retry.status_code == 200


def test_a_stage_name_says_its_service() -> None:
    assert (service_of("blog_production"), service_of("todo_dev")) == ("blog", "todo")


def test_a_stage_of_no_known_service_is_refused() -> None:
    with pytest.raises(SystemExit, match="not <service>_<env>"):
        service_of("dev")


def test_the_step_by_hand_refuses_a_stage_not_in_the_settings(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["nosuch_dev"])
    assert "no stage 'nosuch_dev'" in capsys.readouterr().err


@pytest.fixture
def by_hand(monkeypatch, templates, local_aws):
    """`python -m infra.apigw_cache STAGE [--flush]` against the API of the stage's template."""
    clients: list[Any] = []
    real_client = boto3.client

    def client(service: str, *args: Any, **kwargs: Any) -> Any:
        made = real_client(service, *args, **kwargs)
        if service == "apigateway":
            clients.append(as_aws(made))
        return made

    monkeypatch.setattr(boto3, "client", client)

    def run(stage: str, *options: str) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
        api_id = build_api(as_aws(real_client("apigateway", region_name=REGION)), templates[stage])
        assert main([stage, *options]) == 0
        return api_id, [call for made in clients for call in made.sent]

    return run


def test_the_step_by_hand_scopes_and_caches_the_api_of_the_stage_as_the_callback_does(by_hand) -> None:
    api_id, sent = by_hand("todo_dev")

    scoped = [params for operation, params in sent if operation == "UpdateMethod"]
    assert {(p["restApiId"], p["httpMethod"]) for p in scoped} == {(api_id, "ANY")} and len(scoped) == 2
    deployments = [params for operation, params in sent if operation == "CreateDeployment"]
    assert deployments == [
        {
            "restApiId": api_id,
            "stageName": "todo_dev",
            "description": deployments[0]["description"],
            "cacheClusterEnabled": True,
            "cacheClusterSize": "0.5",
        }
    ]


def test_after_an_incident_the_operator_flushes_the_stage_cache_and_changes_nothing_else(by_hand) -> None:
    api_id, sent = by_hand("blog_dev", "--flush")

    assert [call for call in sent if not call[0].startswith("Get")] == [
        ("FlushStageCache", {"restApiId": api_id, "stageName": "blog_dev"})
    ]
