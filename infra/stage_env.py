"""Each Zappa stage's configuration, wired from the infra stacks' outputs, and checked.

Stages are named ``<service>_<env>`` (blog_dev, todo_production...). Every variable the settings
require for the stage's service (``myblog.env.REQUIRED``, read by importing the settings with that
service) has exactly one source here: an output of one of the stacks of infra/ (deployed as
``<project>-<env>-<template>``, e.g. myblog-production-storage), or the operator, who keeps it
in the stage's ``remote_env`` file with the secrets. Zappa keys that name AWS resources
(role_arn, dead_letter_arn, the Cognito authorizer, vpc_config) come from outputs too.

    python -m infra.stage_env check STAGE [--remote]   # lists each variable, its source, its state
    python -m infra.stage_env write STAGE              # fills zappa_settings.json from the outputs

``check`` exits non-zero when anything is missing; Zappa runs it (``callbacks.settings``) before
``deploy`` and ``update``, with ``--remote`` (it reads the stage's remote_env file), so no stage
deploys with a variable missing.

Zappa loads a callback module by its file path (``ZappaCLI.callback``), outside the infra package
and without the project on sys.path: so this module imports only the standard library at the top,
the callback works on the stage as Zappa resolved it (``cli.stage_config``), and the commands
import infra.zappa_stages (the reader of zappa_settings.json) when they run.
"""

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
FROM_STACK = "FROM_STACK"  # what a value still to be filled from a stack output holds
OPERATOR = "OPERATOR:"  # the start of a value only the operator can give (e.g. a certificate)


@dataclass(frozen=True)
class Output:
    template: str  # infra/<template>.yaml
    key: str


@dataclass(frozen=True)
class Operator:
    """Kept in the stage's remote_env file (secrets, and choices only the operator can make)."""

    what: str


SOURCES: dict[str, Output | Operator] = {
    "SECRET_KEY": Operator("a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')"),
    "ALLOWED_HOSTS": Operator("the stage's hosts: its custom domain, the CDN domain, the execute-api host"),
    "DATABASE_URL": Operator("postgres://myblog:<password>@<database.yaml WriterEndpoint>:5432/myblog"),
    "SITE_URL": Operator("the blog's public origin, e.g. https://blog.example.com"),
    "EMAIL_FROM": Operator("a From address of the SES identity (notifications.yaml MailDomain)"),
    # The blog's only entrance is CloudFront (myblog/core/origin.py): the same value as cdn.yaml's OriginSecret.
    "CDN_ORIGIN_SECRET": Operator(
        "the OriginSecret given to cdn.yaml (python -c 'import secrets; print(secrets.token_urlsafe(32))'); "
        "new,old while rotating"
    ),
    "CDN_DOMAIN": Output("cdn", "DistributionDomainName"),
    "MEDIA_BUCKET": Output("storage", "MediaBucketName"),
    "SES_CONFIGURATION_SET": Output("notifications", "ConfigurationSetName"),
    "SES_EVENTS_TOPIC_ARN": Output("notifications", "MailEventsTopicArn"),
    "NEWSLETTER_QUEUE_URL": Output("newsletter", "QueueUrl"),
    "TODO_TABLE": Output("todo", "TodoTable"),
    "USER_FILES_BUCKET": Output("todo", "UserFilesBucketName"),
    "COGNITO_USER_POOL_ID": Output("todo", "UserPoolId"),
    "COGNITO_APP_CLIENT_ID": Output("todo", "UserPoolClientId"),
    "COGNITO_IDENTITY_POOL_ID": Output("todo", "IdentityPoolId"),
    # Optional: set only where the stage uses them.
    "DAX_ENDPOINT": Output("todo", "DaxEndpoint"),
}
ROLE_OUTPUTS = {"blog": Output("roles", "BlogRoleArn"), "todo": Output("roles", "TodoRoleArn")}
# A stage in the VPC has network.yaml's group (HTTPS to AWS APIs) and the group that reaches its
# own resource there: the blog its database, the todo stage DAX (when DAX is on).
CLIENT_GROUP_OUTPUTS = {
    "blog": Output("database", "DatabaseClientSecurityGroupId"),
    "todo": Output("todo", "DaxClientSecurityGroupId"),
}


