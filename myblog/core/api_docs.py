"""The API's schema and docs pages as public pages: one answer per URL, whoever asks.

CloudFront keeps them under the path and the query string only (infra/cdn.yaml): nothing else of
the request may choose what they say.
"""

from collections.abc import Callable, Iterable
from typing import Any, cast

from csp.decorators import csp_update
from django.http import HttpResponse
from django.urls import reverse_lazy
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response


class QueryFormatNegotiation(DefaultContentNegotiation):
    """Chooses the renderer by ``?format=`` alone, never by Accept.

    CloudFront's cache key has no Accept: the schema as JSON rather than YAML, chosen by it, would
    be kept for every reader of that URL. The query string is in both caches' keys, so
    ``?format=json`` is the way to ask.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        candidates = list(renderers)
        if wanted:
            candidates = self.filter_renderers(candidates, wanted)  # Http404 for a format nobody renders
        renderer = candidates[0]
        return renderer, str(renderer.media_type)


class PublicSwaggerSplitView(SpectacularSwaggerSplitView):
    """drf-spectacular's split view, whose start-up script carries no one's CSRF token.

    The script (``?script``) is cached by CloudFront, which keys on no cookie: the token of
    whoever asked first (a signed-in editor, say) would be every reader's. The view's own data
    wins over the template's csrf context processor, so an empty token is rendered. The API's only
    write, subscribing, needs none (it is CSRF-exempt and throttled).
    """

    @extend_schema(exclude=True)  # a page, not an operation of the API it documents
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is not None and isinstance(response.data, dict):
            response.data["csrf_token"] = ""
        return response


def swagger_ui(schema: str, docs: str, title: str | None = None) -> Callable[..., HttpResponse]:
    """The Swagger UI page of the schema at URL name ``schema``, itself at URL name ``docs``.

    Its start-up script is a file (``?script``, from this page's own URL, never the query string a
    reader sent) and it has no inline style (myblog/core/templates/api_docs/swagger_ui.html): the
    Content-Security-Policy allows neither. Swagger UI draws its icons as data: SVG images, which
    this page alone may load.
    """
    view = PublicSwaggerSplitView.as_view(
        url_name=schema,
        url_self=reverse_lazy(docs),
        template_name="api_docs/swagger_ui.html",
        **({"title": title} if title else {}),
    )
    # (csp_update's stubs widen the view's answer to HttpResponseBase; the view answers an HttpResponse.)
    return cast(Callable[..., HttpResponse], csp_update({"img-src": ["data:"]})(view))
