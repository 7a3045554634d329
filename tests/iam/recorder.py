"""Record every AWS call made during the test session, and who would make it in production.

Every botocore client (boto3's, django-storages', django-ses', Zappa's, the product's) gets a
``before-parameter-build`` hook when it is created (presigned URLs emit it too; presigned POSTs
are wrapped). A call is attributed by the code that makes it, found on the call stack:

- ``todo/`` → the todo Lambda role; ``myblog/``, ``media/``, ``notifications/`` → the blog
  Lambda role (``myblog/core/`` is shared code, the AWS client factory among it: the caller decides); Zappa's handler
  (the remote_env read at cold start) → the role of the stage it runs;
- a client signed with credentials the Cognito identity pool handed out → the identity pool's
  authenticated role, with the user's ``sub`` as principal tag (what the mobile app does itself);
- ``tests/`` (fixtures, assertions), ``infra/`` (the local bootstrap, operator tools), a
  developer's command and the lookups by name that only run where settings give no ids, and calls
  on resources a test made up (``no-such-bucket``) → not a production call: counted, not evaluated.

Names are translated to production's (roles.py). A HeadObject answered 404 adds the check S3 makes
before it says 404 rather than 403: s3:ListBucket on the bucket, without s3:prefix.
Calls made in subprocesses (the packaged-zip rehearsal, `zappa` commands) are not seen here.
"""

import base64
import binascii
import json
import sys
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import botocore.session

from .actions import IamRequest, UnmappedOperation, iam_requests
from .roles import in_production, is_production_resource

REPO = str(Path(__file__).resolve().parents[2]) + "/"
_SITE_PACKAGES = "/site-packages/"

# Code paths that never run in production, and why.
LOCAL_ONLY = {
    ("todo/cognito.py", name): "production sets COGNITO_*_ID (required settings); lookups by name are local"
    for name in ("_pool_id_by_name", "_client_id_by_name", "_identity_pool_id_by_name")
}
# Modules that run with a person's own credentials, not on Lambda (their docstrings say so).
DEVELOPER_TOOLS = {"todo/management/commands/cognito_user.py": "a developer's command, run with their own credentials"}
# Repository folders whose calls are the tests' own or the operator's, never a Lambda's.
_NOT_PRODUCTION = {"tests": "test code", "infra": "local bootstrap and operator tools", "scripts": "operator scripts"}
_OWNER = {"todo": "todo", "myblog": "blog", "media": "blog", "notifications": "blog", "newsletter": "blog"}


@dataclass(frozen=True)
class Example:
    """The first call that needed a given IAM request."""

    test: str
    service: str
    operation: str
    where: str


@dataclass
class Recording:
    # (role key, IAM request) → the first call that needed it
    checks: dict[tuple[str, IamRequest], Example]
    unmapped: dict[tuple[str, str], Example]
    excluded: Counter[tuple[str, str]]  # (why, "service Operation") → calls

    # Calls of a test that makes denied calls on purpose: kept out of the session's recording.
    isolated: bool = False

    def clear(self) -> None:
        self.checks.clear()
        self.unmapped.clear()
        self.excluded.clear()


recording = Recording({}, {}, Counter())
# Recordings of single tests (tests/iam/), which get every call the session recording gets.
captures: list[Recording] = []
current_test = "(outside any test)"
# Access key id → the user-pool `sub` of the identity whose credentials it is.
_app_credentials: dict[str, str] = {}


def _targets() -> list[Recording]:
    return captures if any(capture.isolated for capture in captures) else [recording, *captures]


def _attribute(frame: FrameType | None) -> tuple[str | None, str, str]:
    """(role key or None, why excluded, where): who makes the call whose stack this is."""
    while frame is not None:
        path = frame.f_code.co_filename
        where = f"{path.removeprefix(REPO)}:{frame.f_lineno} {frame.f_code.co_name}"
        if _SITE_PACKAGES in path:
            if path.endswith("/zappa/handler.py"):
                stage = str(getattr(sys.modules.get("zappa_settings"), "API_STAGE", ""))
                return ("todo" if stage.startswith("todo") else "blog"), "", where
        elif path.startswith(REPO):
            relative = path.removeprefix(REPO)
            top = relative.split("/", 1)[0]
            if (relative, frame.f_code.co_name) in LOCAL_ONLY:
                return None, LOCAL_ONLY[(relative, frame.f_code.co_name)], where
            if relative in DEVELOPER_TOOLS:
                return None, DEVELOPER_TOOLS[relative], where
            if top in _NOT_PRODUCTION:
                return None, _NOT_PRODUCTION[top], where
            if top in _OWNER and not relative.startswith("myblog/core/"):
                # A service module called by a developer's command runs with that person's credentials.
                tool = _developer_tool(frame.f_back)
                return (None, DEVELOPER_TOOLS[tool], where) if tool else (_OWNER[top], "", where)
        frame = frame.f_back
    return None, "no project code on the stack", ""


