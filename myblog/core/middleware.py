"""Middleware of both services: responses private unless opted in (the CDN's one way in: myblog/core/origin.py)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import cc_delim_re


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
        else:
            _for_everyone(response)
        return response


def _for_everyone(response: HttpResponse) -> None:
    """A public answer is every reader's, and the caches do not key on Cookie (CloudFront) or keep
    one entry for all readers without one (API Gateway): it sets no cookie and does not vary on
    them. A stale session cookie or a malformed csrftoken would otherwise make Django delete or
    replace it (and add Vary: Cookie) on whatever page answered, for every reader after."""
    response.cookies.clear()
    vary = [field for field in cc_delim_re.split(response.headers.get("Vary", "")) if field]
    kept = [field for field in vary if field.lower() != "cookie"]
    if kept != vary:
        if kept:
            response.headers["Vary"] = ", ".join(kept)
        else:
            del response.headers["Vary"]
