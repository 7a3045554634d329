"""The welcome email when SES throttles or the task dies after claiming it: the claim is given
back or expires, the delivery is retried, and exactly one email goes out."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_ses import SESBackend

from notifications.models import Subscriber
from notifications.services import WelcomeEmailFailed
from notifications.tasks import send_welcome_email
from tests.factories import SubscriberFactory
from tests.faults.conftest import Faults, ProcessKilled

pytestmark = pytest.mark.django_db(transaction=True)


def welcome_emails_to(sent: list[str], address: str) -> int:
    return sum(1 for raw in sent if f"To: {address}" in raw)


@pytest.mark.parametrize(("code", "status"), [("TooManyRequestsException", 429), ("Throttling", 400)])
def test_ses_throttling_releases_the_claim_fails_the_task_and_the_retry_sends_one_email(
    monkeypatch, faults: Faults, sent_emails, code, status
):
    subscriber = SubscriberFactory()
    throttled = throttle_ses(monkeypatch, faults, calls={1}, code=code, status=status)

    with pytest.raises(WelcomeEmailFailed):
        send_welcome_email(subscriber.pk)

    subscriber.refresh_from_db()
    assert (subscriber.welcome_claimed_at, subscriber.welcome_sent_at) == (None, None)
    assert sent_emails() == []
    send_welcome_email(subscriber.pk)  # Lambda's retry
    send_welcome_email(subscriber.pk)  # and its second one, which finds the email sent
    assert throttled == [1, 2]
    assert welcome_emails_to(sent_emails(), subscriber.email) == 1
    subscriber.refresh_from_db()
    assert subscriber.welcome_state == "sent"


def test_a_task_killed_after_claiming_leaves_the_email_to_a_run_after_the_claim_expires(
    monkeypatch, faults: Faults, sent_emails, settings
):
    settings.WELCOME_CLAIM_TIMEOUT_SECONDS = 30
    subscriber = SubscriberFactory()
    throttle_ses(monkeypatch, faults, calls={1}, kill=True)

    with pytest.raises(ProcessKilled):
        send_welcome_email(subscriber.pk)

    subscriber.refresh_from_db()
    assert subscriber.welcome_claimed_at is not None and subscriber.welcome_sent_at is None
    # A delivery while the claim is fresh cannot tell a dead claimer from a slow one: it sends nothing.
    send_welcome_email(subscriber.pk)
    assert sent_emails() == []
    # Once the claim is older than the timeout, the next run (a retry, or the pending-emails command) sends.
    later = timezone.now() + timedelta(seconds=settings.WELCOME_CLAIM_TIMEOUT_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    send_welcome_email(subscriber.pk)
    send_welcome_email(subscriber.pk)
    assert welcome_emails_to(sent_emails(), subscriber.email) == 1
    assert Subscriber.objects.get(pk=subscriber.pk).welcome_state == "sent"


def throttle_ses(monkeypatch, faults: Faults, **fault: Any) -> list[int]:
    """Fail chosen SES v2 SendEmail calls, counted over every client django-ses makes (it builds
    a boto3 session for every send). Returns the numbers of the calls seen."""
    seen, before_call = faults.handler("sesv2", "SendEmail", **fault)
    create_session = SESBackend.create_session

    def with_fault(self: SESBackend) -> Any:
        session = create_session(self)
        faults.register(session.events, "sesv2", "SendEmail", before_call)
        return session

    monkeypatch.setattr(SESBackend, "create_session", with_fault)
    return seen
