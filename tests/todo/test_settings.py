"""The to-do API's settings in production: served only where TODO_API is on, and then complete."""

import pytest

from tests.myblog.test_settings import manage, production_env  # noqa: F401 - a fixture

TODO_REQUIRED = {
    "TODO_TABLE": "myblog-production-todos",
    "USER_FILES_BUCKET": "myblog-production-user-files",
    "COGNITO_USER_POOL_ID": "us-east-1_AbCdEfGhI",
    "COGNITO_APP_CLIENT_ID": "1example23456789abcdefghij",
    "COGNITO_IDENTITY_POOL_ID": "us-east-1:11111111-2222-3333-4444-555555555555",
}
ROUTED = "from django.urls import resolve; resolve('/api/todos/'); print('routed')"


def shell(env, code):
    return manage(env, "shell", "-c", code)


def test_the_blog_stage_does_not_serve_the_todo_api(production_env):  # noqa: F811
    result = shell(production_env, ROUTED)

    assert "Resolver404" in result.stderr


def test_the_todo_stage_serves_it_with_its_settings(production_env):  # noqa: F811
    result = shell({**production_env, "TODO_API": "true", **TODO_REQUIRED}, ROUTED)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("routed")


@pytest.mark.parametrize("name", TODO_REQUIRED)
def test_the_todo_stage_refuses_to_start_without_a_required_variable(production_env, name):  # noqa: F811
    env = {**production_env, "TODO_API": "true", **TODO_REQUIRED}
    del env[name]

    result = manage(env, "check")

    assert result.returncode != 0
    assert name in result.stderr
