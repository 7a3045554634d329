from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Code every app shares; an app only so that its system checks and tracing start with Django."""

    name = "myblog.core"
    label = "core"
    verbose_name = "Shared core"

    def ready(self) -> None:
        from myblog.core import checks  # noqa: F401  (registers the system checks)
        from myblog.core.observability import tracing_setup

        tracing_setup()  # imports nothing when tracing is off
