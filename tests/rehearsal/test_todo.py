"""The to-do stage (todo_dev) as Lambda runs it, with its role's temporary credentials under IAM
enforcement: the health check, the to-do CRUD, /api/me/ and the files API, called with a token of
the local user pool as the mobile app calls them."""

from typing import Any

import pytest
import requests

from tests.rehearsal.harness import API_HOST, ENV, STAGES, LambdaFunction, Rehearsal

# Slow (one local AWS and two packaged functions per session): `make rehearse`, not `make test`.
pytestmark = pytest.mark.rehearse

USER_FILES_BUCKET = f"myblog-{ENV}-user-files"
EMAIL = "app-user@example.net"
PASSWORD = "Rehearsal-Passw0rd!"


@pytest.fixture(scope="module")
def user(rehearsal: Rehearsal) -> dict[str, str]:
    """A confirmed user of the pool and their tokens (as `manage.py cognito_user` makes them)."""
    idp = rehearsal.aws.client("cognito-idp")
    pool_id, client_id = rehearsal.values["COGNITO_USER_POOL_ID"], rehearsal.values["COGNITO_APP_CLIENT_ID"]
    sub = idp.sign_up(
        ClientId=client_id, Username=EMAIL, Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": EMAIL}]
    )["UserSub"]
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=EMAIL)
    tokens = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]
    return {"sub": sub, "access_token": tokens["AccessToken"]}


def call(todo: LambdaFunction, user: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {user['access_token']}", "Accept": "application/json"}
    return todo.request(method, path, headers=headers | kwargs.pop("headers", {}), **kwargs)


def test_the_health_check_reads_the_table(todo: LambdaFunction) -> None:
    answer = todo.request("GET", "/healthz")

    assert answer.status == 200, answer.body
    assert answer.json()["checks"] == {"todos": "ok"}


def test_a_call_without_a_token_is_refused(todo: LambdaFunction) -> None:
    assert todo.request("GET", "/api/todos/").status == 401


def test_create_read_update_and_delete_a_todo(todo: LambdaFunction, user: dict[str, str]) -> None:
    created = call(todo, user, "POST", "/api/todos/", json_body={"title": "Rehearse the deploy"})
    assert created.status == 201, created.body
    todo_id, etag = created.json()["id"], created.headers["etag"]
    # Links work where the app calls: on the execute-api host, under the API Gateway stage.
    own_url = f"https://{API_HOST}/{STAGES['todo']}/api/todos/{todo_id}/"
    assert created.json()["url"] == created.headers["location"] == own_url

    listed = call(todo, user, "GET", "/api/todos/")
    assert listed.status == 200, listed.body
    assert [item["id"] for item in listed.json()] == [todo_id]

    updated = call(todo, user, "PATCH", f"/api/todos/{todo_id}/", headers={"If-Match": etag},
                   json_body={"completed": True, "title": "Rehearsed the deploy"})  # fmt: skip
    assert updated.status == 200, updated.body
    assert updated.json()["completed"] is True
    stale = call(todo, user, "PATCH", f"/api/todos/{todo_id}/", headers={"If-Match": etag}, json_body={"title": "x"})
    assert stale.status == 412, stale.body

    read = call(todo, user, "GET", f"/api/todos/{todo_id}/")
    assert read.status == 200 and read.json()["title"] == "Rehearsed the deploy", read.body

    assert call(todo, user, "DELETE", f"/api/todos/{todo_id}/").status == 204
    assert call(todo, user, "GET", f"/api/todos/{todo_id}/").status == 404
    assert call(todo, user, "GET", "/api/todos/").json() == []


def test_me_tells_the_user_and_their_folder(rehearsal: Rehearsal, todo: LambdaFunction, user: dict[str, str]) -> None:
    answer = call(todo, user, "GET", "/api/me/")

    assert answer.status == 200, answer.body
    body = answer.json()
    assert (body["sub"], body["email"]) == (user["sub"], EMAIL)
    assert body["storage"] == {
        "bucket": USER_FILES_BUCKET,
        "region": "us-east-1",
        "prefix": f"users/{user['sub']}/",
        "user_pool_id": rehearsal.values["COGNITO_USER_POOL_ID"],
        "client_id": rehearsal.values["COGNITO_APP_CLIENT_ID"],
        "identity_pool_id": rehearsal.values["COGNITO_IDENTITY_POOL_ID"],
    }


def test_the_files_api_lists_downloads_uploads_and_deletes(
    rehearsal: Rehearsal, todo: LambdaFunction, user: dict[str, str]
) -> None:
    s3 = rehearsal.aws.client("s3")
    folder = f"users/{user['sub']}/"
    s3.put_object(Bucket=USER_FILES_BUCKET, Key=f"{folder}notes.txt", Body=b"remember the milk")

    listed = call(todo, user, "GET", "/api/files/")
    assert listed.status == 200, listed.body
    assert [item["path"] for item in listed.json()] == ["notes.txt"]
    assert listed.json()[0]["url"] == f"https://{API_HOST}/{STAGES['todo']}/api/files/notes.txt"

    download = call(todo, user, "GET", "/api/files/notes.txt")
    assert download.status == 302, download.body
    # Signed with the role's temporary credentials: S3 needs the session token in the URL.
    assert "X-Amz-Security-Token=" in download.headers["location"]
    assert requests.get(download.headers["location"], timeout=10).content == b"remember the milk"

    upload = call(
        todo, user, "POST", "/api/files/uploads", json_body={"path": "photo.jpg", "content_type": "image/jpeg"}
    )
    assert upload.status == 200, upload.body
    form = upload.json()
    # A POST policy signed with temporary credentials carries their token, or S3 refuses the form.
    token = rehearsal.credentials[STAGES["todo"]]["AWS_SESSION_TOKEN"]
    assert form["fields"].get("x-amz-security-token") == token
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("photo.jpg", b"\xff\xd8jpeg")}, timeout=10)
    assert posted.status_code in (200, 201, 204), posted.text
    assert s3.get_object(Bucket=USER_FILES_BUCKET, Key=f"{folder}photo.jpg")["Body"].read() == b"\xff\xd8jpeg"

    assert call(todo, user, "DELETE", "/api/files/notes.txt").status == 204
    assert [item["path"] for item in call(todo, user, "GET", "/api/files/").json()] == ["photo.jpg"]
