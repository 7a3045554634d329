"""The to-do service's settings in production: its own routes only, and then complete."""

import pytest

from tests.myblog.test_settings import manage, production_env  # noqa: F401 - a fixture

BLOG_ONLY = [
    "DATABASE_URL", "MEDIA_BUCKET", "SITE_URL", "EMAIL_FROM", "SES_CONFIGURATION_SET", "SES_EVENTS_TOPIC_ARN",
    "NEWSLETTER_QUEUE_URL", "CDN_ORIGIN_SECRET",
]  # fmt: skip
TODO_REQUIRED = {
    "TODO_TABLE": "myblog-production-todos",
    "USER_FILES_BUCKET": "myblog-production-user-files",
    "COGNITO_USER_POOL_ID": "us-east-1_AbCdEfGhI",
    "COGNITO_APP_CLIENT_ID": "1example23456789abcdefghij",
    "COGNITO_IDENTITY_POOL_ID": "us-east-1:11111111-2222-3333-4444-555555555555",
}
ROUTED = "from django.urls import resolve; resolve('/api/todos/'); print('routed')"
BLOG_ROUTED = "from django.urls import resolve; resolve('/'); print('routed')"


def shell(env, code):
    return manage(env, "shell", "-c", code)


def test_the_blog_stage_does_not_serve_the_todo_api(production_env):  # noqa: F811
    result = shell(production_env, "from django.urls import resolve; print(resolve('/api/todos/').url_name)")

    # Only the blog's last route takes it: the JSON 404 of any unmatched path under /api/.
    assert result.stdout.strip().endswith("api-not-found"), result.stderr


def todo_env(production_env: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """The todo stage's environment: its own variables, none of the blog's."""
    env = {name: value for name, value in production_env.items() if name not in BLOG_ONLY}
    return {**env, "SERVICE": "todo", **TODO_REQUIRED}


@pytest.mark.slow
def test_the_todo_stage_serves_it_with_its_settings_and_nothing_of_the_blog(production_env):  # noqa: F811
    result = shell(todo_env(production_env), ROUTED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("routed")

    assert "Resolver404" in shell(todo_env(production_env), BLOG_ROUTED).stderr


@pytest.mark.parametrize("name", TODO_REQUIRED)
def test_the_todo_stage_refuses_to_start_without_a_required_variable(production_env, name):  # noqa: F811
    env = todo_env(production_env)
    del env[name]

    result = manage(env, "check")

    assert result.returncode != 0
    assert name in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://keys.example.com/jwks.json",
        "file:///etc/passwd",
        "ftp://keys.example.com/jwks.json",
        "HTTPS//keys.example.com/jwks.json",
    ],
)
def test_the_todo_stage_refuses_a_key_set_url_that_is_not_https_or_data(production_env, url):  # noqa: F811
    # Over plain HTTP anyone on the path could hand the Lambda their own keys and sign any token;
    # urllib would also read file: and ftp: URLs.
    result = manage({**todo_env(production_env), "COGNITO_JWKS_URL": url}, "check")

    assert result.returncode != 0
    assert "COGNITO_JWKS_URL must be an https: URL or a data: URL" in result.stderr


@pytest.mark.parametrize(
    "url", ["https://keys.example.com/us-east-1_AbCdEfGhI/jwks.json", 'data:application/json,{"keys":[]}']
)
def test_the_todo_stage_accepts_an_https_or_data_key_set_url(production_env, url):  # noqa: F811
    result = manage({**todo_env(production_env), "COGNITO_JWKS_URL": url}, "check")

    assert result.returncode == 0, result.stderr
