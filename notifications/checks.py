"""System checks of the subscriber emails, seen before a deploy (``manage.py check --deploy``)."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register


@register("notifications", deploy=True)
def https_links_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Mail clients unsubscribe with one click (RFC 8058) only through an HTTPS List-Unsubscribe
    link (Gmail and Yahoo require it of bulk senders); the confirmation links follow SITE_URL too."""
    if urlsplit(settings.SITE_URL).scheme == "https":
        return []
    return [
        Error(
            f"SITE_URL ({settings.SITE_URL!r}) is not an https:// origin: the unsubscribe and confirmation "
            "links of every email are built from it, and one-click unsubscribe (RFC 8058) needs HTTPS.",
            hint="Set SITE_URL to the blog's public https:// origin, e.g. https://blog.example.com.",
            id="notifications.E001",
        )
    ]
