"""Absolute links that go into emails: per-recipient unsubscribe (RFC 2369 / RFC 8058) and the
signed confirmation link of the welcome email.

Other apps (the fan-out of new posts) build every email's unsubscribe link and headers here.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, reverse

from notifications.models import Subscriber

CONFIRM_SALT = "notifications.subscriber-confirm"
# How long the link of a welcome email confirms; after that, subscribing again sends a new one.
CONFIRM_LINK_MAX_AGE = timedelta(days=7)


def absolute_url(path: str) -> str:
    """``path`` (from reverse()) under SITE_URL: emails are built outside any request, maybe in
    a Lambda whose script prefix is not the public one."""
    prefix = get_script_prefix()
    if path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(subscriber: Subscriber) -> str:
    """This subscriber's own unsubscribe page: GET asks, POST (RFC 8058 one-click) unsubscribes."""
    return absolute_url(reverse("unsubscribe", args=[subscriber.unsubscribe_token]))


def unsubscribe_mailto(subscriber: Subscriber) -> str:
    subject = quote(f"unsubscribe {subscriber.unsubscribe_token}")
    return f"mailto:{settings.EMAIL_UNSUBSCRIBE_MAILTO}?subject={subject}"


def list_unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """The headers of RFC 2369 and RFC 8058 that every email to a subscriber carries.

    With List-Unsubscribe-Post, a mail client unsubscribes with a cookie-less POST of
    ``List-Unsubscribe=One-Click`` to the https link, which the unsubscribe view accepts without CSRF.
    """
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>, <{unsubscribe_mailto(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def confirm_token(subscriber: Subscriber) -> str:
    """Signed (SECRET_KEY) and timestamped: the subscriber and its confirm_version, nothing else."""
    return signing.dumps([subscriber.pk, subscriber.confirm_version], salt=CONFIRM_SALT)


def confirm_url(subscriber: Subscriber) -> str:
    return absolute_url(reverse("subscribe-confirm", args=[confirm_token(subscriber)]))


@dataclass(frozen=True)
class ConfirmClaim:
    """What a correctly signed confirmation link says; ``expired`` when older than the maximum age."""

    subscriber_id: int
    version: int
    expired: bool


def confirm_token_read(token: str) -> ConfirmClaim:
    """Raises signing.BadSignature for a link we did not sign (tampered, cut, made up)."""
    try:
        payload, expired = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_LINK_MAX_AGE), False
    except signing.SignatureExpired:
        # Signed by us but old: still worth knowing whose it is (an already confirmed address is told so).
        payload, expired = signing.loads(token, salt=CONFIRM_SALT), True
    match payload:
        case [int(subscriber_id), int(version)]:
            return ConfirmClaim(subscriber_id, version, expired)
    raise signing.BadSignature("not a confirmation link")
