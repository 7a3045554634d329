from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Subscribers"

    def ready(self) -> None:
        from notifications import checks, receivers  # noqa: F401 - checks registers itself on import

        receivers.connect()
