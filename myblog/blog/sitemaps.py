from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from myblog.blog.models import Post, PostQuerySet
from myblog.blog.selectors import post_list_visible
from myblog.core.origin import public_path

if TYPE_CHECKING:  # django.contrib.sites is not installed: only its types are named
    from django.contrib.sites.models import Site
    from django.contrib.sites.requests import RequestSite


class PublicSitemap(Sitemap):
    """URLs at the public origin (SITE_URL), whatever host and scheme the request had."""

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site: "Site | RequestSite | None" = None) -> str:
        # Django writes <protocol>://<domain><location>: the origin's path prefix goes here.
        origin = urlsplit(settings.SITE_URL)
        return origin.netloc + origin.path.rstrip("/")


class PostSitemap(PublicSitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self) -> PostQuerySet:
        return post_list_visible()

    def location(self, item: Post) -> str:
        return public_path(item.get_absolute_url())

    def lastmod(self, item: Post) -> datetime:
        return max(item.updated_at, item.publish_at or item.updated_at)  # visible posts all have publish_at


class PagesSitemap(PublicSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self) -> list[str]:
        return ["post-index"]

    def location(self, item: str) -> str:
        return public_path(reverse(item))


SITEMAPS = {"posts": PostSitemap, "pages": PagesSitemap}
