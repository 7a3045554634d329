from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from media.models import Photo
from media.services import (
    UploadRejected,
    photo_create_from_upload,
    photo_enqueue_renditions,
    photo_upload_check,
    photo_upload_presign,
)
from myblog.core.http_errors import error_body
from myblog.core.parsers import json_loads_untrusted


class PhotoAddForm(forms.ModelForm):
    upload_key = forms.CharField(
        widget=forms.HiddenInput(attrs={"data-photo-upload-key": ""}),
        error_messages={"required": "Choose a photo and wait for the upload to finish."},
    )

    class Meta:
        model = Photo
        fields = ["title", "alt_text"]

    def clean_upload_key(self) -> str:
        key = self.cleaned_data["upload_key"]
        try:
            self.checked = photo_upload_check(key=key)
        except UploadRejected as exc:
            raise ValidationError(exc.message) from exc
        return key


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "title", "status", "dimensions", "size", "uploader", "created_at"]
    list_filter = ["status", "content_type", "created_at"]
    search_fields = ["title", "alt_text", "original"]
    readonly_fields = [
        "thumbnail",
        "embed_code",
        "original",
        "status",
        "failure_reason",
        "dimensions",
        "size",
        "content_type",
        "uploader",
        "rendition_list",
    ]
    actions = ["regenerate_renditions"]

    def get_form(
        self, request: HttpRequest, obj: Photo | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = PhotoAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Photo | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("title", "alt_text", "upload_key")
        return ("title", "alt_text", *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Photo | None = None) -> list[str]:
        return self.readonly_fields if obj else []

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        if add:
            context["photo_upload"] = {
                "presign_url": "presign/",
                "max_bytes": settings.PHOTO_MAX_UPLOAD_BYTES,
                "accept": "image/jpeg,image/png,image/webp,image/gif,image/tiff",
            }
        return super().render_change_form(request, context, add, *args, **kwargs)

    change_form_template = "media/photo_change_form.html"

    def save_model(self, request: HttpRequest, obj: Photo, form: PhotoAddForm, change: bool) -> None:
        if change:
            obj.save()
            return
        photo = photo_create_from_upload(
            key=form.cleaned_data["upload_key"],
            title=form.cleaned_data["title"],
            alt_text=form.cleaned_data["alt_text"],
            uploader=cast(User, request.user),  # the admin serves signed-in staff only
            checked=form.checked,
        )
        obj.pk = photo.pk
        obj.refresh_from_db()

    def get_urls(self) -> list[URLPattern]:
        presign = path("add/presign/", self.admin_site.admin_view(self.presign_view), name="media_photo_presign")
        return [presign, *super().get_urls()]

    @method_decorator(require_POST)
    def presign_view(self, request: HttpRequest) -> JsonResponse:
        """A presigned POST the browser uses to upload straight to S3: staff (admin_view) who may add photos."""
        if not self.has_add_permission(request):
            return JsonResponse(error_body("forbidden", "You do not have permission to add photos."), status=403)
        if request.content_type != "application/json":
            return JsonResponse(error_body("unsupported_media_type", "Send JSON (application/json)."), status=415)
        try:
            data = json_loads_untrusted(request.body.decode(request.encoding or "utf-8") or "{}")
            if not isinstance(data, dict):
                raise TypeError
            filename, content_type, size = data.get("filename", ""), data.get("content_type", ""), data.get("size", 0)
            if not isinstance(filename, str) or not isinstance(content_type, str) or type(size) is not int:
                raise TypeError
            filename.encode()  # a lone surrogate (a \ud800 escape) raises UnicodeEncodeError
            answer = photo_upload_presign(filename=filename, content_type=content_type, size=size)
        except RequestDataTooBig:
            return JsonResponse(error_body("too_large", "The request body is too large."), status=413)
        except (ValueError, TypeError, LookupError):  # LookupError: a charset that is no text encoding
            return JsonResponse(error_body("invalid", "Send JSON with filename, content_type and size."), status=400)
        except UploadRejected as exc:
            return JsonResponse(error_body(exc.code, exc.message, exc.fields), status=400)
        return JsonResponse(answer)

    @admin.display(description="Preview")
    def thumbnail(self, photo: Photo) -> str:
        small = next((r for r in photo.rendition_urls() if r["format"] == "webp"), None)
        if small is None:
            return "—"
        return format_html('<img src="{}" alt="{}" width="80" loading="lazy">', small["url"], photo.alt_text)

    @admin.display(description="Embed in a post")
    def embed_code(self, photo: Photo) -> str:
        return format_html(
            "<code>![{}](photo:{})</code><div class='help'>Paste on a line of its own in a post's body; "
            "the text in brackets becomes the caption.</div>",
            photo.title,
            photo.pk,
        )

    @admin.display(description="Dimensions")
    def dimensions(self, photo: Photo) -> str:
        return f"{photo.width} × {photo.height}" if photo.width else "—"

    @admin.display(description="Size")
    def size(self, photo: Photo) -> str:
        return f"{photo.bytes / 1_048_576:.1f} MB" if photo.bytes else "—"

    @admin.display(description="Renditions")
    def rendition_list(self, photo: Photo) -> str:
        if not photo.renditions:
            return "—"
        items = format_html_join(
            "",
            '<li><a href="{}">{} px {}</a></li>',
            ((r["url"], r["width"], r["format"]) for r in photo.rendition_urls()),
        )
        return format_html("<ul>{}</ul>", items)

    @admin.action(description="Regenerate renditions of the selected photos", permissions=["change"])
    def regenerate_renditions(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        count = 0
        for photo in queryset:
            photo_enqueue_renditions(photo_id=photo.pk)
            count += 1
        self.message_user(request, f"Queued renditions for {count} photo(s).", messages.SUCCESS)
