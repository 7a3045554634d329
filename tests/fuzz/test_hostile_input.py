"""Hostile input on every write endpoint and upload: a clear 4xx each, never a 500, nothing stored.

One test per endpoint; each row of its table is a subtest, so one setup (the local AWS endpoint
bootstrapped, a Cognito user signed in) serves the whole table. Every table ends with the valid
request, which must be accepted, so the "nothing stored" comparison is shown able to fail.
"""

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
import responses
from django.conf import settings
from django.test import Client

from media.models import Photo
from notifications.models import Subscriber
from tests.factories import StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
DEPTH = 10_000
CRLF = "\r\nX-Injected: 1"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# Not the certificate tests/notifications serves: django-ses caches each URL's certificate per process.
SNS_CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-00000000000000000000000000000000.pem"


@dataclass(frozen=True)
class Hostile:
    """One hostile request: a raw body, its content type, and headers that replace the usual ones."""

    name: str
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "{todo_id}" is replaced by a to-do of the signed-in user
    payload: dict[str, Any] | None  # a body it accepts; None: it reads none
    text_field: str | None = None  # a string field to put bad text into
    number_field: str | None = None  # a field where a huge integer is out of range
    header_field: str | None = None  # a field whose value ends up in an HTTP header or an S3 policy
    todo_api: bool = False  # needs a Cognito access token; has If-Match where it writes one to-do
    json_errors: bool = True  # answers with the APIs' JSON error shape


def with_raw(payload: dict[str, Any], **values: bytes) -> bytes:
    """The payload as JSON, with the named fields' values replaced by raw bytes (any JSON text, or not)."""
    body = json.dumps({**payload, **{name: f"@@{name}@@" for name in values}}).encode()
    for name, value in values.items():
        body = body.replace(f'"@@{name}@@"'.encode(), value)
    return body


def json_body_cases(endpoint: Endpoint) -> list[Hostile]:
    payload = endpoint.payload
    assert payload is not None and endpoint.text_field is not None
    text = endpoint.text_field
    valid = json.dumps(payload).encode()
    cases = [
        Hostile("a valid body padded past the size limit", valid[:-1] + b" " * (LIMIT + 1 - len(valid)) + b"}"),
        Hostile("JSON sent as text/plain", valid, "text/plain"),
        Hostile("JSON sent as a form", valid, FORM),
        Hostile("a form body", urlencode(payload).encode(), FORM),
        Hostile("multipart with a boundary that never comes", b"--x\r\n\r\n", "multipart/form-data; boundary=y"),
        Hostile("a decompressing charset", valid, "application/json; charset=bz2_codec"),
        Hostile("CR/LF in the Content-Type header", valid, JSON + CRLF),
        Hostile("invalid UTF-8 in a value", with_raw(payload, **{text: b'"\xff\xfe\xc3"'})),
        Hostile("a lone surrogate in a value", with_raw(payload, **{text: b'"\\ud800"'})),
        Hostile("a value nested 10000 levels deep", with_raw(payload, **{text: b"[" * DEPTH + b"]" * DEPTH})),
        Hostile("a body nested 10000 levels deep", b'{"a": ' * DEPTH + b"1" + b"}" * DEPTH),
        Hostile("1e400 in a value", with_raw(payload, **{text: b"1e400"})),
        Hostile("-1e400 in a value", with_raw(payload, **{text: b"-1e400"})),
        Hostile("NaN in a value", with_raw(payload, **{text: b"NaN"})),
        Hostile("an integer of 5000 digits", with_raw(payload, **{text: b"9" * 5000})),
        Hostile("a JSON array instead of an object", b"[" + valid + b"]"),
        Hostile("a JSON string instead of an object", json.dumps(valid.decode()).encode()),
    ]
    if endpoint.number_field:
        number = endpoint.number_field
        cases.append(Hostile("10**400 in a number", with_raw(payload, **{number: str(10**400).encode()})))
        cases.append(Hostile("1e400 in a number", with_raw(payload, **{number: b"1e400"})))
    if endpoint.header_field:
        value = json.dumps(str(payload[endpoint.header_field]) + CRLF).encode()
        cases.append(
            Hostile("CR/LF in a value bound for a header", with_raw(payload, **{endpoint.header_field: value}))
        )
    return cases


