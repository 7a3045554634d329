"""The fuzz tests reach the to-do API with real Cognito users, like tests/todo does."""

from tests.todo.conftest import _fresh_cognito_lookups, alice, alice_api, idp, make_user  # noqa: F401 - fixtures
