from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from myblog.blog.embeds import attach_bodies
from myblog.blog.models import Post
from myblog.blog.services import post_publish, post_unpublish


class VisibilityFilter(admin.SimpleListFilter):
    title = "visibility"
    parameter_name = "visibility"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("live", "Live"), ("scheduled", "Scheduled"), ("draft", "Draft")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> QuerySet[Post]:
        now = timezone.now()
        if self.value() == "live":
            return queryset.filter(status=Post.Status.PUBLISHED, publish_at__lte=now)
        if self.value() == "scheduled":
            return queryset.filter(status=Post.Status.PUBLISHED, publish_at__gt=now)
        if self.value() == "draft":
            return queryset.filter(status=Post.Status.DRAFT)
        return queryset


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "visibility", "publish_at", "author", "updated_at", "preview_link"]
    list_filter = [VisibilityFilter, "status", "publish_at", "tags", "author"]
    list_select_related = ["author"]
    search_fields = ["title", "slug", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "publish_at"
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "tags", "cover_photo"]}),
        ("Publishing", {"fields": ["status", "publish_at", "author", "created_at", "updated_at"]}),
    ]
    actions = ["publish", "unpublish"]
    autocomplete_fields = ["cover_photo"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, str | list[str]]:
        return {"author": str(request.user.pk)}

    @admin.display(description="Visibility")
    def visibility(self, post: Post) -> str:
        if post.status == Post.Status.DRAFT:
            return "Draft"
        return "Live" if post.is_visible() else "Scheduled"

    @admin.display(description="Preview")
    def preview_link(self, post: Post) -> str:
        return format_html('<a href="{}">Preview</a>', reverse("admin:myblog_post_preview", args=[post.pk]))

    @admin.action(description="Publish selected posts (now, or at their scheduled time)", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        count = post_publish(posts=queryset)
        self.message_user(request, f"Published {count} post(s).", messages.SUCCESS)

    @admin.action(description="Unpublish selected posts (back to draft)", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        count = post_unpublish(posts=queryset)
        self.message_user(request, f"Unpublished {count} post(s).", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "<int:pk>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="myblog_post_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The post as readers will see it, whatever its status; staff only, never cached."""
        post = get_object_or_404(Post.objects.select_related("author"), pk=pk)
        if not self.has_view_permission(request, post):
            return HttpResponse(status=403)
        attach_bodies([post])
        return render(request, "myblog/post_detail.html", {"post": post, "preview": True})
