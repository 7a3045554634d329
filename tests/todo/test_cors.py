"""CORS for browser and hybrid clients, on the to-do API's paths only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.todo.conftest import ApiClient

ORIGIN = "https://app.example.com"


@pytest.mark.parametrize(
    "path", ["/api/todos/", "/api/todos/01HZZZZZZZZZZZZZZZZZZZZZZZ/", "/api/me/", "/api/files/x.txt"]
)
def test_a_preflight_needs_no_token_and_allows_what_the_app_sends(path):
    response = ApiClient(None).options(
        path,
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "PATCH",
            "access-control-request-headers": "authorization, content-type, if-match",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    headers = {h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "if-none-match"} <= headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_answers_expose_etag_link_and_location_to_scripts(alice_api):
    response = alice_api.post("/api/todos/", {"title": "from a browser"}, headers={"origin": ORIGIN})

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"ETag", "Link", "Location"}


def test_a_401_is_readable_by_the_browser_too():
    response = ApiClient(None).get("/api/todos/", headers={"origin": ORIGIN})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/blog/posts/", "/", "/admin/login/"])
def test_the_blog_and_admin_get_no_cors_headers(path):
    response = ApiClient(None).options(path, headers={"origin": ORIGIN, "access-control-request-method": "GET"})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_allowed_origins_come_from_the_setting():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CORS_ALLOW_ALL_ORIGINS, s.CORS_ALLOWED_ORIGINS)"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myblog.settings",
        "TODO_CORS_ORIGINS": f"{ORIGIN}, http://localhost:3000",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True
    )

    assert result.stdout.strip() == f"False ['{ORIGIN}', 'http://localhost:3000']", result.stderr


def test_only_listed_origins_are_allowed_when_the_setting_names_some(settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    preflight = {"access-control-request-method": "GET"}

    allowed = ApiClient(None).options("/api/todos/", headers={"origin": ORIGIN, **preflight})
    refused = ApiClient(None).options("/api/todos/", headers={"origin": "https://evil.example.com", **preflight})

    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in refused.headers
