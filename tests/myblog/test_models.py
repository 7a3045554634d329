from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from myblog.blog.models import Post
from myblog.blog.services import post_publish, post_unpublish
from tests.factories import PostFactory, draft, scheduled

pytestmark = pytest.mark.django_db


def test_only_published_posts_whose_time_has_come_are_visible():
    live = PostFactory()
    draft()
    scheduled()
    assert list(Post.objects.visible()) == [live]


def test_a_scheduled_post_becomes_visible_when_its_time_comes_without_a_scheduler():
    post = scheduled()
    assert not Post.objects.visible().exists()
    later = post.publish_at + timedelta(seconds=1)
    assert list(Post.objects.visible(now=later)) == [post]


def test_the_body_is_rendered_to_sanitized_html_on_save():
    post = PostFactory(body="# Hi\n\n<script>x()</script>**bold**")
    post.refresh_from_db()
    assert "<strong>bold</strong>" in post.body_html
    assert "<script" not in post.body_html


def test_publishing_without_a_time_publishes_now_and_keeps_a_scheduled_time():
    plain = draft()
    future = timezone.now() + timedelta(days=2)
    timed = PostFactory(status=Post.Status.DRAFT, publish_at=future)
    assert post_publish(posts=Post.objects.filter(pk__in=[plain.pk, timed.pk])) == 2
    plain.refresh_from_db()
    timed.refresh_from_db()
    assert plain.is_visible()
    assert timed.status == Post.Status.PUBLISHED and timed.publish_at == future and not timed.is_visible()


def test_unpublishing_hides_a_post():
    post = PostFactory()
    post_unpublish(posts=Post.objects.filter(pk=post.pk))
    assert not Post.objects.visible().exists()


def test_validation_fills_in_the_publish_time_and_requires_a_body():
    post = PostFactory.build(status=Post.Status.PUBLISHED, publish_at=None)
    post.clean()
    assert post.publish_at is not None
    post.body = "   "
    with pytest.raises(ValidationError):
        post.clean()
