from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from myblog.blog.models import Post


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"writer{n}")
    first_name = "Ada"
    last_name = "Writer"


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    is_superuser = True


def staff_with(app_label, *codenames):
    """A staff member who holds only the named permissions of one app (not a superuser)."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    return user


def offered_actions(changelist_page):
    """The admin actions a changelist page offers its user."""
    form = changelist_page.context["action_form"]
    return [] if form is None else [name for name, _ in form.fields["action"].choices if name]


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Post number {n}")
    slug = factory.Sequence(lambda n: f"post-number-{n}")
    summary = factory.LazyAttribute(lambda post: f"Summary of {post.title}.")
    body = "## A heading\n\nSome *text* with `code`.\n\n- one\n- two\n"
    author = factory.SubFactory(UserFactory)
    status = Post.Status.PUBLISHED
    publish_at = factory.Sequence(lambda n: timezone.now() - timedelta(hours=n + 1))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


def draft(**kwargs):
    return PostFactory(status=Post.Status.DRAFT, publish_at=None, **kwargs)


def scheduled(**kwargs):
    return PostFactory(publish_at=timezone.now() + timedelta(days=3), **kwargs)


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.Subscriber"

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
