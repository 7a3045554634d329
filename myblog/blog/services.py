"""Writes to blog data."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from myblog.blog.models import Post


def post_publish(*, posts: QuerySet[Post], now: datetime | None = None) -> int:
    """Publish posts; a post without a publish time is published now, a scheduled one keeps its time."""
    now = now or timezone.now()
    count = 0
    for post in posts:
        post.status = Post.Status.PUBLISHED
        post.publish_at = post.publish_at or now
        post.save(update_fields=["status", "publish_at", "updated_at"])
        count += 1
    return count


def post_unpublish(*, posts: QuerySet[Post]) -> int:
    count = 0
    for post in posts:
        post.status = Post.Status.DRAFT
        post.save(update_fields=["status", "updated_at"])
        count += 1
    return count
