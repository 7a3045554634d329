"""The blog service (SERVICE=blog): pages, feed, sitemap, the blog API and its docs, subscribers, admin."""

from typing import cast

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView

from myblog.blog.caching import View, public_cache
from myblog.core.api_docs import PublicSwaggerSplitView, QueryFormatNegotiation
from myblog.urls import API_NOT_FOUND, URLs, handler400, handler404, handler500, service_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

admin.site.site_header = "MyBlog administration"
admin.site.site_title = "MyBlog admin"

# The script's URL is this page's own, never the query string a reader sent. Swagger UI draws its
# icons as data: SVG images, which this page alone may load.
# (csp_update's stubs widen the view's answer to HttpResponseBase; the view answers an HttpResponse.)
API_DOCS = cast(
    View,
    csp_update({"img-src": ["data:"]})(
        PublicSwaggerSplitView.as_view(
            url_name="api-schema", url_self=reverse_lazy("api-docs"), template_name="api_docs/swagger_ui.html"
        )
    ),
)

# The blog's routes; myblog/urls/all.py serves them too, before the to-do API's.
routes: URLs = [
    *service_urlpatterns("myblog.blog.urls", "notifications.urls"),
    # The blog service's schema: the blog and subscriber APIs (todo/schema.py leaves the to-dos out).
    # YAML unless ?format=json: never chosen by Accept, which CloudFront's cache key leaves out.
    path(
        "api/schema/",
        public_cache(SpectacularAPIView.as_view(content_negotiation_class=QueryFormatNegotiation)),
        name="api-schema",
    ),
    # Swagger UI with its start-up script as a file (?script), not inline, and no inline style: the
    # Content-Security-Policy allows neither (myblog/core/templates/api_docs/swagger_ui.html).
    path("api/docs/", public_cache(API_DOCS), name="api-docs"),
    path("admin/", admin.site.urls),
]
urlpatterns: URLs = [*routes, API_NOT_FOUND]
