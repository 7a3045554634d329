"""One way into the blog (docs/architecture.md, decision 13): CloudFront, at the public origin.

A request the blog's API Gateway receives from anyone but CloudFront is refused, and every
absolute URL the blog hands out is built from SITE_URL: never from the Host, X-Forwarded-Host or
X-Forwarded-Proto of the request, and never with a query string the page does not read, since
no cache keys on those and one reader's answer is served to every reader.
"""

import json
import os
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from infra.apigw_cache import PLANS
from infra.stage_env import SOURCES
from myblog.core.origin import ORIGIN_HEADER
from tests.factories import PostFactory
from tests.infra.test_apigw_cache import StageCacheEmulator

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 43
OLD_SECRET = "o" * 43
PUBLIC = "https://blog.example.com"
API_HOST = "abc123.execute-api.us-east-1.amazonaws.com"
CDN_HOST = "d111111abcdef8.cloudfront.net"
STAGE = "blog_production"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def deployed(settings: Any) -> None:
    """The blog stage's settings as production has them (myblog/settings.py with DJANGO_ENV=production)."""
    settings.CDN_ORIGIN_SECRETS = [SECRET]
    settings.SITE_URL = PUBLIC
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["blog.example.com", CDN_HOST, ".execute-api.us-east-1.amazonaws.com"]


def through_cloudfront(viewer_host: str = "blog.example.com") -> dict[str, Any]:
    """What CloudFront sends the origin (cdn.yaml), as Zappa hands it to Django: the origin's Host,
    the viewer's host as X-Forwarded-Host, the secret, HTTPS, and the app mounted under the stage."""
    return {
        "headers": {
            "host": API_HOST,
            "x-forwarded-host": viewer_host,
            "x-forwarded-proto": "https",
            ORIGIN_HEADER: SECRET,
        },
        "secure": True,
        "SCRIPT_NAME": f"/{STAGE}",
    }


def direct(**headers: str) -> dict[str, Any]:
    """A request straight to the execute-api endpoint, with whatever headers its sender chose."""
    return {"headers": {"host": API_HOST, **headers}, "secure": True, "SCRIPT_NAME": f"/{STAGE}"}


# --- Only CloudFront gets in --------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-forwarded-host": "blog.example.com"}, {ORIGIN_HEADER: "guess"}, {ORIGIN_HEADER: ""}],
    ids=["bare", "forged-forwarded-host", "wrong-secret", "empty-secret"],
)
def test_a_page_asked_for_straight_from_api_gateway_is_refused(client: Client, headers: dict[str, str]) -> None:
    PostFactory()

    response = client.get("/", **direct(**headers))

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "private, no-store"
    assert b"blog.example.com" not in response.content and API_HOST.encode() not in response.content


def test_the_api_asked_for_straight_from_api_gateway_answers_a_json_403(client: Client) -> None:
    response = client.get("/api/blog/posts/", **direct())

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert response["Cache-Control"] == "private, no-store"


def test_a_write_straight_to_api_gateway_is_refused_before_any_view(client: Client) -> None:
    response = client.post("/api/blog/subscribers/", {"email": "a@example.com"}, **direct())

    assert response.status_code == 403


def test_what_cloudfront_asks_for_is_served_at_the_root_of_the_public_origin(client: Client) -> None:
    post = PostFactory()

    response = client.get(f"/posts/{post.slug}/", **through_cloudfront())

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/{STAGE}/' not in page  # the API Gateway stage never shows
    assert 'href="/feed/"' in page


def test_the_previous_secret_still_opens_the_door_while_it_is_rotated(client: Client, settings: Any) -> None:
    settings.CDN_ORIGIN_SECRETS = [SECRET, OLD_SECRET]
    sent_by_cloudfront = through_cloudfront()
    sent_by_cloudfront["headers"][ORIGIN_HEADER] = OLD_SECRET

    assert client.get("/", **sent_by_cloudfront).status_code == 200


def test_zappas_touch_of_the_health_check_is_answered_without_the_header(client: Client) -> None:
    # `zappa deploy`/`update` GET touch_path on the execute-api URL and fail only on a 5xx.
    response = client.get("/healthz", **direct())

    assert response.status_code != 403
    assert "checks" in response.json()


def test_without_a_secret_configured_nothing_is_refused(client: Client, settings: Any) -> None:
    # Locally and in the to-do service (which has no CDN).
    settings.CDN_ORIGIN_SECRETS = []
    settings.ALLOWED_HOSTS = ["testserver"]

    assert client.get("/").status_code == 200


