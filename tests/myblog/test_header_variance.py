"""No answer of the blog varies on something the caches in front of it do not key on (issue 12).

CloudFront keeps a public answer under the path, every query string and Accept-Encoding (cdn.yaml's
cache policy), and its errors of some statuses for a while; API Gateway keeps every answer, of any
status, under the path, the query strings the blog reads and the headers of infra/apigw_cache.py.
A header either cache leaves out of its key is shared by every reader behind it: if the answer
changed with it, whoever sent it first would choose what everyone else gets.

So every public URL is fetched as CloudFront sends it to the blog, then with each header a client
controls added or changed, and with query strings the page does not read; each answer must be the
baseline's (status, body, cache-relevant headers) unless every cache that would keep it keys on
what changed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from infra.apigw_cache import PLANS
from infra.templates import load
from myblog.core.origin import ORIGIN_HEADER
from tests.factories import PostFactory

# The blog stage as production configures it (an autouse fixture, so imported by name).
from tests.myblog.test_one_way_in import API_HOST, CDN_HOST, PUBLIC, SECRET, STAGE, deployed  # noqa: F401

pytestmark = pytest.mark.django_db

# What a client reads from an answer or a cache stores with it; X-Request-Id and Date name the response.
CACHE_RELEVANT = (
    "Content-Type",
    "Content-Language",
    "Content-Disposition",
    "Cache-Control",
    "ETag",
    "Last-Modified",
    "Vary",
    "Location",
    "Link",
    "Access-Control-Allow-Origin",
)


def cloudfront_key_headers() -> set[str]:
    """The headers of the blog's cache key in cdn.yaml (the default behaviour's cache policy)."""
    policy = load("cdn.yaml").body["Resources"]["BlogCachePolicy"]["Properties"]["CachePolicyConfig"]
    parameters = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert parameters["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    assert parameters["CookiesConfig"]["CookieBehavior"] == "none"
    headers = set(parameters["HeadersConfig"].get("Headers", []))
    if parameters.get("EnableAcceptEncodingGzip") or parameters.get("EnableAcceptEncodingBrotli"):
        headers.add("Accept-Encoding")
    return {header.lower() for header in headers}


CLOUDFRONT_KEY = cloudfront_key_headers()
API_GATEWAY_KEY = {header.lower() for header in PLANS["blog"].headers}
API_GATEWAY_QUERY = set(PLANS["blog"].query_strings)


def cloudfront_stores(status: int, cache_control: str) -> bool:
    """Whether CloudFront keeps this answer (Developer Guide, "How CloudFront processes and caches
    HTTP 4xx and 5xx status codes"; the behaviour's MinTTL is 0, so other answers by Cache-Control)."""
    directives = {part.strip().split("=")[0] for part in cache_control.lower().split(",")}
    if status in (404, 405, 414, 500, 501, 502, 503, 504):
        return True
    if status in (400, 403, 412, 415):
        return bool(directives & {"max-age", "s-maxage"})
    return "public" in directives or bool(directives & {"max-age", "s-maxage"}) and "private" not in directives


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str | None], ...]

    @classmethod
    def of(cls, response: Any) -> "Answer":
        headers = tuple((h, response.headers.get(h)) for h in CACHE_RELEVANT)
        # Django keeps cookies apart from the headers until the response is sent.
        return cls(response.status_code, response.content, (*headers, ("Set-Cookie", response.cookies.output())))

    @property
    def cache_control(self) -> str:
        return dict(self.headers)["Cache-Control"] or ""


# What reaches the blog from CloudFront for a reader of blog.example.com: CloudFront's function
# sets X-Forwarded-Host, its origin custom header the secret; API Gateway sets X-Forwarded-Proto
# (CloudFront removes a viewer's) and Zappa mounts the app under the stage on the execute-api host.
THROUGH_CLOUDFRONT = {
    "Host": API_HOST,
    "X-Forwarded-Host": "blog.example.com",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "443",
    ORIGIN_HEADER: SECRET,
}

