"""GET /healthz: the dependencies of the service this process serves (settings.SERVICE)."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

from media import bucket
from myblog.core.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _aws() -> None:
    # A prefix the blog role may list (infra/roles.yaml): its s3:ListBucket is limited by s3:prefix.
    bucket.bucket_check(prefix="renditions/")


def _todos() -> None:
    from todo.repository import todo_repository  # the only DynamoDB-aware module

    todo_repository().check()


def _targets() -> dict[str, str]:
    """What each check reaches, for the log: AWS's own error messages often do not name it."""
    return {
        "database": f"{connection.vendor} database at {connection.settings_dict.get('HOST') or '(local)'}",
        "aws": f"bucket {settings.MEDIA_BUCKET} at {settings.AWS_ENDPOINT_URL or 'AWS'}",
        "todos": f"table {settings.TODO_TABLE}"
        + (f" through DAX {settings.DAX_ENDPOINT}" if settings.DAX_ENDPOINT else ""),
    }


def checks() -> dict[str, Callable[[], None]]:
    """What this service depends on: the blog its database and bucket, the to-do API its table."""
    found: dict[str, Callable[[], None]] = {}
    if settings.SERVES_BLOG:
        found |= {"database": _database, "aws": _aws}
    if settings.SERVES_TODO:
        found["todos"] = _todos
    return found


def health_report() -> tuple[bool, dict[str, str]]:
    """Run every check: "ok" or "unavailable" per dependency.

    The answer is public, so it names no host, bucket or table and carries no error text (those
    help an attacker map the system); what failed, and why, goes to the log.
    """
    report: dict[str, str] = {}
    for name, check in checks().items():
        try:
            check()
        except (DatabaseError, bucket.S3Error, ServiceUnavailable):
            logger.warning("Health check %s (%s) failed", name, _targets()[name], exc_info=True)
            report[name] = "unavailable"
        else:
            report[name] = "ok"
    return all(status == "ok" for status in report.values()), report


def healthz(request: HttpRequest) -> JsonResponse:
    ok, checks = health_report()
    response = JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
    if not ok:
        response.headers["Retry-After"] = "10"
    return response
