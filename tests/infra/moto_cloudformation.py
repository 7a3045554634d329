"""What AWS CloudFormation does and moto 5.2.5's does not, taught to the in-process moto server for
the deploy rehearsal (tests only; product code deploys to AWS as it is).

- CloudFormation checks the parameter values against the template (allowed values and patterns,
  lengths, ranges, existing VPC, subnet and security group ids); moto takes any value.
- A change set that changes nothing: CloudFormation creates it and marks it FAILED ("didn't
  contain changes"); moto's API refuses to create it. Let moto's own backend mark it as AWS does.
- UsePreviousValue of a list parameter hands moto its already split value, which it then fails
  to split again: keep the previous value as it was given (comma-separated), as AWS does.
- Executing a change set leaves moto's stack without its template and so without outputs
  (``describe_stacks`` shows none): refresh both after the change set is applied.
- moto skips Cognito, SES, DynamoDB global tables, DAX and CloudFront resources, and a stack whose
  outputs name one of them fails with HTTP 500. Here each of those types gets a stand-in that
  creates the resource through the service API with infra.bootstrap's creators (from the same
  template, with the stack's parameters) where moto has the API, and answers Ref and Fn::GetAtt
  with the ids and attributes the endpoint gave it; a type without a creator gets a made-up id.
- Zappa's API Gateway template: moto skips its authorizer and fails on (or thins out) its methods;
  both are made through moto's API Gateway backend with every property Zappa sets. UpdateMethod
  (the post-deploy step scopes the authorized methods with it) is served as AWS applies it, and
  UpdateIntegration for the paths `zappa update` patches.
"""

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from moto.apigateway.models import apigateway_backends
from moto.apigateway.responses import APIGatewayResponse
from moto.cloudformation import models, parsing, responses
from moto.cloudformation.exceptions import ValidationError
from moto.ec2.models import ec2_backends

from infra import bootstrap
from infra.templates import INFRA_DIR, load

REGION = "us-east-1"
ACCOUNT = "123456789012"

# The types of infra/ that moto's CloudFormation skips (or, for the last, fails on).
SKIPPED = (
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::IdentityPool",
    "AWS::Cognito::IdentityPoolRoleAttachment",
    "AWS::Cognito::IdentityPoolPrincipalTag",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DAX::Cluster",
    "AWS::DAX::ParameterGroup",
    "AWS::DAX::SubnetGroup",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::SES::EmailIdentity",
    "AWS::CloudFront::CachePolicy",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::S3::BucketPolicy",
    "AWS::RDS::DBCluster",
    "AWS::RDS::GlobalCluster",
    "AWS::SecretsManager::Secret",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    # moto has this one, but its model knows no default version of the aurora-postgresql engine.
    "AWS::RDS::DBInstance",
)


def _identity_pool_id(name: str) -> str:
    identity = bootstrap._client("cognito-identity")
    pools = identity.list_identity_pools(MaxResults=60)["IdentityPools"]
    return next(pool["IdentityPoolId"] for pool in pools if pool["IdentityPoolName"] == name)


def _user_pool(props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    pool_id = bootstrap.user_pool_id_by_name(props["UserPoolName"])
    assert pool_id
    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    arn = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}"
    return pool_id, {"Arn": arn, "ProviderName": provider, "ProviderURL": f"https://{provider}", "UserPoolId": pool_id}


