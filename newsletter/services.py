"""New posts by email: starting a post's mailing, planning its batches, sending a batch.

Every step is safe to run twice or at once with itself: a post's mailing is created once (one
row per post), a (post, subscriber) delivery once (a unique constraint), and a delivery is
claimed by one conditional UPDATE before its email is sent. A step that fails is retried by SQS.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from myblog.blog.models import Post
from myblog.core.aws import error_code
from myblog.core.observability import metric_count
from newsletter import sending
from newsletter.emails import post_content, post_email
from newsletter.models import Delivery, PostMailing
from newsletter.queue import BATCH_SIZE, MAX_DELAY_SECONDS, PLAN_SIZE, Message, Plan, Send, queue_send
from notifications.models import Subscriber

logger = logging.getLogger(__name__)

# A claim older than this was left by a consumer that died during the SES call (longer than any
# call with its retries; shorter than the queue's visibility timeout, so the retry sees it stale).
CLAIM_TIMEOUT = timedelta(seconds=120)
UNKNOWN_OUTCOME = "the sender stopped during the SES call: not sent again, so it may not have arrived"
# Posts that became visible longer ago than this when first seen are never emailed (the site
# was down for days, or a post was published with a publish time far in the past).
LATE_LIMIT = timedelta(days=3)


class Throttled(Exception):
    """SES said slow down; what is left of the batch goes back to the queue, later."""


class Unsettled(Exception):
    """Another consumer's claim in the batch is not settled yet; the message is retried later."""


# --- Starting ------------------------------------------------------------------------------------


def mailing_start(*, post_id: int, now: datetime | None = None) -> PostMailing | None:
    """Start the post's mailing if it is visible and has none yet; returns the new mailing.

    Called after a post is saved (publish, admin save) and by the scheduled sweep; whichever comes
    first creates the one mailing, the others find it and do nothing. The plan message is queued
    inside the transaction that creates the mailing: if SQS refuses it the mailing is not created
    and the next sweep tries again.
    """
    now = now or timezone.now()
    post = Post.objects.visible(now).filter(pk=post_id, mailing__isnull=True).first()
    if post is None:
        return None
    late = post.publish_at is not None and post.publish_at < now - LATE_LIMIT
    skip = not post.email_subscribers or late
    try:
        with transaction.atomic():
            queued = 0 if skip else Subscriber.objects.confirmed().count()
            mailing = PostMailing.objects.create(
                post=post, state=PostMailing.State.SKIPPED if skip else PostMailing.State.SENDING, queued=queued
            )
            if queued:
                queue_send([Plan(post=post.pk, after=0)])
    except IntegrityError:  # another run created it first
        return None
    logger.info("post %s became visible: %s, %s recipient(s)", post.pk, mailing.state, queued)
    return mailing


def mailings_start_due(*, now: datetime | None = None) -> int:
    """The scheduled sweep: every visible post without a mailing gets one (scheduled posts whose
    time has come, and any a failed trigger missed). Returns how many mailings it created."""
    now = now or timezone.now()
    due = Post.objects.visible(now).filter(mailing__isnull=True, publish_at__gte=now - LATE_LIMIT)
    return sum(mailing_start(post_id=post_id, now=now) is not None for post_id in due.values_list("pk", flat=True))


# --- Consuming -----------------------------------------------------------------------------------


def message_handle(message: Message, *, now: datetime | None = None) -> None:
    if isinstance(message, Plan):
        mailing_plan(post_id=message.post, after=message.after)
        return
    try:
        deliveries_send(post_id=message.post, first=message.first, last=message.last, now=now)
    except Throttled:
        # Back to the queue as a new message with a growing delay: the original is done, so
        # throttling never moves a batch towards the dead-letter queue, nor loses a recipient.
        attempt = message.attempt + 1
        delay = min(MAX_DELAY_SECONDS, 2**attempt * 5 + random.randint(0, 10))  # noqa: S311 - jitter
        queue_send([Send(message.post, message.first, message.last, attempt)], delay_seconds=delay)
        metric_count("NewsletterThrottled")
        logger.warning(
            "SES throttled post %s [%s..%s]: again in %s s", message.post, message.first, message.last, delay
        )


