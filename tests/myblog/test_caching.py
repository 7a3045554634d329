import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from myblog.blog.models import Post
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


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_an_unchanged_page_read_again_is_not_rendered_again(client, post, url):
    first = client.get(url)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(url)
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]
    assert len(captured) == 1, "only the freshness query; the page comes from the process's memory"


def test_a_kept_page_is_not_served_for_another_query_string_or_after_an_edit(client, settings):
    settings.POSTS_PER_PAGE = 2
    PostFactory.create_batch(3)
    first_page = client.get("/").content
    assert client.get("/?page=2").content != first_page
    newest = Post.objects.order_by("-publish_at").first()
    newest.title = "Retitled after the page was kept"
    newest.save()
    assert "Retitled after the page was kept" in client.get("/").content.decode()


def test_a_missing_post_found_later_is_served(client):
    assert client.get("/api/blog/posts/later/").status_code == 404
    PostFactory(slug="later", title="Later")
    assert client.get("/api/blog/posts/later/").json()["title"] == "Later"


def test_with_a_freshness_ttl_a_repeated_read_runs_no_query(client, post, settings):
    settings.PUBLIC_FRESHNESS_TTL = 60
    first = client.get("/api/blog/posts/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/blog/posts/").content == first.content
        assert client.get("/api/blog/posts/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert len(captured) == 0


def test_with_a_freshness_ttl_an_edit_shows_once_it_has_passed(client, post, settings):
    settings.PUBLIC_FRESHNESS_TTL = 1
    before = client.get("/posts/cached/")["ETag"]
    post.title = "Edited within the second"
    post.save()
    time.sleep(1.1)  # the freshness this process kept expires
    after = client.get("/posts/cached/", HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert "Edited within the second" in after.content.decode()
