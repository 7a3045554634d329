from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager

from myblog.blog.embeds import embedded_photo_ids
from myblog.blog.markdown import render_markdown


class PostQuerySet(models.QuerySet["Post"]):
    def visible(self, now: datetime | None = None) -> "PostQuerySet":
        """Published posts whose publish time has come: what readers may see."""
        return self.filter(status=Post.Status.PUBLISHED, publish_at__lte=now or timezone.now())


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(max_length=500, blank=True, help_text="Shown in lists, feeds and search results.")
    body = models.TextField(
        help_text="Markdown; raw HTML is sanitized. Embed a photo with ![optional caption](photo:ID) on a line of its own."
    )
    body_html = models.TextField(editable=False, default="")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    tags = TaggableManager(blank=True)
    cover_photo = models.ForeignKey(
        "media.Photo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown above the post.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A published post stays hidden until this time. Empty means now when published.",
    )
    # Read once, when the post becomes visible (newsletter/): unticked, it is published without emailing.
    email_subscribers = models.BooleanField(
        "email subscribers",
        default=True,
        help_text="Email the post to confirmed subscribers when it becomes visible. Sent once: "
        "editing or re-publishing never sends it again.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    # Not a column: the body with its embedded photos, set by embeds.attach_bodies for display.
    body_display: str

    class Meta:
        ordering = ["-publish_at", "-id"]
        indexes = [models.Index(fields=["status", "publish_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # body_html is a cache of the rendered body, so it is kept in step on every save.
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("post-detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.status == self.Status.PUBLISHED and self.publish_at is None:
            self.publish_at = timezone.now()
        if not self.body.strip():
            raise ValidationError({"body": "A post needs a body."})
        self._check_embedded_photos()

    def _check_embedded_photos(self) -> None:
        from media.models import Photo

        embedded = embedded_photo_ids(render_markdown(self.body))
        missing = sorted(embedded - set(Photo.objects.filter(pk__in=embedded).values_list("pk", flat=True)))
        if missing:
            raise ValidationError(
                {"body": f"No photo with id {', '.join(map(str, missing))}: check the photo:ID links."}
            )

    def is_visible(self, now: datetime | None = None) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= (now or timezone.now())
        )

    @property
    def description(self) -> str:
        """Plain-text description for meta tags and feeds."""
        return self.summary or self.title
