"""The post-deploy cache step against the REST API Zappa itself generates, built on the local endpoint.

moto keeps resources, methods, request parameters and stage settings, but drops an integration's
cacheKeyParameters; those are checked on the requests the step sends (botocore's event hooks).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from infra.apigw_cache import PLANS, apply_cache_plan, service_of

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:myblog-dev"
ROLE_ARN = "arn:aws:iam::123456789012:role/myblog-dev"


@pytest.fixture(scope="module")
def zappa_template(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`zappa template` for a stage of zappa_settings.json: the API as `zappa deploy` creates it."""
    stage = next(iter(json.loads((ROOT / "zappa_settings.json").read_text())))
    env = {**os.environ, "VIRTUAL_ENV": sys.prefix, "AWS_DEFAULT_REGION": "us-east-1"}
    env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    zappa = str(Path(sys.executable).parent / "zappa")
    output = tmp_path_factory.mktemp("zappa") / "template.json"
    result = subprocess.run(
        [zappa, "template", stage, "-l", LAMBDA_ARN, "-r", ROLE_ARN, "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(output.read_text())


def build_api(apigw, template: dict, *, stage: str, cognito: bool = False) -> str:
    """Create the template's RestApi, resources and methods through the API, then deploy the stage."""
    resources = template["Resources"]
    api_id = apigw.create_rest_api(name=resources["Api"]["Properties"]["Name"])["id"]
    ids = {"root": next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")}
    for name, resource in resources.items():
        if resource["Type"] == "AWS::ApiGateway::Resource":
            created = apigw.create_resource(
                restApiId=api_id, parentId=ids["root"], pathPart=resource["Properties"]["PathPart"]
            )
            ids[name] = created["id"]
    auth = {"authorizationType": "NONE"}
    if cognito:
        pool = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_test"
        authorizer = apigw.create_authorizer(
            restApiId=api_id, name="cognito", type="COGNITO_USER_POOLS", providerARNs=[pool],
            identitySource="method.request.header.Authorization",
        )  # fmt: skip
        auth = {"authorizationType": "COGNITO_USER_POOLS", "authorizerId": authorizer["id"]}
    for resource in resources.values():
        if resource["Type"] != "AWS::ApiGateway::Method":
            continue
        props = resource["Properties"]
        target = props["ResourceId"]
        resource_id = ids["root"] if "Fn::GetAtt" in target else ids[target["Ref"]]
        apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=props["HttpMethod"], **auth)
        integration = props["Integration"]
        apigw.put_integration(
            restApiId=api_id, resourceId=resource_id, httpMethod=props["HttpMethod"], type=integration["Type"],
            integrationHttpMethod=integration["IntegrationHttpMethod"], uri=integration["Uri"],
            credentials=integration["Credentials"], cacheKeyParameters=integration["CacheKeyParameters"],
        )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def cache_keys(apigw, api_id: str) -> dict[tuple[str, str], list[str]]:
    """(path, method) → the cacheKeyParameters of the last put_integration the step sent."""
    paths = {r["id"]: r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    return {(paths[c["resourceId"]], c["httpMethod"]): c.get("cacheKeyParameters", []) for c in apigw.sent}


def methods(apigw, api_id: str) -> dict[tuple[str, str], dict]:
    found = {}
    for resource in apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]:
        for http_method in resource.get("resourceMethods", {}):
            found[(resource["path"], http_method)] = apigw.get_method(
                restApiId=api_id, resourceId=resource["id"], httpMethod=http_method
            )
    return found


@pytest.fixture
def apigw(local_aws):
    client = boto3.client("apigateway", endpoint_url=local_aws, region_name="us-east-1")
    client.sent = []
    client.meta.events.register(
        "provide-client-params.apigateway.PutIntegration", lambda params, **kwargs: client.sent.append(dict(params))
    )
    return client


def test_zappas_own_api_has_the_empty_cache_key_the_step_exists_for(zappa_template: dict) -> None:
    catch_all = [
        r["Properties"] for r in zappa_template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Method"
    ]
    assert {m["HttpMethod"] for m in catch_all} == {"ANY"}
    assert all(m["Integration"]["CacheKeyParameters"] == [] for m in catch_all)


def test_the_blog_caches_get_by_path_query_and_cookie_and_never_the_admin(apigw, zappa_template) -> None:
    api_id = build_api(apigw, zappa_template, stage="blog_dev")

    apply_cache_plan(apigw, api_id=api_id, stage="blog_dev", plan=PLANS["blog"], out=lambda line: None)

    found, keys = methods(apigw, api_id), cache_keys(apigw, api_id)
    get = found[("/{proxy+}", "GET")]
    key = keys[("/{proxy+}", "GET")]
    assert key[0] == "method.request.path.proxy"
    assert {"method.request.querystring.page", "method.request.querystring.tag", "method.request.header.Cookie"} <= set(
        key
    )
    assert set(key) <= set(get["requestParameters"])
    assert get["methodIntegration"]["uri"].endswith(f"{LAMBDA_ARN}/invocations")
    assert keys[("/", "GET")] == key[1:]
    assert keys[("/admin/{proxy+}", "ANY")] == []
    # Writes stay on the uncached ANY; the admin and the health check have uncached resources.
    assert ("/{proxy+}", "ANY") in found and ("/admin/{proxy+}", "ANY") in found and ("/healthz", "ANY") in found
    assert ("/admin/{proxy+}", "GET") not in found

    stage = apigw.get_stage(restApiId=api_id, stageName="blog_dev")
    settings = stage["methodSettings"]
    assert stage["cacheClusterEnabled"] is True
    assert settings["*/*"]["cachingEnabled"] is False
    assert settings["*/*"]["requireAuthorizationForCacheControl"] is True
    assert {k for k, v in settings.items() if v["cachingEnabled"]} == {"~1/GET", "~1{proxy+}/GET"}
    assert settings["~1{proxy+}/GET"]["cacheTtlInSeconds"] == 300


def test_the_todo_api_keys_its_cache_on_the_users_token_behind_the_cognito_authorizer(apigw, zappa_template) -> None:
    api_id = build_api(apigw, zappa_template, stage="todo_dev", cognito=True)

    apply_cache_plan(apigw, api_id=api_id, stage="todo_dev", plan=PLANS["todo"], out=lambda line: None)

    get = methods(apigw, api_id)[("/{proxy+}", "GET")]
    key = cache_keys(apigw, api_id)[("/{proxy+}", "GET")]
    assert {"method.request.header.Authorization", "method.request.querystring.fresh"} <= set(key)
    assert set(key) <= set(get["requestParameters"])
    assert get["authorizationType"] == "COGNITO_USER_POOLS" and get["authorizerId"]
    settings = apigw.get_stage(restApiId=api_id, stageName="todo_dev")["methodSettings"]
    assert settings["~1{proxy+}/GET"]["cacheTtlInSeconds"] == 30


def test_running_the_step_again_after_an_update_changes_nothing(apigw, zappa_template) -> None:
    api_id = build_api(apigw, zappa_template, stage="blog_dev")
    apply_cache_plan(apigw, api_id=api_id, stage="blog_dev", plan=PLANS["blog"], out=lambda line: None)
    first = {
        k: (m["methodIntegration"]["cacheKeyParameters"], m["authorizationType"])
        for k, m in methods(apigw, api_id).items()
    }

    apply_cache_plan(apigw, api_id=api_id, stage="blog_dev", plan=PLANS["blog"], out=lambda line: None)

    again = {
        k: (m["methodIntegration"]["cacheKeyParameters"], m["authorizationType"])
        for k, m in methods(apigw, api_id).items()
    }
    assert again == first
    assert len(apigw.get_resources(restApiId=api_id)["items"]) == 2 + 2 * len(PLANS["blog"].uncached)


@pytest.mark.parametrize(("stage", "service"), [("blog_production", "blog"), ("todo_dev", "todo")])
def test_a_stage_name_says_its_service(stage: str, service: str) -> None:
    assert service_of(stage) == service


def test_a_stage_of_no_known_service_is_refused() -> None:
    with pytest.raises(SystemExit, match="not <service>_<env>"):
        service_of("dev")