def required_variables(service: str) -> list[str]:
    """What production settings require for this service: imported in a fresh process with every
    known variable set, so the registry of myblog.env sees each required one."""
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_ENV": "production", "SERVICE": service}
    # Long enough for the settings that refuse short secrets (CDN_ORIGIN_SECRET: 32 characters).
    env |= {name: "placeholder" * 4 for name in SOURCES} | {"DATABASE_URL": "sqlite://:memory:"}
    code = "import json, myblog.settings, myblog.env; print(json.dumps(sorted(myblog.env.REQUIRED)))"
    command = [sys.executable, "-c", code]  # our interpreter, a fixed script
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"the production settings of {service} do not load:\n{result.stderr}")
    return json.loads(result.stdout)


def remote_env_keys(config: dict[str, Any]) -> set[str]:
    import boto3

    location = urlsplit(config["remote_env"])
    s3 = boto3.client("s3")
    try:
        body = s3.get_object(Bucket=location.netloc, Key=location.path.lstrip("/"))["Body"].read()
    except (s3.exceptions.NoSuchKey, s3.exceptions.NoSuchBucket) as exc:
        raise SystemExit(
            f"no remote_env file at {config['remote_env']} ({exc.response['Error']['Code']}): upload the stage's "
            "secrets first (python -m infra.remote_env upload STAGE FILE)"
        ) from exc
    return set(json.loads(body))


def check(stage: str, config: dict[str, Any], *, remote_keys: set[str] | None = None) -> list[str]:
    """The problems that keep the stage (``config``: resolved) from deploying (empty when none), as a table."""
    variables = config.get("environment_variables", {})
    # SERVICE selects the service in the function (myblog/settings.py); tests/infra/test_zappa_stages.py
    # keeps it equal to the service the stage's name says.
    service = variables.get("SERVICE", "")
    variables = config.get("environment_variables", {})
    problems: dict[str, str] = {}
    print(f"{stage}: the variables of the {service} service")
    for name in required_variables(service):
        source = SOURCES.get(name)
        if source is None:
            state = "NO SOURCE: add it to infra/stage_env.py SOURCES"
        elif isinstance(source, Output):
            value = variables.get(name)
            state = "ok" if value and value != FROM_STACK else "MISSING: run `python -m infra.stage_env write`"
        elif remote_keys is None:
            state = "in remote_env (not read; --remote checks it)"
        else:
            state = "ok" if name in remote_keys else "MISSING from the remote_env file"
        origin = f"{source.template}.yaml output {source.key}" if isinstance(source, Output) else "remote_env"
        print(f"  {name:26} {origin:45} {state}")
        if state.startswith(("NO SOURCE", "MISSING")):
            problems[name] = state
    # Optional variables and Zappa's own resource settings must not be left unfilled either.
    unfilled = {name for name, value in variables.items() if value == FROM_STACK}
    unfilled |= {key for key, value in _zappa_resources(config).items() if FROM_STACK in json.dumps(value)}
    for name in sorted(unfilled - set(problems)):
        problems[name] = f"still {FROM_STACK}: run `python -m infra.stage_env write`"
        print(f"  {name:26} {'zappa_settings.json':45} {problems[name]}")
    for key, value in config.items():
        if isinstance(value, str) and value.startswith(OPERATOR):
            problems[key] = f"to set by hand in zappa_settings.json ({value.removeprefix(OPERATOR).strip()})"
            print(f"  {key:26} {'zappa_settings.json':45} {problems[key]}")
    return [f"{name}: {state}" for name, state in sorted(problems.items())]


def _zappa_resources(config: dict[str, Any]) -> dict[str, Any]:
    keys = ("role_arn", "dead_letter_arn", "authorizer", "vpc_config", "events")
    return {key: config[key] for key in keys if key in config}


