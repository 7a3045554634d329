"""Errors as HTTP answers: one JSON error shape for the APIs, error pages that are never cached.

The one place that maps a domain error (myblog/core/errors.py) to an HTTP status.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from myblog.core.errors import ApplicationError, Conflict, NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)

# Most specific first; any other ApplicationError is the caller's mistake (400).
_STATUS_BY_ERROR: tuple[tuple[type[ApplicationError], int], ...] = (
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Conflict, status.HTTP_412_PRECONDITION_FAILED),
    (ServiceUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)


def status_of(exc: ApplicationError) -> int:
    return next((code for kind, code in _STATUS_BY_ERROR if isinstance(exc, kind)), status.HTTP_400_BAD_REQUEST)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # The error shape's "fields"; DRF's metaclass moves declared fields off the class, so it does not
    # replace Serializer.fields at runtime.
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]


class ErrorSerializer(serializers.Serializer):
    """The error shape in the OpenAPI schemas, so generated clients get a typed error model."""

    error = ErrorDetailSerializer()


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: object) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for item in detail]
    if isinstance(detail, dict):
        return [f"{key}: {', '.join(_flatten(value))}" for key, value in detail.items()]
    return [str(detail)]


def api_exception_handler(exc: Exception, context: dict[str, object]) -> Response | None:
    """DRF's exception handler, reshaped to ``{"error": {"code", "message", "fields"}}``."""
    if isinstance(exc, ApplicationError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ServiceUnavailable) else None
        return Response(error_body(exc.code, exc.message, exc.fields), status=status_of(exc), headers=headers)
    if isinstance(exc, SuspiciousOperation):
        # A body past DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields...: Django would answer its HTML
        # debug page under DEBUG. Logged where Django logs it.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
        message = "The request body is too large or malformed."
        return Response(error_body("bad_request", message), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    detail = exc.detail
    if isinstance(detail, dict):
        fields = {key: _flatten(value) for key, value in detail.items()}
        body = error_body("invalid", "The request has invalid fields.", fields)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body = error_body(code, " ".join(_flatten(detail)))
    response.data = body
    return response


def _wants_json(request: HttpRequest) -> bool:
    # The to-do service serves no pages: every error it answers is JSON (the error page is the blog's,
    # and links the blog's routes).
    return request.path_info.startswith("/api/") or request.path_info == "/healthz" or not settings.SERVES_BLOG


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return render(request, "myblog/error.html", {"title": "Page not found"}, status=404)


@csrf_exempt  # no session writes here: a POST to nowhere is a 404, not a CSRF 403 page
def api_not_found(request: HttpRequest, unmatched: str = "") -> HttpResponse:
    """The last route of every URLconf: any other path under /api/ is the JSON 404, whatever DEBUG
    is (DEBUG answers an unmatched path with Django's HTML page, never handler404).

    APPEND_SLASH as CommonMiddleware does it, which this route would otherwise hide: a path that
    matches a real route once a slash is added is redirected there.
    """
    if settings.APPEND_SLASH and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return render(request, "myblog/error.html", {"title": "Something went wrong"}, status=500)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)
    return render(request, "myblog/error.html", {"title": "Bad request"}, status=400)
