"""Each user's storage quota (USER_STORAGE_QUOTA_BYTES), enforced by the server when it signs an
upload: the phone cannot write into its folder any other way (tests/iam/test_app_role.py)."""

import base64
import json

import boto3
import pytest

from todo import user_files


@pytest.fixture
def s3(local_aws):
    return boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")


@pytest.fixture
def store(s3, settings):
    def put(owner: str, path: str, size: int) -> None:
        s3.put_object(Bucket=settings.USER_FILES_BUCKET, Key=f"users/{owner}/{path}", Body=b"x" * size)

    return put


def presign(api, **body):
    return api.post("/api/files/uploads", body)


def length_range(form: dict) -> list:
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    (found,) = [c for c in policy["conditions"] if isinstance(c, list) and c[0] == "content-length-range"]
    return found


def test_an_upload_that_would_exceed_the_quota_is_refused_with_a_json_error(alice, alice_api, store, settings):
    settings.USER_STORAGE_QUOTA_BYTES = 1000
    store(alice.sub, "a.bin", 700)

    response = presign(alice_api, path="b.bin", size=301)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "300 bytes" in error["message"]
    assert list(error["fields"]) == ["size"]


def test_an_upload_that_fits_exactly_is_signed_for_at_most_its_size(alice, alice_api, store, settings):
    settings.USER_STORAGE_QUOTA_BYTES = 1000
    store(alice.sub, "a.bin", 700)

    response = presign(alice_api, path="b.bin", size=300)

    assert response.status_code == 200, response.content
    form = response.json()
    assert length_range(form) == ["content-length-range", 1, 300]
    assert (form["max_bytes"], form["used_bytes"], form["quota_bytes"]) == (300, 700, 1000)


def test_without_a_size_the_form_is_capped_at_the_remaining_quota(alice, alice_api, store, settings):
    settings.USER_STORAGE_QUOTA_BYTES = 1000
    settings.USER_FILE_MAX_BYTES = 800
    store(alice.sub, "a.bin", 600)

    form = presign(alice_api).json()

    assert length_range(form) == ["content-length-range", 1, 400]
    assert form["max_bytes"] == 400


def test_the_largest_file_limit_still_applies_below_the_quota(alice, alice_api, settings):
    settings.USER_STORAGE_QUOTA_BYTES = 1000
    settings.USER_FILE_MAX_BYTES = 100

    form = presign(alice_api, path="a.bin").json()
    too_big = presign(alice_api, path="a.bin", size=101)

    assert length_range(form) == ["content-length-range", 1, 100]
    assert too_big.status_code == 400
    assert too_big.json()["error"]["code"] == "invalid"
    assert list(too_big.json()["error"]["fields"]) == ["size"]


def test_a_full_folder_gets_no_form_at_all(alice, alice_api, store, settings):
    settings.USER_STORAGE_QUOTA_BYTES = 1000
    store(alice.sub, "a.bin", 1000)

    response = presign(alice_api, path="b.bin")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "quota_exceeded"


def test_replacing_a_file_counts_only_the_new_one(alice, alice_api, store, settings):
    settings.USER_STORAGE_QUOTA_BYTES = 1000
    store(alice.sub, "a.bin", 900)

    replaced = presign(alice_api, path="a.bin", size=950)
    added = presign(alice_api, path="b.bin", size=950)

    assert replaced.status_code == 200, replaced.content
    assert length_range(replaced.json()) == ["content-length-range", 1, 950]
    assert added.status_code == 400


def test_other_users_files_and_similar_folder_names_do_not_count(alice, alice_api, bob, store, settings):
    settings.USER_STORAGE_QUOTA_BYTES = 1000
    store(bob.sub, "big.bin", 1000)
    store(f"{alice.sub}-x", "big.bin", 1000)  # users/<sub>-x/ starts with users/<sub> but is not hers

    form = presign(alice_api).json()

    assert form["used_bytes"] == 0
    assert form["max_bytes"] == 1000


def test_usage_adds_up_every_page_of_the_listing(alice, store, monkeypatch):
    monkeypatch.setattr(user_files, "LIST_PAGE_SIZE", 2)
    for i in range(5):
        store(alice.sub, f"f{i}.bin", 10 + i)

    assert user_files.usage(owner=alice.sub) == 60
    assert user_files.usage(owner=alice.sub, excluding=f"users/{alice.sub}/f4.bin") == 46


@pytest.mark.parametrize("size", [0, -1, "many", 1.5])
def test_a_size_that_is_not_a_positive_whole_number_is_refused(alice_api, size):
    response = presign(alice_api, size=size)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["size"]


def test_the_schema_documents_the_size_the_usage_and_the_quota_error(alice_api):
    from tests.todo.test_schema import schema

    document = schema("/api/todos/schema/")
    operation = document["paths"]["/api/files/uploads"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    assert "size" in document["components"]["schemas"][body]["properties"]
    assert {"used_bytes", "quota_bytes", "max_bytes"} <= set(document["components"]["schemas"][answer]["properties"])
    assert "quota_exceeded" in operation["responses"]["400"]["description"]
    assert "503" in operation["responses"]
