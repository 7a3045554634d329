"""The blog service (SERVICE=blog): pages, feed, sitemap, the blog API and its docs, subscribers, admin."""

from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from myblog.blog.caching import public_cache
from myblog.urls import URLs, handler400, handler404, handler500, service_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

admin.site.site_header = "MyBlog administration"
admin.site.site_title = "MyBlog admin"

urlpatterns: URLs = [
    *service_urlpatterns("myblog.blog.urls", "notifications.urls"),
    # The blog service's schema: the blog and subscriber APIs (todo/schema.py leaves the to-dos out).
    path("api/schema/", public_cache(SpectacularAPIView.as_view()), name="api-schema"),
    path("api/docs/", public_cache(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("admin/", admin.site.urls),
]
