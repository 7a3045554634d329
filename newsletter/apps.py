from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "New posts by email"

    def ready(self) -> None:
        from newsletter import receivers

        receivers.connect()
