"""Public read-only REST API of the blog."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import filters, generics, serializers
from rest_framework.pagination import PageNumberPagination

from media.models import Photo
from myblog.blog.embeds import attach_bodies
from myblog.blog.models import Post
from myblog.blog.selectors import post_list_visible
from myblog.core.http_errors import ErrorSerializer


class PostPagination(PageNumberPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 100


class RenditionSerializer(serializers.Serializer):
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    format = serializers.ChoiceField(choices=["webp", "jpeg"])
    url = serializers.URLField()


class PhotoSerializer(serializers.ModelSerializer):
    renditions = RenditionSerializer(many=True, source="rendition_urls", read_only=True)

    class Meta:
        model = Photo
        fields = ["title", "alt_text", "width", "height", "status", "renditions"]


class PostSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    cover_photo = PhotoSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Post
        fields = ["slug", "title", "summary", "url", "author", "tags", "cover_photo", "publish_at", "updated_at"]

    def get_url(self, post: Post) -> str:
        return self.context["request"].build_absolute_uri(post.get_absolute_url())

    def get_author(self, post: Post) -> str:
        return post.author.get_full_name() or post.author.get_username()

    def get_tags(self, post: Post) -> list[str]:
        return [tag.slug for tag in post.tags.all()]


class PostDetailSerializer(PostSerializer):
    body_html = serializers.CharField(
        source="body_display",
        read_only=True,
        help_text="The body rendered from Markdown and sanitized, with embedded photos as <picture> elements.",
    )
    body = serializers.CharField(read_only=True, help_text="The Markdown source.")

    class Meta(PostSerializer.Meta):
        fields = [*PostSerializer.Meta.fields, "body", "body_html"]


@extend_schema(
    parameters=[OpenApiParameter("tag", str, description="Only posts with this tag (its slug).")],
    summary="List published posts, newest first",
    responses={200: PostSerializer(many=True), 404: ErrorSerializer},
)
class PostListApi(generics.ListAPIView):
    serializer_class = PostSerializer
    pagination_class = PostPagination
    filter_backends = [filters.SearchFilter]
    search_fields = ["title", "summary", "body"]

    def get_queryset(self) -> QuerySet[Post]:
        return post_list_visible(tag=self.request.query_params.get("tag") or None)


@extend_schema(
    summary="One published post, with its rendered HTML", responses={200: PostDetailSerializer, 404: ErrorSerializer}
)
class PostDetailApi(generics.RetrieveAPIView):
    serializer_class = PostDetailSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Post]:
        return post_list_visible()

    def get_object(self) -> Post:
        post = super().get_object()
        attach_bodies([post])
        return post
