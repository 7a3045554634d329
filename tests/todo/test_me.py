"""GET /api/me/: what the app needs to use its S3 folder with identity-pool credentials."""

import boto3

from todo import cognito


def test_me_describes_the_caller_and_their_folder(alice, alice_api, settings, local_aws):
    response = alice_api.get("/api/me/")

    assert response.status_code == 200
    assert response.json() == {
        "sub": alice.sub,
        "email": "alice@example.com",
        "storage": {
            "bucket": "myblog-local-user-files",
            "region": settings.AWS_REGION,
            "prefix": f"users/{alice.sub}/",
            "user_pool_id": cognito.user_pool_id(),
            "client_id": cognito.app_client_id(),
            "identity_pool_id": cognito.identity_pool_id(),
        },
    }


def test_the_identity_pool_of_me_gives_the_app_credentials(alice, alice_api, local_aws):
    """The app's next step with what /api/me/ returned (moto checks no token, AWS does)."""
    storage = alice_api.get("/api/me/").json()["storage"]
    identity = boto3.client("cognito-identity", endpoint_url=local_aws, region_name=storage["region"])
    login = {f"cognito-idp.{storage['region']}.amazonaws.com/{storage['user_pool_id']}": alice.id_token}

    identity_id = identity.get_id(IdentityPoolId=storage["identity_pool_id"], Logins=login)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=login)["Credentials"]

    assert credentials["AccessKeyId"]
    assert credentials["SecretKey"]


def test_me_answers_401_when_cognito_no_longer_knows_the_token(alice, alice_api, idp):
    idp.admin_delete_user(UserPoolId=cognito.user_pool_id(), Username=alice.email)

    response = alice_api.get("/api/me/")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_two_users_see_only_themselves(alice_api, bob_api, alice, bob):
    assert alice_api.get("/api/me/").json()["sub"] == alice.sub
    assert bob_api.get("/api/me/").json()["storage"]["prefix"] == f"users/{bob.sub}/"


def test_after_a_global_sign_out_me_answers_401_but_local_checks_accept_the_token_until_it_expires(
    alice, alice_api, idp
):
    # What the README says of revoked tokens: GetUser (behind /api/me/) refuses a revoked access
    # token; the signature-and-claims check of every other endpoint cannot know, so the token works
    # there until its `exp` (at most the app client's access-token validity, one hour).
    idp.admin_user_global_sign_out(UserPoolId=cognito.user_pool_id(), Username=alice.email)

    me = alice_api.get("/api/me/")

    assert me.status_code == 401
    assert me.headers["WWW-Authenticate"].startswith("Bearer")
    assert alice_api.get("/api/todos/").status_code == 200
