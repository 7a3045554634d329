from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from myblog import api, views
from myblog.caching import public_cache
from myblog.feeds import LatestPostsFeed
from myblog.sitemaps import SITEMAPS

admin.site.site_header = "MyBlog administration"
admin.site.site_title = "MyBlog admin"

# The blog service's URLconf (SERVICE=blog); todo/service_urls.py is the to-do API's and
# myblog/urls_all.py serves both, locally.
handler400 = "myblog.errors.bad_request"
handler404 = "myblog.errors.page_not_found"
handler500 = "myblog.errors.server_error"

urlpatterns = [
    path("", views.post_index, name="post-index"),
    path("posts/<slug:slug>/", views.post_detail, name="post-detail"),
    path("tags/<slug:tag>/", views.tag_detail, name="tag-detail"),
    path("feed/", public_cache(LatestPostsFeed()), name="feed"),
    path("sitemap.xml", public_cache(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("healthz", views.healthz, name="healthz"),
    path("api/blog/posts/", public_cache(api.PostListApi.as_view()), name="api-post-list"),
    path("api/blog/posts/<slug:slug>/", public_cache(api.PostDetailApi.as_view()), name="api-post-detail"),
    path("api/schema/", public_cache(SpectacularAPIView.as_view()), name="api-schema"),
    path("api/docs/", public_cache(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
]
