import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from myblog.models import Post
from tests.factories import PostFactory, StaffFactory, scheduled

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    "/",
    "/posts/cached/",
    "/tags/aws/",
    "/feed/",
    "/sitemap.xml",
    "/robots.txt",
    "/api/blog/posts/",
    "/api/blog/posts/cached/",
]


@pytest.fixture
def post():
    return PostFactory(slug="cached", tags=["aws"])


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_gets_are_cacheable_with_validators(client, post, url):
    response = client.get(url)
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {"public", "max-age=60", "s-maxage=600"}
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]
    assert "Set-Cookie" not in response.headers and not response.cookies
    assert "Cookie" not in response.headers.get("Vary", "")


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_if_none_match_gets_an_empty_304(client, post, url):
    etag = client.get(url)["ETag"]
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_if_modified_since_gets_a_304_until_something_changes(client, post, url):
    last_modified = client.get(url)["Last-Modified"]
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    time.sleep(1.01)  # HTTP dates have one-second resolution
    post.title = "Changed"
    post.save()
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200


def test_an_edit_changes_the_etag(client, post):
    before = client.get("/")["ETag"]
    post.title = "New title"
    post.save()
    after = client.get("/", HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert after["ETag"] != before
    assert "New title" in after.content.decode()


def test_a_scheduled_post_coming_out_changes_the_etag(client, post):
    future = scheduled()
    before = client.get("/")["ETag"]
    Post.objects.filter(pk=future.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/", HTTP_IF_NONE_MATCH=before).status_code == 200


def test_unpublishing_moves_last_modified_forward(client, post):
    other = PostFactory()
    last_modified = client.get("/")["Last-Modified"]
    time.sleep(1.1)  # HTTP dates have one-second resolution
    other.status = Post.Status.DRAFT
    other.save()
    assert client.get("/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200


def test_each_url_has_its_own_etag(client, post):
    assert client.get("/")["ETag"] != client.get("/?page=1")["ETag"]
    assert client.get("/api/blog/posts/")["ETag"] != client.get("/")["ETag"]


@pytest.mark.parametrize("url", ["/admin/", "/admin/login/", "/healthz", "/no-such-page/", "/api/blog/posts/missing/"])
def test_admin_health_and_error_responses_are_never_stored(client, url):
    assert client.get(url)["Cache-Control"] == "private, no-store"


def test_the_admin_preview_is_never_stored(client, post):
    client.force_login(StaffFactory())
    response = client.get(f"/admin/myblog/post/{post.pk}/preview/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/", "/api/blog/posts/?page_size=100", "/feed/", "/tags/aws/"])
def test_list_pages_run_the_same_number_of_queries_at_5_and_at_50_posts(client, url):
    PostFactory.create_batch(5, tags=["aws", "django"])
    at_five = _queries(client, url)
    PostFactory.create_batch(45, tags=["aws", "cdn"])
    at_fifty = _queries(client, url)
    assert at_five == at_fifty
