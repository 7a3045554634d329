"""Every call needs a valid Cognito access token of our pool and app client; anything else is 401."""

import base64
import gzip
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import moto
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.todo.conftest import ApiClient, sign_up_and_in
from todo import cognito

ENDPOINTS = [("get", "/api/todos/"), ("get", "/api/me/"), ("get", "/api/files/"), ("post", "/api/todos/")]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def header_of(token: str) -> dict:
    return jwt.get_unverified_header(token)


@pytest.fixture(scope="module")
def pool_signing_key():
    """The private key the local endpoint signs its tokens with: it lets a test make tokens that
    are correctly signed but wrong in one claim, which only Cognito itself could otherwise issue."""
    path = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    jwk = json.loads(gzip.decompress(path.read_bytes()))
    return jwt.PyJWK(jwk, algorithm="RS256").key


@pytest.fixture
def signed_like_cognito(alice, pool_signing_key):
    """Re-sign alice's real access token with some claims changed."""

    def sign(**changes) -> str:
        claims = {**claims_of(alice.access_token), **changes}
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(
            claims, pool_signing_key, algorithm="RS256", headers={"kid": header_of(alice.access_token)["kid"]}
        )

    return sign


def answer_to(token: str | None, method: str = "get", path: str = "/api/todos/", scheme: str = "Bearer"):
    client = ApiClient(None)
    headers = {"authorization": f"{scheme} {token}"} if token is not None else {}
    body = {"title": "x"} if method == "post" else None
    return getattr(client, method)(path, body, headers=headers)


def assert_401(response) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] in ("not_authenticated", "authentication_failed")


def test_a_real_access_token_is_accepted(alice):
    assert answer_to(alice.access_token).status_code == 200


def test_the_token_resigned_unchanged_with_the_pool_key_is_accepted(signed_like_cognito):
    # The control for the forged cases below: only the changed claim makes them fail.
    assert answer_to(signed_like_cognito()).status_code == 200


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_token_is_401_with_www_authenticate_bearer(method, path):
    response = answer_to(None, method, path)

    assert_401(response)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="todo"'


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_garbage_token_is_401_invalid_token(method, path):
    response = answer_to("not.a.jwt", method, path)

    assert_401(response)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_another_scheme_is_401(alice):
    assert_401(answer_to(alice.access_token, scheme="Basic"))


def test_an_expired_token_is_401(signed_like_cognito):
    now = int(time.time())
    assert_401(answer_to(signed_like_cognito(iat=now - 7200, exp=now - 3600)))


def test_a_token_not_yet_valid_is_401(signed_like_cognito):
    now = int(time.time())
    assert_401(answer_to(signed_like_cognito(nbf=now + 3600)))
    assert_401(answer_to(signed_like_cognito(iat=now + 3600, exp=now + 7200)))


def test_a_token_of_another_issuer_is_401(signed_like_cognito):
    assert_401(answer_to(signed_like_cognito(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_someoneelse")))
    assert_401(answer_to(signed_like_cognito(iss="https://evil.example.com/")))


def test_a_token_for_another_client_id_is_401(signed_like_cognito):
    assert_401(answer_to(signed_like_cognito(client_id="someotherclientid")))


def test_a_token_of_another_app_client_of_the_same_pool_is_401(idp, alice):
    other = idp.create_user_pool_client(
        UserPoolId=cognito.user_pool_id(), ClientName="another-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    result = idp.initiate_auth(
        ClientId=other,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": alice.email, "PASSWORD": "Correct-Horse-9"},
    )["AuthenticationResult"]

    assert_401(answer_to(result["AccessToken"]))


@pytest.mark.parametrize("token_use", ["id", "refresh", None])
def test_a_token_with_the_wrong_token_use_is_401(signed_like_cognito, token_use):
    assert_401(answer_to(signed_like_cognito(token_use=token_use)))


def test_the_id_token_is_not_an_access_token(alice):
    assert_401(answer_to(alice.id_token))


def test_a_token_without_alg_is_401(alice):
    claims = claims_of(alice.access_token)
    unsigned = (
        f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT', 'kid': 'dummy'}).encode())}.{b64(json.dumps(claims).encode())}."
    )

    assert_401(answer_to(unsigned))


def test_hs256_signed_with_the_public_key_is_401(alice, local_aws):
    """The classic key-confusion attack: HMAC with the published RSA key as the secret."""
    jwks = requests.get(f"{local_aws}/{cognito.user_pool_id()}/.well-known/jwks.json", timeout=5).json()
    public_pem = jwt.PyJWK(jwks["keys"][0], algorithm="RS256").key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": header_of(alice.access_token)["kid"]}).encode())
    payload = b64(json.dumps(claims_of(alice.access_token)).encode())
    signature = b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())

    assert_401(answer_to(f"{header}.{payload}.{signature}"))


def test_a_token_signed_with_our_own_rsa_key_is_401(alice):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims_of(alice.access_token), key, algorithm="RS256", headers={"kid": header_of(alice.access_token)["kid"]}
    )

    assert_401(answer_to(forged))


def test_a_token_with_an_unknown_kid_is_401(alice):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims_of(alice.access_token), key, algorithm="RS256", headers={"kid": "not-a-pool-key"})

    assert_401(answer_to(forged))


