"""Middleware of both services: responses private unless opted in (the CDN's one way in: myblog/core/origin.py)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
