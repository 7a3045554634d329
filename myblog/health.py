"""GET /healthz: the dependencies of the service this process serves (settings.SERVICE)."""

from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

from media import bucket
from myblog.core.errors import ServiceUnavailable


def _database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"vendor": connection.vendor}


def _aws() -> dict[str, object]:
    # A prefix the blog role may list (infra/roles.yaml): its s3:ListBucket is limited by s3:prefix.
    bucket.bucket_check(prefix="renditions/")
    return {"endpoint": settings.AWS_ENDPOINT_URL or "aws", "bucket": settings.MEDIA_BUCKET}


def _todos() -> dict[str, object]:
    from todo.repository import todo_repository  # the only DynamoDB-aware module

    todo_repository().check()
    return {"table": settings.TODO_TABLE, "dax": bool(settings.DAX_ENDPOINT)}


def checks() -> dict[str, Callable[[], dict[str, object]]]:
    """What this service depends on: the blog its database and bucket, the to-do API its table."""
    found: dict[str, Callable[[], dict[str, object]]] = {}
    if settings.SERVES_BLOG:
        found |= {"database": _database, "aws": _aws}
    if settings.SERVES_TODO:
        found["todos"] = _todos
    return found


def health_report() -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every check; a failing one is reported with its error instead of raising."""
    report: dict[str, dict[str, object]] = {}
    for name, check in checks().items():
        try:
            report[name] = {"ok": True, **check()}
        except (DatabaseError, bucket.S3Error, ServiceUnavailable) as exc:
            report[name] = {"ok": False, "error": str(exc)}
    return all(item["ok"] for item in report.values()), report


def healthz(request: HttpRequest) -> JsonResponse:
    ok, checks = health_report()
    response = JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
    if not ok:
        response.headers["Retry-After"] = "10"
    return response
