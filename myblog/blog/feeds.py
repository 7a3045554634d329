from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from myblog.blog.embeds import attach_bodies
from myblog.blog.models import Post
from myblog.blog.selectors import post_list_visible
from myblog.core.origin import public_url


class LatestPostsFeed(Feed):
    """The Atom feed. Every link (and so every id) is absolute at the public origin: Django would
    otherwise put the request's host in front of them (myblog/core/origin.py)."""

    feed_type = Atom1Feed

    def link(self) -> str:
        return public_url(reverse("post-index"))

    def feed_url(self) -> str:
        return public_url(reverse("feed"))

    def item_link(self, item: Post) -> str:
        return public_url(item.get_absolute_url())

    def title(self) -> str:
        return settings.SITE_NAME

    def subtitle(self) -> str:
        return settings.SITE_DESCRIPTION

    def items(self) -> list[Post]:
        posts = list(post_list_visible()[:20])
        attach_bodies(posts)
        return posts

    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        return item.body_display

    def item_author_name(self, item: Post) -> str:
        return item.author.get_full_name() or item.author.get_username()

    def item_pubdate(self, item: Post) -> datetime | None:
        return item.publish_at

    def item_updateddate(self, item: Post) -> datetime:
        return max(item.updated_at, item.publish_at or item.updated_at)  # visible posts all have publish_at

    def item_categories(self, item: Post) -> list[str]:
        return [tag.name for tag in item.tags.all()]
