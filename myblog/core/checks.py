"""System checks an operator sees before a deploy (``manage.py check --deploy``)."""

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.checks import Error, Tags, register


@register(Tags.staticfiles, deploy=True)
def static_manifest_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Without the manifest every page that links a static file fails: collect before packaging."""
    storage: Any = staticfiles_storage  # its class is a setting (STORAGES); only manifest storages have these
    manifest_name = getattr(storage, "manifest_name", None)
    if manifest_name is None or storage.manifest_storage.exists(manifest_name):
        return []
    return [
        Error(
            f"The static files manifest {settings.STATIC_MANIFEST_ROOT / manifest_name} does not exist.",
            hint="Run `python manage.py collectstatic --noinput` with the stage's environment before `zappa deploy`.",
            id="myblog.E001",
        )
    ]