def _developer_tool(frame: FrameType | None) -> str | None:
    while frame is not None:
        relative = frame.f_code.co_filename.removeprefix(REPO)
        if relative in DEVELOPER_TOOLS:
            return relative
        frame = frame.f_back
    return None


def _access_key(client: Any) -> str | None:
    credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    return getattr(credentials, "access_key", None)


def record(client: Any, service: str, operation: str, params: dict[str, Any], frame: FrameType | None) -> None:
    role, why, where = _attribute(frame)
    sub = _app_credentials.get(_access_key(client) or "")
    if sub is not None:
        role, where = "app", where or "the mobile app"
    if role is None:
        for target in _targets():
            target.excluded[(why, f"{service} {operation}")] += 1
        return
    example = Example(current_test, service, operation, where)
    try:
        requests = iam_requests(service, operation, params)
    except UnmappedOperation:
        for target in _targets():
            target.unmapped.setdefault((service, operation), example)
        return
    for request in requests:
        resource = in_production(request.resource)
        if not is_production_resource(resource):
            # A name a test made up to break a dependency (no-such-bucket): no role names it.
            for target in _targets():
                target.excluded[("a resource a test made up", f"{service} {operation}")] += 1
            continue
        context = {key: in_production(value) for key, value in request.context}
        context["aws:SecureTransport"] = "true"  # boto3 speaks HTTPS to AWS
        if sub is not None:
            context["aws:PrincipalTag/sub"] = sub
        translated = IamRequest(request.action, resource, tuple(sorted(context.items())))
        for target in _targets():
            target.checks.setdefault((role, translated), example)


def _jwt_sub(token: str) -> str | None:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    except (IndexError, KeyError, ValueError, binascii.Error):
        return None


def instrument(client: Any) -> None:
    """Record the calls this client makes from now on."""
    if getattr(client, "_iam_recorded", False):
        return
    client._iam_recorded = True
    service = client.meta.service_model.service_name
    owner = weakref.ref(client)

    def before_parameter_build(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        context["iam_logins"] = params.get("Logins")
        context["iam_params"] = {name: params[name] for name in ("Bucket", "Key") if name in params}
        record(owner(), service, model.name, params, sys._getframe(1))

    def credentials_issued(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # The identity pool tags the session with the user-pool sub (infra/todo.yaml IdentityPoolSubTag).
        key = parsed.get("Credentials", {}).get("AccessKeyId")
        subs = [_jwt_sub(token) for token in (context.get("iam_logins") or {}).values()]
        if key and subs and subs[0]:
            _app_credentials[key] = subs[0]

    def object_missing(http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        # S3 answers 404 for a missing key only to a caller allowed s3:ListBucket on the bucket
        # (without s3:prefix: the object request carries none); others get 403. HeadObject is how
        # code asks "does it exist" (django-storages' exists() too); a GetObject of a missing key
        # is an error to the code either way (NoSuchKey or AccessDenied), so it is not flagged.
        if http_response is not None and http_response.status_code == 404 and "iam_params" in context:
            record(owner(), service, "MissingObject", context["iam_params"], sys._getframe(1))

    client.meta.events.register("before-parameter-build", before_parameter_build)
    if service == "s3":
        client.meta.events.register("after-call.s3.HeadObject", object_missing)
    if service == "cognito-identity":
        client.meta.events.register("after-call.cognito-identity.GetCredentialsForIdentity", credentials_issued)
    if hasattr(client, "generate_presigned_post"):
        presign = client.generate_presigned_post

        def generate_presigned_post(Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N803 - boto3's names
            # The browser's upload is authorized as the signer; ${filename} is the browser's choice.
            key = Key.replace("${filename}", "example.jpg")
            record(owner(), "s3", "PresignedPost", {"Bucket": Bucket, "Key": key}, sys._getframe(1))
            return presign(Bucket, Key, *args, **kwargs)

        client.generate_presigned_post = generate_presigned_post


_create_client = botocore.session.Session.create_client


def _create_recorded_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
    client = _create_client(self, *args, **kwargs)
    instrument(client)
    return client


def install() -> None:
    """Instrument every client created from now on, and those Zappa built at import."""
    # Patching botocore is how every client gets recorded.
    botocore.session.Session.create_client = _create_recorded_client  # type: ignore[method-assign]
    asynchronous = sys.modules.get("zappa.asynchronous")
    for name in ("LAMBDA_CLIENT", "SNS_CLIENT", "STS_CLIENT", "DYNAMODB_CLIENT"):
        if asynchronous is not None and hasattr(getattr(asynchronous, name, None), "meta"):
            instrument(getattr(asynchronous, name))
