"""What the to-do API reads and writes: the nested shapes of its requests and answers."""

from typing import Any

from django.urls import reverse
from rest_framework import serializers
from rest_framework.request import Request

from myblog.core.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from todo.domain import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, ORDER_MAX, ORDER_MIN, TITLE_MAX_LENGTH, Todo
from todo.user_files import StoredFile

FILE_LIMIT_DEFAULT, FILE_LIMIT_MAX = 100, 1000
# Fields a client may send back unchanged from a to-do it read; they are ignored on writes.
READ_ONLY_FIELDS = {"id", "url", "created_at", "updated_at", "version"}


def todo_url(request: Request, todo_id: str) -> str:
    return request.build_absolute_uri(reverse("todo-detail", args=[todo_id]))


class TodoInputSerializer(serializers.Serializer):
    title = StrictCharField(min_length=1, max_length=TITLE_MAX_LENGTH)
    completed = StrictBooleanField(required=False)
    order = StrictIntegerField(required=False, min_value=ORDER_MIN, max_value=ORDER_MAX)

    def validate_title(self, title: str) -> str:
        try:
            title.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: no store can keep it
            raise serializers.ValidationError("Not valid Unicode text.") from None
        return title

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields) - READ_ONLY_FIELDS
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
        return attrs


class TodoOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.SerializerMethodField()
    title = serializers.CharField()
    completed = serializers.BooleanField()
    order = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()

    def get_url(self, todo: Todo) -> str:
        return todo_url(self.context["request"], todo.id)


class ListQuerySerializer(serializers.Serializer):
    """Query parameters of a list (myblog/core/query.py: invalid or repeated ones are a 400)."""

    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=LIST_LIMIT_MAX,
        help_text=f"Page size, default {LIST_LIMIT_DEFAULT}, at most {LIST_LIMIT_MAX}.",
    )
    cursor = serializers.CharField(
        required=False, max_length=2000, help_text='Opaque; follow the `Link: <...>; rel="next"` header.'
    )


class FileListQuerySerializer(ListQuerySerializer):
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=FILE_LIMIT_MAX,
        help_text=f"Page size, default {FILE_LIMIT_DEFAULT}, at most {FILE_LIMIT_MAX}.",
    )


class FileOutputSerializer(serializers.Serializer):
    path = serializers.CharField()
    size = serializers.IntegerField()
    last_modified = serializers.DateTimeField()
    etag = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="GET it to be redirected to a short-lived download URL.")

    def get_url(self, stored: StoredFile) -> str:
        request = self.context["request"]
        return request.build_absolute_uri(reverse("todo-file-detail", args=[stored.path]))


class UploadInputSerializer(serializers.Serializer):
    path = serializers.CharField(required=False, help_text="Where in your folder; omit to let the form choose.")
    content_type = serializers.CharField(required=False, max_length=255)
    size = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Bytes you will upload: checked against your storage quota, and the form takes no more.",
    )
