"""Every Lambda stage reaches what it talks to, as AWS routes and filters its packets.

moto models neither routes nor security groups (docs/architecture.md, decision 12): a blog stage outside the VPC,
or whose group lets nothing out to PostgreSQL, passes every local test and times out on AWS. Here,
for Env=dev and production:

- what a stage talks to is derived from the code: the resources inside the VPC from the variables
  its service requires or its stage sets (DATABASE_URL: Aurora; DAX_ENDPOINT: DAX), the AWS APIs
  from the modules its URLconf, middleware, apps and event functions import, anywhere in their
  bodies (the clients they name, Zappa's async tasks, django-ses's sending and its SNS
  certificate download, the Cognito key set), a module counting whole;
- its network is the vpc_config `python -m infra.stage_env write` fills from the stacks' outputs;
- subnets, security groups (with EC2's allow-all egress for a group declared without egress
  rules), route tables, gateway and interface endpoints and the NAT gateway come from
  infra/network.yaml, database.yaml and todo.yaml, with the parameters the README passes.
"""

import ast
import re
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from infra import stage_env, zappa_stages
from infra.templates import Template, load

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = zappa_stages.read()
STAGES = list(SETTINGS)
PROJECT = "myblog"
ANYWHERE = "0.0.0.0/0"
HTTPS = 443

# README "The sequence": parameters of a stack that are outputs of another ("@template:Output").
WIRING = {
    "database": {"VpcId": "@network:VpcId", "SubnetIds": "@network:PrivateSubnetIds"},
    "todo": {"VpcId": "@network:VpcId", "SubnetIds": "@network:PrivateSubnetIds"},
}
# A variable that points a stage at a resource inside the VPC: (template, logical id).
IN_VPC = {
    "DATABASE_URL": ("database", "Cluster"),
    "DATABASE_REPLICA_URL": ("database", "Cluster"),
    "DAX_ENDPOINT": ("todo", "DaxCluster"),
}
# How the code's AWS APIs are reached from a VPC. Gateway or interface endpoints serve these:
ENDPOINT_SERVICES = {"s3", "dynamodb", "lambda", "cognito-idp", "cognito-identity", "sns", "sqs", "sts"}
# ...and only the internet (a NAT gateway) serves these:
INTERNET_ONLY = {
    # https://github.com/aws/aws-sdk/issues/181: SES's VPC endpoint speaks SMTP, not the API.
    "ses": "the SES API (email.<region>.amazonaws.com), which django-ses sends through",
    "sesv2": "the SES v2 API (email.<region>.amazonaws.com)",
    "sns-certificate": "SNS signing certificates (django-ses downloads each SigningCertURL)",
    "cognito-jwks": "the user pool's key set at cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json",
}
Ref = tuple[str, str]  # (template, logical id)


# --- The stacks of one environment, resolved symbolically -----------------------------------------


class Stacks:
    """The templates of an environment as deployed, with references between stacks followed."""

    def __init__(self, env: str, parameters: dict[str, dict[str, str]]) -> None:
        self.env = env
        self.templates: dict[str, Template] = {}
        for name in ("network", "database", "todo", "roles"):
            given = {"Project": PROJECT, "Env": env} | WIRING.get(name, {}) | parameters.get(name, {})
            self.templates[name] = load(f"{name}.yaml", **given)

    def enabled(self, template: str, logical_id: str) -> bool:
        condition = self.templates[template].resources[logical_id].get("Condition")
        return condition is None or self.templates[template].condition(condition)

    def resources(self, kind: str) -> list[tuple[Ref, dict[str, Any]]]:
        return [
            ((name, logical_id), resource.get("Properties", {}))
            for name, template in self.templates.items()
            for logical_id, resource in template.resources.items()
            if resource["Type"] == kind and self.enabled(name, logical_id)
        ]

    def output(self, template: str, key: str) -> list[Ref] | None:
        """What an output names (None when the stack does not have it under its parameters)."""
        declared = self.templates[template].body["Outputs"].get(key)
        if declared is None or (
            "Condition" in declared and not self.templates[template].condition(declared["Condition"])
        ):
            return None
        return self.refs(template, declared["Value"])

    def refs(self, template: str, value: Any) -> list[Ref]:
        """The resources a property names: Ref, GetAtt, joined lists and other stacks' outputs."""
        value = self.templates[template].resolve(value)
        if isinstance(value, list):
            return [ref for item in value for ref in self.refs(template, item)]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return [(template, value["Fn::GetAtt"][0])]
        if isinstance(value, str) and value.startswith("@"):
            other, _, key = value[1:].partition(":")
            return self.output(other, key) or []
        if isinstance(value, str):
            return [(template, part) for part in value.split(",") if part in self.templates[template].resources]
        return []

    def properties(self, ref: Ref) -> dict[str, Any]:
        return self.templates[ref[0]].resources[ref[1]].get("Properties", {})