def header_cases(endpoint: Endpoint, token: str) -> list[Hostile]:
    """Hostile headers of the to-do API, sent with the valid body (if any)."""
    valid = json.dumps(endpoint.payload).encode() if endpoint.payload is not None else b""
    cases = [
        Hostile("CR/LF in Authorization", valid, headers={"Authorization": f"Bearer {token}{CRLF}"}),
        Hostile("a token of 1e400", valid, headers={"Authorization": "Bearer 1e400"}),
        Hostile("invalid UTF-8 in Authorization", valid, headers={"Authorization": "Bearer \xff\xfe"}),
    ]
    if "{todo_id}" in endpoint.path and endpoint.method != "get":
        cases += [
            Hostile("CR/LF in If-Match", valid, headers={"If-Match": f'"1"{CRLF}'}),
            Hostile("a version of 10**400 in If-Match", valid, headers={"If-Match": f'"{10**400}"'}),
            Hostile("a version of 1e400 in If-Match", valid, headers={"If-Match": '"1e400"'}),
            Hostile("invalid UTF-8 in If-Match", valid, headers={"If-Match": '"\xff\xfe"'}),
        ]
    return cases


def form_cases() -> list[Hostile]:
    valid = b"email=new-reader%40example.com"
    return [
        Hostile("a valid form padded past the size limit", valid + b"&pad=" + b"x" * LIMIT, FORM),
        Hostile("more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS", valid + b"&f=1" * 1001, FORM),
        Hostile("JSON", b'{"email": "new-reader@example.com"}', JSON),
        Hostile("the form sent as text/plain", valid, "text/plain"),
        Hostile("multipart with a boundary that never comes", b"--x\r\n\r\n", "multipart/form-data; boundary=y"),
        Hostile("CR/LF in the Content-Type header", valid, FORM + CRLF),
        Hostile("invalid UTF-8", b"email=\xff\xfe%40example.com", FORM),
        Hostile("percent-encoded invalid UTF-8", b"email=%FF%FE%40example.com", FORM),
        Hostile("brackets nested 10000 levels deep", b"email=" + b"%5B" * DEPTH + b"%5D" * DEPTH, FORM),
        Hostile("1e400", b"email=1e400", FORM),
        Hostile("10**400", b"email=" + str(10**400).encode(), FORM),
        Hostile("CR/LF in the address", valid + b"%0D%0ABcc%3A+victim%40example.com", FORM),
    ]