def _user_pool_client(props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    client_id = bootstrap.user_pool_client_id_by_name(props["UserPoolId"], props["ClientName"])
    assert client_id
    return client_id, {"ClientId": client_id}


def _identity_pool(props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    pool_id = _identity_pool_id(props["IdentityPoolName"])
    return pool_id, {"Id": pool_id, "Name": props["IdentityPoolName"]}


def _global_table(props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    table = bootstrap._client("dynamodb").describe_table(TableName=props["TableName"])["Table"]
    return table["TableName"], {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")}


def _secret(props: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A secret with GenerateSecretString's value made here (moto's API has no such option)."""
    generate = props.get("GenerateSecretString", {})
    value = json.loads(generate.get("SecretStringTemplate", "{}"))
    value[generate.get("GenerateStringKey", "password")] = secrets.token_urlsafe(30)
    arn = bootstrap._client("secretsmanager").create_secret(Name=props["Name"], SecretString=json.dumps(value))["ARN"]
    return arn, {"Id": arn}


def _by_property(key: str) -> Callable[[dict[str, Any]], tuple[str, dict[str, str]]]:
    return lambda props: (str(props[key]), {})


# Ref and Fn::GetAtt of a resource that bootstrap created, read back from the endpoint.
IDENTIFIERS: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, str]]]] = {
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::IdentityPool": _identity_pool,
    "AWS::DynamoDB::GlobalTable": _global_table,
    "AWS::SES::ConfigurationSet": _by_property("Name"),
    "AWS::SES::EmailIdentity": _by_property("EmailIdentity"),
    "AWS::S3::BucketPolicy": _by_property("Bucket"),
    "AWS::SecretsManager::Secret": _secret,
}


class StandIn:
    """A resource of a type moto's CloudFormation skips, made through the service API instead."""

    resource_type = ""

    def __init__(self, physical_id: str, attributes: dict[str, str], logical_id: str) -> None:
        self.physical_resource_id = physical_id
        self.attributes = attributes
        self.logical_id = logical_id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attr: str) -> str:
        if attr in self.attributes:
            return self.attributes[attr]
        if attr == "DomainName":  # a CloudFront distribution's
            return f"{self.physical_resource_id.lower()}.cloudfront.net"
        return f"{self.physical_resource_id}.{attr}"

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "StandIn":
        logical_id = kwargs["LogicalId"]
        stack = models.cloudformation_backends[account_id][region_name].stacks[kwargs["StackId"]]
        template_name = stack.name.split("-", 2)[2]  # stacks are <project>-<env>-<template>
        if not (INFRA_DIR / f"{template_name}.yaml").is_file():  # updates_cdn.yaml: ...-updates-cdn
            template_name = template_name.replace("-", "_")
        template = load(f"{template_name}.yaml", **stack.parameters)
        props = cloudformation_json.get("Properties", {})
        creator = bootstrap.CREATORS.get(cls.resource_type)
        if creator is not None and cls.resource_type != "AWS::S3::BucketPolicy":
            creator(template, logical_id)
        if cls.resource_type in IDENTIFIERS:
            physical_id, attributes = IDENTIFIERS[cls.resource_type](props)
        else:
            physical_id, attributes = f"{logical_id}-standin", {}
        return cls(physical_id, attributes, logical_id)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: "StandIn",
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> "StandIn":
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class ApiGatewayAuthorizer(StandIn):
    """moto skips this type: a Cognito authorizer of Zappa's template would be missing."""

    resource_type = "AWS::ApiGateway::Authorizer"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "StandIn":
        props = cloudformation_json["Properties"]
        authorizer = apigateway_backends[account_id][region_name].create_authorizer(
            props["RestApiId"],
            props["Name"],
            props["Type"],
            provider_arns=props.get("ProviderARNs"),
            authorizer_uri=props.get("AuthorizerUri"),
            authorizer_credentials=props.get("AuthorizerCredentials"),
            identity_source=props.get("IdentitySource"),
            authorizer_result_ttl=props.get("AuthorizerResultTtlInSeconds"),
        )
        return cls(authorizer.id, {}, kwargs["LogicalId"])


class ApiGatewayMethod(StandIn):
    """moto's model of this type fails on an integration without IntegrationHttpMethod (Zappa's CORS
    OPTIONS mocks) and drops the authorizer, the integration's Credentials and the responses."""

    resource_type = "AWS::ApiGateway::Method"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "StandIn":
        props = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        method = (props["RestApiId"], props["ResourceId"], props["HttpMethod"])
        backend.put_method(
            *method,
            props.get("AuthorizationType"),
            props.get("ApiKeyRequired"),
            request_parameters=props.get("RequestParameters"),
            authorizer_id=props.get("AuthorizerId"),
            authorization_scopes=props.get("AuthorizationScopes"),
        )
        for response in props.get("MethodResponses", []):
            backend.put_method_response(
                *method, response["StatusCode"], response.get("ResponseModels"), response.get("ResponseParameters")
            )
        integration = props.get("Integration")
        if integration:
            backend.put_integration(
                *method,
                integration["Type"],
                integration.get("Uri"),
                integration.get("IntegrationHttpMethod"),
                credentials=integration.get("Credentials"),
                request_templates=integration.get("RequestTemplates"),
                passthrough_behavior=integration.get("PassthroughBehavior"),
                cache_namespace=integration.get("CacheNamespace"),
                request_parameters=integration.get("RequestParameters"),
                content_handling=integration.get("ContentHandling"),
            )
            for response in integration.get("IntegrationResponses", []):
                backend.put_integration_response(
                    *method,
                    response["StatusCode"],
                    response.get("SelectionPattern"),
                    response.get("ResponseTemplates"),
                    response.get("ResponseParameters"),
                    response.get("ContentHandling"),
                )
        return cls("-".join(method), {}, kwargs["LogicalId"])


STAND_INS: dict[str, type[StandIn]] = {
    kind: type(kind.replace("::", ""), (StandIn,), {"resource_type": kind}) for kind in SKIPPED
} | {model.resource_type: model for model in (ApiGatewayAuthorizer, ApiGatewayMethod)}


# UpdateMethod's patch paths: the operations AWS accepts on each (API Gateway's PATCH reference),
# and the attribute of moto's Method model that holds the value.
METHOD_PATCHES = {
    "/authorizationScopes": (("add", "remove"), "authorization_scopes"),
    "/authorizationType": (("replace",), "authorization_type"),
    "/authorizerId": (("replace",), "authorizer_id"),
    "/apiKeyRequired": (("replace",), "api_key_required"),
    "/operationName": (("replace",), "operation_name"),
    "/requestValidatorId": (("replace",), "request_validator_id"),
}


def _update_method(self: Any) -> Any:
    """UpdateMethod, which moto's API Gateway lacks (it answers 500), as AWS applies its patches."""
    _, _, api_id, _, resource_id, _, verb = self.path.split("/")[:7]
    method = self.backend.get_method(api_id, resource_id, verb)
    for patch in json.loads(self.body or "{}").get("patchOperations", []):
        operations, attribute = METHOD_PATCHES.get(patch["path"], ((), ""))
        if patch["op"] not in operations:
            error = {"message": f"Invalid patch operation {patch['op']} {patch['path']}"}
            return 400, {"x-amzn-ErrorType": "BadRequestException"}, json.dumps(error)
        if attribute == "authorization_scopes":
            scopes = list(method.authorization_scopes or [])
            scopes.append(patch["value"]) if patch["op"] == "add" else scopes.remove(patch["value"])
            method.authorization_scopes = scopes
        else:
            value = patch.get("value")
            setattr(method, attribute, value == "true" if attribute == "api_key_required" else value)
    return 200, {}, json.dumps(method.to_json())


# UpdateIntegration's replaceable scalar paths that the deploy uses (Zappa's `update` resets the
# CORS mocks' /contentHandling), and where moto's Integration model keeps them.
INTEGRATION_PATCHES = {
    "/contentHandling": "content_handling",
    "/passthroughBehavior": "passthrough_behaviour",
    "/credentials": "credentials",
    "/uri": "uri",
    "/cacheNamespace": "cache_namespace",
    "/timeoutInMillis": "timeout_in_millis",
}


def _update_integration(self: Any) -> Any:
    """UpdateIntegration, which moto's API Gateway lacks (it answers 500)."""
    _, _, api_id, _, resource_id, _, verb = self.path.split("/")[:7]
    integration = self.backend.get_integration(api_id, resource_id, verb)
    for patch in json.loads(self.body or "{}").get("patchOperations", []):
        if patch["op"] != "replace" or patch["path"] not in INTEGRATION_PATCHES:
            error = {"message": f"{patch['op']} {patch['path']}: not emulated by the rehearsal"}
            return 400, {"x-amzn-ErrorType": "BadRequestException"}, json.dumps(error)
        # An empty value clears the setting (contentHandling "" = pass through), as on AWS.
        setattr(integration, INTEGRATION_PATCHES[patch["path"]], patch.get("value") or None)
    return 200, {}, json.dumps(integration.to_json())


def _check_parameters(backend: Any, template: str, given: dict[str, Any]) -> None:
    """CloudFormation's checks of the parameter values, which moto skips: a value for each
    parameter without a default, AllowedValues, AllowedPattern (on each member of a
    CommaDelimitedList), lengths, number ranges, and that the EC2 ids of AWS-specific types exist."""
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    exists = {
        "AWS::EC2::VPC::Id": ec2.get_vpc,
        "AWS::EC2::Subnet::Id": ec2.get_subnet,
        "AWS::EC2::SecurityGroup::Id": ec2.get_security_group_from_id,
    }
    for name, declared in (models.Stack.parse_template(template).get("Parameters") or {}).items():
        value = given.get(name, declared.get("Default"))
        if value is None:
            raise ValidationError(message=f"Parameters: [{name}] must have values")
        kind = declared.get("Type", "String")
        members = str(value).split(",") if kind == "CommaDelimitedList" or kind.startswith("List<") else [str(value)]
        for member in members:
            member = member.strip() if kind != "String" else member
            problem = None
            if "AllowedValues" in declared and member not in [str(v) for v in declared["AllowedValues"]]:
                problem = f"must be one of {declared['AllowedValues']}"
            elif "AllowedPattern" in declared and not re.fullmatch(declared["AllowedPattern"], member):
                problem = f"must match pattern {declared['AllowedPattern']}"
            elif not declared.get("MinLength", 0) <= len(member) <= declared.get("MaxLength", 4096):
                problem = "has a length outside MinLength/MaxLength"
            elif kind == "Number" and not (
                float(declared.get("MinValue", "-inf")) <= float(member) <= float(declared.get("MaxValue", "inf"))
            ):
                problem = "is outside MinValue/MaxValue"
            elif kind.removeprefix("List<").removesuffix(">") in exists:
                try:
                    exists[kind.removeprefix("List<").removesuffix(">")](member)
                except Exception:
                    problem = f"names no existing {kind} in the account"
            if problem:
                raise ValidationError(message=f"Parameter '{name}' ({member!r}) {problem}")


def _previous_values(stack: Any) -> dict[str, Any]:
    resolved = stack.resource_map.resolved_parameters
    return {key: ",".join(value) if isinstance(value, list) else value for key, value in resolved.items()}


def teach(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply these for the current test (the server runs in this process)."""
    execute = models.CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        execute(self, change_set_name, stack_name)
        for change_set in self.change_sets.values():
            if change_set_name in (change_set.change_set_id, change_set.change_set_name):
                change_set.stack._parse_template()
                change_set.stack.output_map = change_set.stack._create_output_map()

    monkeypatch.setattr(models.CloudFormationBackend, "execute_change_set", execute_change_set)
    create = models.CloudFormationBackend.create_change_set

    def create_change_set(
        self: Any, stack_name: str, change_set_name: str, template: str, parameters: Any, *args: Any, **kwargs: Any
    ) -> Any:
        _check_parameters(self, template, parameters)
        return create(self, stack_name, change_set_name, template, parameters, *args, **kwargs)

    monkeypatch.setattr(models.CloudFormationBackend, "create_change_set", create_change_set)
    monkeypatch.setattr(responses.CloudFormationResponse, "_validate_different_update", lambda *args: None)
    monkeypatch.setattr(models.Stack, "stack_parameters", property(_previous_values))
    monkeypatch.setattr(APIGatewayResponse, "update_method", _update_method, raising=False)
    monkeypatch.setattr(APIGatewayResponse, "update_integration", _update_integration, raising=False)
    resource_class = parsing.resource_class_from_type
    monkeypatch.setattr(parsing, "resource_class_from_type", lambda kind: STAND_INS.get(kind) or resource_class(kind))