def stack_outputs(project: str, env: str, template: str, cloudformation: Any) -> dict[str, str]:
    name = f"{project}-{env}-{template}"
    try:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as exc:
        if "does not exist" not in str(exc):
            raise
        raise SystemExit(
            f"no stack {name}: deploy it first (python -m infra.stacks deploy {template} --env {env})"
        ) from exc
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def write(stage: str, cloudformation: Any, settings_file: Path | None = None) -> list[str]:
    """Fill the stage's FROM_STACK values (and refresh the others with a source) from the outputs."""
    from infra import zappa_stages  # when the command runs (see the top)

    settings_file = settings_file or zappa_stages.SETTINGS_FILE
    service, env = zappa_stages.service_and_env(stage)
    settings = zappa_stages.read(settings_file)
    config = zappa_stages.resolve(stage, settings)
    own = settings[stage]
    outputs: dict[str, dict[str, str]] = {}

    def output(source: Output) -> str | None:
        if source.template not in outputs:
            outputs[source.template] = stack_outputs(config["project_name"], env, source.template, cloudformation)
        return outputs[source.template].get(source.key)

    changed = []
    variables = dict(config.get("environment_variables", {}))
    for name in variables:
        source = SOURCES.get(name)
        if isinstance(source, Output) and (value := output(source)):
            variables[name] = value
            changed.append(name)
    own["environment_variables"] = variables
    own["role_arn"] = output(ROLE_OUTPUTS[service])
    changed.append("role_arn")
    if "dead_letter_arn" in config:
        own["dead_letter_arn"] = output(Output("notifications", "TaskDeadLetterQueueArn"))
        changed.append("dead_letter_arn")
    if any(event.get("event_source", {}).get("arn") == FROM_STACK for event in config.get("events", [])):
        # The newsletter's SQS event source: its queue's ARN holds the account id (newsletter.yaml).
        queue_arn = output(Output("newsletter", "QueueArn"))
        own["events"] = [_with_queue_arn(event, queue_arn) for event in config["events"]]
        changed.append("events")
    if "authorizer" in config:
        own["authorizer"] = {**config["authorizer"], "provider_arns": [output(Output("todo", "UserPoolArn"))]}
        changed.append("authorizer")
    if "vpc_config" in config:
        if service == "blog" and not output(Output("network", "NatGatewayId")):
            # Only a NAT gateway reaches the SES API and SNS's signing certificates from the VPC.
            raise SystemExit(
                f"{stage}: the blog calls SES and downloads SNS certificates, which only a NAT gateway reaches "
                f"from the VPC: deploy network.yaml with EnableNat=true"
            )
        subnets = (output(Output("network", "PrivateSubnetIds")) or "").split(",")
        groups = [output(Output("network", "LambdaSecurityGroupId")), output(CLIENT_GROUP_OUTPUTS[service])]
        own["vpc_config"] = {"SubnetIds": subnets, "SecurityGroupIds": [group for group in groups if group]}
        changed.append("vpc_config")
    settings_file.write_text(json.dumps(settings, indent=4) + "\n")
    return changed


def _with_queue_arn(event: dict[str, Any], queue_arn: str | None) -> dict[str, Any]:
    source = event.get("event_source", {})
    if source.get("arn") != FROM_STACK or not queue_arn:
        return event
    return {**event, "event_source": {**source, "arn": queue_arn}}


def zappa_settings_callback(cli: Any) -> None:
    """Zappa's ``callbacks.settings``: refuse to deploy or update a stage with a gap."""
    if cli.command not in ("deploy", "update"):
        return
    problems = check(cli.api_stage, cli.stage_config, remote_keys=remote_env_keys(cli.stage_config))
    if problems:
        raise SystemExit(f"Not deploying {cli.api_stage}: " + "; ".join(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["check", "write"])
    parser.add_argument("stage")
    parser.add_argument("--remote", action="store_true", help="read the stage's remote_env file on S3 (check)")
    parser.add_argument(
        "--certificate-arn", default="", help="write: the ACM certificate of the stage's custom domain, if it has one"
    )
    args = parser.parse_args(argv)
    from infra import zappa_stages  # when the command runs (see the top)
    from infra.cli import aws_failures_reported

    zappa_stages.service_and_env(args.stage)  # refuses a stage not named <service>_<env>
    if args.certificate_arn and args.action != "write":
        parser.error("--certificate-arn goes with write")
    with aws_failures_reported():
        if args.action == "write":
            import boto3

            region = zappa_stages.stage_config(args.stage).get("aws_region")
            changed = write(args.stage, boto3.client("cloudformation", region_name=region))
            if args.certificate_arn and "domain" in zappa_stages.stage_config(args.stage):
                settings = zappa_stages.read()
                settings[args.stage]["certificate_arn"] = args.certificate_arn
                zappa_stages.SETTINGS_FILE.write_text(json.dumps(settings, indent=4) + "\n")
                changed.append("certificate_arn")
            elif args.certificate_arn:  # the README's sequence gives it to every env; only a domain uses it
                print(f"{args.stage}: no domain in zappa_settings.json, so no certificate_arn written")
            print(f"{args.stage}: wrote {', '.join(changed)} into zappa_settings.json")
            return 0
        config = zappa_stages.stage_config(args.stage)
        problems = check(args.stage, config, remote_keys=remote_env_keys(config) if args.remote else None)
        for problem in problems:
            print(f"missing: {problem}", file=sys.stderr)
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
