"""Deploy a template of infra/ as the stack ``<project>-<env>-<template>`` through a change set.

    python -m infra.stacks deploy TEMPLATE --env ENV [Name=Value ...]
    python -m infra.stacks outputs TEMPLATE [KEY] --env ENV   # all outputs, or one output's value
    python -m infra.stacks api-origin STAGE                   # cdn.yaml's origin for a deployed blog stage
    python -m infra.stacks app-api-origin STAGE               # app.yaml's ApiOrigin for a deployed todo stage
    python -m infra.stacks database-url --env ENV             # the blog's DATABASE_URL (with the password)

What ``aws cloudformation deploy`` does, over boto3 (docs/architecture.md, decision 10), so the deploy sequence of
the README needs no AWS CLI: create a change set (CREATE for a new stack, UPDATE otherwise), wait
for it, execute it unless it holds no changes, wait for the stack, print its outputs. ``Env`` is
set from ``--env`` when the template declares it; every other parameter is ``Name=Value`` (a list
parameter comma-separated) and must be one the template declares, so a misspelt name fails
before anything is created. Parameters not given keep their previous value on an update, else
the template's default. boto3 finds credentials, the region and the endpoint as usual
(``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``).
"""

import argparse
import json
import re
import sys
import time
from typing import Any
from urllib.parse import quote, urlsplit

from infra.cli import aws_failures_reported
from infra.templates import INFRA_DIR, load
from infra.zappa_stages import service_of, stage_config

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
# What CloudFormation answers for a change set that would change nothing (then it is FAILED).
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class DeployError(Exception):
    pass


def stack_name(template: str, env: str, project: str = "myblog") -> str:
    """Stack names take letters, digits and hyphens only: updates_cdn.yaml is ...-updates-cdn."""
    return f"{project}-{env}-{template.replace('_', '-')}"


def parameters(template: str, env: str, overrides: dict[str, str], previous: set[str]) -> list[dict[str, Any]]:
    """The change set's parameters: Env, the overrides, and previous values kept on an update."""
    declared = load(f"{template}.yaml").body.get("Parameters", {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise DeployError(f"{template}.yaml declares no parameter {', '.join(unknown)} (it has: {', '.join(declared)})")
    values = ({"Env": env} if "Env" in declared else {}) | overrides
    given = [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]
    kept = [{"ParameterKey": key, "UsePreviousValue": True} for key in sorted(previous - set(values))]
    return given + kept


def deploy(cloudformation: Any, template: str, env: str, overrides: dict[str, str], project: str = "myblog") -> str:
    """Create or update the stack; returns its final status."""
    project = overrides.get("Project", project)
    name = stack_name(template, env, project)
    existing = _stack(cloudformation, name)
    creating = existing is None or existing["StackStatus"] == "REVIEW_IN_PROGRESS"
    previous = set() if existing is None or creating else {p["ParameterKey"] for p in existing.get("Parameters", [])}
    change_set = f"{name}-{int(time.time())}"
    try:
        cloudformation.create_change_set(
            StackName=name,
            ChangeSetName=change_set,
            ChangeSetType="CREATE" if creating else "UPDATE",
            TemplateBody=(INFRA_DIR / f"{template}.yaml").read_text(),
            Parameters=parameters(template, env, overrides, previous),
            Capabilities=CAPABILITIES,
            Tags=[{"Key": "project", "Value": project}, {"Key": "env", "Value": env}],
        )
    except cloudformation.exceptions.ClientError as exc:  # e.g. a value the template does not allow
        raise DeployError(f"{name}: {exc}") from exc
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName=change_set, WaiterConfig={"Delay": 2, "MaxAttempts": 150}
        )
    except Exception as exc:  # the waiter fails on FAILED, which also means "no changes"
        described = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set)
        reason = described.get("StatusReason", "")
        if any(text in reason for text in NO_CHANGES):
            cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
            return "NO_CHANGES"
        raise DeployError(f"change set {change_set} of {name}: {reason or exc}") from exc
    cloudformation.execute_change_set(StackName=name, ChangeSetName=change_set)
    waiter = "stack_create_complete" if creating else "stack_update_complete"
    try:
        cloudformation.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 5, "MaxAttempts": 720})
    except Exception as exc:
        raise DeployError(f"{name}: {_failures(cloudformation, name) or exc}") from exc
    final = _stack(cloudformation, name)
    if final is None:  # deleted by someone else between the waiter and this call
        raise DeployError(f"{name}: the stack no longer exists")
    return final["StackStatus"]


def outputs(cloudformation: Any, template: str, env: str, project: str = "myblog") -> dict[str, str]:
    stack = _stack(cloudformation, stack_name(template, env, project))
    if stack is None:
        raise DeployError(f"no stack {stack_name(template, env, project)}: deploy it first")
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def _failures(cloudformation: Any, name: str) -> str:
    """The stack's status and why its resources failed, newest first (what the console shows)."""
    stack = _stack(cloudformation, name) or {}
    events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
    failed = [
        f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
        for event in events
        if event["ResourceStatus"].endswith("_FAILED")
    ]
    return "; ".join([stack.get("StackStatus", "no stack"), *failed[:5]])


def _stack(cloudformation: Any, name: str) -> dict[str, Any] | None:
    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _execute_api_host(apigateway: Any, stage: str) -> str:
    """The execute-api host of a deployed stage. Zappa names the REST API after the function:
    <project>-<stage> with '_' made '-'."""
    config = stage_config(stage)
    name = f"{config['project_name']}-{stage}".replace("_", "-")
    apis = [api for page in apigateway.get_paginator("get_rest_apis").paginate() for api in page["items"]]
    ids = [api["id"] for api in apis if api["name"] == name]
    if len(ids) != 1:
        raise DeployError(f"expected one REST API named {name}, found {len(ids)}: run `zappa deploy {stage}` first")
    return f"{ids[0]}.execute-api.{config['aws_region']}.amazonaws.com"


