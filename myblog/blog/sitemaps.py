from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from myblog.blog.models import Post, PostQuerySet
from myblog.blog.selectors import post_list_visible


class PostSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self) -> PostQuerySet:
        return post_list_visible()

    def lastmod(self, item: Post) -> datetime:
        return max(item.updated_at, item.publish_at or item.updated_at)  # visible posts all have publish_at


class PagesSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self) -> list[str]:
        return ["post-index"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"posts": PostSitemap, "pages": PagesSitemap}
