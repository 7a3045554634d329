import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.factories import PostFactory, StaffFactory, draft, scheduled

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_index_lists_visible_posts_newest_first(client):
    older = PostFactory(title="Older", publish_at=timezone.now() - timedelta(days=10))
    PostFactory(title="Newer", publish_at=older.publish_at + timedelta(days=5))
    draft(title="Secret draft")
    scheduled(title="Future post")
    html = client.get("/").content.decode()
    assert html.index("Newer") < html.index("Older")
    assert "Secret draft" not in html
    assert "Future post" not in html


@override_settings(POSTS_PER_PAGE=5)
def test_the_index_is_paginated_and_a_page_out_of_range_is_404(client):
    PostFactory.create_batch(12)
    first = client.get("/").content.decode()
    third = client.get("/?page=3")
    assert first.count('class="post-summary"') == 5
    assert 'rel="next" href="?page=2"' in first
    assert third.content.decode().count('class="post-summary"') == 2
    assert client.get("/?page=4").status_code == 404
    assert client.get("/?page=abc").status_code == 404


def test_a_post_page_shows_the_rendered_body_and_meta_tags(client):
    post = PostFactory(title="Hello & welcome", summary="A short summary.", tags=["aws"])
    html = client.get(post.get_absolute_url()).content.decode()
    assert "<h1>Hello &amp; welcome</h1>" in html
    assert "<h2>A heading</h2>" in html
    assert '<meta name="description" content="A short summary.">' in html
    assert '<meta property="og:title" content="Hello &amp; welcome">' in html
    assert '<meta property="og:type" content="article">' in html
    assert 'href="/tags/aws/"' in html
    assert '<html lang="en">' in html


def test_pages_load_no_asset_from_another_host(client):
    post = PostFactory()
    for url in ["/", post.get_absolute_url()]:
        html = client.get(url).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        external = [s for s in sources if s.startswith(("http://", "https://", "//")) and "testserver" not in s]
        assert external == []


def test_drafts_and_future_posts_are_404_for_readers(client):
    for post in (draft(), scheduled()):
        assert client.get(post.get_absolute_url()).status_code == 404
        assert client.get(f"/api/blog/posts/{post.slug}/").status_code == 404


def test_staff_following_a_link_to_a_draft_get_its_private_preview(client):
    post = draft(title="Work in progress")
    client.force_login(StaffFactory())
    response = client.get(post.get_absolute_url(), follow=True)
    assert response.status_code == 200
    assert "Work in progress" in response.content.decode()
    assert "only staff can see this page" in response.content.decode()
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_tag_page_lists_only_posts_with_that_tag_and_an_unknown_tag_is_404(client):
    PostFactory(title="Tagged one", tags=["dynamodb"])
    PostFactory(title="Other one", tags=["email"])
    html = client.get("/tags/dynamodb/").content.decode()
    assert "Tagged one" in html and "Other one" not in html
    assert client.get("/tags/nothing-here/").status_code == 404


def test_the_feed_is_atom_with_visible_posts_only(client):
    post = PostFactory(title="In the feed", tags=["aws"])
    draft(title="Not in the feed")
    response = client.get("/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id") is not None and root.find(f"{ATOM}updated") is not None
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["In the feed"]
    entry = entries[0]
    assert entry.find(f"{ATOM}link").get("href") == f"http://testserver{post.get_absolute_url()}"
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Ada Writer"
    assert entry.find(f"{ATOM}category").get("term") == "aws"


def test_the_sitemap_lists_the_index_and_visible_posts(client):
    post = PostFactory()
    hidden = draft()
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert f"http://testserver{post.get_absolute_url()}" in locations
    assert "http://testserver/" in locations
    assert f"http://testserver{hidden.get_absolute_url()}" not in locations


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_admin(client):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_an_unknown_page_is_an_html_404_that_is_not_cached(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert response.headers["Cache-Control"] == "private, no-store"


def test_pages_are_read_only(client):
    assert client.post("/").status_code == 405
    assert client.post("/feed/").status_code == 405


@pytest.mark.parametrize("path", ["/", "/api/blog/posts/"])
def test_a_forwarded_host_that_is_not_allowed_gets_a_400_not_a_server_error(client, settings, path):
    # Every deployed stage trusts X-Forwarded-Host (CloudFront sends the viewer's host); a request
    # that forges one must be refused as bad input, and the error page must not ask for the host.
    settings.USE_X_FORWARDED_HOST = True
    client.raise_request_exception = False
    response = client.get(path, headers={"x-forwarded-host": "evil.example"})
    assert response.status_code == 400
