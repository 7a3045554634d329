"""`manage.py cognito_user`: a confirmed user and their tokens, for developers of the mobile app."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.todo.conftest import ApiClient


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command("cognito_user", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_creates_a_confirmed_user_whose_access_token_works():
    tokens = run("--email", "dev@example.com", "--password", "Passw0rd-Dev")

    assert set(tokens) >= {"access_token", "id_token", "refresh_token", "sub", "email"}
    client = ApiClient(None)
    client.headers = {"authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/todos/", {"title": "first"}).status_code == 201
    assert client.get("/api/me/").json()["sub"] == tokens["sub"]


def test_it_reuses_an_existing_user():
    first = run("--email", "dev@example.com", "--password", "Passw0rd-Dev")
    again = run("--email", "dev@example.com", "--password", "Passw0rd-Dev")

    assert again["sub"] == first["sub"]


def test_it_confirms_a_user_who_signed_up_but_never_confirmed(idp):
    from todo import cognito

    idp.sign_up(ClientId=cognito.app_client_id(), Username="late@example.com", Password="Passw0rd-Late")

    tokens = run("--email", "late@example.com", "--password", "Passw0rd-Late")

    assert tokens["access_token"]


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [("weak@example.com", "short", "InvalidPassword"), ("dev@example.com", "Wrong-Passw0rd", "NotAuthorized")],
)
def test_refusals_are_command_errors_not_tracebacks(email, password, message):
    run("--email", "dev@example.com", "--password", "Passw0rd-Dev")

    with pytest.raises(CommandError, match=message):
        run("--email", email, "--password", password)


@pytest.mark.parametrize(
    ("email", "password", "option"),
    [("", "Passw0rd-Dev", "--email"), ("  ", "Passw0rd-Dev", "--email"), ("dev@example.com", "", "--password")],
)
def test_an_empty_email_or_password_is_named_not_taken_for_an_outage(email, password, option):
    with pytest.raises(CommandError, match=rf"^{option} is empty: give the user's {option[2:]}\.$"):
        run("--email", email, "--password", password)


def test_a_request_botocore_refuses_before_sending_is_cognitos_refusal_not_an_outage():
    """Retrying will not help: it is InvalidParameterException, as Cognito answers it, never a 503."""
    from todo import cognito

    with pytest.raises(cognito.CognitoError) as refused:  # an unauthenticated call: no IAM on AWS either
        cognito.call(cognito.idp().initiate_auth, ClientId="", AuthFlow="USER_PASSWORD_AUTH", AuthParameters={})

    assert refused.value.code == "InvalidParameterException"
    assert "ClientId" in refused.value.message
