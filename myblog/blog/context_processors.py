from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import escape_uri_path

from myblog.core.origin import public_url


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        # At the public origin, without the query string: a page that reads one (a list's page
        # number) gives its own. Never the request's host or query (myblog/core/origin.py).
        "canonical_url": public_url(escape_uri_path(request.path)),
    }