def api_origin(apigateway: Any, stage: str) -> dict[str, str]:
    """cdn.yaml's origin parameters for a deployed stage: its execute-api host and /<stage> path."""
    return {"BlogApiDomainName": _execute_api_host(apigateway, stage), "BlogApiOriginPath": f"/{stage}"}


def api_url(apigateway: Any, stage: str) -> str:
    """Where a client reaches a deployed stage: its custom domain (``zappa certify``, served at the
    root: no base_path) if it has one, else its execute-api URL, under which Zappa's paths start
    with /<stage>."""
    config = stage_config(stage)
    if config.get("domain"):
        return f"https://{config['domain']}" + (f"/{config['base_path']}" if config.get("base_path") else "")
    return f"https://{_execute_api_host(apigateway, stage)}/{stage}"


def app_api_origin(apigateway: Any, stage: str) -> dict[str, str]:
    """app.yaml's ApiOrigin: the origin (no path) of the to-do stage the app calls (its CSP)."""
    parts = urlsplit(api_url(apigateway, stage))
    return {"ApiOrigin": f"{parts.scheme}://{parts.netloc}"}


def database_url(cloudformation: Any, secretsmanager: Any, env: str) -> str:
    """DATABASE_URL of the blog: database.yaml's writer, with the master user of its secret."""
    values = outputs(cloudformation, "database", env)
    secret = json.loads(secretsmanager.get_secret_value(SecretId=values["MasterSecretArn"])["SecretString"])
    credentials = f"{quote(secret['username'], safe='')}:{quote(secret['password'], safe='')}"
    return f"postgres://{credentials}@{values['WriterEndpoint']}:5432/myblog"


def _assignment(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected Name=Value, got {text!r}")
    return key, value


def _env(text: str) -> str:
    # The templates' Env parameter (AllowedPattern); it is part of every stack and resource name.
    if not re.fullmatch(r"[a-z0-9-]+", text):
        raise argparse.ArgumentTypeError(
            f"expected lower-case letters, digits and hyphens (dev, production), got {text!r}"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", required=True)
    deploy_parser = actions.add_parser("deploy", help="create or update the stack through a change set")
    deploy_parser.add_argument("template", help="a template of infra/ without .yaml, e.g. storage")
    deploy_parser.add_argument(
        "--env", required=True, type=_env, help="dev or production: the stack is myblog-<env>-<template>"
    )
    deploy_parser.add_argument("parameters", nargs="*", type=_assignment, metavar="Name=Value")
    outputs_parser = actions.add_parser("outputs", help="print the stack's outputs, or the value of one")
    outputs_parser.add_argument("template")
    outputs_parser.add_argument("key", nargs="?", help="print only this output's value")
    outputs_parser.add_argument("--env", required=True, type=_env)
    origin_parser = actions.add_parser("api-origin", help="cdn.yaml's origin parameters for a deployed blog stage")
    origin_parser.add_argument("stage", help="e.g. blog_production")
    app_origin_parser = actions.add_parser("app-api-origin", help="app.yaml's ApiOrigin for a deployed todo stage")
    app_origin_parser.add_argument("stage", help="e.g. todo_production")
    url_parser = actions.add_parser("database-url", help="the blog's DATABASE_URL from database.yaml's outputs")
    url_parser.add_argument("--env", required=True, type=_env)
    # Name=Value pairs may follow --env (as in the README): argparse leaves those over.
    args, rest = parser.parse_known_args(argv)
    if args.action == "outputs" and args.key is None and len(rest) == 1 and not rest[0].startswith("-"):
        args.key = rest.pop()  # `outputs TEMPLATE --env ENV KEY`: argparse took no KEY before --env
    if rest and args.action != "deploy":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        parameters = dict(args.parameters if args.action == "deploy" else []) | dict(map(_assignment, rest))
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if (
        args.action not in ("api-origin", "app-api-origin", "database-url")
        and not (INFRA_DIR / f"{args.template}.yaml").is_file()
    ):
        parser.error(f"no template infra/{args.template}.yaml")
    # The CDN's origin is the blog, the app's API the to-do service: the other one would deploy, and misroute.
    wanted = {"api-origin": "blog", "app-api-origin": "todo"}.get(args.action)
    if wanted and service_of(args.stage) != wanted:
        parser.error(f"{args.action} takes a {wanted} stage ({wanted}_<env>), not {args.stage}")
    import boto3

    with aws_failures_reported():
        try:
            if args.action in ("api-origin", "app-api-origin"):
                region = stage_config(args.stage).get("aws_region")
                of_stage = api_origin if args.action == "api-origin" else app_api_origin
                origin = of_stage(boto3.client("apigateway", region_name=region), args.stage)
                print(" ".join(f"{key}={value}" for key, value in origin.items()))
                return 0
            cloudformation = boto3.client("cloudformation")
            if args.action == "database-url":
                print(database_url(cloudformation, boto3.client("secretsmanager"), args.env))
                return 0
            if args.action == "deploy":
                status = deploy(cloudformation, args.template, args.env, parameters)
                print(f"{stack_name(args.template, args.env)}: {status}")
            values = outputs(cloudformation, args.template, args.env)
            if args.action == "outputs" and args.key:
                if args.key not in values:
                    known = ", ".join(values) or "none"
                    raise DeployError(
                        f"{stack_name(args.template, args.env)} has no output {args.key} (it has: {known})"
                    )
                print(values[args.key])
                return 0
            for key, value in values.items():
                print(f"  {key} = {value}")
        except DeployError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
