"""Middleware of both services: CDN requests served at the root, responses private unless opted in."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import set_script_prefix


class CdnScriptPrefixMiddleware:
    """Serve CDN viewers at the root of their host, not under the API Gateway stage.

    CloudFront sends the viewer's host as X-Forwarded-Host (its function in cdn.yaml) and reaches
    the stage through its origin path. Zappa sees the execute-api Host and mounts Django under
    ``/<stage>``, so every link would carry the stage and CloudFront would add it a second time.
    Without the header (a request straight to API Gateway) nothing changes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.USE_X_FORWARDED_HOST
            and request.META.get("HTTP_X_FORWARDED_HOST")
            and request.META.get("SCRIPT_NAME")
        ):
            request.META["SCRIPT_NAME"] = ""
            request.path = request.path_info
            set_script_prefix("/")
        return self.get_response(request)


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
