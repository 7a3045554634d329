"""Dependency checks behind GET /healthz."""

from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection

from myblog.aws import s3


def _database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"vendor": connection.vendor}


def _aws() -> dict[str, object]:
    s3.bucket_check()
    return {"endpoint": settings.AWS_ENDPOINT_URL or "aws", "bucket": settings.MEDIA_BUCKET}


CHECKS: dict[str, Callable[[], dict[str, object]]] = {"database": _database, "aws": _aws}


def health_report() -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every check; a failing one is reported with its error instead of raising."""
    report: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        try:
            report[name] = {"ok": True, **check()}
        except (DatabaseError, s3.S3Error) as exc:
            report[name] = {"ok": False, "error": str(exc)}
    return all(item["ok"] for item in report.values()), report
