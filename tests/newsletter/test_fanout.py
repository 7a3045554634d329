"""A new post reaches every confirmed subscriber once, through the queue, whatever goes wrong."""

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from myblog.blog.models import Post
from myblog.blog.services import post_publish, post_unpublish
from newsletter import events, sending, services
from newsletter.models import Delivery, PostMailing, delivery_counts
from newsletter.queue import Send, message_read
from notifications.models import Subscriber
from tests.factories import PostFactory

from .conftest import confirmed_subscribers, recipients, visible_post

pytestmark = pytest.mark.django_db


class Crash(BaseException):
    """The function stops where it is (a Lambda timeout, an out-of-memory kill)."""


def publish(post: Post, capture: Any) -> None:
    with capture(execute=True):
        post_publish(posts=Post.objects.filter(pk=post.pk))


@pytest.mark.slow
def test_a_thousand_subscribers_get_a_new_post_once_each_despite_duplicate_messages_and_a_crash(
    queue, sent_mail, django_capture_on_commit_callbacks, monkeypatch
):
    subscribers = confirmed_subscribers(1000)
    post = PostFactory(status=Post.Status.DRAFT, publish_at=None)
    waits = 0
    real_wait = services._Pace.wait

    def crash_once_midway(pace: Any) -> None:
        nonlocal waits
        waits += 1
        if waits == 437:
            raise Crash
        real_wait(pace)

    monkeypatch.setattr(services._Pace, "wait", crash_once_midway)

    publish(post, django_capture_on_commit_callbacks)
    queue.drain(duplicate_every=7)

    got = Counter(recipients(sent_mail()))
    assert set(got) == {subscriber.email for subscriber in subscribers}
    assert set(got.values()) == {1}
    assert queue.failed == 1, "the crash left its message on the queue, and the retry finished it"
    assert delivery_counts(post.pk)["sent"] == 1000
    assert PostMailing.objects.get(post=post).queued == 1000
    assert queue.waiting() == 0


def test_ses_throttling_puts_the_rest_of_a_batch_back_on_the_queue_and_loses_no_one(queue, sent_mail, monkeypatch):
    subscribers = confirmed_subscribers(120)
    calls = 0
    real_send = sending.send_raw

    def throttled_for_a_while(message: Any) -> str:
        nonlocal calls
        calls += 1
        if 30 <= calls < 36:
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}},
                "SendEmail",
            )
        return real_send(message)

    monkeypatch.setattr(sending, "send_raw", throttled_for_a_while)
    monkeypatch.setattr(services, "MAX_DELAY_SECONDS", 0)  # the backoff's delay, shortened for the test
    post = visible_post()

    services.mailing_start(post_id=post.pk)
    queue.drain()

    got = Counter(recipients(sent_mail()))
    assert set(got) == {subscriber.email for subscriber in subscribers}
    assert set(got.values()) == {1}
    assert queue.failed == 0, "throttling is not a failure: nothing moves towards the dead-letter queue"
    assert delivery_counts(post.pk)["sent"] == 120
    assert Delivery.objects.filter(post=post, attempts__gt=1).exists()


def test_a_throttled_batch_comes_back_later_and_later(db, monkeypatch):
    post = visible_post()
    PostMailing.objects.create(post=post, state=PostMailing.State.SENDING, queued=1)
    queued: list[tuple[Send, int]] = []
    monkeypatch.setattr(services, "deliveries_send", lambda **kwargs: (_ for _ in ()).throw(services.Throttled()))
    monkeypatch.setattr(
        services, "queue_send", lambda messages, delay_seconds=0: queued.append((messages[0], delay_seconds))
    )

    for attempt in range(8):
        services.message_handle(Send(post.pk, 1, 50, attempt))

    assert [message.attempt for message, _ in queued] == list(range(1, 9))
    delays = [delay for _, delay in queued]
    assert delays[0] >= 10
    assert delays == sorted(delays)
    assert delays[-1] == 900, "SQS delays a message at most 15 minutes"


def test_a_post_whose_time_comes_is_sent_by_the_scheduled_sweep_with_nobody_touching_it(
    queue, sent_mail, django_capture_on_commit_callbacks
):
    confirmed_subscribers(3)
    with django_capture_on_commit_callbacks(execute=True):
        post = PostFactory(publish_at=timezone.now() + timedelta(minutes=30))
    assert events.publish_due_posts({}, None) == {"mailings_started": 0}
    assert not PostMailing.objects.exists()

    # Time passes: the post's publish time is now behind us (no save, no signal).
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(minutes=2))
    assert events.publish_due_posts({}, None) == {"mailings_started": 1}
    assert events.publish_due_posts({}, None) == {"mailings_started": 0}
    queue.drain()

    assert sorted(recipients(sent_mail())) == ["reader0@example.com", "reader1@example.com", "reader2@example.com"]


@pytest.mark.parametrize(
    "status",
    [
        Subscriber.Status.PENDING,
        Subscriber.Status.UNSUBSCRIBED,
        Subscriber.Status.BOUNCED,
        Subscriber.Status.COMPLAINED,
    ],
)
def test_only_confirmed_subscribers_get_new_posts(status, queue, sent_mail):
    confirmed_subscribers(2)
    Subscriber.objects.create(email="not-me@example.com", status=status)

    services.mailing_start(post_id=visible_post().pk)
    queue.drain()

    assert sorted(recipients(sent_mail())) == ["reader0@example.com", "reader1@example.com"]


