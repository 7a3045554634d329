"""What a new process of each service imports to start and to answer its first request (issue 14).

Every Lambda cold start pays for Django's setup (an HTTP request, an S3 event and the newsletter
sweep alike); an HTTP request then loads its URLconf and views. Libraries that only some later work
needs wait for that work: Pillow for the first photo to inspect or render, qrcode for the admin's
TOTP enrolment page, drf-spectacular's schema generation (plumbing, which loads rest_framework.test,
django.test and unittest) for a schema. Each check runs in a fresh interpreter: in the test
process everything is loaded already.
"""

import json
import os
import subprocess
import sys
from typing import Any

import pytest

# A new process of one service: Django's setup, then each request through Django's WSGI handler as
# Zappa's handler calls it. A database in memory, migrated after the start-up imports are noted.
# Each request is a path (a GET) or {"method", "path", "headers", "body"}; answers name headers in lower case.
CHILD = """
import io, json, sys
from wsgiref.util import setup_testing_defaults
import django
django.setup()
after_setup = sorted(sys.modules)
from django.core.management import call_command
from django.core.handlers.wsgi import WSGIHandler
call_command("migrate", verbosity=0, skip_checks=True)
handler, answers = WSGIHandler(), []
for asked in json.loads(sys.argv[1]):
    asked = {"path": asked} if isinstance(asked, str) else asked
    path, _, query = asked["path"].partition("?")
    body = asked.get("body", "").encode()
    environ = {"REQUEST_METHOD": asked.get("method", "GET"), "PATH_INFO": path, "QUERY_STRING": query,
               "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "HTTP_ACCEPT": "application/json"}
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    for name, value in asked.get("headers", {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    started = []
    response = handler(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    content = b"".join(response)
    status, headers = started[0]
    answers.append({"path": asked["path"], "status": int(status.split()[0]), "body": content.decode(errors="replace"),
                    "headers": {name.lower(): value for name, value in headers}})
print(json.dumps({"after_setup": after_setup, "after_requests": sorted(sys.modules), "answers": answers}))
"""

Request = str | dict[str, Any]

# Loaded only by the work that needs them, never by starting a service.
LATER = ("PIL", "qrcode", "drf_spectacular.plumbing", "rest_framework.test", "django.test", "unittest")
# The blog's apps and middleware, which the to-do service (bearer tokens, no Django users, sessions,
# pages or rows) never uses: a to-do process does not load them at all. (DRF's schema code, which
# drf-spectacular's decorators load with the API's views, imports some modules of the admin and
# messages packages; their models, sites and middleware stay out.)
BLOG_ONLY = (
    "django.contrib.admin.models",
    "django.contrib.auth.models",
    "django.contrib.contenttypes.models",
    "django.contrib.sessions",
    "django.contrib.messages.middleware",
    "django.contrib.sitemaps",
    "taggit",
    "myblog.blog",
    "myblog.admin_apps",
    "media.models",
    "notifications",
    "newsletter",
    "axes",
    "django_otp",
)
# Not by a first request of the public API or pages either (the schema generation is, as every
# view decorated with extend_schema asks drf-spectacular for its AutoSchema at import).
NOT_FOR_A_FIRST_REQUEST = ("PIL", "qrcode")


def run_in_new_process(
    code: str, service: str, environment: dict[str, str] | None = None, *args: str
) -> tuple[Any, str]:
    """Run ``code`` (with ``args``) in a fresh interpreter of ``service``; the JSON of its last line and its stderr."""
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "myblog.settings",
        "SERVICE": service,
        "DATABASE_URL": "sqlite://:memory:",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens: unless given, these processes call no AWS
        **(environment or {}),
    }
    result = subprocess.run(
        [sys.executable, "-c", code, *args], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def new_process(service: str, *requests: Request, environment: dict[str, str] | None = None) -> dict[str, Any]:
    """The modules a new process of ``service`` loaded, and its answers (``answers``: one per
    request, in order; ``answered``: by path) to ``requests``."""
    process: dict[str, Any] = run_in_new_process(CHILD, service, environment, json.dumps(requests))[0]
    process["answered"] = {answer["path"]: answer for answer in process["answers"]}
    return process


def loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


@pytest.mark.slow
def test_the_blog_starts_and_answers_its_first_readers_without_pillow_qrcode_or_schema_generation() -> None:
    process = new_process("blog", "/api/blog/posts/", "/")

    assert {path: answer["status"] for path, answer in process["answered"].items()} == {
        "/api/blog/posts/": 200,
        "/": 200,
    }
    assert loaded(process["after_setup"], LATER) == []
    assert loaded(process["after_requests"], NOT_FOR_A_FIRST_REQUEST) == []


@pytest.mark.slow
def test_the_todo_service_starts_and_answers_its_first_request_without_pillow_qrcode_or_schema_generation() -> None:
    process = new_process("todo", "/api/todos/")

    assert process["answered"]["/api/todos/"]["status"] == 401  # no bearer token: refused, after the same imports
    assert loaded(process["after_setup"], LATER) == []
    assert loaded(process["after_requests"], NOT_FOR_A_FIRST_REQUEST) == []


@pytest.mark.slow
def test_a_new_todo_process_serves_a_schema_that_describes_the_bearer_auth() -> None:
    """The bearer scheme's extension is registered where the schema is built, not at start-up:
    the first schema a new process serves still has it."""
    answer = new_process("todo", "/api/todos/schema/?format=json")["answered"]["/api/todos/schema/?format=json"]

    assert answer["status"] == 200
    document = json.loads(answer["body"])
    scheme = document["components"]["securitySchemes"]["cognitoAccessToken"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert document["paths"]["/api/todos/"]["get"]["security"] == [{"cognitoAccessToken": []}]


@pytest.mark.slow
def test_a_new_todo_process_loads_none_of_the_blogs_apps_to_start_and_refuse_a_caller_without_a_token() -> None:
    process = new_process("todo", "/api/todos/")

    assert process["answered"]["/api/todos/"]["status"] == 401
    assert loaded(process["after_setup"], BLOG_ONLY) == []
    assert loaded(process["after_requests"], BLOG_ONLY) == []
