"""Create (or reuse) a confirmed user in the configured Cognito user pool and print their tokens.

    python manage.py cognito_user --email dev@example.com --password 'Passw0rd!23'

prints ``{"email", "sub", "access_token", "id_token", "refresh_token", "expires_in"}``, so a
developer of the mobile app can call the API:

    curl -H "Authorization: Bearer <access_token>" http://127.0.0.1:8000/api/todos/

It signs up through the app client (as the app does), confirms the user as an administrator
(no email code needed) and signs in with USER_PASSWORD_AUTH. Against AWS it needs credentials
allowed to call cognito-idp:AdminConfirmSignUp and AdminGetUser on the pool.
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from myblog.core.errors import ServiceUnavailable
from todo import cognito
from todo.cognito import CognitoError


class Command(BaseCommand):
    help = "Create or reuse a confirmed Cognito user and print their tokens as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args: Any, email: str, password: str, **options: Any) -> None:
        # botocore refuses an empty value before sending, which the Cognito module takes for an outage.
        for option, value in (("email", email), ("password", password)):
            if not value.strip():
                raise CommandError(f"--{option} is empty: give the user's {option}.")
        try:
            tokens = cognito_user_tokens(email=email, password=password)
        except CognitoError as exc:
            raise CommandError(f"Cognito refused: {exc.code}: {exc.message}") from exc
        except ServiceUnavailable as exc:
            raise CommandError(f"{exc.message} Is the local AWS endpoint running (make run)?") from exc
        self.stdout.write(json.dumps(tokens, indent=2))


def cognito_user_tokens(*, email: str, password: str) -> dict[str, Any]:
    pool_id, client_id = cognito.user_pool_id(), cognito.app_client_id()
    idp = cognito.idp()
    try:
        cognito.call(
            idp.sign_up,
            ClientId=client_id,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
    except CognitoError as exc:
        if exc.code != "UsernameExistsException":
            raise
    user = cognito.call(idp.admin_get_user, UserPoolId=pool_id, Username=email)
    if user.get("UserStatus") == "UNCONFIRMED":
        cognito.call(idp.admin_confirm_sign_up, UserPoolId=pool_id, Username=email)
    result = cognito.call(
        idp.initiate_auth,
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    attributes = {attribute["Name"]: attribute["Value"] for attribute in user.get("UserAttributes", [])}
    return {
        "email": email,
        "sub": attributes.get("sub", user.get("Username")),
        "access_token": result["AccessToken"],
        "id_token": result["IdToken"],
        "refresh_token": result["RefreshToken"],
        "expires_in": result.get("ExpiresIn"),
    }
