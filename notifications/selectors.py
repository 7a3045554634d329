"""Reads of subscriber data."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone

from myblog.core.errors import ApplicationError, NotFound
from notifications.links import confirm_token_read
from notifications.models import Subscriber


class ConfirmLinkInvalid(NotFound):
    """Not a link we signed, or one issued before the address left (unsubscribed, bounced, complained)."""

    code = "confirm_link_invalid"


class ConfirmLinkExpired(ApplicationError):
    code = "confirm_link_expired"

    def __init__(self, message: str, *, subscriber: Subscriber) -> None:
        super().__init__(message)
        self.subscriber = subscriber


def subscriber_get_by_token(*, token: str) -> Subscriber | None:
    return Subscriber.objects.filter(unsubscribe_token=token).first()


def subscriber_get_by_confirm_token(*, token: str) -> Subscriber:
    """The subscriber a confirmation link is for, if the link can still do something.

    An already confirmed subscriber is returned even for an expired link: following it again
    just says "confirmed". Raises ConfirmLinkInvalid or ConfirmLinkExpired otherwise.
    """
    try:
        claim = confirm_token_read(token)
    except signing.BadSignature:
        raise ConfirmLinkInvalid("This confirmation link is not valid.") from None
    subscriber = Subscriber.objects.filter(pk=claim.subscriber_id, confirm_version=claim.version).first()
    if subscriber is None or subscriber.status not in (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED):
        raise ConfirmLinkInvalid("This confirmation link is no longer valid.")
    if claim.expired and subscriber.status == Subscriber.Status.PENDING:
        raise ConfirmLinkExpired("This confirmation link has expired.", subscriber=subscriber)
    return subscriber


def welcome_claim_is_free(now: datetime) -> Q:
    """Unclaimed, or claimed so long ago that the claimer must have died (e.g. a Lambda timeout)."""
    stale = now - timedelta(seconds=settings.WELCOME_CLAIM_TIMEOUT_SECONDS)
    return Q(welcome_claimed_at__isnull=True) | Q(welcome_claimed_at__lt=stale)


def subscriber_list_pending_welcome(*, now: datetime | None = None) -> QuerySet[Subscriber]:
    """Pending subscribers whose welcome email was never sent and is not being sent right now."""
    now = now or timezone.now()
    return (
        Subscriber.objects.filter(status=Subscriber.Status.PENDING, welcome_sent_at__isnull=True)
        .filter(welcome_claim_is_free(now))
        .order_by("created_at", "pk")
    )
