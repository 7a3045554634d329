from django.apps import AppConfig


class TodoConfig(AppConfig):
    name = "todo"
    verbose_name = "MyToDoList"

    def ready(self) -> None:
        from todo import schema  # noqa: F401  (registers the OpenAPI description of the bearer auth)
