from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models

from media.renditions import WIDTHS


class Photo(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    title = models.CharField(max_length=200)
    alt_text = models.CharField(max_length=500, help_text="Describes the photo for people who cannot see it.")
    original = models.FileField(
        max_length=500, unique=True, editable=False, help_text="The uploaded file, under uploads/."
    )
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    bytes = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, editable=False)
    failure_reason = models.TextField(blank=True, editable=False)
    # [{"width": 640, "height": 427, "format": "webp", "key": "renditions/7/w640.webp"}, ...]
    renditions = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def srcset(self, format: str) -> str:
        return ", ".join(
            f"{default_storage.url(r['key'])} {r['width']}w" for r in self.renditions if r["format"] == format
        )

    @property
    def srcset_webp(self) -> str:
        return self.srcset("webp")

    @property
    def srcset_jpeg(self) -> str:
        return self.srcset("jpeg")

    def fallback(self) -> dict[str, object] | None:
        """The JPEG rendition closest to 640 px wide: the ``src`` for browsers without srcset."""
        jpegs = [r for r in self.renditions if r["format"] == "jpeg"]
        if not jpegs:
            return None
        best = min(jpegs, key=lambda r: abs(r["width"] - WIDTHS[1]))
        return {**best, "url": default_storage.url(best["key"])}

    def rendition_urls(self) -> list[dict[str, object]]:
        return [{**r, "url": default_storage.url(r["key"])} for r in self.renditions]
