"""Each user's own S3 folder, users/<sub>/, through the API; nothing reaches outside it."""

import base64
import json

import boto3
import pytest
import requests

from tests.todo.conftest import ApiClient
from todo import services
from todo.domain import InvalidInput


@pytest.fixture
def s3(local_aws):
    return boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")


def upload(api: ApiClient, path: str, data: bytes, content_type: str = "text/plain") -> dict:
    """What the app does: ask for a presigned POST, then POST the file straight to S3."""
    response = api.post("/api/files/uploads", {"path": path, "content_type": content_type})
    assert response.status_code == 200, response.content
    form = response.json()
    sent = requests.post(form["url"], data=form["fields"], files={"file": (path, data, content_type)}, timeout=10)
    assert sent.status_code in (200, 201, 204), sent.text
    return form


def test_an_uploaded_file_is_listed_downloaded_and_deleted(alice, alice_api, settings):
    form = upload(alice_api, "notes/today.txt", b"hello")

    listed = alice_api.get("/api/files/")
    download = alice_api.get("/api/files/notes/today.txt")
    fetched = requests.get(download.headers["Location"], timeout=10)
    deleted = alice_api.delete("/api/files/notes/today.txt")

    assert form["key"] == f"users/{alice.sub}/notes/today.txt"
    assert listed.status_code == 200
    (entry,) = listed.json()
    assert entry["path"] == "notes/today.txt"
    assert entry["size"] == 5
    assert entry["url"] == "http://testserver/api/files/notes/today.txt"
    assert download.status_code == 302
    assert "X-Amz-Signature" in download.headers["Location"]
    assert "X-Amz-Expires=300" in download.headers["Location"]
    assert fetched.content == b"hello"
    assert deleted.status_code == 204
    assert alice_api.get("/api/files/").json() == []
    assert alice_api.get("/api/files/notes/today.txt").status_code == 404


def test_the_presigned_post_is_limited_to_the_key_and_the_maximum_size(alice, alice_api, settings):
    settings.USER_FILE_MAX_BYTES = 1234

    form = alice_api.post("/api/files/uploads", {"path": "a.jpg", "content_type": "image/jpeg"}).json()
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))

    assert form["max_bytes"] == 1234
    assert form["fields"]["key"] == f"users/{alice.sub}/a.jpg"
    assert ["content-length-range", 1, 1234] in policy["conditions"]
    assert {"key": f"users/{alice.sub}/a.jpg"} in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]


def test_without_a_path_the_presigned_post_is_limited_to_the_callers_folder(alice, alice_api):
    form = alice_api.post("/api/files/uploads", {}).json()
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))

    assert form["prefix"] == f"users/{alice.sub}/"
    assert form["fields"]["key"] == f"users/{alice.sub}/${{filename}}"
    assert ["starts-with", "$key", f"users/{alice.sub}/"] in policy["conditions"]


def test_listing_pages_with_a_link_header(alice, alice_api, s3, settings):
    for i in range(5):
        s3.put_object(Bucket=settings.USER_FILES_BUCKET, Key=f"users/{alice.sub}/f{i}.txt", Body=b"x")

    first = alice_api.get("/api/files/", {"limit": "2"})
    paths = [entry["path"] for entry in first.json()]
    url = first.headers["Link"].split(">")[0].lstrip("<").removeprefix("http://testserver")
    while url:
        page = alice_api.get(url)
        paths += [entry["path"] for entry in page.json()]
        link = page.headers.get("Link")
        url = link and link.split(">")[0].lstrip("<").removeprefix("http://testserver")

    assert sorted(paths) == [f"f{i}.txt" for i in range(5)]


