"""Static file storages whose URLs follow the request's script prefix.

Django adds the script prefix (API Gateway's stage, e.g. ``/dev``) to a relative STATIC_URL only
once, on first access, so a Lambda serving both the execute-api host (with the stage) and a
custom domain (without it) would get one of them wrong. These storages add the prefix of the
current request every time. An absolute STATIC_URL (a CloudFront domain) is left as it is.
"""

from django.contrib.staticfiles.storage import StaticFilesStorage
from django.urls import get_script_prefix
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ScriptPrefixMixin:
    base_url: str

    def url(self, name: str | None, force: bool = False) -> str:  # type: ignore[override]
        url: str = super().url(name, force) if force else super().url(name)  # type: ignore[misc]
        if url.startswith("/") and not url.startswith("//"):
            url = get_script_prefix().rstrip("/") + url
        return url


class PrefixedStaticFilesStorage(ScriptPrefixMixin, StaticFilesStorage):
    pass


class PrefixedManifestStaticFilesStorage(ScriptPrefixMixin, CompressedManifestStaticFilesStorage):
    pass
