"""The page cache in front of the middleware (myblog/blog/page_cache.py): what it answers, for whom, until when."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings as project_settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory
from django.utils.http import quote_etag

from myblog.blog import page_cache
from myblog.blog.caching import page_version
from myblog.blog.models import Post
from myblog.blog.page_cache import AnswerStore, KeptAnswer, PageCacheMiddleware
from myblog.blog.selectors import blog_freshness
from tests.factories import PostFactory
from tests.myblog.test_caching import PUBLIC_URLS

pytestmark = pytest.mark.django_db

# The ones readers hit most: the index and the API list.
HOT_URLS = ["/", "/api/blog/posts/"]


class Spy:
    """Last in MIDDLEWARE: records every request that the rest of the stack handles."""

    seen: list[str] = []

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        Spy.seen.append(f"{request.method} {request.get_full_path()}")
        return self.get_response(request)


@pytest.fixture
def stack(settings) -> list[str]:
    """What reached the rest of the stack (each test client loads the middleware anew)."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.Spy"]
    Spy.seen = []
    return Spy.seen


@pytest.fixture
def post():
    return PostFactory(slug="cached", title="The kept post", tags=["aws"])


@contextmanager
def another_process() -> Iterator[None]:
    """Requests made inside find nothing kept: the store is the process's (module docstring)."""
    own = PageCacheMiddleware.store
    PageCacheMiddleware.store = AnswerStore(own.max_entries, own.max_bytes)
    try:
        yield
    finally:
        PageCacheMiddleware.store = own


def without_request_id(response: HttpResponseBase) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name != "X-Request-Id"}


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_an_unchanged_page_read_again_is_answered_before_the_rest_of_the_stack(client, stack, post, url):
    first = client.get(url)
    again = client.get(url)
    assert first.status_code == again.status_code == 200
    assert stack == [f"GET {url}"]
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_kept_answer_has_the_headers_of_a_fresh_one_and_its_own_request_id(client, stack, settings, post, url):
    settings.SECURE_HSTS_SECONDS = 3600
    fresh = client.get(url, secure=True)
    kept = client.get(url, secure=True)
    assert stack == [f"GET {url}"]
    assert without_request_id(kept) == without_request_id(fresh)
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):
        assert kept[header] == fresh[header]
    assert "frame-ancestors 'none'" in kept["Content-Security-Policy"]
    assert kept["X-Request-Id"] != fresh["X-Request-Id"]


@pytest.mark.parametrize("url", PUBLIC_URLS)
@pytest.mark.parametrize("condition", ["If-None-Match", "If-Modified-Since"])
def test_a_conditional_read_of_a_kept_page_gets_the_304_a_fresh_one_gets(client, stack, settings, post, url, condition):
    settings.SECURE_HSTS_SECONDS = 3600
    validators = client.get(url, secure=True)
    value = validators["ETag" if condition == "If-None-Match" else "Last-Modified"]
    header = {f"HTTP_{condition.upper().replace('-', '_')}": value}
    with another_process():  # nothing kept: the stack's own 304
        fresh = Client().get(url, secure=True, **header)
    kept = client.get(url, secure=True, **header)
    assert fresh.status_code == kept.status_code == 304
    assert kept.content == b""
    assert stack == [f"GET {url}", f"GET {url}"], "the kept 304 never reached the stack"
    # Every header of the fresh 304, and otherwise only what the 200 said (a view's own headers,
    # such as the sitemap's X-Robots-Tag, which a fresh 304 leaves out since no view ran).
    assert without_request_id(fresh).items() <= without_request_id(kept).items()
    assert without_request_id(kept).items() <= {**without_request_id(validators), "Content-Length": "0"}.items()


def test_a_revalidation_of_a_page_kept_before_an_edit_renews_it_and_the_next_one_skips_the_stack(client, stack, post):
    # Behind CloudFront most reads that reach an instance revalidate, with the ETag that another
    # instance gave: the stack would answer 304 and leave nothing to keep.
    client.get("/api/blog/posts/")
    post.title = "Edited on another instance's watch"
    post.save()
    with another_process():
        current = Client().get("/api/blog/posts/")["ETag"]
    stack.clear()
    for _ in range(3):
        revalidated = client.get("/api/blog/posts/", HTTP_IF_NONE_MATCH=current)
        assert revalidated.status_code == 304
        assert revalidated["ETag"] == current
    assert stack == ["GET /api/blog/posts/"], "rendered once as a plain GET, then answered from it"
    assert "Edited on another instance's watch" in client.get("/api/blog/posts/").content.decode()


