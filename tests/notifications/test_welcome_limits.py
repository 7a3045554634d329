"""Subscribing cannot be used to mail someone again and again (issue 12).

Whoever knows an address can subscribe it; its owner unsubscribes; the subscriber is asked
again. Each cycle would mail the owner a welcome, so at most one goes out per window.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from notifications.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/blog/subscribers/"


def subscribe_then_unsubscribe(client: Any, email: str) -> Any:
    answer = client.post(API, {"email": email}, content_type="application/json")
    subscriber = Subscriber.objects.get(email=email.lower())
    client.post(f"/unsubscribe/{subscriber.unsubscribe_token}/")
    return answer


def test_subscribe_unsubscribe_cycles_mail_a_victim_once_per_window(client: Any, sent_mail: Any) -> None:
    answers = [subscribe_then_unsubscribe(client, "Victim@Example.com") for _ in range(4)]
    last = client.post(API, {"email": "victim@example.com"}, content_type="application/json")

    assert [message["To"] for message in sent_mail()] == ["victim@example.com"]
    # Every answer is the same: the caller cannot tell that nothing more was sent.
    assert {(a.status_code, a.content) for a in [*answers, last]} == {(202, last.content)}
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE


def test_a_new_welcome_email_goes_out_once_the_window_has_passed(client: Any, sent_mail: Any, settings: Any) -> None:
    settings.WELCOME_EMAIL_INTERVAL_HOURS = 24
    subscribe_then_unsubscribe(client, "reader@example.com")
    Subscriber.objects.update(welcome_sent_at=timezone.now() - timedelta(hours=25))

    client.post(API, {"email": "reader@example.com"}, content_type="application/json")

    assert [message["To"] for message in sent_mail()] == ["reader@example.com"] * 2