def stored() -> dict[str, Any]:
    """Everything a write could have touched: rows, to-do items, objects in both buckets."""
    aws = {"endpoint_url": settings.AWS_ENDPOINT_URL, "region_name": settings.AWS_REGION}
    dynamodb, s3 = boto3.client("dynamodb", **aws), boto3.client("s3", **aws)
    items = dynamodb.scan(TableName=settings.TODO_TABLE, ConsistentRead=True)["Items"]
    return {
        "subscribers": list(Subscriber.objects.order_by("pk").values()),
        "photos": list(Photo.objects.order_by("pk").values()),
        "todos": sorted(json.dumps(item, sort_keys=True) for item in items),
        "objects": {
            bucket: [(o["Key"], o["ETag"]) for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
            for bucket in (settings.MEDIA_BUCKET, settings.USER_FILES_BUCKET)
        },
    }


def send(client: Client, endpoint: Endpoint, path: str, case: Hostile, headers: dict[str, str]) -> Any:
    return client.generic(
        endpoint.method.upper(), path, case.body, content_type=case.content_type, headers={**headers, **case.headers}
    )


def assert_rejected_and_nothing_stored(subtests, client, endpoint, path, cases, headers) -> None:
    for case in cases:
        with subtests.test(case.name):
            before = stored()
            response = send(client, endpoint, path, case, headers)
            assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
            if endpoint.json_errors:
                assert response["Content-Type"] == JSON
                assert set(response.json()["error"]) == {"code", "message", "fields"}
            assert stored() == before


def assert_valid_request_is_accepted(client, endpoint, path, headers, *, stores: bool) -> None:
    before = stored()
    valid = Hostile("valid", json.dumps(endpoint.payload).encode() if endpoint.payload is not None else b"")
    response = send(client, endpoint, path, valid, headers)
    assert response.status_code < 300, response.content[:300]
    assert (stored() != before) is stores


@pytest.fixture(autouse=True)
def _throttle_out_of_the_way(settings):
    # Each table sends the subscribe endpoints more requests than the hourly allowance.
    settings.SUBSCRIBE_THROTTLE_RATE = "10000/hour"


SUBSCRIBERS_API = Endpoint(
    "post", "/api/blog/subscribers/", {"email": "new-reader@example.com"}, "email", header_field="email"
)
TODO = {"title": "Buy milk", "completed": False, "order": 3}
TODO_ENDPOINTS = [
    Endpoint("post", "/api/todos/", TODO, "title", "order", todo_api=True),
    Endpoint("put", "/api/todos/{todo_id}/", TODO, "title", "order", todo_api=True),
    Endpoint("patch", "/api/todos/{todo_id}/", TODO, "title", "order", todo_api=True),
    Endpoint("delete", "/api/todos/{todo_id}/", None, todo_api=True),
    Endpoint("delete", "/api/todos/", None, todo_api=True),
]
FILE_UPLOAD = Endpoint(
    "post",
    "/api/files/uploads",
    {"path": "notes/today.txt", "content_type": "text/plain"},
    "path",
    header_field="content_type",
    todo_api=True,
)
PHOTO_PRESIGN = Endpoint(
    "post",
    "/admin/media/photo/add/presign/",
    {"filename": "cat.jpg", "content_type": "image/jpeg", "size": 1000},
    "filename",
    "size",
    header_field="content_type",
)
SES_EVENTS = Endpoint(
    "post",
    "/notifications/ses-events/",
    {
        "Type": "Notification",
        "MessageId": "7c6e8f0a-0000-4000-8000-000000000000",
        "TopicArn": settings.SES_EVENTS_TOPIC_ARN,
        "Message": json.dumps(
            {
                "eventType": "Bounce",
                "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "reader@example.com"}]},
                "mail": {"destination": ["reader@example.com"]},
            }
        ),
        "Timestamp": "2026-01-01T00:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": base64.b64encode(b"\x01" * 256).decode(),
        "SigningCertURL": SNS_CERT_URL,
    },
    "Message",
    "Signature",
    header_field="Signature",
    json_errors=False,
)


def test_the_subscribers_api_rejects_hostile_input_and_stores_nothing(client, subtests):
    endpoint = SUBSCRIBERS_API
    assert_rejected_and_nothing_stored(subtests, client, endpoint, endpoint.path, json_body_cases(endpoint), {})
    assert_valid_request_is_accepted(client, endpoint, endpoint.path, {}, stores=True)


def test_the_subscribe_form_rejects_hostile_input_and_stores_nothing(client, subtests):
    endpoint = Endpoint("post", "/subscribe/", None, json_errors=False)
    assert_rejected_and_nothing_stored(subtests, client, endpoint, endpoint.path, form_cases(), {})
    response = client.post(endpoint.path, {"email": "new-reader@example.com"})
    assert response.status_code == 303
    assert Subscriber.objects.filter(email="new-reader@example.com").exists()


@pytest.mark.parametrize("endpoint", [*TODO_ENDPOINTS, FILE_UPLOAD], ids=lambda e: f"{e.method} {e.path}")
def test_the_todo_api_rejects_hostile_input_and_stores_nothing(client, subtests, alice, endpoint):
    headers = {"Authorization": f"Bearer {alice.access_token}"}
    todo = client.post("/api/todos/", {"title": "Existing"}, content_type=JSON, headers=headers)
    path = endpoint.path.format(todo_id=todo.json()["id"])
    cases = header_cases(endpoint, alice.access_token)
    if endpoint.payload is not None:
        cases = json_body_cases(endpoint) + cases
    assert_rejected_and_nothing_stored(subtests, client, endpoint, path, cases, headers)
    # A presigned upload stores nothing until the client posts the file to S3.
    assert_valid_request_is_accepted(client, endpoint, path, headers, stores=endpoint is not FILE_UPLOAD)


def test_the_photo_presign_endpoint_rejects_hostile_input(client, subtests):
    client.force_login(StaffFactory())
    endpoint = PHOTO_PRESIGN
    assert_rejected_and_nothing_stored(subtests, client, endpoint, endpoint.path, json_body_cases(endpoint), {})
    assert_valid_request_is_accepted(client, endpoint, endpoint.path, {}, stores=False)


def test_the_ses_events_endpoint_rejects_hostile_input_and_changes_no_subscriber(client, subtests, local_aws):
    SubscriberFactory(email="reader@example.com")
    endpoint = SES_EVENTS
    # Nothing leaves the machine: a certificate fetch fails at once, as from a host SNS never uses.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(local_aws)
        cases = [case for case in json_body_cases(endpoint) if case.content_type != "text/plain"]
        cases.append(Hostile("an unsigned notification", json.dumps(endpoint.payload).encode(), "text/plain"))
        assert_rejected_and_nothing_stored(subtests, client, endpoint, endpoint.path, cases, {})