# Headers a reader (or an attacker) controls that reach the blog through CloudFront (its origin
# request policy forwards every viewer header but Host), each with a value the app could react to.
CLIENT_HEADERS: dict[str, dict[str, str]] = {
    "host-alias": {"Host": "blog.example.com"},
    "host-cloudfront": {"Host": CDN_HOST},
    # The viewer picks which of the distribution's names to ask; the function passes it on.
    "forwarded-host-cloudfront-domain": {"X-Forwarded-Host": CDN_HOST},
    "forwarded-for": {"X-Forwarded-For": "203.0.113.9, 130.176.0.10"},
    "forwarded": {"Forwarded": "for=203.0.113.9;host=evil.example;proto=http"},
    "forwarded-port": {"X-Forwarded-Port": "8443"},
    "forwarded-prefix": {"X-Forwarded-Prefix": "/evil"},
    "forwarded-scheme": {"X-Forwarded-Scheme": "http", "X-Scheme": "http", "Front-End-Https": "off"},
    "original-url": {"X-Original-URL": "/admin/", "X-Rewrite-URL": "/admin/"},
    "original-host": {"X-Original-Host": "evil.example", "X-Host": "evil.example"},
    "method-override": {"X-HTTP-Method-Override": "DELETE", "X-Method-Override": "DELETE"},
    "accept-language": {"Accept-Language": "fr-FR,fr;q=0.9"},
    "accept-html": {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    "accept-json": {"Accept": "application/json"},
    "accept-openapi-json": {"Accept": "application/vnd.oai.openapi+json"},
    "accept-encoding": {"Accept-Encoding": "gzip, br"},
    "cookie-junk": {"Cookie": "sessionid=junk; csrftoken=junk; utm=1"},
    "authorization": {"Authorization": "Bearer junk"},
    "user-agent": {"User-Agent": "Mozilla/5.0 (probe)"},
    "origin": {"Origin": "https://evil.example"},
    "referer": {"Referer": "https://evil.example/"},
    "requested-with": {"X-Requested-With": "XMLHttpRequest"},
    "cache-control": {"Cache-Control": "no-cache", "Pragma": "no-cache"},
}
# Query strings no page reads: CloudFront keys on them, API Gateway does not.
JUNK_QUERY = {"utm_source": "x", "fbclid": "y", "junk": "1"}


def public_urls() -> dict[str, tuple[str, dict[str, str]]]:
    first = PostFactory(tags=["aws"])
    for days in (1, 2):
        PostFactory(publish_at=first.publish_at - timedelta(days=days), tags=["aws"])
    return {
        "index": ("/", {}),
        "index-page-2": ("/", {"page": "2"}),
        "post": (f"/posts/{first.slug}/", {}),
        "tag": ("/tags/aws/", {}),
        "tag-page-2": ("/tags/aws/", {"page": "2"}),
        "feed": ("/feed/", {}),
        "sitemap": ("/sitemap.xml", {}),
        "robots": ("/robots.txt", {}),
        "api-list": ("/api/blog/posts/", {}),
        "api-list-page-2": ("/api/blog/posts/", {"page": "2", "page_size": "1", "tag": "aws"}),
        "api-detail": (f"/api/blog/posts/{first.slug}/", {}),
        "schema": ("/api/schema/", {}),
        "schema-json": ("/api/schema/", {"format": "json"}),
        "docs": ("/api/docs/", {}),
        "docs-script": ("/api/docs/", {"script": ""}),
    }


Get = Callable[[str, dict[str, str], dict[str, str]], Answer]


@pytest.fixture
def get(settings: Any) -> Get:
    settings.POSTS_PER_PAGE = 1

    def fetch(path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
        client = Client(raise_request_exception=False)
        response = client.get(path, query, headers=headers, SCRIPT_NAME=f"/{STAGE}")
        return Answer.of(response)

    return fetch


def unkeyed_differences(baseline: Answer, answer: Answer, changed: set[str]) -> list[str]:
    """Why this different answer could reach readers who did not send what changed ([] if none)."""
    if answer == baseline:
        return []
    reasons = []
    if not changed & API_GATEWAY_KEY:
        reasons.append("API Gateway keeps it under the same key")
    if cloudfront_stores(answer.status, answer.cache_control) and not changed & CLOUDFRONT_KEY:
        reasons.append("CloudFront keeps it under the same key")
    return reasons


def describe(baseline: Answer, answer: Answer) -> str:
    if answer.status != baseline.status:
        return f"status {baseline.status} -> {answer.status}"
    headers = [
        f"{n}: {a!r} -> {b!r}" for (n, a), (_, b) in zip(baseline.headers, answer.headers, strict=True) if a != b
    ]
    return "; ".join(headers) or "the body differs"


def test_every_public_url_answers_the_same_whatever_headers_the_client_adds(get: Get) -> None:
    problems = []
    for name, (path, query) in public_urls().items():
        baseline = get(path, query, THROUGH_CLOUDFRONT)
        assert baseline.status == 200, (name, baseline.status, baseline.body[:300])
        assert "public" in baseline.cache_control, name
        for variant, headers in CLIENT_HEADERS.items():
            answer = get(path, query, THROUGH_CLOUDFRONT | headers)
            reasons = unkeyed_differences(baseline, answer, {h.lower() for h in headers})
            if reasons:
                problems.append(f"{name} + {variant}: {describe(baseline, answer)} ({'; '.join(reasons)})")

    assert problems == [], "\n".join(problems)


def test_query_strings_a_page_does_not_read_change_nothing_in_its_answer(get: Get) -> None:
    assert not set(JUNK_QUERY) & API_GATEWAY_QUERY
    problems = []
    for name, (path, query) in public_urls().items():
        baseline = get(path, query, THROUGH_CLOUDFRONT)
        answer = get(path, query | JUNK_QUERY, THROUGH_CLOUDFRONT)
        if answer != baseline:  # API Gateway's key leaves these out: one entry for both
            problems.append(f"{name}: {describe(baseline, answer)}")

    assert problems == [], "\n".join(problems)


def test_every_query_string_a_page_reads_is_in_api_gateways_cache_key(get: Get) -> None:
    """A URL whose answer changes with a query string that API Gateway leaves out of its key would
    be answered from one entry for both."""
    problems = []
    for name, (path, query) in public_urls().items():
        if query and get(path, query, THROUGH_CLOUDFRONT) != get(path, {}, THROUGH_CLOUDFRONT):
            problems += [f"{name}: ?{param}" for param in sorted(set(query) - API_GATEWAY_QUERY)]

    assert problems == []


def test_the_answer_does_not_depend_on_where_zappa_mounted_the_app(get: Get) -> None:
    """The same page through the execute-api host (mounted under the stage) and a request that
    arrived without a stage prefix are one page: CloudFront reaches the stage through its origin path."""
    (path, query) = public_urls()["post"]

    mounted = get(path, query, THROUGH_CLOUDFRONT)
    client = Client(raise_request_exception=False)
    at_root = Answer.of(client.get(path, query, headers=THROUGH_CLOUDFRONT))

    assert at_root == mounted


def test_a_forwarded_host_that_cloudfront_would_never_send_is_refused_and_only_api_gateway_keys_on_it(get: Get) -> None:
    """CloudFront's function overwrites X-Forwarded-Host with a name of the distribution; anything
    else reaches the blog only straight from API Gateway, which keys on the header."""
    (path, query) = public_urls()["index"]

    answer = get(path, query, THROUGH_CLOUDFRONT | {"X-Forwarded-Host": "evil.example"})

    assert answer.status == 400
    assert "x-forwarded-host" in API_GATEWAY_KEY
    assert b"evil.example" not in answer.body
