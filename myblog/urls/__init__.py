"""The URLconfs of the services; settings.ROOT_URLCONF picks one by SERVICE.

``blog`` and ``todo`` are the deployed Lambdas; ``all`` serves both in one process (local
development and the tests). What every service shares is declared here, once: the error handlers
(Django reads them from the root URLconf) and the health check.
"""

from django.urls import URLPattern, URLResolver, include, path, re_path

from myblog.core.http_errors import api_not_found
from myblog.health import healthz

handler400 = "myblog.core.http_errors.bad_request"
handler404 = "myblog.core.http_errors.page_not_found"
handler500 = "myblog.core.http_errors.server_error"

URLs = list[URLPattern | URLResolver]


# The last pattern of each service's URLconf: every other path under /api/ is the API's JSON 404.
API_NOT_FOUND = re_path(r"^api/(?P<unmatched>.*)$", api_not_found, name="api-not-found")


def service_urlpatterns(*urlconfs: str) -> URLs:
    """The health check, then each URLconf's patterns at the root."""
    return [path("healthz", healthz, name="healthz"), *(path("", include(urlconf)) for urlconf in urlconfs)]
