"""URLs of the to-do API. Also the urlconf of its own OpenAPI schema (/api/todos/schema/)."""

from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView

from myblog.core.api_docs import swagger_ui
from todo import (
    api,
    schema,  # noqa: F401  (registers the bearer auth of the schemas built from this URLconf; issue 14)
)
from todo.domain import ID_PATTERN


class TodoIdConverter:
    regex = ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TodoIdConverter, "todo_id")

# Also read by `manage.py spectacular --urlconf todo.urls --custom-settings todo.urls.SCHEMA_SETTINGS`
# (`make sdk`), so the file the client SDK is generated from is the schema served here.
SCHEMA_SETTINGS = {
    "TITLE": "MyToDoList API",
    "DESCRIPTION": (
        "The to-do API of the mobile app. Every call needs `Authorization: Bearer <Cognito access token>`. "
        "Use ETag / If-None-Match to revalidate and If-Match to write without losing a concurrent change."
    ),
    "PREPROCESSING_HOOKS": [],
}

urlpatterns = [
    path(
        "api/todos/schema/",
        SpectacularAPIView.as_view(urlconf="todo.urls", custom_settings=SCHEMA_SETTINGS),
        name="todo-api-schema",
    ),
    path(
        "api/todos/docs/",
        swagger_ui("todo-api-schema", "todo-api-docs", title=str(SCHEMA_SETTINGS["TITLE"])),
        name="todo-api-docs",
    ),
    path("api/todos/", api.TodoListApi.as_view(), name="todo-list"),
    path("api/todos/<todo_id:todo_id>/", api.TodoDetailApi.as_view(), name="todo-detail"),
    path("api/me/", api.MeApi.as_view(), name="todo-me"),
    path("api/files/", api.FileListApi.as_view(), name="todo-file-list"),
    path("api/files/uploads", api.FileUploadApi.as_view(), name="todo-file-upload"),
    path("api/files/<path:path>", api.FileDetailApi.as_view(), name="todo-file-detail"),
]
