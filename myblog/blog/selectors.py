"""Reads of blog data, shaped for the pages, the feed and the API."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, Subquery
from django.http import Http404
from django.utils import timezone

from media.models import Photo
from myblog.blog.models import Post, PostQuerySet


def post_list_visible(*, tag: str | None = None, now: datetime | None = None) -> PostQuerySet:
    """Visible posts, newest first, with what lists show loaded in a constant number of queries."""
    # django-stubs cannot see that taggit's TaggableManager (untyped here) supports prefetching.
    posts = Post.objects.visible(now).select_related("author", "cover_photo").prefetch_related("tags")  # type: ignore[misc]
    if tag:
        posts = posts.filter(tags__slug=tag)
    return posts.order_by("-publish_at", "-id")


def post_get_visible(*, slug: str) -> Post:
    try:
        return post_list_visible().get(slug=slug)
    except Post.DoesNotExist:
        raise Http404("No such post.") from None


@dataclass(frozen=True)
class Freshness:
    """What a public response depends on: when the blog last changed, and how."""

    last_modified: datetime | None
    token: str


def blog_freshness(*, now: datetime | None = None) -> Freshness:
    """One query that tells whether anything readers can see has changed.

    ``updated_at`` is taken over all posts, so unpublishing or editing a post moves it forward;
    the newest visible ``publish_at`` moves it when a scheduled post comes out; the count
    catches deletions.
    """
    now = now or timezone.now()
    visible = Q(status=Post.Status.PUBLISHED, publish_at__lte=now)
    row = Post.objects.aggregate(
        updated=Max("updated_at"),
        published=Max("publish_at", filter=visible),
        visible_count=Count("id", filter=visible),
        total=Count("id"),
        # Renditions finishing change what pages show (covers and photos embedded in bodies), so
        # any photo's change counts: photos change rarely, and a stale page would be worse.
        photo=Max(Subquery(Photo.objects.order_by("-updated_at").values("updated_at")[:1])),
    )
    moments = [m for m in (row["updated"], row["published"], row["photo"]) if m is not None]
    last_modified = max(moments) if moments else None
    stamp = last_modified.isoformat() if last_modified else "-"
    return Freshness(last_modified=last_modified, token=f"{stamp}|{row['visible_count']}|{row['total']}")
