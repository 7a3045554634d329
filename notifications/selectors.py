"""Reads of subscriber data."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from notifications.models import Subscriber


def subscriber_get_by_token(*, token: str) -> Subscriber | None:
    return Subscriber.objects.filter(unsubscribe_token=token).first()


def welcome_claim_is_free(now: datetime) -> Q:
    """Unclaimed, or claimed so long ago that the claimer must have died (e.g. a Lambda timeout)."""
    stale = now - timedelta(seconds=settings.WELCOME_CLAIM_TIMEOUT_SECONDS)
    return Q(welcome_claimed_at__isnull=True) | Q(welcome_claimed_at__lt=stale)


def subscriber_list_pending_welcome(*, now: datetime | None = None) -> QuerySet[Subscriber]:
    """Active subscribers whose welcome email was never sent and is not being sent right now."""
    now = now or timezone.now()
    return (
        Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, welcome_sent_at__isnull=True)
        .filter(welcome_claim_is_free(now))
        .order_by("created_at", "pk")
    )