def test_api_gateways_cache_never_serves_a_refusal_to_cloudfront(settings: Any) -> None:
    """API Gateway answers from its cache before the function runs, for any status: a 403 kept for a
    key CloudFront's requests share would be every reader's page until the TTL ends."""
    PostFactory()

    def send(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        return Client(raise_request_exception=False).get(path, query, headers=headers, secure=True)

    gateway = StageCacheEmulator(PLANS["blog"], send)
    attacker = gateway.get("/", headers={"Host": API_HOST, "X-Forwarded-Host": "blog.example.com"})
    reader = gateway.get("/", headers={"Host": API_HOST, "X-Forwarded-Host": "blog.example.com", ORIGIN_HEADER: SECRET})

    assert attacker.status_code == 403
    assert reader.status_code == 200


@pytest.mark.parametrize(
    ("secret", "refused"),
    [("", True), ("short", True), (secrets.token_urlsafe(32), False), (f"{SECRET},{OLD_SECRET}", False)],
    ids=["missing", "short", "token-urlsafe-32", "rotating"],
)
def test_the_blog_in_production_starts_only_with_a_long_origin_secret(
    tmp_path: Path, secret: str, refused: bool
) -> None:
    # Everything production requires, with a placeholder, as infra.stage_env loads the settings.
    environment = {"PATH": os.environ["PATH"], "DJANGO_ENV": "production", "SERVICE": "blog"}
    environment |= {name: "placeholder" for name in SOURCES} | {"DATABASE_URL": "sqlite://:memory:"}
    environment |= {"STATIC_MANIFEST_ROOT": str(tmp_path), "CDN_ORIGIN_SECRET": secret}
    result = subprocess.run(
        [sys.executable, "-c", "import myblog.settings"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode != 0) == refused, result.stderr
    if refused:
        assert "CDN_ORIGIN_SECRET" in result.stderr.strip().splitlines()[-1]
        assert SECRET not in result.stderr


# --- Absolute URLs come from SITE_URL -------------------------------------------------------------

VIEWERS = [
    pytest.param(through_cloudfront("blog.example.com"), id="alias"),
    pytest.param(through_cloudfront(CDN_HOST), id="cloudfront-domain"),
]


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.canonical: list[str] = []
        self.og_url: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical.append(found["href"] or "")
        if tag == "meta" and found.get("property") == "og:url":
            self.og_url.append(found["content"] or "")
        if tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")


def head(content: bytes) -> _Head:
    parser = _Head()
    parser.feed(content.decode())
    return parser


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_posts_canonical_url_is_on_the_public_origin_whichever_host_was_asked(client: Client, viewer) -> None:
    post = PostFactory()

    page = head(client.get(f"/posts/{post.slug}/", {"utm_source": "x", "fbclid": "y"}, **viewer).content)

    assert page.canonical == page.og_url == [f"{PUBLIC}/posts/{post.slug}/"]


@pytest.mark.parametrize(
    ("query", "canonical"),
    [({}, "/"), ({"page": "1"}, "/"), ({"page": "2"}, "/?page=2"), ({"page": "2", "junk": "1"}, "/?page=2")],
    ids=["first", "page-1", "page-2", "page-2-and-junk"],
)
def test_a_list_pages_canonical_url_keeps_only_the_page_number(
    client: Client, settings: Any, query: dict[str, str], canonical: str
) -> None:
    settings.POSTS_PER_PAGE = 1
    PostFactory.create_batch(2)

    page = head(client.get("/", query, **through_cloudfront()).content)

    assert page.canonical == page.og_url == [f"{PUBLIC}{canonical}"]
    assert not [link for link in page.links if "junk" in link or "utm" in link]


def test_a_tag_pages_links_carry_no_query_string_it_does_not_read(client: Client, settings: Any) -> None:
    settings.POSTS_PER_PAGE = 1
    PostFactory.create_batch(3, tags=["aws"])

    page = head(client.get("/tags/aws/", {"page": "2", "utm_campaign": "x"}, **through_cloudfront()).content)

    assert page.canonical == [f"{PUBLIC}/tags/aws/?page=2"]
    assert {"?page=1", "?page=3"} <= set(page.links)
    assert not [link for link in page.links if "utm" in link]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_feed_links_to_the_public_origin(client: Client, viewer) -> None:
    post = PostFactory()

    feed = ET.fromstring(client.get("/feed/", {"utm_source": "x"}, **viewer).content)

    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"alternate": f"{PUBLIC}/", "self": f"{PUBLIC}/feed/"}
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == f"{PUBLIC}/posts/{post.slug}/"
    assert entry.find(f"{ATOM}id").text == f"{PUBLIC}/posts/{post.slug}/"


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_sitemap_lists_the_public_origins_urls(client: Client, viewer) -> None:
    post = PostFactory()

    root = ET.fromstring(client.get("/sitemap.xml", **viewer).content)

    assert sorted(loc.text for loc in root.iter(f"{SITEMAP}loc")) == sorted(
        [f"{PUBLIC}/", f"{PUBLIC}/posts/{post.slug}/"]
    )


@pytest.mark.parametrize("viewer", VIEWERS)
def test_robots_txt_names_the_public_sitemap(client: Client, viewer) -> None:
    text = client.get("/robots.txt", **viewer).content.decode()

    assert f"Sitemap: {PUBLIC}/sitemap.xml\n" in text
    assert "Disallow: /admin/\n" in text


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_apis_links_are_on_the_public_origin_with_only_the_parameters_it_reads(client: Client, viewer) -> None:
    newer = PostFactory(tags=["aws"])
    PostFactory(publish_at=newer.publish_at - timedelta(days=1), tags=["aws"])
    PostFactory(publish_at=newer.publish_at - timedelta(days=2), tags=["aws"])
    query = {"page_size": "1", "tag": "aws", "page": "2", "utm_source": "x", "format": "json"}

    body = client.get("/api/blog/posts/", query, **viewer).json()

    assert body["next"] == f"{PUBLIC}/api/blog/posts/?page=3&page_size=1&tag=aws"
    assert body["previous"] == f"{PUBLIC}/api/blog/posts/?page_size=1&tag=aws"
    assert body["results"][0]["url"].startswith(f"{PUBLIC}/posts/")


def test_a_posts_api_answer_links_to_its_page_on_the_public_origin(client: Client) -> None:
    post = PostFactory()

    body = client.get(f"/api/blog/posts/{post.slug}/", **through_cloudfront(CDN_HOST)).json()

    assert body["url"] == f"{PUBLIC}/posts/{post.slug}/"
    assert CDN_HOST not in json.dumps(body) and API_HOST not in json.dumps(body)
