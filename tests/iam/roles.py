"""The production roles whose policies the recorded calls are evaluated against, rendered from
infra/ for Project=myblog, Env=production in account 123456789012, us-east-1 (infra/templates.py's
pseudo parameters), and the names the local endpoint uses translated to production's."""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from infra.bootstrap import PARAMETERS
from infra.templates import Template, load

from .actions import ACCOUNT

PROJECT = "myblog"
ENV = "production"
# Env values whose resource names tests use: the local bootstrap's, and the dev stage's of
# zappa_settings.json (the Lambda tests run Zappa's generated settings of blog_dev).
_TEST_ENVS = "local|dev"


@dataclass(frozen=True)
class Role:
    key: str  # blog, todo, app
    description: str
    principal: str  # the session ARN the simulator evaluates as
    policies: tuple[dict[str, Any], ...]  # [{"name": ..., "policy": ...}]


class _Rendered(Template):
    """A template whose Fn::GetAtt <bucket>.Arn resolves too (todo.yaml's authenticated role)."""

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
            return self._lookup(".".join(value["Fn::GetAtt"]))
        return super().resolve(value)

    def _lookup(self, name: str) -> Any:
        logical_id, _, attribute = name.partition(".")
        if attribute == "Arn" and self.resources.get(logical_id, {}).get("Type") == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{self.physical_name(logical_id)}"
        return super()._lookup(name)


def _inline_policies(template: Template, logical_id: str) -> tuple[dict[str, Any], ...]:
    properties = template.properties(logical_id)
    return tuple({"name": p["PolicyName"], "policy": p["PolicyDocument"]} for p in properties.get("Policies", []))


@cache
def production_roles() -> dict[str, Role]:
    roles_template = _Rendered(**vars(load("roles.yaml", Project=PROJECT, Env=ENV)))
    todo_template = _Rendered(**vars(load("todo.yaml", Project=PROJECT, Env=ENV)))
    blog_name = roles_template.properties("BlogRole")["RoleName"]
    todo_name = roles_template.properties("TodoRole")["RoleName"]
    return {
        "blog": Role(
            "blog",
            f"the blog Lambda role {blog_name} (infra/roles.yaml BlogRole)",
            f"arn:aws:sts::{ACCOUNT}:assumed-role/{blog_name}/{PROJECT}-blog-{ENV}",
            _inline_policies(roles_template, "BlogRole"),
        ),
        "todo": Role(
            "todo",
            f"the todo Lambda role {todo_name} (infra/roles.yaml TodoRole)",
            f"arn:aws:sts::{ACCOUNT}:assumed-role/{todo_name}/{PROJECT}-todo-{ENV}",
            _inline_policies(roles_template, "TodoRole"),
        ),
        "app": Role(
            "app",
            "the identity pool's authenticated role (infra/todo.yaml AuthenticatedRole), used by the mobile app",
            f"arn:aws:sts::{ACCOUNT}:assumed-role/{PROJECT}-{ENV}-todo-AuthenticatedRole/CognitoIdentityCredentials",
            _inline_policies(todo_template, "AuthenticatedRole"),
        ),
    }


@cache
def _production_mail_domain() -> str:
    return str(load("roles.yaml", Project=PROJECT, Env=ENV).resolve({"Ref": "MailDomain"}))


def in_production(text: str) -> str:
    """A resource name or ARN of the tests, as production names it: ``myblog-local-media`` →
    ``myblog-production-media``, ``myblog-blog-dev`` → ``myblog-blog-production``, and the local
    sender domain → the production SES identity (MailDomain)."""
    text = re.sub(rf"\b{PROJECT}-({_TEST_ENVS})-", f"{PROJECT}-{ENV}-", text)
    text = re.sub(rf"\b{PROJECT}-(blog|todo)-({_TEST_ENVS})\b", rf"{PROJECT}-\1-{ENV}", text)
    return text.replace(PARAMETERS["local"]["MailDomain"], _production_mail_domain())


def is_production_resource(arn: str) -> bool:
    """The ARN names one of the project's production resources (or its SES identity)."""
    names = (f"{PROJECT}-{ENV}-", f"{PROJECT}-blog-{ENV}", f"{PROJECT}-todo-{ENV}", ":userpool/")
    return any(name in arn for name in names) or arn.endswith(f":identity/{_production_mail_domain()}")
