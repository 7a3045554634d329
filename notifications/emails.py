"""One function per email (STYLE 7): subject, text and HTML from templates."""

from email.utils import parseaddr
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse

from notifications.models import Subscriber


def absolute_url(path: str) -> str:
    """``path`` (from reverse()) under SITE_URL: emails are built outside any request, maybe in
    a Lambda whose script prefix is not the public one."""
    prefix = get_script_prefix()
    if path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute_url(reverse("unsubscribe", args=[subscriber.unsubscribe_token]))


def unsubscribe_mailto(subscriber: Subscriber) -> str:
    subject = quote(f"unsubscribe {subscriber.unsubscribe_token}")
    return f"mailto:{settings.EMAIL_UNSUBSCRIBE_MAILTO}?subject={subject}"


def welcome_email(subscriber: Subscriber) -> EmailMultiAlternatives:
    """The welcome email, with RFC 2369 and RFC 8058 one-click unsubscribe headers."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "site_url": absolute_url(reverse("post-index")),
        "feed_url": absolute_url(reverse("feed")),
        "unsubscribe_url": unsubscribe_url(subscriber),
        "email": subscriber.email,
    }
    subject = " ".join(render_to_string("notifications/email/welcome_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/welcome.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>, <{unsubscribe_mailto(subscriber)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} <welcome.{parseaddr(settings.DEFAULT_FROM_EMAIL)[1].split('@')[-1]}>",
        },
    )
    message.attach_alternative(render_to_string("notifications/email/welcome.html", context), "text/html")
    return message
