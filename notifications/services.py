"""Writes for subscribers: subscribing, the welcome email, confirming, unsubscribing, suppression."""

import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import OperationalError, close_old_connections, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from myblog.core.errors import ApplicationError, NotFound, ServiceUnavailable
from myblog.core.observability import metric_count
from notifications.addresses import InvalidAddress, address_normalize
from notifications.emails import welcome_email
from notifications.models import Subscriber
from notifications.selectors import (
    ConfirmLinkInvalid,
    subscriber_get_by_confirm_token,
    subscriber_get_by_token,
    welcome_claim_is_free,
)

logger = logging.getLogger(__name__)

# The statuses that receive email (pending: only its one welcome); unsubscribing leaves them.
_RECEIVING = (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED)


class AddressRejected(ApplicationError):
    code = "invalid_email"


class SubscriberNotFound(NotFound):
    pass


class WelcomeEmailFailed(ServiceUnavailable):
    code = "email_unavailable"


@transaction.atomic
def subscriber_subscribe(*, email: str) -> Subscriber:
    """Subscribe an address (pending until its owner follows the link of the welcome email).

    The caller learns nothing about the address's history: every address gets the same answer.
    What is sent depends on it, because whoever subscribes may not own the address:
    - new: the welcome email that asks to confirm;
    - pending: that email again, but at most one per WELCOME_EMAIL_INTERVAL_HOURS (the link
      got lost or expired), otherwise subscribing it over and over would mail it as often as
      anyone likes;
    - confirmed: nothing (it gets the posts already);
    - unsubscribed, bounced, complained: nothing, ever. Its owner comes back with the
      "subscribe again" button of their unsubscribe page (a link only their mailbox got), or
      by asking the blog's staff (README, "Subscribers and email").
    """
    try:
        address = address_normalize(email)
    except InvalidAddress as exc:
        raise AddressRejected(str(exc), fields={"email": [str(exc)]}) from exc
    subscriber, created = Subscriber.objects.get_or_create(email=address)
    if not created and subscriber.status == Subscriber.Status.PENDING and subscriber.welcome_sent_at is not None:
        # One UPDATE decides, so two requests at once cannot both reopen the welcome.
        window_start = timezone.now() - timedelta(hours=settings.WELCOME_EMAIL_INTERVAL_HOURS)
        Subscriber.objects.filter(
            pk=subscriber.pk, status=Subscriber.Status.PENDING, welcome_sent_at__lt=window_start
        ).update(welcome_sent_at=None, welcome_claimed_at=None, updated_at=timezone.now())
        subscriber.refresh_from_db()
    if subscriber.status == Subscriber.Status.PENDING and subscriber.welcome_sent_at is None:
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
    """Send the welcome email (with its confirmation link) at most once; True when this call sent it.

    One conditional UPDATE claims the send, so of two deliveries of the task (Lambda retries,
    duplicates, two at once) only one goes on; the others find nothing to claim and return.
    When SES fails the claim is released and WelcomeEmailFailed raised, so that the async
    invocation is retried and, failing that, the subscriber stays pending.
    """
    claimed_at = timezone.now()
    claimed = (
        Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.PENDING, welcome_sent_at__isnull=True)
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
    """Send the welcome email again to the pending subscribers among these; returns how many.

    Staff decide this, so WELCOME_EMAIL_INTERVAL_HOURS does not apply; confirmed subscribers
    need no confirmation link, and the others are never mailed.
    """
    now = timezone.now()
    ids = list(
        subscribers.filter(status=Subscriber.Status.PENDING)
        .filter(welcome_claim_is_free(now))
        .values_list("pk", flat=True)
    )
    Subscriber.objects.filter(pk__in=ids).update(welcome_sent_at=None, updated_at=now)
    for subscriber_id in ids:
        subscriber_enqueue_welcome(subscriber_id=subscriber_id)
    return len(ids)


def subscriber_confirm(*, token: str) -> Subscriber:
    """Confirm the address of a confirmation link. Following it again changes nothing.

    Raises ConfirmLinkInvalid (tampered, or issued before the address left) or ConfirmLinkExpired.
    """
    subscriber = subscriber_get_by_confirm_token(token=token)
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return subscriber
    now = timezone.now()
    # Conditional on what the link was checked against, so an unsubscribe in between wins.
    Subscriber.objects.filter(
        pk=subscriber.pk, status=Subscriber.Status.PENDING, confirm_version=subscriber.confirm_version
    ).update(status=Subscriber.Status.CONFIRMED, confirmed_at=now, updated_at=now)
    subscriber.refresh_from_db()
    if subscriber.status != Subscriber.Status.CONFIRMED:
        raise ConfirmLinkInvalid("This confirmation link is no longer valid.")
    logger.info("subscriber %s confirmed", subscriber.pk)
    metric_count("SubscribersConfirmed")
    return subscriber


def subscriber_unsubscribe(*, token: str) -> Subscriber:
    """Unsubscribe the owner of this token. Idempotent; bounced and complained stay so.

    A pending address can be unsubscribed too ("that was not me"): then nobody can have it
    mailed again through the form, and its old confirmation link stops working.
    """
    subscriber = subscriber_get_by_token(token=token)
    if subscriber is None:
        raise SubscriberNotFound("This unsubscribe link is not valid.")
    now = timezone.now()
    Subscriber.objects.filter(pk=subscriber.pk, status__in=_RECEIVING).update(
        status=Subscriber.Status.UNSUBSCRIBED,
        unsubscribed_at=now,
        confirm_version=F("confirm_version") + 1,
        updated_at=now,
    )
    subscriber.refresh_from_db()
    return subscriber


def subscriber_resubscribe(*, token: str) -> Subscriber:
    """Subscribe again from the unsubscribe page: confirmed at once, since only the owner's
    mailbox ever got this token. Bounced and complained addresses stay so."""
    subscriber = subscriber_get_by_token(token=token)
    if subscriber is None:
        raise SubscriberNotFound("This link is not valid.")
    now = timezone.now()
    Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.UNSUBSCRIBED).update(
        status=Subscriber.Status.CONFIRMED, confirmed_at=now, unsubscribed_at=None, updated_at=now
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
            Subscriber.objects.filter(pk=subscriber.pk).update(
                status=status, welcome_claimed_at=None, confirm_version=F("confirm_version") + 1, updated_at=now
            )
        logger.info("subscriber %s marked %s", subscriber.pk, status)
        count += 1
    return count
