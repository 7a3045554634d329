"""/app/config.json: what the web app is told about where it runs (todo/web_app.py)."""

from typing import Any

import boto3
import pytest

from todo import cognito

pytestmark = [pytest.mark.aws]


def test_locally_the_app_is_pointed_at_the_endpoint_and_sends_the_password_moto_checks(client, local_aws):
    cognito.forget_resolved_ids()
    config: dict[str, Any] = client.get("/app/config.json").json()

    assert config["awsEndpoint"] == local_aws
    assert config["authFlow"] == "USER_PASSWORD_AUTH"
    assert config["userPoolId"] == cognito.user_pool_id() and config["clientId"] == cognito.app_client_id()
    assert config["identityPoolId"] == cognito.identity_pool_id()
    assert not any("secret" in key.lower() for key in config)


def test_without_a_local_endpoint_the_app_uses_srp(client, local_aws, settings):
    cognito.forget_resolved_ids()
    cognito.user_pool_id(), cognito.app_client_id(), cognito.identity_pool_id()  # resolved while it answers
    settings.AWS_ENDPOINT_URL = None

    config = client.get("/app/config.json").json()

    assert (config["awsEndpoint"], config["authFlow"]) == (None, "USER_SRP_AUTH")


def test_motos_srp_accepts_any_password_which_is_why_the_local_app_does_not_use_it(local_aws):
    """If this fails, moto checks SRP proofs now, and the local config can use USER_SRP_AUTH too."""
    idp = boto3.client("cognito-idp", endpoint_url=local_aws, region_name="us-east-1")
    client_id, pool_id = cognito.app_client_id(), cognito.user_pool_id()
    idp.sign_up(ClientId=client_id, Username="srp@example.com", Password="Passw0rd-Right")
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="srp@example.com")
    challenge = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters={"USERNAME": "srp@example.com", "SRP_A": "ab" * 64}
    )

    answer = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses={
            "USERNAME": "srp@example.com",
            "PASSWORD_CLAIM_SECRET_BLOCK": challenge["ChallengeParameters"]["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": "bm90IGEgcHJvb2Y=",  # not derived from any password
            "TIMESTAMP": "Thu Dec 3 10:00:00 UTC 2026",
        },
    )

    assert "AccessToken" in answer["AuthenticationResult"]