@pytest.mark.parametrize("listed", ['"another", {etag}', "W/{etag}", "*"], ids=["in a list", "weak", "any"])
def test_a_revalidation_naming_the_kept_etag_in_any_form_gets_a_304_before_the_stack(client, stack, post, listed):
    etag = client.get("/api/blog/posts/")["ETag"]
    revalidated = client.get("/api/blog/posts/", HTTP_IF_NONE_MATCH=listed.format(etag=etag))
    assert revalidated.status_code == 304
    assert stack == ["GET /api/blog/posts/"]


def test_a_failed_precondition_gets_the_412_of_the_stack_even_with_a_matching_etag(client, stack, post):
    etag = client.get("/api/blog/posts/")["ETag"]
    refused = client.get("/api/blog/posts/", HTTP_IF_NONE_MATCH=etag, HTTP_IF_MATCH='"another"')
    assert refused.status_code == 412
    assert stack == ["GET /api/blog/posts/"] * 2


def test_a_head_request_gets_the_kept_answer_of_the_get(client, stack, post):
    got = client.get("/")
    head = client.head("/")
    assert stack == ["GET /"]
    assert head.status_code == 200
    assert head["Content-Length"] == got["Content-Length"]
    assert head["ETag"] == got["ETag"]


def test_a_post_published_after_the_page_was_kept_is_shown_at_once(client, post):
    for url in HOT_URLS:
        client.get(url)
    PostFactory(title="Fresh off the press")
    for url in HOT_URLS:
        assert "Fresh off the press" in client.get(url).content.decode()


def test_an_edit_after_the_page_was_kept_is_shown_at_once_and_old_validators_get_the_new_page(client, post):
    urls = [*HOT_URLS, "/posts/cached/", "/api/blog/posts/cached/"]
    etags = {url: client.get(url)["ETag"] for url in urls}
    post.title = "Edited after it was kept"
    post.save()
    for url in urls:
        again = client.get(url, HTTP_IF_NONE_MATCH=etags[url])
        assert again.status_code == 200
        assert "Edited after it was kept" in again.content.decode()


def test_with_a_freshness_ttl_an_edit_reaches_kept_pages_once_it_has_passed(client, stack, settings, post):
    settings.PUBLIC_FRESHNESS_TTL = 1
    client.get("/posts/cached/")
    assert client.get("/posts/cached/").status_code == 200
    assert len(stack) == 1, "kept, and the freshness read once for both"
    post.title = "Edited within the second"
    post.save()
    time.sleep(1.1)  # the freshness this process kept expires
    assert "Edited within the second" in client.get("/posts/cached/").content.decode()


def test_an_unpublished_post_disappears_from_kept_pages_at_once(client, post):
    assert client.get("/posts/cached/").status_code == 200
    post.status = Post.Status.DRAFT
    post.save()
    assert client.get("/posts/cached/").status_code == 404
    assert "The kept post" not in client.get("/").content.decode()


@pytest.mark.parametrize(
    "credentials",
    [
        {"HTTP_COOKIE": "sessionid=a-staff-session"},
        {"HTTP_COOKIE": "messages=pending"},
        {"HTTP_AUTHORIZATION": "Bearer a-token"},
    ],
    ids=["session cookie", "any cookie", "authorization"],
)
def test_a_request_with_a_cookie_or_credentials_never_gets_a_kept_answer(client, stack, post, credentials):
    client.get("/")
    client.get("/", **credentials)
    client.get("/", **credentials)
    assert stack == ["GET /"] * 3


def test_a_host_that_is_no_longer_allowed_gets_the_400_it_always_got(client, stack, settings, post):
    client.get("/")
    settings.ALLOWED_HOSTS = ["blog.example.com"]
    refused = client.get("/")
    assert refused.status_code == 400
    assert refused["Cache-Control"] == "private, no-store"
    assert refused["X-Content-Type-Options"] == "nosniff"


