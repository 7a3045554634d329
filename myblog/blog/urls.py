"""The blog's pages, feed, sitemap, robots.txt and read-only API."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from myblog.blog import api, views
from myblog.blog.caching import public_cache
from myblog.blog.feeds import LatestPostsFeed
from myblog.blog.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.post_index, name="post-index"),
    path("posts/<slug:slug>/", views.post_detail, name="post-detail"),
    path("tags/<slug:tag>/", views.tag_detail, name="tag-detail"),
    path("feed/", public_cache(LatestPostsFeed()), name="feed"),
    path("sitemap.xml", public_cache(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("api/blog/posts/", public_cache(api.PostListApi.as_view()), name="api-post-list"),
    path("api/blog/posts/<slug:slug>/", public_cache(api.PostDetailApi.as_view()), name="api-post-detail"),
]