def test_two_users_never_see_or_touch_each_others_files(alice, bob, alice_api, bob_api, s3, settings):
    upload(alice_api, "secret.txt", b"alice only")
    s3.put_object(Bucket=settings.USER_FILES_BUCKET, Key=f"users/{bob.sub}/bob.txt", Body=b"bob")

    assert [entry["path"] for entry in bob_api.get("/api/files/").json()] == ["bob.txt"]
    assert bob_api.get("/api/files/secret.txt").status_code == 404
    assert bob_api.delete("/api/files/secret.txt").status_code == 404
    assert bob_api.get(f"/api/files/users/{alice.sub}/secret.txt").status_code == 400
    assert bob_api.delete(f"/api/files/users/{alice.sub}/secret.txt").status_code == 400
    form = bob_api.post("/api/files/uploads", {"path": f"users/{alice.sub}/secret.txt"})
    assert form.status_code == 400
    assert s3.get_object(Bucket=settings.USER_FILES_BUCKET, Key=f"users/{alice.sub}/secret.txt")["Body"].read() == (
        b"alice only"
    )


TRAVERSALS = [
    "../x",
    "a/../../x",
    "a/../b",
    "./a",
    "a//b",
    "a/",
    "/etc/passwd",
    "%2e%2e/x",
    "%2E%2E%2Fx",
    "..%2fx",
    "..%2Fusers%2Fsomeone%2Fx",
    "%252e%252e/x",
    "..%5cx",
    "a%00b",
    "users/someone-else/x",
    "users",
]


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("method", ["get", "delete"])
def test_traversal_in_the_url_is_rejected(alice_api, path, method):
    response = getattr(alice_api, method)(f"/api/files/{path}")

    assert response.status_code in (400, 404), response.content
    assert response.json()["error"]["code"] in ("invalid", "not_found")


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_in_the_url_never_reaches_s3(alice_api, path, monkeypatch):
    from todo import user_files

    touched = []
    monkeypatch.setattr(user_files, "exists", lambda *, key: touched.append(key) or True)
    monkeypatch.setattr(user_files, "delete", lambda *, key: touched.append(key))

    alice_api.get(f"/api/files/{path}")
    alice_api.delete(f"/api/files/{path}")

    assert touched == []


@pytest.mark.parametrize(
    "path", ["../x", "/abs", "a/../../b", "users/x/y", "a\\..\\b", "%2e%2e/x", "a\x00b", "", "a/./b"]
)
def test_traversal_in_an_upload_path_is_rejected_with_a_field_message(alice_api, path):
    response = alice_api.post("/api/files/uploads", {"path": path})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["path"]


def test_a_file_named_uploads_can_still_be_read(alice, alice_api, s3, settings):
    s3.put_object(Bucket=settings.USER_FILES_BUCKET, Key=f"users/{alice.sub}/uploads", Body=b"x")

    assert alice_api.get("/api/files/uploads").status_code == 302
    assert alice_api.delete("/api/files/uploads").status_code == 204


def test_an_unusual_but_harmless_name_works(alice_api):
    upload(alice_api, "Fotos 2026/été #1.txt", b"ok")

    (entry,) = alice_api.get("/api/files/").json()

    assert entry["path"] == "Fotos 2026/été #1.txt"
    assert entry["url"] == "http://testserver/api/files/Fotos%202026/%C3%A9t%C3%A9%20%231.txt"
    assert alice_api.get("/api/files/Fotos%202026/%C3%A9t%C3%A9%20%231.txt").status_code == 302


@pytest.mark.parametrize("content_type", ["text", "a/b\r\nX-Evil: 1", "x" * 300, "tëxt/plain"])
def test_a_bad_content_type_answers_400(alice_api, content_type):
    response = alice_api.post("/api/files/uploads", {"path": "a.txt", "content_type": content_type})

    assert response.status_code == 400


def test_a_content_type_with_a_trailing_newline_is_refused_below_the_api_too():
    # The API trims it; the service must not rely on that (`$` matches before a final newline).
    with pytest.raises(InvalidInput):
        services.user_file_upload_presign(owner="abc", content_type="image/png\n")