@dataclass(frozen=True)
class Permission:
    group: Ref
    outbound: bool
    protocol: str
    ports: range
    peer: Ref | str  # a security group, or a CIDR block / prefix list


def permissions(stacks: Stacks) -> list[Permission]:
    found: list[Permission] = []

    def add(template: str, group: Ref, outbound: bool, rule: dict[str, Any]) -> None:
        rule = stacks.templates[template].resolve(rule)
        protocol = str(rule["IpProtocol"])
        ports = range(0, 65536) if protocol == "-1" else range(int(rule["FromPort"]), int(rule["ToPort"]) + 1)
        key = "DestinationSecurityGroupId" if outbound else "SourceSecurityGroupId"
        peers: list[Ref | str] = list(stacks.refs(template, rule[key])) if key in rule else []
        peers += [rule[cidr] for cidr in ("CidrIp", "DestinationPrefixListId") if cidr in rule]
        found.extend(Permission(group, outbound, protocol, ports, peer) for peer in peers)

    for group, properties in stacks.resources("AWS::EC2::SecurityGroup"):
        for rule in properties.get("SecurityGroupIngress", []):
            add(group[0], group, False, rule)
        for rule in properties.get("SecurityGroupEgress", []):
            add(group[0], group, True, rule)
        if "SecurityGroupEgress" not in properties:
            # EC2 gives a group created without egress rules one that allows everything out.
            found.append(Permission(group, True, "-1", range(0, 65536), ANYWHERE))
    for outbound, kind in ((False, "AWS::EC2::SecurityGroupIngress"), (True, "AWS::EC2::SecurityGroupEgress")):
        for (template, _), properties in stacks.resources(kind):
            for group in stacks.refs(template, properties["GroupId"]):
                add(template, group, outbound, properties)
    return found


def allowed(rules: list[Permission], outbound: bool, groups: set[Ref], port: int, peers: set[Ref | str]) -> bool:
    return any(
        rule.outbound == outbound
        and rule.group in groups
        and rule.protocol in ("-1", "tcp", "6")
        and port in rule.ports
        and (rule.peer in peers or rule.peer == ANYWHERE)
        for rule in rules
    )


# --- What each stage is and talks to -------------------------------------------------------------


def readme_parameters(env: str) -> dict[str, dict[str, str]]:
    """What the README passes the stacks of an environment, for the stages it has."""
    stages = {stage: zappa_stages.stage_config(stage) for stage in STAGES if stage.endswith(f"_{env}")}
    dax = any("DAX_ENDPOINT" in config.get("environment_variables", {}) for config in stages.values())
    todo_in_vpc = any("vpc_config" in config for stage, config in stages.items() if stage.startswith("todo_"))
    return {
        "todo": {"EnableDax": str(dax).lower()},
        "roles": {"TodoInVpc": str(todo_in_vpc).lower(), "TodoUsesDax": str(dax).lower()},
    }