def test_a_plain_http_request_is_still_redirected_to_https(client, stack, settings, post):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/", secure=True).status_code == 200
    redirected = client.get("/")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/admin/login/"),
        ("get", "/subscribe/"),
        ("get", "/api/todos/"),
        ("post", "/api/blog/posts/"),
        ("post", "/"),
    ],
)
def test_the_admin_the_todo_api_the_subscribe_form_and_posts_always_reach_the_stack(client, stack, post, method, url):
    client.get("/api/blog/posts/")
    client.get("/")
    stack.clear()
    for _ in range(2):
        getattr(client, method)(url)
    assert stack == [f"{method.upper()} {url}"] * 2


def test_a_kept_page_is_read_again_after_s_maxage(client, stack, settings, post, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    client.get("/")
    now[0] += settings.CACHE_S_MAXAGE - 1
    client.get("/")
    now[0] += 1
    client.get("/")
    assert stack == ["GET /", "GET /"]


def test_the_page_cache_comes_after_the_request_id_and_the_origin_check_and_before_the_rest():
    middleware = list(project_settings.MIDDLEWARE)
    position = middleware.index("myblog.blog.page_cache.PageCacheMiddleware")
    assert middleware[:position] == [
        "myblog.core.observability.RequestIdMiddleware",
        "myblog.core.origin.CloudFrontOnlyMiddleware",
    ]


def test_a_request_that_did_not_come_through_cloudfront_never_gets_a_kept_answer(client, stack, settings, post):
    settings.CDN_ORIGIN_SECRETS = ["origin-secret"]
    assert client.get("/", HTTP_X_ORIGIN_VERIFY="origin-secret").status_code == 200
    assert client.get("/").status_code == 403
    assert client.get("/", HTTP_X_ORIGIN_VERIFY="origin-secret").status_code == 200
    assert stack == ["GET /"]


# --- The middleware alone, in front of a stand-in for the rest of the stack -------------------------


class Behind:
    """The rest of the stack: answers ``make(request)`` and counts the calls."""

    def __init__(self, make: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.make = make
        self.calls = 0

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        self.calls += 1
        return self.make(request)


def public(request: HttpRequest, **headers: str) -> HttpResponse:
    """A public 200 with the ETag public_cache would give the page now."""
    response = HttpResponse(b"page", headers=headers)
    response.setdefault("ETag", quote_etag(page_version(request, blog_freshness())))
    response.setdefault("Cache-Control", "public, max-age=60, s-maxage=600")
    return response


def set_cookie(request: HttpRequest) -> HttpResponse:
    response = public(request)
    response.set_cookie("csrftoken", "abc")
    return response


def streamed(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse([b"page"], headers=dict(public(request).headers.items()))


def not_found(request: HttpRequest) -> HttpResponse:
    response = public(request)
    response.status_code = 404
    return response


def etag_of_another_version(request: HttpRequest) -> HttpResponse:
    return public(request, ETag='"made-some-other-way"')


def without_etag(request: HttpRequest) -> HttpResponse:
    response = public(request)
    del response["ETag"]
    return response


@pytest.mark.parametrize(
    "make",
    [
        lambda request: public(request, **{"Cache-Control": "private, max-age=60"}),
        lambda request: public(request, **{"Cache-Control": "no-store"}),
        lambda request: public(request, **{"Cache-Control": "public, no-cache"}),
        lambda request: public(request, **{"Vary": "*"}),
        lambda request: public(request, **{"Content-Security-Policy": "script-src 'self' 'nonce-Zm9vYmFy'"}),
        set_cookie,
        streamed,
        not_found,
        without_etag,
        etag_of_another_version,
    ],
    ids=[
        "private",
        "no-store",
        "public no-cache",
        "vary *",
        "csp nonce",
        "set-cookie",
        "streamed",
        "404",
        "no etag",
        "another version's etag",
    ],
)
def test_an_answer_that_is_not_public_or_names_someone_is_never_kept(make):
    behind = Behind(make)
    middleware = PageCacheMiddleware(behind)
    for _ in range(2):
        middleware(RequestFactory().get("/"))
    assert behind.calls == 2


def test_a_public_answer_is_kept_and_the_stand_in_shows_it():
    behind = Behind(public)
    middleware = PageCacheMiddleware(behind)
    for _ in range(2):
        assert middleware(RequestFactory().get("/")).content == b"page"
    assert behind.calls == 1


def test_what_the_middleware_before_it_add_to_an_answer_is_never_kept():
    middleware = PageCacheMiddleware(Behind(public))
    for _ in range(3):  # rendered, then kept twice
        served = middleware(RequestFactory().get("/"))
        assert "X-Added-Outside" not in served
        served["X-Added-Outside"] = "by an outer middleware"
    assert "X-Added-Outside" not in middleware(RequestFactory().get("/", HTTP_IF_NONE_MATCH=served["ETag"]))


def test_when_a_renewed_page_cannot_be_kept_the_stack_answers_the_revalidation_as_it_came(settings):
    def answer(request: HttpRequest) -> HttpResponse:
        if settings.RELEASE == "test":
            return public(request)
        response = HttpResponse(b"now private", headers={"Cache-Control": "private"})
        response["Saw-If-None-Match"] = request.META.get("HTTP_IF_NONE_MATCH", "no")
        return response

    middleware = PageCacheMiddleware(Behind(answer))
    etag = middleware(RequestFactory().get("/"))["ETag"]
    settings.RELEASE = "the next release"
    answered = middleware(RequestFactory().get("/", HTTP_IF_NONE_MATCH=etag))
    assert answered.content == b"now private"
    assert answered["Saw-If-None-Match"] == etag


def test_a_kept_page_is_not_served_under_another_release(settings):
    behind = Behind(public)
    middleware = PageCacheMiddleware(behind)
    middleware(RequestFactory().get("/"))
    settings.RELEASE = "the next release"
    middleware(RequestFactory().get("/"))
    assert behind.calls == 2


def test_an_answer_to_a_head_request_is_never_kept_for_a_get():
    # A HEAD answer may leave its body out; a GET must never get it.
    def answer(request: HttpRequest) -> HttpResponse:
        response = public(request)
        if request.method == "HEAD":
            response.content = b""
        return response

    behind = Behind(answer)
    middleware = PageCacheMiddleware(behind)
    middleware(RequestFactory().head("/"))
    assert middleware(RequestFactory().get("/")).content == b"page"
    assert behind.calls == 2


def test_a_kept_answer_serves_only_the_values_of_the_headers_it_varies_on():
    behind = Behind(lambda request: public(request, Vary="Accept-Language"))
    middleware = PageCacheMiddleware(behind)
    for language in ("en", "en", "fr"):
        middleware(RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=language))
    assert behind.calls == 2


def test_a_kept_answer_is_never_given_to_another_query_string_or_host():
    behind = Behind(public)
    middleware = PageCacheMiddleware(behind)
    middleware(RequestFactory().get("/?page=1"))
    middleware(RequestFactory().get("/?page=2"))
    middleware(RequestFactory().get("/?page=1", HTTP_HOST="localhost"))
    assert behind.calls == 3


def kept(size: int) -> KeptAnswer:
    return KeptAnswer(
        etag='"e"',
        last_modified=None,
        release="test",
        freshness="-",
        vary=(),
        headers={},
        not_modified_headers={},
        content=b"x" * size,
        expires=float("inf"),
    )


def test_the_store_drops_the_least_recently_used_answer_beyond_its_count():
    store = AnswerStore(max_entries=2, max_bytes=10**6)
    store.put("a", kept(1))
    store.put("b", kept(1))
    assert store.get("a") is not None
    store.put("c", kept(1))
    assert store.get("b") is None
    assert store.get("a") is not None and store.get("c") is not None


def test_the_store_stays_within_its_bytes_and_never_keeps_an_answer_larger_than_them():
    size = kept(1000).size
    store = AnswerStore(max_entries=100, max_bytes=2 * size)
    for key in "abc":
        store.put(key, kept(1000))
    assert len(store) == 2 and store.bytes == 2 * size
    assert store.get("a") is None
    store.put("huge", kept(3 * size))
    assert store.get("huge") is None
    store.put("b", kept(1000))  # replacing an answer counts its bytes once
    assert store.bytes == 2 * size


def test_each_process_keeps_a_bounded_number_and_size_of_answers():
    store = PageCacheMiddleware(lambda request: HttpResponse()).store
    assert store.max_entries == 1000
    assert store.max_bytes == 16 * 1024 * 1024
