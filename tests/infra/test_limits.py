"""Every name the deploy gives an AWS resource fits AWS's rules for that kind of resource.

moto accepts names AWS rejects (a 23-character DAX cluster name, an identity pool name with
hyphens...), so a name that breaks a rule shows up only in the middle of a real deploy. Here every
name is rendered as the README deploys it (Project=myblog, Env=dev and production, the stages'
region and the longest region name) from infra/*.yaml and from what Zappa derives from
zappa_settings.json (function, API, stack, log group, event rule and permission names), and checked
against the length and characters AWS documents for that resource type; each rule cites its source.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from zappa.cli import ZappaCLI

from infra.templates import INFRA_DIR, Template, load
from infra.zappa_stages import stage_config

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = ROOT / "zappa_settings.json"
STAGES = list(json.loads(SETTINGS_FILE.read_text()))
PROJECT = "myblog"
ENVS = ("dev", "production")
# The stages' region, and a region with the longest name of the commercial partition: names that
# carry the region (the Aurora cluster of each region of a global database) must fit in both.
REGIONS = sorted({stage_config(stage)["aws_region"] for stage in STAGES} | {"ap-southeast-2"})

# README: the stacks of an environment are myblog-<env>-<template>; the updates CDN is one stack.
STACK_NAMES = {"updates_cdn": "updates-cdn"}

# "letters, digits, hyphens; starts with a letter; no trailing or double hyphen" (RDS, DAX).
_IDENTIFIER = r"(?!.*--)[A-Za-z][A-Za-z0-9-]*(?<!-)"
_SECURITY_GROUP_TEXT = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*"
_IAM_NAME = r"[\w+=,.@-]+"
_COGNITO_NAME = r"[\w\s+=,.@-]+"


@dataclass(frozen=True)
class Rule:
    pattern: str  # the whole name must match
    max_length: int
    source: str  # where AWS documents the rule
    min_length: int = 1

    def problems(self, name: str) -> list[str]:
        found = []
        if not self.min_length <= len(name) <= self.max_length:
            found.append(f"{len(name)} characters, allowed {self.min_length}-{self.max_length}")
        if not re.fullmatch(self.pattern, name):
            found.append(f"does not match {self.pattern}")
        return found


RULES = {
    "s3-bucket": Rule(
        r"(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?!.*(-s3alias|--ol-s3|--x-s3)$)[a-z0-9][a-z0-9.-]*[a-z0-9]",
        63,
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
        min_length=3,
    ),
    "iam-role": Rule(_IAM_NAME, 64, "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html"),
    "iam-policy": Rule(_IAM_NAME, 128, "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html"),
    "dynamodb-table": Rule(
        r"[a-zA-Z0-9_.-]+",
        255,
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html",
        min_length=3,
    ),
    "sqs-queue": Rule(
        r"[A-Za-z0-9_-]+",
        80,
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
    ),
    "sns-topic": Rule(r"[A-Za-z0-9_-]+", 256, "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"),
    "sns-display-name": Rule(
        r".+", 100, "https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html (DisplayName)"
    ),
    "ses-name": Rule(
        r"[A-Za-z0-9_-]+", 64, "https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_CreateConfigurationSet.html"
    ),
    "secret": Rule(
        r"[A-Za-z0-9/_+=.@-]+",
        512,
        "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
    ),
    "rds-cluster": Rule(
        _IDENTIFIER, 63, "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html"
    ),
    "rds-global-cluster": Rule(
        _IDENTIFIER, 63, "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateGlobalCluster.html"
    ),
    "rds-database": Rule(
        r"[A-Za-z][A-Za-z0-9_]*",
        63,
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html (DatabaseName)",
    ),
    "dax-cluster": Rule(
        _IDENTIFIER, 20, "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_dax_CreateCluster.html"
    ),
    "cognito-user-pool": Rule(
        _COGNITO_NAME,
        128,
        "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPool.html",
    ),
    "cognito-client": Rule(
        _COGNITO_NAME,
        128,
        "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolClient.html",
    ),
    "cognito-identity-pool": Rule(
        _COGNITO_NAME,
        128,
        "https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_CreateIdentityPool.html",
    ),
    "security-group-text": Rule(
        _SECURITY_GROUP_TEXT, 255, "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html"
    ),
    "security-group-rule-text": Rule(
        _SECURITY_GROUP_TEXT, 255, "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html"
    ),
    "tag-key": Rule(r".+", 128, "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html"),
    "tag-value": Rule(r".*", 256, "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html", min_length=0),
    "cloudfront-oac": Rule(
        r".+", 64, "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html"
    ),
    "cloudfront-function": Rule(
        r"[a-zA-Z0-9-_]+", 64, "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateFunction.html"
    ),
    "cloudfront-comment": Rule(
        r".*",
        128,
        "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html (Comment)",
        min_length=0,
    ),
    "stack": Rule(
        r"[a-zA-Z][-a-zA-Z0-9]*",
        128,
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html",
    ),
    "lambda-function": Rule(
        r"[a-zA-Z0-9-_]+", 64, "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (FunctionName)"
    ),
    "lambda-description": Rule(
        r".*", 256, "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (Description)", min_length=0
    ),
    "lambda-statement": Rule(
        r"[a-zA-Z0-9-_]+", 100, "https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html (StatementId)"
    ),
    "log-group": Rule(
        r"[\.\-_/#A-Za-z0-9]+",
        512,
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
    "event-rule": Rule(
        r"[\.\-_A-Za-z0-9]+", 64, "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html"
    ),
    "event-rule-description": Rule(
        r".*", 512, "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html", min_length=0
    ),
    "api-stage": Rule(
        r"[a-zA-Z0-9_-]+", 128, "https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html (stageName)"
    ),
}

# The name-bearing properties of each resource type of infra/ (dotted paths; [] walks a list),
# and the rule each must follow. Every type the templates use must be listed, so a new one is
# classified on purpose. Tags are checked for every type.
NAMES: dict[str, list[tuple[str, str]]] = {
    "AWS::S3::Bucket": [("BucketName", "s3-bucket")],
    "AWS::IAM::Role": [("RoleName", "iam-role"), ("Policies[].PolicyName", "iam-policy")],
    "AWS::DynamoDB::GlobalTable": [("TableName", "dynamodb-table")],
    "AWS::SQS::Queue": [("QueueName", "sqs-queue")],
    "AWS::SNS::Topic": [("TopicName", "sns-topic"), ("DisplayName", "sns-display-name")],
    "AWS::SES::ConfigurationSet": [("Name", "ses-name")],
    "AWS::SES::ConfigurationSetEventDestination": [("EventDestination.Name", "ses-name")],
    "AWS::SecretsManager::Secret": [("Name", "secret")],
    "AWS::RDS::GlobalCluster": [("GlobalClusterIdentifier", "rds-global-cluster")],
    "AWS::RDS::DBCluster": [("DBClusterIdentifier", "rds-cluster"), ("DatabaseName", "rds-database")],
    "AWS::DAX::Cluster": [("ClusterName", "dax-cluster")],
    "AWS::Cognito::UserPool": [("UserPoolName", "cognito-user-pool")],
    "AWS::Cognito::UserPoolClient": [("ClientName", "cognito-client")],
    "AWS::Cognito::IdentityPool": [("IdentityPoolName", "cognito-identity-pool")],
    "AWS::EC2::SecurityGroup": [
        ("GroupDescription", "security-group-text"),
        ("SecurityGroupIngress[].Description", "security-group-rule-text"),
        ("SecurityGroupEgress[].Description", "security-group-rule-text"),
    ],
    "AWS::EC2::SecurityGroupIngress": [("Description", "security-group-rule-text")],
    "AWS::EC2::SecurityGroupEgress": [("Description", "security-group-rule-text")],
    "AWS::CloudFront::OriginAccessControl": [("OriginAccessControlConfig.Name", "cloudfront-oac")],
    "AWS::CloudFront::Function": [("Name", "cloudfront-function")],
    "AWS::CloudFront::Distribution": [("DistributionConfig.Comment", "cloudfront-comment")],
    # AWS documents no length or character rule for these names (the API references say only
    # "a name"): DAX subnet and parameter groups, CloudFront cache and response headers policies.
    "AWS::DAX::SubnetGroup": [],
    "AWS::DAX::ParameterGroup": [],
    "AWS::CloudFront::CachePolicy": [],
    "AWS::CloudFront::ResponseHeadersPolicy": [],
    # Named by CloudFormation or by id, or nothing of ours names them.
    **{
        kind: []
        for kind in (
            "AWS::Cognito::IdentityPoolPrincipalTag",
            "AWS::Cognito::IdentityPoolRoleAttachment",
            "AWS::EC2::EIP",
            "AWS::EC2::InternetGateway",
            "AWS::EC2::NatGateway",
            "AWS::EC2::Route",
            "AWS::EC2::RouteTable",
            "AWS::EC2::Subnet",
            "AWS::EC2::SubnetRouteTableAssociation",
            "AWS::EC2::VPC",
            "AWS::EC2::VPCEndpoint",
            "AWS::EC2::VPCGatewayAttachment",
            "AWS::RDS::DBInstance",
            "AWS::RDS::DBSubnetGroup",
            "AWS::S3::BucketPolicy",
            "AWS::SES::EmailIdentity",
            "AWS::SNS::Subscription",
            "AWS::SNS::TopicPolicy",
        )
    },
}


def deployed(template: str, env: str, region: str) -> Template:
    """The template with what the README passes it, every optional part switched on."""
    media = f"{PROJECT}-{env}-media"
    parameters = {
        "Project": PROJECT,
        "Env": env,
        "AWS::Region": region,
        "AWS::StackName": STACK_NAMES.get(template, f"{PROJECT}-{env}-{template}"),
        # Optional parts on, so their names are rendered too.
        "EnableNat": "true",
        "EnableDax": "true",
        "EnableGlobal": "true",
        "ReaderInstance": "true",
        "BlogInVpc": "true",
        "TodoInVpc": "true",
        "TodoUsesDax": "true",
        "VpcId": "vpc-0123456789abcdef0",
        "SubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
        # cdn.yaml and updates_cdn.yaml: the other stacks' outputs they are deployed with.
        "MediaBucketName": media,
        "MediaBucketRegionalDomainName": f"{media}.s3.{region}.amazonaws.com",
        "BlogApiDomainName": f"a1b2c3d4e5.execute-api.{region}.amazonaws.com",
        "OriginSecret": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "OriginDomainName": "updates.example.com",
        "MailDomain": "blog.example.com",
        "EventsEndpoint": "https://blog.example.com/notifications/ses-events/",
    }
    declared = load(f"{template}.yaml").body.get("Parameters", {})
    pseudo = {name: value for name, value in parameters.items() if name.startswith("AWS::")}
    return load(f"{template}.yaml", **pseudo, **{k: v for k, v in parameters.items() if k in declared})


def at(value: Any, path: str) -> Iterator[Any]:
    """The values at a dotted path; ``[]`` walks each item of a list."""
    if not path:
        yield value
        return
    head, _, rest = path.partition(".")
    walk = head.endswith("[]")
    key = head.removesuffix("[]")
    if not isinstance(value, dict) or key not in value:
        return
    items = value[key] if walk and isinstance(value[key], list) else [value[key]]
    for item in items:
        yield from at(item, rest)


def template_names(env: str, region: str) -> Iterator[tuple[str, str, Rule]]:
    for path in sorted(INFRA_DIR.glob("*.yaml")):
        template = deployed(path.stem, env, region)
        yield f"stack {path.stem}", template.parameters["AWS::StackName"], RULES["stack"]
        for logical_id, resource in template.resources.items():
            # Only the names are resolved: other properties may hold what only AWS knows (GetAtt).
            properties = resource.get("Properties", {})
            where = f"{path.name} {logical_id}"
            for property_path, rule in NAMES.get(resource["Type"], []):
                for value in map(template.resolve, at(properties, property_path)):
                    if isinstance(value, str) and "{{resolve:" not in value:
                        yield f"{where} {property_path}", value, RULES[rule]
            tags = template.resolve(properties.get("Tags", []))
            for tag in tags if isinstance(tags, list) else []:
                yield f"{where} tag", str(tag.get("Key")), RULES["tag-key"]
                yield f"{where} tag {tag.get('Key')}", str(tag.get("Value")), RULES["tag-value"]


def zappa_names(stage: str) -> Iterator[tuple[str, str, Rule]]:
    """The names Zappa 0.63 gives what it creates for a stage, from Zappa's own code."""
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(str(SETTINGS_FILE))
    function = cli.lambda_name
    yield "Lambda function (slugified project_name-stage)", function, RULES["lambda-function"]
    yield "Lambda description", cli.stage_config.get("lambda_description", ""), RULES["lambda-description"]
    # The API and its CloudFormation stack are both named after the function; the stage is the stage.
    yield "Zappa's API stack", function, RULES["stack"]
    yield "API Gateway stage", stage, RULES["api-stage"]
    yield "log group", f"/aws/lambda/{function}", RULES["log-group"]
    yield "deployment bucket", cli.s3_bucket_name, RULES["s3-bucket"]
    events = list(cli.stage_config.get("events", []))
    if cli.stage_config.get("keep_warm", True):
        # What ZappaCLI.schedule adds for keep_warm.
        events.append(
            {"name": "zappa-keep-warm", "function": "handler.keep_warm_callback", "expression": "rate(4 minutes)"}
        )
    for index, event in enumerate(events):
        if "expression" in event:
            rule = cli.zappa.get_scheduled_event_name(event, event["function"], function)
            yield f"event rule {index}", rule, RULES["event-rule"]
            description = event.get("description", f"Zappa Keep Warm - {function}")
            yield f"event rule {index} description", description, RULES["event-rule-description"]
        elif "event_source" in event:
            bucket = event["event_source"]["arn"].split(":::")[-1]
            # zappa.utilities.S3EventSource.add: the permission's statement id.
            yield f"S3 event {index} permission", f"s3-{bucket}", RULES["lambda-statement"]
    for key, value in cli.stage_config.get("tags", {}).items():
        yield "Lambda tag", key, RULES["tag-key"]
        yield f"Lambda tag {key}", value, RULES["tag-value"]


