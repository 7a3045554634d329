"""Logs, traces and metrics, with AWS Lambda Powertools doing the formatting and the emitting.

- Request ids: ``RequestIdMiddleware`` puts the request's ids in a context variable, and
  ``RequestContextFilter`` copies them onto every log record of that request: ``request_id`` (API
  Gateway's ``requestContext.requestId`` when Zappa hands Django the event, a fresh UUID otherwise;
  also sent back as ``X-Request-Id``) and ``lambda_request_id`` (the Lambda invocation's
  ``aws_request_id``). In production each log line is one JSON object (``json_formatter``).
- Tracing: with ``settings.TRACING`` on, botocore is patched at startup so that every AWS call is an
  X-Ray subsegment. Off, nothing of the X-Ray SDK is imported.
- Metrics: ``metric_count`` writes one CloudWatch embedded-metric document per count to stdout at
  once, so nothing waits for a flush that a frozen Lambda would never run.

Nothing here imports Powertools or the X-Ray SDK at module level: this module is loaded by the
logging configuration at every cold start.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
METRICS_NAMESPACE = "MyBlog"
# The order of the keys in a JSON log line; keys without a value are left out.
JSON_LOG_KEYS = ["timestamp", "level", "logger", "message", "request_id", "lambda_request_id", "service", "location"]

P = ParamSpec("P")
R = TypeVar("R")


class RequestIds:
    __slots__ = ("request_id", "lambda_request_id")

    def __init__(self, request_id: str, lambda_request_id: str | None = None) -> None:
        self.request_id = request_id
        self.lambda_request_id = lambda_request_id


_current: ContextVar[RequestIds | None] = ContextVar("request_ids", default=None)


def request_ids_from(environ: Mapping[str, Any]) -> RequestIds:
    """The ids of a request from its WSGI environ, where Zappa puts the Lambda event and context."""
    event = environ.get("lambda.event")
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    request_id = request_context.get("requestId") if isinstance(request_context, dict) else None
    lambda_request_id = getattr(environ.get("lambda.context"), "aws_request_id", None)
    return RequestIds(request_id=str(request_id or uuid.uuid4()), lambda_request_id=lambda_request_id)


def _forget_request_ids(**kwargs: Any) -> None:
    _current.set(None)


class RequestIdMiddleware:
    """Sets the request's ids for the log lines of the request, and answers its id as X-Request-Id.

    First in MIDDLEWARE. The ids are cleared on ``request_finished``, not when this middleware
    returns: Django logs a 4xx/5xx after the middleware chain, and Zappa its access line after
    that, and both belong to the request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.core.signals import request_finished

        self.get_response = get_response
        request_finished.connect(_forget_request_ids, dispatch_uid="myblog.core.observability.forget_request_ids")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ids = request_ids_from(request.META)
        _current.set(ids)
        response = self.get_response(request)
        # Shared caches keep it with the response: a cached answer names the request that filled it.
        response.headers[REQUEST_ID_HEADER] = ids.request_id
        return response


class RequestContextFilter(logging.Filter):
    """Adds the logger name and, within a request, the request's ids to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.logger = record.name
        ids = _current.get()
        # Outside a request the JSON line leaves the keys out and the text line shows "-".
        record.request_id = ids.request_id if ids else None
        record.lambda_request_id = ids.lambda_request_id if ids else None
        return True


class TextFormatter(logging.Formatter):
    """Human-readable lines for local development, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


def json_formatter() -> logging.Formatter:
    """Powertools' JSON formatter, as a plain logging.Formatter: one JSON object per record, with
    level, message, logger, UTC timestamp, location, the X-Ray trace id when there is one, the
    exception as a field, and the extra attributes of the record (the request ids among them)."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    return LambdaPowertoolsFormatter(
        log_record_order=JSON_LOG_KEYS, utc=True, use_rfc3339=True, service=settings.SERVICE
    )


def tracing_setup() -> bool:
    """Patch botocore for X-Ray when tracing is on; True when it did. Called once at startup."""
    if not settings.TRACING:
        return False
    # Powertools would leave the tracer disabled off Lambda; the setting decides here.
    from aws_lambda_powertools import Tracer

    Tracer(service=settings.SERVICE, disabled=False, patch_modules=["botocore"])
    return True


def metric_count(name: str, value: int = 1) -> None:
    """Emit one count in namespace MyBlog with the dimension service, at once (EMF on stdout).

    A metric that cannot be emitted is logged, never raised: the work it counts is done.
    """
    if not settings.METRICS:
        return
    try:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        dimensions = {"service": settings.SERVICE}
        with single_metric(
            name=name, unit=MetricUnit.Count, value=value, namespace=METRICS_NAMESPACE, default_dimensions=dimensions
        ):
            pass
    except Exception:
        logger.warning("metric %s was not emitted", name, exc_info=True)


def count_failures(metric: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Count 1 in ``metric`` whenever the decorated function raises (the exception goes on)."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except Exception:
                metric_count(metric)
                raise

        return counted

    return decorate
