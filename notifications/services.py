"""Writes for subscribers: subscribing, the welcome email, unsubscribing, suppression."""

import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import OperationalError, close_old_connections, transaction
from django.db.models import Case, F, QuerySet, When
from django.utils import timezone

from myblog.core.errors import ApplicationError, NotFound, ServiceUnavailable
from myblog.core.observability import metric_count
from notifications.addresses import InvalidAddress, address_normalize
from notifications.emails import welcome_email
from notifications.models import Subscriber
from notifications.selectors import subscriber_get_by_token, welcome_claim_is_free

logger = logging.getLogger(__name__)


class AddressRejected(ApplicationError):
    code = "invalid_email"


class SubscriberNotFound(NotFound):
    pass


class WelcomeEmailFailed(ServiceUnavailable):
    code = "email_unavailable"


@transaction.atomic
def subscriber_subscribe(*, email: str) -> Subscriber:
    """Subscribe an address, or do nothing visible when it already is one.

    The caller learns nothing about the address's history: an active, bounced or complained
    address gets the same answer as a new one (the last two are never emailed again). An
    unsubscribed address becomes active again and gets a new welcome email, unless it got one
    in the last WELCOME_EMAIL_INTERVAL_HOURS: otherwise subscribing someone, who unsubscribes,
    and subscribing them again would mail them as often as anyone likes.
    """
    try:
        address = address_normalize(email)
    except InvalidAddress as exc:
        raise AddressRejected(str(exc), fields={"email": [str(exc)]}) from exc
    subscriber, created = Subscriber.objects.get_or_create(email=address)
    if not created and subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        # One UPDATE decides, so two requests at once cannot both reopen the welcome.
        window_start = timezone.now() - timedelta(hours=settings.WELCOME_EMAIL_INTERVAL_HOURS)
        recent_welcome = When(welcome_sent_at__gte=window_start, then=F("welcome_sent_at"))
        Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.UNSUBSCRIBED).update(
            status=Subscriber.Status.ACTIVE,
            unsubscribed_at=None,
            welcome_sent_at=Case(recent_welcome, default=None),
            welcome_claimed_at=None,
            updated_at=timezone.now(),
        )
        subscriber.refresh_from_db()
    if subscriber.can_be_emailed and subscriber.welcome_sent_at is None:
        # After commit, so the task never looks for a row it cannot see yet. Robust: a failure to
        # enqueue must not undo the subscription; the row stays pending for the admin and
        # `send_pending_welcome_emails`.
        subscriber_id = subscriber.pk

        def enqueue_welcome() -> None:  # named: Django logs a robust callback's failure by __qualname__
            subscriber_enqueue_welcome(subscriber_id=subscriber_id)

        transaction.on_commit(enqueue_welcome, robust=True)
    return subscriber


def subscriber_enqueue_welcome(*, subscriber_id: int) -> None:
    # Imported here: zappa.asynchronous builds boto3 clients at import (~130 ms of cold start).
    from notifications.tasks import send_welcome_email

    send_welcome_email(subscriber_id)


def subscriber_send_welcome(*, subscriber_id: int) -> bool:
    """Send the welcome email at most once; True when this call sent it.

    One conditional UPDATE claims the send, so of two deliveries of the task (Lambda retries,
    duplicates, two at once) only one goes on; the others find nothing to claim and return.
    When SES fails the claim is released and WelcomeEmailFailed raised, so that the async
    invocation is retried and, failing that, the subscriber stays pending.
    """
    claimed_at = timezone.now()
    claimed = (
        Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.ACTIVE, welcome_sent_at__isnull=True)
        .filter(welcome_claim_is_free(claimed_at))
        .update(welcome_claimed_at=claimed_at)
    )
    if not claimed:
        return False
    ours = Subscriber.objects.filter(pk=subscriber_id, welcome_claimed_at=claimed_at)
    try:
        welcome_email(Subscriber.objects.get(pk=subscriber_id)).send()
    except Exception as exc:
        ours.update(welcome_claimed_at=None)
        metric_count("WelcomeEmailsFailed")
        if isinstance(exc, BotoCoreError | ClientError):
            logger.warning("welcome email to subscriber %s failed: %s", subscriber_id, exc)
            raise WelcomeEmailFailed("The email service did not accept the message; try again later.") from exc
        raise
    metric_count("WelcomeEmailsSent")
    _record_sent(ours)
    return True


def _record_sent(claim: QuerySet[Subscriber], attempts: int = 5) -> None:
    """Mark the claimed row sent. The email is out by now: failing to record it would send it
    again once the claim expires, so a transient database error (a lock, a failover) is retried."""
    for attempt in range(1, attempts + 1):
        try:
            claim.update(welcome_sent_at=timezone.now(), welcome_claimed_at=None)
            return
        except OperationalError:
            if attempt == attempts:
                raise
            if not transaction.get_connection().in_atomic_block:
                close_old_connections()  # drops a broken connection; the next query opens a new one
            time.sleep(0.05 * 2**attempt)


def subscriber_resend_welcome(*, subscribers: QuerySet[Subscriber]) -> int:
    """Send the welcome email again to the active subscribers among these; returns how many."""
    now = timezone.now()
    ids = list(
        subscribers.filter(status=Subscriber.Status.ACTIVE)
        .filter(welcome_claim_is_free(now))
        .values_list("pk", flat=True)
    )
    Subscriber.objects.filter(pk__in=ids).update(welcome_sent_at=None, updated_at=now)
    for subscriber_id in ids:
        subscriber_enqueue_welcome(subscriber_id=subscriber_id)
    return len(ids)


def subscriber_unsubscribe(*, token: str) -> Subscriber:
    """Unsubscribe the owner of this token. Idempotent; bounced and complained stay so."""
    subscriber = subscriber_get_by_token(token=token)
    if subscriber is None:
        raise SubscriberNotFound("This unsubscribe link is not valid.")
    now = timezone.now()
    Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.ACTIVE).update(
        status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=now, updated_at=now
    )
    subscriber.refresh_from_db()
    return subscriber


def subscriber_suppress(*, emails: Iterable[str], status: Subscriber.Status) -> int:
    """Never email these addresses again (SES reported a permanent bounce or a complaint).

    An address we do not know is recorded too, so that subscribing it later sends nothing.
    """
    now = timezone.now()
    count = 0
    for raw in emails:
        try:
            address = address_normalize(raw)
        except InvalidAddress:
            logger.warning("ignoring %s report for an invalid address %r", status, raw)
            continue
        subscriber, created = Subscriber.objects.get_or_create(email=address, defaults={"status": status})
        if not created:
            Subscriber.objects.filter(pk=subscriber.pk).update(status=status, welcome_claimed_at=None, updated_at=now)
        logger.info("subscriber %s marked %s", subscriber.pk, status)
        count += 1
    return count