def broken(names: Iterator[tuple[str, str, Rule]]) -> list[str]:
    return [
        f"{where}: {name!r} {'; '.join(problems)} ({rule.source})"
        for where, name, rule in names
        if (problems := rule.problems(name))
    ]


def test_every_resource_type_of_the_templates_is_classified_for_names() -> None:
    used = {resource["Type"] for path in INFRA_DIR.glob("*.yaml") for resource in load(path.name).resources.values()}
    assert used - set(NAMES) == set()


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("env", ENVS)
def test_every_name_in_the_templates_fits_aws_rules(env: str, region: str) -> None:
    assert broken(template_names(env, region)) == []


@pytest.mark.parametrize("stage", STAGES)
def test_every_name_zappa_derives_for_a_stage_fits_aws_rules(stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", stage_config(stage)["aws_region"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert broken(zappa_names(stage)) == []


@pytest.mark.parametrize("stage", STAGES)
def test_the_roles_grant_the_function_and_log_group_zappa_names(stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """roles.yaml writes the function name out (${Project}-<service>-${Env}); Zappa derives it."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(str(SETTINGS_FILE))
    service, _, env = stage.partition("_")
    roles = load("roles.yaml", Project=PROJECT, Env=env)
    role = roles.properties({"blog": "BlogRole", "todo": "TodoRole"}[service])
    granted = json.dumps(role["Policies"])
    assert f"log-group:/aws/lambda/{cli.lambda_name}" in granted


def test_the_longest_project_and_env_the_todo_stack_accepts_still_name_a_valid_dax_cluster() -> None:
    declared = load("todo.yaml").body["Parameters"]
    longest = {name: "a" * declared[name]["MaxLength"] for name in ("Project", "Env")}
    cluster = load("todo.yaml", **longest).properties("DaxCluster")["ClusterName"]
    assert RULES["dax-cluster"].problems(cluster) == []


def test_the_rules_catch_what_aws_rejects() -> None:
    assert RULES["dax-cluster"].problems("myblog-production-todos") == ["23 characters, allowed 1-20"]
    assert RULES["dax-cluster"].problems("myblog--todos")
    assert RULES["s3-bucket"].problems("MyBlog-media")
    assert RULES["cognito-identity-pool"].problems("myblog production files") == []
    assert RULES["security-group-text"].problems("the user's files")