def mailing_plan(*, post_id: int, after: int) -> None:
    """Queue send messages of BATCH_SIZE confirmed subscribers each, for up to PLAN_SIZE of them."""
    if not PostMailing.objects.filter(post_id=post_id, state=PostMailing.State.SENDING).exists():
        return
    ids = list(
        Subscriber.objects.confirmed().filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[: PLAN_SIZE + 1]
    )
    planned = ids[:PLAN_SIZE]
    batches = [planned[start : start + BATCH_SIZE] for start in range(0, len(planned), BATCH_SIZE)]
    messages: list[Message] = [Send(post_id, batch[0], batch[-1]) for batch in batches]
    if len(ids) > PLAN_SIZE:
        messages.append(Plan(post_id, planned[-1]))
    queue_send(messages)


@dataclass
class _Pace:
    """At most ``rate`` sends a second from this consumer (SES's maximum send rate)."""

    rate: int
    next_at: float = 0.0

    def wait(self) -> None:
        if self.rate <= 0:
            return
        pause = self.next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self.next_at = max(self.next_at, time.monotonic()) + 1 / self.rate


def deliveries_send(*, post_id: int, first: int, last: int, now: datetime | None = None) -> int:
    """Send the post to the confirmed subscribers with ids in [first, last] that have not had it.

    Returns how many this call sent. Raises Throttled (what is claimed is released) when SES
    asks to slow down, and any other unexpected error after releasing the claim.
    """
    now = now or timezone.now()
    mailing = PostMailing.objects.filter(post_id=post_id, state=PostMailing.State.SENDING).select_related("post")
    found = mailing.first()
    if found is None:
        return 0
    in_range = Delivery.objects.filter(post_id=post_id, subscriber_id__gte=first, subscriber_id__lte=last)
    # A consumer died during the call: SES may have sent it. Never again (at most once), but say so.
    in_range.filter(status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
        status=Delivery.Status.FAILED, error=UNKNOWN_OUTCOME
    )
    recipients = Subscriber.objects.confirmed().filter(pk__range=(first, last))
    Delivery.objects.bulk_create(
        [Delivery(post_id=post_id, subscriber_id=pk) for pk in recipients.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    todo = in_range.filter(status=Delivery.Status.PENDING, subscriber__in=recipients).select_related("subscriber")
    content = post_content(found.post)
    pace = _Pace(settings.NEWSLETTER_SEND_RATE)
    sent = 0
    for delivery in todo.order_by("subscriber_id"):
        pace.wait()  # before the claim: a consumer stopped while it waits leaves nothing claimed
        claimed_at = timezone.now()
        ours = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, claimed_at=claimed_at)
        claimed = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
        )
        if not claimed:  # another consumer has it
            continue
        try:
            message_id = sending.send_raw(post_email(content, delivery.subscriber))
        except ClientError as exc:
            code = error_code(exc)
            if code in sending.THROTTLED:
                ours.update(status=Delivery.Status.PENDING, claimed_at=None)
                raise Throttled(code) from exc
            if code in sending.REJECTED:
                ours.update(status=Delivery.Status.FAILED, error=f"{code}: {exc}"[:300])
                metric_count("NewsletterFailed")
                continue
            ours.update(status=Delivery.Status.PENDING, claimed_at=None)
            raise
        except Exception:
            ours.update(status=Delivery.Status.PENDING, claimed_at=None)
            raise
        ours.update(status=Delivery.Status.SENT, sent_at=timezone.now(), ses_message_id=message_id, error="")
        sent += 1
    if sent:
        metric_count("NewsletterSent", sent)
    if in_range.filter(status=Delivery.Status.SENDING).exists():
        # Claimed by a consumer that is still sending (a duplicate of this message), or that died
        # CLAIM_TIMEOUT ago at most: the message is done only when that is settled, so it comes back.
        raise Unsettled(f"post {post_id} [{first}..{last}]: deliveries still being sent")
    return sent


# --- Bounces and the admin -------------------------------------------------------------------------


def delivery_bounced(*, ses_message_id: str) -> int:
    """SES reported a permanent bounce of this message: its delivery counts as bounced."""
    return Delivery.objects.filter(ses_message_id=ses_message_id, status=Delivery.Status.SENT).update(
        status=Delivery.Status.BOUNCED
    )


def mailing_send_test(*, post: Post, email: str) -> str:
    """The post's email as subscribers get it, to one address (a staff member's); no delivery is
    recorded. The unsubscribe links are those of a subscriber that does not exist."""
    message = post_email(post_content(post), Subscriber(email=email))
    message.subject = f"[Test] {message.subject}"
    return sending.send_raw(message)
