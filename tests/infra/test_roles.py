"""The Lambda execution roles of infra/roles.yaml are least-privilege, as a linter sees them."""

import json

import pytest
from parliament import analyze_policy_string

from infra.templates import load

ROLES = load("roles.yaml", Env="production", TodoInVpc="true", TodoUsesDax="true")


def findings(document: dict) -> list[tuple[str, object]]:
    policy = analyze_policy_string(json.dumps(document), include_community_auditors=True)
    return [(finding.issue, finding.detail) for finding in policy.findings]


def statements(role: str) -> list[dict]:
    return [s for p in ROLES.properties(role)["Policies"] for s in p["PolicyDocument"]["Statement"]]


def actions(role: str) -> set[str]:
    return {
        action for s in statements(role) for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }


@pytest.mark.parametrize("role", ["BlogRole", "TodoRole"])
def test_the_linter_finds_nothing_in_either_role(role: str) -> None:
    for policy in ROLES.properties(role)["Policies"]:
        assert findings(policy["PolicyDocument"]) == []


def test_the_linter_does_flag_a_broad_policy_like_zappas_default() -> None:
    broad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}],
    }
    assert {issue for issue, _ in findings(broad)} >= {"RESOURCE_STAR"}


def test_only_tracing_is_allowed_on_every_resource() -> None:
    for role in ("BlogRole", "TodoRole"):
        starred = {a for s in statements(role) if s["Resource"] == "*" for a in s["Action"]}
        assert starred == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_each_service_gets_only_its_own_kind_of_access() -> None:
    blog, todo = actions("BlogRole"), actions("TodoRole")
    assert not {a for a in blog if a.startswith(("dynamodb:", "dax:"))}
    assert not {a for a in todo if a.startswith(("ses:", "sqs:"))}
    # Each may invoke only its own function (API Gateway with the role, the blog's async tasks),
    # and the blog sends only from the identity.
    for role, function in (("BlogRole", "myblog-blog-production"), ("TodoRole", "myblog-todo-production")):
        invokes = [s for s in statements(role) if "lambda:" in str(s["Action"])]
        # The function and its `snapstart` alias (what API Gateway invokes on SnapStart stages).
        assert [(s["Action"], [r.split(":function:")[1] for r in s["Resource"]]) for s in invokes] == [
            ("lambda:InvokeFunction", [function, f"{function}:snapstart"])
        ]
    ses = next(s for s in statements("BlogRole") if "ses:SendEmail" in s["Action"])
    assert all(":identity/" in r or ":configuration-set/" in r for r in ses["Resource"])


def test_users_files_are_reachable_only_under_the_users_prefix() -> None:
    listing = next(s for s in statements("TodoRole") if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["users/*"]}}
    objects = next(s for s in statements("TodoRole") if "s3:PutObject" in s["Action"])
    assert objects["Resource"].endswith("-user-files/users/*")


@pytest.mark.parametrize("role", ["BlogRole", "TodoRole"])
def test_api_gateway_may_use_each_role_as_its_integration_credentials(role: str) -> None:
    # Zappa puts the stage's role_arn on every integration as Credentials: API Gateway assumes the
    # role and invokes the function with it. A role that trusts only Lambda makes every request
    # a 500 ("Invalid permissions on Lambda function").
    trust = ROLES.properties(role)["AssumeRolePolicyDocument"]["Statement"]
    trusted = {
        service
        for s in trust
        if s["Effect"] == "Allow" and s["Action"] == "sts:AssumeRole"
        for service in (
            [s["Principal"]["Service"]] if isinstance(s["Principal"]["Service"], str) else s["Principal"]["Service"]
        )
    }
    # EventBridge besides, only for a stage with schedule rules (tests/infra/test_trust.py).
    assert trusted - {"events.amazonaws.com"} == {"lambda.amazonaws.com", "apigateway.amazonaws.com"}