def test_a_subscriber_who_unsubscribes_before_their_batch_is_sent_gets_nothing(queue, sent_mail):
    first, second = confirmed_subscribers(2)
    services.mailing_start(post_id=visible_post().pk)
    Subscriber.objects.filter(pk=second.pk).update(status=Subscriber.Status.UNSUBSCRIBED)

    queue.drain()

    assert recipients(sent_mail()) == [first.email]


def test_a_post_published_without_emailing_is_never_sent_even_when_the_box_is_ticked_later(
    queue, sent_mail, django_capture_on_commit_callbacks
):
    confirmed_subscribers(2)
    post = PostFactory(status=Post.Status.DRAFT, publish_at=None, email_subscribers=False)

    publish(post, django_capture_on_commit_callbacks)
    post.refresh_from_db()
    post.email_subscribers = True
    with django_capture_on_commit_callbacks(execute=True):
        post.save()
    events.publish_due_posts({}, None)
    queue.drain()

    assert PostMailing.objects.get(post=post).state == PostMailing.State.SKIPPED
    assert sent_mail() == []


def test_editing_unpublishing_or_republishing_a_sent_post_never_sends_it_again(
    queue, sent_mail, django_capture_on_commit_callbacks
):
    confirmed_subscribers(2)
    post = PostFactory(status=Post.Status.DRAFT, publish_at=None)
    publish(post, django_capture_on_commit_callbacks)
    queue.drain()
    assert len(sent_mail()) == 2

    post.refresh_from_db()
    post.title = "A corrected title"
    with django_capture_on_commit_callbacks(execute=True):
        post.save()
        post_unpublish(posts=Post.objects.filter(pk=post.pk))
    publish(post, django_capture_on_commit_callbacks)
    events.publish_due_posts({}, None)
    queue.drain()

    assert len(sent_mail()) == 2
    assert PostMailing.objects.filter(post=post).count() == 1


def test_posts_visible_long_before_the_sweep_first_saw_them_are_not_mailed(queue, sent_mail):
    confirmed_subscribers(1)
    old = PostFactory(publish_at=timezone.now() - timedelta(days=30))

    assert events.publish_due_posts({}, None) == {"mailings_started": 0}
    assert services.mailing_start(post_id=old.pk).state == PostMailing.State.SKIPPED
    assert sent_mail() == []


def test_a_send_cut_off_during_the_ses_call_is_never_repeated_and_counts_as_failed(queue, sent_mail, monkeypatch):
    confirmed_subscribers(3)
    post = visible_post()
    real_send = sending.send_raw
    calls = 0

    def stops_during_the_second_call(message: Any) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Crash  # did SES get it? nobody knows
        return real_send(message)

    monkeypatch.setattr(sending, "send_raw", stops_during_the_second_call)
    services.mailing_start(post_id=post.pk)
    [plan] = queue.receive()
    assert queue.invoke(plan)
    [batch] = queue.receive()
    assert not queue.invoke(batch), "cut off at its second recipient"

    # Back before the claim is stale (a duplicate, or an early retry): the rest is sent, but the
    # message is not done while a claim is open.
    with pytest.raises(services.Unsettled):
        services.message_handle(message_read(batch["Body"]))
    # After the queue's visibility timeout the claim is stale: given up, never sent again.
    later = timezone.now() + services.CLAIM_TIMEOUT + timedelta(seconds=1)
    services.message_handle(message_read(batch["Body"]), now=later)

    assert recipients(sent_mail()) == ["reader0@example.com", "reader2@example.com"]
    failed = Delivery.objects.get(post=post, status=Delivery.Status.FAILED)
    assert failed.subscriber.email == "reader1@example.com"
    assert failed.error == services.UNKNOWN_OUTCOME
    assert delivery_counts(post.pk) == {"pending": 0, "sending": 0, "sent": 2, "failed": 1, "bounced": 0}


def test_an_address_ses_refuses_fails_alone_and_the_others_are_sent(queue, sent_mail, monkeypatch):
    confirmed_subscribers(3)
    real_send = sending.send_raw

    def refuses_one(message: Any) -> str:
        if message.to == ["reader1@example.com"]:
            raise ClientError({"Error": {"Code": "MessageRejected", "Message": "Address blacklisted."}}, "SendEmail")
        return real_send(message)

    monkeypatch.setattr(sending, "send_raw", refuses_one)
    post = visible_post()
    services.mailing_start(post_id=post.pk)
    queue.drain()

    assert recipients(sent_mail()) == ["reader0@example.com", "reader2@example.com"]
    assert delivery_counts(post.pk)["failed"] == 1
    assert queue.failed == 0


def test_a_message_that_fails_makes_the_invocation_fail_so_lambda_keeps_it(db, monkeypatch):
    """Zappa 0.63 creates the event source without ReportBatchItemFailures: a returned
    batchItemFailures would be ignored and the message deleted (test_zappa_events.py)."""
    monkeypatch.setattr(services, "mailing_plan", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("database down")))
    record = {"messageId": "m-1", "body": '{"kind": "plan", "post": 1, "after": 0}'}

    with pytest.raises(events.MessagesFailed):
        events.on_queue_message({"Records": [record]}, None)


def test_no_confirmed_subscriber_means_nothing_queued(queue):
    post = visible_post()

    mailing = services.mailing_start(post_id=post.pk)

    assert mailing is not None and mailing.queued == 0
    assert queue.waiting() == 0
