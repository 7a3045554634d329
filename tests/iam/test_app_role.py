"""What the phone may do in S3 with the identity pool's credentials (infra/todo.yaml
AuthenticatedRole), evaluated with conditions and policy variables by the IAM simulator: moto
enforces neither, so on moto every one of these calls would succeed.

The phone reads, lists and deletes in its own folder directly. It writes only through the API's
presigned POST, because IAM has no condition on an object's size: a role that may PutObject can
store any size, which no per-upload limit or per-user quota could stop (README "MyToDoList API").
"""

import base64
import json

import pytest

from infra.templates import load
from todo import user_files

from .actions import IamRequest
from .roles import PROJECT, production_roles
from .simulator import simulate

BUCKET = f"arn:aws:s3:::{PROJECT}-production-user-files"
ALICE = "0b5c2c1e-5a1f-4c39-9d0b-6a1d2f3e4a5b"
BOB = "7f3e2d1c-0b9a-4876-8543-2109fedcba98"


def verdict(action: str, resource: str, **context: str) -> str:
    """The simulator's verdict on a call by Alice's app session (tagged with her sub)."""
    keys = {"aws:PrincipalTag/sub": ALICE, "aws:SecureTransport": "true", **context}
    request = IamRequest(action, resource, tuple(sorted(keys.items())))
    (result,) = simulate([(production_roles()["app"], request)])
    assert not result.error, result.error
    return result.result


def own(path: str) -> str:
    return f"{BUCKET}/{user_files.folder(ALICE)}{path}"


def test_the_app_reads_and_deletes_files_in_its_own_folder():
    assert verdict("s3:GetObject", own("photos/cat.jpg")) == "Allowed"
    assert verdict("s3:DeleteObject", own("photos/cat.jpg")) == "Allowed"


@pytest.mark.parametrize("prefix", [f"users/{ALICE}/", f"users/{ALICE}/photos/"])
def test_the_app_lists_its_own_folder(prefix):
    assert verdict("s3:ListBucket", BUCKET, **{"s3:prefix": prefix}) == "Allowed"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"s3:x-amz-storage-class": "STANDARD", "s3:x-amz-server-side-encryption": "AES256"},
        {"s3:x-amz-storage-class": "GLACIER"},
        {"s3:x-amz-storage-class": "REDUCED_REDUNDANCY"},
        {"s3:x-amz-acl": "public-read"},
        {"s3:x-amz-server-side-encryption": "aws:kms"},
    ],
    ids=["no-headers", "standard", "glacier", "reduced-redundancy", "public-acl", "kms"],
)
def test_the_app_cannot_write_into_its_folder_directly_whatever_the_headers(headers):
    """Uploads go through the API's presigned POST, whose policy limits size, key and type; a
    direct PutObject (multipart uploads are PutObject too) could store any size."""
    assert verdict("s3:PutObject", own("big.bin"), **headers) == "ImplicitlyDenied"


@pytest.mark.parametrize(
    "action",
    [
        "s3:PutObjectAcl",
        "s3:PutObjectTagging",
        "s3:PutObjectRetention",
        "s3:PutObjectLegalHold",
        "s3:GetObjectVersion",
        "s3:DeleteObjectVersion",
        "s3:RestoreObject",
    ],
)
def test_the_app_cannot_change_acls_tags_locks_or_older_versions_of_its_files(action):
    """Older versions are the bucket's 30-day safety net (a delete leaves a delete marker)."""
    assert verdict(action, own("photos/cat.jpg")) == "ImplicitlyDenied"


@pytest.mark.parametrize("action", ["s3:GetObject", "s3:DeleteObject", "s3:PutObject"])
def test_the_app_is_refused_another_users_folder(action):
    assert verdict(action, f"{BUCKET}/{user_files.folder(BOB)}photos/cat.jpg") == "ImplicitlyDenied"


@pytest.mark.parametrize("prefix", [f"users/{BOB}/", "users/", "", f"users/{ALICE}"])
def test_the_app_cannot_list_beyond_its_own_folder(prefix):
    """`users/<sub>` without the slash would also list `users/<sub>-other/`."""
    assert verdict("s3:ListBucket", BUCKET, **{"s3:prefix": prefix}) == "ImplicitlyDenied"


def test_the_app_cannot_list_the_bucket_without_a_prefix():
    assert verdict("s3:ListBucket", BUCKET) == "ImplicitlyDenied"


def test_the_folder_the_api_names_is_the_one_the_identity_role_grants(alice, alice_api_me):
    """The session tag comes from the ID token's claim that IdentityPoolSubTag maps (the user-pool
    sub, not the identity pool's identity id); the API names the folder after the access token's
    sub. Both must name the same folder, or the app could not read what the API lists."""
    mapping = load("todo.yaml", Project=PROJECT, Env="production").properties("IdentityPoolSubTag")["PrincipalTags"]
    claims = _claims(alice.id_token)
    tag = claims[mapping["sub"]]
    prefix = alice_api_me["storage"]["prefix"]
    request = IamRequest(
        "s3:GetObject",
        f"{BUCKET}/{prefix}photos/cat.jpg",
        (("aws:PrincipalTag/sub", tag), ("aws:SecureTransport", "true")),
    )

    (result,) = simulate([(production_roles()["app"], request)])

    assert result.allowed, result
    assert prefix == f"users/{alice.sub}/"


@pytest.fixture
def alice_api_me(alice):
    from tests.todo.conftest import ApiClient

    response = ApiClient(alice).get("/api/me/")
    assert response.status_code == 200, response.content
    return response.json()


def _claims(token: str) -> dict[str, str]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
