"""The blog service (SERVICE=blog): pages, feed, sitemap, the blog API and its docs, subscribers, admin."""

from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from myblog.blog.caching import public_cache
from myblog.core.api_docs import QueryFormatNegotiation, swagger_ui
from myblog.urls import API_NOT_FOUND, URLs, handler400, handler404, handler500, service_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

admin.site.site_header = "MyBlog administration"
admin.site.site_title = "MyBlog admin"

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
    path("api/docs/", public_cache(swagger_ui("api-schema", "api-docs")), name="api-docs"),
    path("admin/", admin.site.urls),
]
urlpatterns: URLs = [*routes, API_NOT_FOUND]