class FakeCloudFormation:
    """describe_stacks answering each output with "@template:Output", when the stack has it."""

    def __init__(self, stacks: Stacks) -> None:
        self.stacks = stacks

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 (boto3's argument name)
        template = StackName.removeprefix(f"{PROJECT}-{self.stacks.env}-")
        keys = load(f"{template}.yaml").body.get("Outputs", {})
        present = [
            key
            for key in keys
            if template not in self.stacks.templates or self.stacks.output(template, key) is not None
        ]
        return {"Stacks": [{"Outputs": [{"OutputKey": key, "OutputValue": f"@{template}:{key}"} for key in present]}]}


def written_config(stage: str, stacks: Stacks, tmp_path: Path) -> dict[str, Any]:
    """The stage's settings after `python -m infra.stage_env write` against these stacks."""
    settings_file = tmp_path / "zappa_settings.json"
    shutil.copy(ROOT / "zappa_settings.json", settings_file)
    stage_env.write(stage, FakeCloudFormation(stacks), settings_file)
    return zappa_stages.stage_config(stage, zappa_stages.read(settings_file))


@cache
def required(service: str) -> frozenset[str]:
    return frozenset(stage_env.required_variables(service))


def vpc_targets(stage: str) -> set[Ref]:
    service, _ = zappa_stages.service_and_env(stage)
    names = set(required(service)) | set(zappa_stages.stage_config(stage).get("environment_variables", {}))
    return {IN_VPC[name] for name in names if name in IN_VPC}


_OURS = ("myblog", "media", "todo", "notifications")


def _module_file(module: str) -> Path | None:
    for path in (ROOT / f"{module.replace('.', '/')}.py", ROOT / module.replace(".", "/") / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(module: str) -> set[str]:
    """Our modules a module imports anywhere in its body, includes by name, or names in strings."""
    path = _module_file(module)
    assert path is not None, module
    source = path.read_text()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set(re.findall(r"""["']((?:{})(?:\.\w+)+)["']""".format("|".join(_OURS)), source))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    found = set()
    for name in names:
        while name and _module_file(name) is None:
            name = name.rpartition(".")[0]
        if name.split(".")[0] in _OURS:
            parts = name.split(".")
            found |= {".".join(parts[: i + 1]) for i in range(len(parts))}
    return found


def reachable_modules(stage: str) -> set[str]:
    """Every module of ours a request, an admin page or an event of the stage can run."""
    config = zappa_stages.stage_config(stage)
    service, _ = zappa_stages.service_and_env(stage)
    urlconf = {"blog": "myblog.urls.blog", "todo": "myblog.urls.todo"}[service]
    # What Django runs for every request and at start (middleware, AppConfig.ready), the service's
    # URLconf, and the functions of the stage's events. The settings module itself is not followed:
    # it names every service's URLconf.
    middleware = {name.rpartition(".")[0] for name in settings.MIDDLEWARE if name.startswith(_OURS)}
    roots = {urlconf, *middleware, *(f"{app}.apps" for app in _OURS if _module_file(f"{app}.apps"))}
    roots |= {event["function"].rpartition(".")[0] for event in config.get("events", [])}
    seen: set[str] = {"myblog.settings"}
    pending = list(roots)
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        pending += _imports(module) - seen
        if "admin.site.urls" in (_module_file(module) or Path("/dev/null")).read_text():
            # admin.autodiscover: the admin serves every app's admin module.
            pending += [f"{app}.admin" for app in _OURS if _module_file(f"{app}.admin")]
    return seen - {"myblog.settings"}


def aws_calls(stage: str) -> set[str]:
    """The AWS APIs (and AWS-hosted URLs) the stage's code calls."""
    config = zappa_stages.stage_config(stage)
    # reachable_modules holds only modules that have a file (_module_file is not None).
    sources = {module: _module_file(module).read_text() for module in reachable_modules(stage)}  # type: ignore[union-attr]
    text = "\n".join(sources.values())
    calls = set(re.findall(r"""client\(\s*["']([a-z0-9-]+)["']""", text))
    if "zappa.asynchronous" in text:
        calls.add({"lambda": "lambda", "sns": "sns"}[config.get("async_source", "lambda")])
    if re.search(r"EmailMultiAlternatives|EmailMessage|send_mail|send_mass_mail", text):
        calls.add("ses")  # settings.EMAIL_BACKEND is django-ses's SESBackend in production
    if "SESEventWebhookView" in text:
        calls.add("sns-certificate")  # AWS_SES_VERIFY_EVENT_SIGNATURES: the view downloads the certificate
    if "jwks_url(" in text:
        calls.add("cognito-jwks")
    if config.get("remote_env", "").startswith("s3://"):
        calls.add("s3")  # Zappa's handler reads remote_env at every cold start
    return calls


def stage_network(config: dict[str, Any], stacks: Stacks) -> tuple[set[Ref], set[Ref]]:
    vpc = config.get("vpc_config") or {}
    subnets = {ref for value in vpc.get("SubnetIds", []) for ref in stacks.refs("network", value)}
    groups = {ref for value in vpc.get("SecurityGroupIds", []) for ref in stacks.refs("network", value)}
    return subnets, groups


def target_network(stacks: Stacks, target: Ref) -> tuple[set[Ref], set[Ref], int]:
    """A resource's subnets, security groups and port."""
    template, _ = target
    properties = stacks.properties(target)
    if stacks.templates[template].resources[target[1]]["Type"] == "AWS::DAX::Cluster":
        subnet_group = stacks.properties(stacks.refs(template, properties["SubnetGroupName"])[0])
        groups = properties["SecurityGroupIds"]
        # DAX serves TLS on 9111 and plain connections on 8111, never both.
        encrypted = stacks.templates[template].resolve(properties.get("ClusterEndpointEncryptionType")) == "TLS"
        port = 9111 if encrypted else 8111
    else:
        subnet_group = stacks.properties(stacks.refs(template, properties["DBSubnetGroupName"])[0])
        groups = properties["VpcSecurityGroupIds"]
        engine_port = {"aurora-postgresql": 5432, "aurora-mysql": 3306}[properties["Engine"]]
        port = int(stacks.templates[template].resolve(properties.get("Port", engine_port)))
    subnets = set(stacks.refs(template, subnet_group["SubnetIds"]))
    return subnets, set(stacks.refs(template, groups)), port


def unreachable_apis(stage: str, config: dict[str, Any], stacks: Stacks) -> dict[str, str]:
    """Each API the stage calls that no route, endpoint or NAT gateway reaches, and why."""
    if not config.get("vpc_config"):
        return {}  # outside a VPC, Lambda's own network reaches every public endpoint
    subnets, groups = stage_network(config, stacks)
    rules = permissions(stacks)
    region = config["aws_region"]
    tables = {
        stacks.refs(template, properties["RouteTableId"])[0]
        for (template, _), properties in stacks.resources("AWS::EC2::SubnetRouteTableAssociation")
        if set(stacks.refs(template, properties["SubnetId"])) & subnets
    }
    https_out = allowed(rules, True, groups, HTTPS, set())
    nat = https_out and any(
        "NatGatewayId" in properties
        and properties.get("DestinationCidrBlock") == ANYWHERE
        and set(stacks.refs(template, properties["RouteTableId"])) & tables
        for (template, _), properties in stacks.resources("AWS::EC2::Route")
    )
    missing = {}
    for api in sorted(aws_calls(stage)):
        if api in INTERNET_ONLY:
            if not nat:
                missing[api] = f"{INTERNET_ONLY[api]}: only a NAT gateway reaches it"
            continue
        assert api in ENDPOINT_SERVICES, f"classify {api}: an endpoint service or internet only"
        reached = nat
        for (template, _), properties in stacks.resources("AWS::EC2::VPCEndpoint"):
            if stacks.templates[template].resolve(properties["ServiceName"]) != f"com.amazonaws.{region}.{api}":
                continue
            if properties.get("VpcEndpointType") == "Gateway":
                reached |= https_out and bool(set(stacks.refs(template, properties["RouteTableIds"])) & tables)
            else:
                endpoint_groups = set(stacks.refs(template, properties["SecurityGroupIds"]))
                reached |= (
                    stacks.templates[template].resolve(properties.get("PrivateDnsEnabled")) is True
                    and bool(set(stacks.refs(template, properties["SubnetIds"])) & subnets)
                    and allowed(rules, True, groups, HTTPS, endpoint_groups)
                    and allowed(rules, False, endpoint_groups, HTTPS, set(groups))
                )
        if not reached:
            missing[api] = "no gateway or interface endpoint, and no NAT gateway"
    return missing


# --- The tests -------------------------------------------------------------------------------------


def test_each_service_calls_what_its_code_names() -> None:
    blog, todo = aws_calls("blog_production"), aws_calls("todo_production")
    assert {"s3", "lambda", "ses", "sns-certificate"} <= blog
    assert {"s3", "dynamodb", "cognito-idp", "cognito-jwks"} <= todo
    # Whole modules count: the todo service imports the blog's models and receivers, so it is
    # taken to call what they name too. Extra calls demand extra paths and never hide a missing one.
    assert "sns-certificate" not in todo


def test_the_blog_talks_to_aurora_and_the_todo_stage_with_dax_to_dax() -> None:
    assert vpc_targets("blog_dev") == vpc_targets("blog_production") == {("database", "Cluster")}
    assert vpc_targets("todo_production") == {("todo", "DaxCluster")}
    assert vpc_targets("todo_dev") == set()


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_that_talks_to_a_resource_in_the_vpc_runs_in_that_resources_subnets(stage, tmp_path) -> None:
    stacks = Stacks(zappa_stages.service_and_env(stage)[1], readme_parameters(zappa_stages.service_and_env(stage)[1]))
    config = written_config(stage, stacks, tmp_path)
    subnets, _ = stage_network(config, stacks)
    private = set(stacks.output("network", "PrivateSubnetIds") or [])
    for target in vpc_targets(stage):
        target_subnets, _, _ = target_network(stacks, target)
        assert subnets == private == target_subnets, f"{stage} -> {target}: vpc_config {config.get('vpc_config')}"


@pytest.mark.parametrize("stage", STAGES)
def test_security_groups_let_a_stage_reach_each_resource_in_the_vpc_on_its_port(stage, tmp_path) -> None:
    env = zappa_stages.service_and_env(stage)[1]
    stacks = Stacks(env, readme_parameters(env))
    _, groups = stage_network(written_config(stage, stacks, tmp_path), stacks)
    rules = permissions(stacks)
    for target in vpc_targets(stage):
        _, target_groups, port = target_network(stacks, target)
        assert allowed(rules, True, groups, port, set(target_groups)), f"{stage}: no egress on {port} to {target}"
        assert allowed(rules, False, target_groups, port, set(groups)), f"{target}: no ingress on {port} from {stage}"


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_in_the_vpc_has_a_path_to_every_aws_api_it_calls(stage, tmp_path) -> None:
    env = zappa_stages.service_and_env(stage)[1]
    stacks = Stacks(env, readme_parameters(env))
    config = written_config(stage, stacks, tmp_path)
    assert unreachable_apis(stage, config, stacks) == {}


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_role_of_a_stage_in_the_vpc_may_manage_network_interfaces(stage) -> None:
    """Lambda creates the function's network interfaces in the VPC with the function's role."""
    service, env = zappa_stages.service_and_env(stage)
    in_vpc = "vpc_config" in zappa_stages.stage_config(stage) or bool(vpc_targets(stage))
    roles = Stacks(env, readme_parameters(env)).templates["roles"]
    role = roles.resources[{"blog": "BlogRole", "todo": "TodoRole"}[service]]["Properties"]
    managed = roles.resolve({"Arns": role.get("ManagedPolicyArns", [])}).get("Arns", [])
    vpc_access = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
    assert (vpc_access in managed) == in_vpc


def test_the_shared_https_group_alone_reaches_neither_the_database_nor_dax() -> None:
    stacks = Stacks("production", readme_parameters("production"))
    rules, shared = permissions(stacks), {("network", "LambdaSecurityGroup")}
    for target in (("database", "Cluster"), ("todo", "DaxCluster")):
        _, groups, port = target_network(stacks, target)
        assert not allowed(rules, True, shared, port, groups)
        assert not allowed(rules, False, groups, port, shared)


def test_the_check_finds_what_a_blog_without_a_nat_gateway_cannot_reach(tmp_path) -> None:
    stacks = Stacks("production", readme_parameters("production") | {"network": {"EnableNat": "false"}})
    config = zappa_stages.stage_config("blog_production") | {
        "vpc_config": {
            "SubnetIds": ["@network:PrivateSubnetIds"],
            "SecurityGroupIds": ["@network:LambdaSecurityGroupId"],
        }
    }
    assert set(unreachable_apis("blog_production", config, stacks)) >= {"ses", "sns-certificate", "lambda"}


def test_stage_env_refuses_to_put_the_blog_on_a_network_without_a_nat_gateway(tmp_path) -> None:
    stacks = Stacks("production", readme_parameters("production") | {"network": {"EnableNat": "false"}})
    with pytest.raises(SystemExit, match="EnableNat=true"):
        written_config("blog_production", stacks, tmp_path)
