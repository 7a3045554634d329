"""Subscribing cannot be used to mail someone again and again (issues 12 and 13).

Whoever knows an address can subscribe it. A pending address (its owner never confirmed) is
sent the welcome email again at most once per WELCOME_EMAIL_INTERVAL_HOURS; an address whose
owner unsubscribed is never mailed again through the form, whoever posts it and however often.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from notifications.models import Subscriber
from notifications.services import subscriber_subscribe
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/blog/subscribers/"


def subscribe(client: Any, email: str) -> Any:
    return client.post(API, {"email": email}, content_type="application/json")


def subscribe_then_unsubscribe(client: Any, email: str) -> Any:
    answer = subscribe(client, email)
    subscriber = Subscriber.objects.get(email=email.lower())
    client.post(f"/unsubscribe/{subscriber.unsubscribe_token}/")
    return answer


def test_subscribe_unsubscribe_cycles_mail_a_victim_once_ever(client: Any, sent_mail: Any) -> None:
    answers = [subscribe_then_unsubscribe(client, "Victim@Example.com") for _ in range(4)]
    Subscriber.objects.update(welcome_sent_at=timezone.now() - timedelta(days=30))  # long after any window
    last = subscribe(client, "victim@example.com")

    assert [message["To"] for message in sent_mail()] == ["victim@example.com"]
    # Every answer is the same: the caller cannot tell that nothing more was sent.
    assert {(a.status_code, a.content) for a in [*answers, last]} == {(202, last.content)}
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED


def test_subscribing_a_pending_address_again_and_again_sends_one_email_per_window(
    client: Any, sent_mail: Any, settings: Any
) -> None:
    settings.WELCOME_EMAIL_INTERVAL_HOURS = 24
    answers = [subscribe(client, "reader@example.com") for _ in range(5)]

    assert [message["To"] for message in sent_mail()] == ["reader@example.com"]
    assert len({(a.status_code, a.content) for a in answers}) == 1
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_a_pending_address_gets_a_new_welcome_email_once_the_window_has_passed(
    client: Any, sent_mail: Any, settings: Any
) -> None:
    settings.WELCOME_EMAIL_INTERVAL_HOURS = 24
    subscribe(client, "reader@example.com")
    Subscriber.objects.update(welcome_sent_at=timezone.now() - timedelta(hours=25))

    subscribe(client, "reader@example.com")
    subscribe(client, "reader@example.com")

    assert [message["To"] for message in sent_mail()] == ["reader@example.com"] * 2


def test_a_confirmed_address_gets_nothing_from_being_subscribed_again(client: Any, sent_mail: Any) -> None:
    subscribe(client, "reader@example.com")
    Subscriber.objects.update(status=Subscriber.Status.CONFIRMED, welcome_sent_at=timezone.now() - timedelta(days=30))

    subscribe(client, "reader@example.com")

    assert len(sent_mail()) == 1
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_a_pending_address_subscribed_from_many_places_at_once_gets_one_new_email(
    sent_mail: Any, settings: Any
) -> None:
    settings.WELCOME_EMAIL_INTERVAL_HOURS = 24
    subscriber_subscribe(email="reader@example.com")
    Subscriber.objects.update(welcome_sent_at=timezone.now() - timedelta(hours=25))
    at_once(lambda: subscriber_subscribe(email="reader@example.com"))

    assert [message["To"] for message in sent_mail()] == ["reader@example.com"] * 2