def test_a_tampered_payload_is_401(alice, bob):
    header, payload, signature = alice.access_token.split(".")
    claims = {**claims_of(alice.access_token), "sub": bob.sub, "username": bob.sub}

    assert_401(answer_to(f"{header}.{b64(json.dumps(claims).encode())}.{signature}"))


def test_a_tampered_signature_is_401(alice):
    header, payload, signature = alice.access_token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    assert_401(answer_to(f"{header}.{payload}.{flipped}"))


def test_a_token_of_another_user_pool_is_401(idp):
    """Every local pool signs with the same key: only the issuer tells them apart."""
    pool = idp.create_user_pool(PoolName="someone-elses-pool", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="their-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    stranger = sign_up_and_in(idp, client_id=client, pool_id=pool, email="stranger@example.com")

    assert_401(answer_to(stranger.access_token))


def test_an_unknown_kid_refetches_the_key_set_at_most_once_a_minute(alice, monkeypatch):
    from todo import tokens

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    answer_to(alice.access_token)  # the key set is now cached
    fetches = []
    original = tokens.KeySet._refresh
    monkeypatch.setattr(tokens.KeySet, "_refresh", lambda self: fetches.append(1) or original(self))

    for i in range(5):
        forged = jwt.encode(claims_of(alice.access_token), key, algorithm="RS256", headers={"kid": f"random-{i}"})
        assert_401(answer_to(forged))

    assert len(fetches) <= 1


def test_an_unreachable_key_set_is_503_not_401(alice, settings):
    settings.COGNITO_JWKS_URL = "http://127.0.0.1:9/nothing-listens-here/jwks.json"

    response = answer_to(alice.access_token)

    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_a_key_set_given_inline_as_a_data_url_is_the_one_used(alice, settings):
    # How a Lambda in a VPC without a path to Cognito gets the keys (infra/network.yaml): the key
    # set is configured, not fetched. Here it holds only our own key, so only our tokens pass.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {
        **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
        "kid": "inline",
        "alg": "RS256",
        "use": "sig",
    }
    document = json.dumps({"keys": [jwk]}).encode()
    settings.COGNITO_JWKS_URL = "data:application/json;base64," + base64.b64encode(document).decode()

    ours = jwt.encode(claims_of(alice.access_token), key, algorithm="RS256", headers={"kid": "inline"})

    assert answer_to(ours).status_code == 200
    assert_401(answer_to(alice.access_token))  # the pool's own key is not in the configured set


@pytest.mark.parametrize("sub", ["abc\n", "abc\r\n", "\nabc", "abc/../x", ""])
def test_a_validly_signed_token_with_a_malformed_sub_is_401(signed_like_cognito, sub):
    # Python's `$` also matches before a trailing newline; the sub becomes an S3 prefix and a key.
    assert_401(answer_to(signed_like_cognito(sub=sub)))


class KeyFetches:
    """Counts the key set's fetches from the user pool."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from todo import tokens

        self.count = 0
        original = tokens.KeySet._refresh

        def counted(key_set: tokens.KeySet) -> None:
            self.count += 1
            original(key_set)

        monkeypatch.setattr(tokens.KeySet, "_refresh", counted)


def restore_later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """A SnapStart restore `seconds` after the snapshot: the wall clock moved on, the monotonic
    clock (which does not count the time a snapshot waits) did not; then the after-restore hook."""
    from myblog import snapstart

    wall_clock = time.time
    monkeypatch.setattr(time, "time", lambda: wall_clock() + seconds)
    snapstart.after_restore()


def test_keys_fetched_before_a_snapshot_serve_a_copy_restored_within_their_max_age(alice, monkeypatch, settings):
    settings.COGNITO_JWKS_MAX_AGE_SECONDS = 3600
    assert answer_to(alice.access_token).status_code == 200  # before the snapshot: the keys fetched
    fetches = KeyFetches(monkeypatch)

    restore_later(monkeypatch, 600)

    assert answer_to(alice.access_token).status_code == 200
    assert fetches.count == 0


def test_keys_older_than_their_max_age_when_a_copy_is_restored_are_fetched_by_the_restore_not_the_first_request(
    alice, monkeypatch, settings
):
    settings.COGNITO_JWKS_MAX_AGE_SECONDS = 3600
    answer_to(alice.access_token)
    fetches = KeyFetches(monkeypatch)

    restore_later(monkeypatch, 2 * 3600)
    fetched_by_the_restore = fetches.count
    assert answer_to(alice.access_token).status_code == 200

    assert fetched_by_the_restore == fetches.count == 1


def test_a_restore_that_cannot_fetch_the_keys_completes_and_the_first_request_answers_503(alice, monkeypatch, settings):
    settings.COGNITO_JWKS_URL = "http://127.0.0.1:9/nothing-listens-here/jwks.json"

    restore_later(monkeypatch, 600)  # raises nothing: a failed restore hook would fail the restore

    assert answer_to(alice.access_token).status_code == 503
