"""Public read-only REST API of the blog."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.db.models import QuerySet
from django.utils.encoding import escape_uri_path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import filters, generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from media.models import Photo
from myblog.blog.embeds import attach_bodies
from myblog.blog.models import Post
from myblog.blog.selectors import post_list_visible
from myblog.core.http_errors import ErrorSerializer
from myblog.core.negotiation import JsonWhateverAccept
from myblog.core.origin import public_url
from myblog.core.query import validated_query


class PostPagination(PageNumberPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 100
    # What the list reads besides the page; nothing else of the request reaches its links, which
    # are at the public origin (myblog/core/origin.py): API Gateway's cache keys only on the query
    # strings the blog reads, so a link that repeated another would be served to everyone.
    kept_query_params = ("page_size", "search", "tag")

    def _list_url(self) -> str:
        assert self.request is not None  # paginate_queryset() set it, before any link is asked for
        params = self.request.query_params
        kept = {name: params[name] for name in self.kept_query_params if name in params}
        return public_url(escape_uri_path(self.request.path), kept)

    def get_next_link(self) -> str | None:
        if self.page is None or not self.page.has_next():
            return None
        return replace_query_param(self._list_url(), self.page_query_param, self.page.next_page_number())

    def get_previous_link(self) -> str | None:
        if self.page is None or not self.page.has_previous():
            return None
        number = self.page.previous_page_number()
        url = self._list_url()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)


class PostListQuerySerializer(serializers.Serializer):
    """The list's query parameters (myblog/core/query.py: invalid or repeated ones are a 400)."""

    page = serializers.IntegerField(required=False, min_value=1, help_text="A page number, from 1.")
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=PostPagination.max_page_size, help_text="Posts per page, default 10."
    )
    # DRF's CharField refuses NUL (PostgreSQL cannot compare text with it); text_parameter() shows it.
    tag = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Only posts with this tag (its slug)."
    )
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Words that must each appear in the title, summary or body.",
    )


def text_parameter(name: str) -> OpenApiParameter:
    """A text parameter of the list as its schema: drf-spectacular would document the NUL rule of a
    blank-allowed field as a oneOf that the empty string fails."""
    field = PostListQuerySerializer().fields[name]
    assert isinstance(field, serializers.CharField)
    schema = {"type": "string", "maxLength": field.max_length, "pattern": "^[^\\u0000]*$"}
    return OpenApiParameter(name, schema, description=str(field.help_text))


IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, description="An ETag you hold; 304 if unchanged."
)
# What every public read answers besides 200 (myblog/blog/caching.py: conditional requests).
CONDITIONAL_RESPONSES = {
    304: OpenApiResponse(description="Not modified since the ETag or date you hold."),
    412: OpenApiResponse(ErrorSerializer, description="If-Match or If-Unmodified-Since does not hold."),
}


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
        return public_url(post.get_absolute_url())

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
    parameters=[PostListQuerySerializer, text_parameter("tag"), text_parameter("search"), IF_NONE_MATCH],
    summary="List published posts, newest first",
    responses={
        200: PostSerializer(many=True),
        **CONDITIONAL_RESPONSES,
        400: OpenApiResponse(ErrorSerializer, description="A parameter is invalid or given more than once."),
        404: OpenApiResponse(ErrorSerializer, description="A page past the last."),
    },
)
class PostListApi(generics.ListAPIView):
    content_negotiation_class = JsonWhateverAccept
    serializer_class = PostSerializer
    pagination_class = PostPagination
    filter_backends = [filters.SearchFilter]
    search_fields = ["title", "summary", "body"]
    query: Mapping[str, Any] = MappingProxyType({})  # the validated parameters of this request

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        # Checked before the pagination and the search filter read the same parameters leniently.
        self.query = validated_query(PostListQuerySerializer, request)
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Post]:
        return post_list_visible(tag=self.query.get("tag") or None)


@extend_schema(
    summary="One published post, with its rendered HTML",
    parameters=[IF_NONE_MATCH],
    responses={200: PostDetailSerializer, **CONDITIONAL_RESPONSES, 404: ErrorSerializer},
)
class PostDetailApi(generics.RetrieveAPIView):
    content_negotiation_class = JsonWhateverAccept
    serializer_class = PostDetailSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Post]:
        return post_list_visible()

    def get_object(self) -> Post:
        post = super().get_object()
        attach_bodies([post])
        return post
