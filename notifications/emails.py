"""One function per email (STYLE 7): subject, text and HTML from templates."""

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.links import (
    CONFIRM_LINK_MAX_AGE,
    absolute_url,
    confirm_url,
    list_unsubscribe_headers,
    unsubscribe_url,
)
from notifications.models import Subscriber


def welcome_email(subscriber: Subscriber) -> EmailMultiAlternatives:
    """The one email a new address gets: welcome, and one link to confirm (double opt-in).

    It carries the RFC 2369 / RFC 8058 unsubscribe headers too: "this was not me" is one click.
    """
    context = {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "site_url": absolute_url(reverse("post-index")),
        "feed_url": absolute_url(reverse("feed")),
        "confirm_url": confirm_url(subscriber),
        "confirm_days": CONFIRM_LINK_MAX_AGE.days,
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
            **list_unsubscribe_headers(subscriber),
            "List-Id": f"{settings.SITE_NAME} <welcome.{parseaddr(settings.DEFAULT_FROM_EMAIL)[1].split('@')[-1]}>",
        },
    )
    message.attach_alternative(render_to_string("notifications/email/welcome.html", context), "text/html")
    return message
