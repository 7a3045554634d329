"""HTTP caching of public responses (DESIGN decision 9).

Every public GET is cacheable by browsers (``max-age``) and shared caches (``s-maxage``) and
carries an ETag and a Last-Modified derived from one cheap query, so a revalidation that finds
nothing new answers 304 without rendering. Everything else is ``private, no-store``.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag

from myblog.db_router import public_reads
from myblog.selectors import blog_freshness

View = Callable[..., HttpResponse]


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
            freshness = blog_freshness()
            key = f"{settings.RELEASE}|{request.build_absolute_uri()}|{freshness.token}"
            etag = quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
            last_modified = int(freshness.last_modified.timestamp()) if freshness.last_modified else None
            response = get_conditional_response(request, etag=etag, last_modified=last_modified)
            if response is None:
                response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            response.headers["ETag"] = etag
            if last_modified is not None:
                response.headers["Last-Modified"] = http_date(last_modified)
            patch_cache_control(response, public=True, max_age=settings.CACHE_MAX_AGE, s_maxage=settings.CACHE_S_MAXAGE)
        return response

    # Read-only views act on no one's behalf, so CSRF protection has nothing to protect and
    # a POST gets a plain 405 rather than a CSRF failure.
    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


class PrivateByDefaultMiddleware:
    """Responses that did not opt in to public caching must never be stored by anyone.

    Covers the admin, previews, error pages and the health check. Runs outermost, so it sees
    the final headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        cache_control = response.headers.get("Cache-Control", "")
        if "public" not in cache_control or response.status_code not in (200, 304):
            response.headers["Cache-Control"] = "private, no-store"
        return response
