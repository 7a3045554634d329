"""The presigned POST is the phone's only way to write into its folder (the identity role has no
s3:PutObject), so its policy is where storage class, ACL, tagging, encryption and object lock are
kept out: S3 refuses any form field the policy does not name, and moto does not (LOCAL_AWS.md)."""

import base64
import json

import pytest

# What a signed POST needs besides the file: the key, its type, the size range and SigV4's fields.
ALLOWED = {
    "bucket",
    "key",
    "Content-Type",
    "content-length-range",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-security-token",
}


def _condition_names(form: dict) -> set[str]:
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    names = set()
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            names |= set(condition)
        else:
            names.add(condition[0] if condition[0] == "content-length-range" else condition[1].lstrip("$"))
    return names


@pytest.mark.parametrize(
    "body",
    [{}, {"path": "a.jpg"}, {"path": "a.jpg", "content_type": "image/jpeg", "size": 10}],
    ids=["any", "path", "all"],
)
def test_the_upload_form_names_nothing_beyond_key_type_size_and_signature(alice_api, body):
    form = alice_api.post("/api/files/uploads", body).json()

    assert _condition_names(form) <= ALLOWED
    assert set(form["fields"]) - {"policy", "x-amz-signature"} <= ALLOWED
