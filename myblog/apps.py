from django.apps import AppConfig


class MyBlogConfig(AppConfig):
    name = "myblog"
    verbose_name = "MyBlog"

    def ready(self) -> None:
        from myblog import checks  # noqa: F401  (registers the system checks)
        from myblog.observability import tracing_setup

        tracing_setup()  # imports nothing when tracing is off
