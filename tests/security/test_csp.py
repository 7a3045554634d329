"""Every HTML answer carries the Content-Security-Policy, and the policy allows what pages need
from AWS: photos where the storage serves them, uploads where boto3 presigns them (issue 12).

tests/security/test_csp_browser.py shows in Chromium that the pages satisfy the policy.
"""

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from media import bucket
from myblog.core.csp import origin
from tests.factories import PostFactory, StaffFactory

pytestmark = pytest.mark.django_db


def policy(answer: Any) -> dict[str, list[str]]:
    directives = (part.split() for part in answer["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


@pytest.fixture
def pages() -> list[str]:
    post = PostFactory(tags=["aws"])
    return [
        "/",
        "/?page=2",
        post.get_absolute_url(),
        "/tags/aws/",
        "/api/docs/",
        "/subscribe/",
        "/subscribe/thanks/",
        "/unsubscribe/not-a-token/",
        "/no-such-page/",
        "/admin/login/",
        "/admin/",
        "/admin/myblog/post/",
        f"/admin/myblog/post/{post.pk}/change/",
        f"/admin/myblog/post/{post.pk}/preview/",
        "/admin/media/photo/add/",
        "/admin/two-factor/",
        "/admin/otp_totp/totpdevice/",
        "/admin/axes/accessattempt/",
    ]


def test_every_html_page_and_the_admin_carry_a_policy_without_inline_code(client: Client, pages: list[str]) -> None:
    anonymous = {path: client.get(path) for path in pages}
    client.force_login(StaffFactory())
    staff = {path: client.get(path) for path in pages if path.startswith("/admin/")}
    bad_host = client.get("/", headers={"host": "evil.example"})

    answers = [*anonymous.values(), *staff.values(), bad_host]
    html = [answer for answer in answers if answer["Content-Type"].startswith("text/html")]
    assert len(html) == len(answers)  # every one of them is a page: none is missed for being another type
    for answer in html:
        directives = policy(answer)
        assert directives["default-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"] and directives["form-action"] == ["'self'"]
        flat = answer["Content-Security-Policy"]
        assert "'unsafe-inline'" not in flat and "'unsafe-eval'" not in flat and "'nonce-" not in flat


def test_the_policy_is_the_same_for_every_request_so_a_cached_page_keeps_a_valid_one(client: Client) -> None:
    PostFactory()

    first, second = client.get("/"), client.get("/")

    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]


def test_photos_load_from_where_the_storage_serves_them(client: Client, settings: Any) -> None:
    from django.core.files.storage import default_storage

    settings.AWS_S3_CUSTOM_DOMAIN, settings.AWS_S3_URL_PROTOCOL = "d111111abcdef8.cloudfront.net", "https:"
    settings.STORAGES = {**settings.STORAGES}  # django-storages reads its settings when built

    photo_url = default_storage.url("renditions/1/w640.webp")

    assert origin(photo_url) in policy(client.get("/"))["img-src"]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_the_admin_may_post_uploads_where_boto3_presigns_them_in_production(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch, region: str
) -> None:
    # As in production: no endpoint (AWS's own), the role's credentials (any, to sign offline).
    settings.AWS_ENDPOINT_URL, settings.AWS_REGION, settings.MEDIA_BUCKET = None, region, "myblog-production-media"
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = "AKIDEXAMPLE", "secret"
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # boto3 reads it when given no endpoint

    upload = bucket.presigned_post(key="uploads/a.jpg", content_type="image/jpeg", max_bytes=10, expires=60)

    allowed = policy(client.get("/admin/login/"))["connect-src"]
    assert origin(upload["url"]) in allowed
    # S3 redirects a new bucket's POSTs outside us-east-1 to its regional name for a while.
    assert f"https://{urlsplit(upload['url']).hostname.split('.')[0]}.s3.{region}.amazonaws.com" in allowed


def test_the_admin_may_post_uploads_to_the_local_endpoint(client: Client, settings: Any) -> None:
    upload = bucket.presigned_post(key="uploads/a.jpg", content_type="image/jpeg", max_bytes=10, expires=60)

    assert origin(upload["url"]) in policy(client.get("/admin/login/"))["connect-src"]
