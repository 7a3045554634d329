"""Static file storages.

Locally (and in tests) static files are served by Django from the apps' static folders, with
URLs that follow the request's script prefix: Django adds the prefix (API Gateway's stage, e.g.
``/dev``) to a relative STATIC_URL only once, on first access, so a Lambda serving both the
execute-api host (with the stage) and a custom domain (without it) would get one of them wrong.

In production ``collectstatic`` uploads them to the media bucket under ``static/`` with hashed
names, and pages link them on the CDN domain (docs/architecture.md, decision 9). The manifest (original name →
hashed name) is written next to the code instead of to S3, so it ships in the Lambda package and
a cold start reads it from disk rather than with an S3 request.
"""

import re
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.files.storage import FileSystemStorage
from django.urls import get_script_prefix
from storages.backends.s3 import S3ManifestStaticStorage

# ManifestFilesMixin names a hashed copy "<name>.<first 12 hex digits of its MD5>.<ext>".
_HASHED = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?$")
IMMUTABLE = "public, max-age=31536000, immutable"
# Unhashed copies are uploaded too (collectstatic stores both); they may change with a deploy.
UNHASHED = "public, max-age=300"


class PrefixedStaticFilesStorage(StaticFilesStorage):
    def url(self, name: str | None) -> str:
        url = super().url(name)
        if url.startswith("/") and not url.startswith("//"):
            url = get_script_prefix().rstrip("/") + url
        return url


class CdnManifestStaticStorage(S3ManifestStaticStorage):
    """Hashed static files in S3 under ``static/``, linked on the CDN, manifest kept on disk."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("manifest_storage", FileSystemStorage(location=settings.STATIC_MANIFEST_ROOT))
        super().__init__(**kwargs)

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        params = super().get_object_parameters(name)
        return {**params, "CacheControl": IMMUTABLE if _HASHED.search(name) else UNHASHED}
