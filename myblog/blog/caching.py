"""HTTP caching of public responses (docs/architecture.md, decision 9).

Every public GET is cacheable by browsers (``max-age``) and shared caches (``s-maxage``) and
carries an ETag and a Last-Modified derived from one cheap query, so a revalidation that finds
nothing new answers 304 without rendering. Each process also keeps what it rendered, keyed by that
ETag, so a read of an unchanged page is not rendered twice. Everything else is ``private, no-store``.
"""

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.cache import get_cache_key, get_conditional_response, learn_cache_key, patch_cache_control
from django.utils.http import http_date, quote_etag

from myblog.blog.selectors import Freshness, blog_freshness
from myblog.core.db_router import public_reads
from myblog.core.http_errors import error_body
from myblog.core.origin import page_address

View = Callable[..., HttpResponse]
# This process's own memory (locmem): rendered pages.
LOCAL_CACHE = "default"
PRECONDITION_FAILED = "If-Match or If-Unmodified-Since does not hold for the current version."
# Where request_freshness keeps what it read, on the request itself.
_REQUEST_FRESHNESS = "_myblog_freshness"


# The freshness of the moment and until when (time.time(), which a restored SnapStart copy moves
# on with), in this module rather than the local-memory cache: that would unpickle it on every
# read, and myblog.blog.page_cache answers a kept page in about the time of that alone.
_moment: tuple[Freshness, float] | None = None


def current_freshness(*, reread: bool = False) -> Freshness:
    """The blog's freshness, shared by this process's requests for PUBLIC_FRESHNESS_TTL seconds
    (``reread``: read it now whatever its age, as a restored SnapStart copy does before its first
    reader, myblog/snapstart.py)."""
    global _moment
    if not settings.PUBLIC_FRESHNESS_TTL:
        return blog_freshness()
    now = time.time()
    if reread or _moment is None or _moment[1] <= now:
        _moment = (blog_freshness(), now + settings.PUBLIC_FRESHNESS_TTL)
    return _moment[0]


@receiver(setting_changed)
def _forget_freshness(*, setting: str, **kwargs: object) -> None:
    """A freshness kept under another TTL (in the tests: another test's database) is not this one's."""
    global _moment
    if setting == "PUBLIC_FRESHNESS_TTL":
        _moment = None


def request_freshness(request: HttpRequest) -> Freshness:
    """The blog's freshness as this request sees it: read once per request, by whoever asks first
    (myblog.blog.page_cache, before the middleware, or public_cache), so both agree on the version."""
    known: Freshness | None = getattr(request, _REQUEST_FRESHNESS, None)
    if known is None:
        known = current_freshness()
        setattr(request, _REQUEST_FRESHNESS, known)
    return known


def page_version(request: HttpRequest, freshness: Freshness) -> str:
    """The version of the page at this URL for this state of the blog and this release: its ETag.

    myblog.blog.page_cache compares it with the ETag of a kept answer, so both must agree.
    """
    # The address the caches share (myblog/core/origin.py), not the request's host or extra query:
    # API Gateway and CloudFront keep one answer for all of those, so its ETag must not change with them.
    key = f"{settings.RELEASE}|{page_address(request)}|{freshness.token}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def render_once(view: View, version: str, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """The view's answer to a GET, rendered once per ``version`` of the page in this process.

    Django's cache keys (the absolute URL plus the headers the answer varies on) with the page's
    ETag as prefix: a change to the blog moves the ETag, so a stale copy is never found again and
    ages out. Only complete 200 answers that set no cookie are kept.
    """
    cache = caches[LOCAL_CACHE]
    if request.method != "GET":
        return view(request, *args, **kwargs)
    key = get_cache_key(request, key_prefix=version, method="GET", cache=cache)
    if key is not None and (kept := cache.get(key)) is not None:
        return kept
    response = view(request, *args, **kwargs)
    if response.status_code == 200 and not response.streaming and not response.cookies:

        def keep(rendered: HttpResponse) -> None:
            timeout = settings.CACHE_S_MAXAGE
            cache.set(learn_cache_key(request, rendered, timeout, key_prefix=version, cache=cache), rendered, timeout)

        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(keep)  # template and DRF responses render later
        else:
            keep(response)
    return response


def public_cache(view: View) -> View:
    """Make a GET view publicly cacheable and answer conditional requests with 304."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            # DRF views answer other methods themselves, with the API's JSON error shape.
            if hasattr(view, "cls"):
                return view(request, *args, **kwargs)
            return HttpResponseNotAllowed(["GET", "HEAD"])
        with public_reads():
            freshness = request_freshness(request)
            version = page_version(request, freshness)
            etag = quote_etag(version)
            last_modified = int(freshness.last_modified.timestamp()) if freshness.last_modified else None
            response = get_conditional_response(request, etag=etag, last_modified=last_modified)
            if response is not None and response.status_code == 412 and hasattr(view, "cls"):
                # An API answers its errors in its JSON shape (Django's 412 has no body).
                response = JsonResponse(error_body("precondition_failed", PRECONDITION_FAILED), status=412)
            if response is None:
                response = render_once(view, version, request, *args, **kwargs)
        if response.status_code in (200, 304):
            response.headers["ETag"] = etag
            if last_modified is not None:
                response.headers["Last-Modified"] = http_date(last_modified)
            patch_cache_control(response, public=True, max_age=settings.CACHE_MAX_AGE, s_maxage=settings.CACHE_S_MAXAGE)
        return response

    # Read-only views act on no one's behalf, so CSRF protection has nothing to protect and
    # a POST gets a plain 405 rather than a CSRF failure.
    # What django.views.decorators.csrf.csrf_exempt sets, without another layer of wrapping.
    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # an attribute of the function, read by CsrfViewMiddleware
    return wrapped
