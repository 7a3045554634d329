"""One way into the blog: through CloudFront, at the public origin (docs/architecture.md, decision 13).

CloudFront adds ``X-Origin-Verify: <secret>`` to every request it sends the blog's API Gateway
(infra/cdn.yaml, ``OriginSecret``); a viewer's own header of that name is overwritten. Where
``CDN_ORIGIN_SECRETS`` is set (every blog stage), a request without one of them never reaches a
view: anyone calling the execute-api endpoint directly gets a 403, whatever host or forwarded
headers they choose. So every page the app renders was asked for by CloudFront, and every
page is served at the root of the public origin (``SITE_URL``), not under the API Gateway
stage where Zappa mounts it on the execute-api host.

Absolute URLs (canonical links, the feed, the sitemap, robots.txt, the API's links) are built
here from ``SITE_URL``, never from Host, X-Forwarded-Host or X-Forwarded-Proto: no cache keys on
those, so an answer that depended on them could be served to everyone.
"""

import hmac
import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import get_script_prefix, set_script_prefix
from django.utils.encoding import escape_uri_path

from myblog.core.http_errors import error_body

logger = logging.getLogger(__name__)

# The header CloudFront adds (cdn.yaml OriginCustomHeaders); API Gateway's cache keys on it too
# (infra/apigw_cache.py), so an answer to a request without it is never served to CloudFront.
ORIGIN_HEADER = "X-Origin-Verify"
# Answered without the header: Zappa's touch after `deploy`/`update` GETs touch_path on the
# execute-api URL itself, and a 403 would pass it (Zappa fails only on a 5xx) without proving
# anything. The health check has no links, is never cached (infra/apigw_cache.py) and says only
# ok/failing per dependency.
OPEN_PATHS = frozenset({"/healthz"})


def public_path(path: str) -> str:
    """A path from reverse() or get_absolute_url(), relative to the public origin: without the
    script prefix this process mounts the app at (the API Gateway stage, when not behind the CDN)."""
    prefix = get_script_prefix()
    if path.startswith(prefix):
        return "/" + path[len(prefix) :]
    return path


def public_url(path: str, query: Mapping[str, str] | None = None) -> str:
    """The absolute URL of ``path`` (as reverse() gives it, already quoted) at the public origin,
    with only the ``query`` given: nothing of the request it answers."""
    url = settings.SITE_URL.rstrip("/") + public_path(path)
    return f"{url}?{urlencode(query)}" if query else url


# Every query string a public GET of the blog reads: pages and the API (page, tag, search,
# page_size), the sitemap (p), the schema (format, lang), the API docs' script (script). API
# Gateway's cache keys on exactly these (infra/apigw_cache.py; tests/infra/test_cdn_one_way_in.py
# keeps both lists equal): any other is shared by every reader, so no answer may depend on it.
READ_QUERY_STRINGS = frozenset({"page", "tag", "search", "page_size", "p", "format", "lang", "script"})


def page_address(request: HttpRequest) -> str:
    """The page's address as the caches share it: the public URL of its path, with only the
    query strings the blog reads (sorted), whatever host, scheme or other query the request had."""
    read = sorted(
        (name, value) for name, values in request.GET.lists() if name in READ_QUERY_STRINGS for value in values
    )
    url = public_url(escape_uri_path(request.path))
    return f"{url}?{urlencode(read)}" if read else url


def _forbidden(request: HttpRequest) -> HttpResponse:
    message = "This site is served only through its public address."
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse(error_body("forbidden", message), status=403)
    else:
        html = f"<!doctype html><title>Forbidden</title><h1>Forbidden</h1><p>{message}</p>\n"
        response = HttpResponse(html, status=403, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    return response


class CloudFrontOnlyMiddleware:
    """Refuses requests that did not come through CloudFront; serves the others at the public origin.

    Right after RequestIdMiddleware, before anything reads the host, the session or the URL
    prefix. Inert where no secret is configured (locally, and the to-do service).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        accepted: list[str] = settings.CDN_ORIGIN_SECRETS
        if not accepted:
            return self.get_response(request)
        if request.path_info not in OPEN_PATHS and not self._through_cloudfront(request, accepted):
            logger.warning("Refused a request that did not come through CloudFront: %s", request.path_info)
            return _forbidden(request)
        # CloudFront's viewers see the app at the public origin's path; Zappa mounted it under
        # /<stage> because the Host is the execute-api host (CloudFront's origin).
        mount = urlsplit(settings.SITE_URL).path.rstrip("/")
        request.META["SCRIPT_NAME"] = mount
        request.path = mount + request.path_info
        set_script_prefix(mount + "/")
        return self.get_response(request)

    @staticmethod
    def _through_cloudfront(request: HttpRequest, accepted: list[str]) -> bool:
        # From META, not request.headers: that builds a dict of every header, on every request.
        sent = request.META.get("HTTP_" + ORIGIN_HEADER.upper().replace("-", "_"), "").encode()
        # Every value compared (a rotation accepts two), each in constant time.
        matches = [hmac.compare_digest(sent, secret.encode()) for secret in accepted]
        return any(matches)
