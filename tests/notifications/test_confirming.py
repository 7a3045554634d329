"""The link of the welcome email confirms the address: valid, expired, tampered, reused, revoked.

GET shows a button and changes nothing (mail scanners open every link of an email); the button
POSTs. Only a confirmed address is ever mailed again (Subscriber.objects.confirmed()).
"""

import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from notifications.links import CONFIRM_LINK_MAX_AGE, CONFIRM_SALT, confirm_url
from notifications.models import Subscriber
from notifications.services import subscriber_subscribe, subscriber_suppress
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def confirm_path_from_email(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    [link] = [word for word in text.split() if "/subscribe/confirm/" in word]
    return urlsplit(link).path


@pytest.fixture
def issued_long_ago(monkeypatch):
    """Links signed while this is active carry a timestamp just past their maximum age."""
    old = int(time.time() - CONFIRM_LINK_MAX_AGE.total_seconds() - 60)
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(old))
        yield


def test_the_link_in_the_welcome_email_asks_with_a_button_then_confirms(settings, sent_mail):
    settings.SITE_URL = "http://testserver"
    subscriber_subscribe(email="reader@example.com")
    [message] = sent_mail()
    path = confirm_path_from_email(message)
    browser = Client(enforce_csrf_checks=True)  # the page carries no CSRF token: the signed link is the key

    page = browser.get(path)

    assert page.status_code == 200
    html = page.content.decode()
    assert "reader@example.com" in html and f'<form method="post" action="{path}">' in html
    assert '<meta name="robots" content="noindex">' in html and '<meta name="referrer" content="no-referrer">' in html
    assert page.headers["Cache-Control"] == "private, no-store"
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING

    done = browser.post(path)

    assert done.status_code == 200
    assert b"You are subscribed" in done.content
    assert done.headers["Cache-Control"] == "private, no-store"
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED and subscriber.confirmed_at is not None
    assert list(Subscriber.objects.confirmed()) == [subscriber]
    assert len(sent_mail()) == 1  # confirming sends nothing more


def test_a_link_whose_colons_a_mail_client_percent_encoded_still_confirms(client):
    subscriber = SubscriberFactory()
    path = urlsplit(confirm_url(subscriber)).path

    assert client.post(path.replace(":", "%3A")).status_code == 200

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_opening_the_link_without_pressing_the_button_confirms_nothing(client):
    subscriber = SubscriberFactory()
    path = urlsplit(confirm_url(subscriber)).path

    assert [client.get(path).status_code, client.head(path).status_code] == [200, 200]

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_following_the_link_again_only_says_the_address_is_confirmed(client):
    subscriber = SubscriberFactory()
    path = urlsplit(confirm_url(subscriber)).path
    client.post(path)
    subscriber.refresh_from_db()
    first_confirmed_at = subscriber.confirmed_at

    again, shown = client.post(path), client.get(path)

    assert (again.status_code, shown.status_code) == (200, 200)
    assert b"You are subscribed" in again.content and b"You are subscribed" in shown.content
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.confirmed_at) == (Subscriber.Status.CONFIRMED, first_confirmed_at)


def test_an_expired_link_confirms_nothing_and_offers_to_subscribe_again(client, issued_long_ago):
    subscriber = SubscriberFactory(email="reader@example.com")
    path = urlsplit(confirm_url(subscriber)).path

    shown, pressed = client.get(path), client.post(path)

    for answer in (shown, pressed):
        assert answer.status_code == 410
        assert b"This link has expired" in answer.content
        assert b'action="/subscribe/"' in answer.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_an_expired_link_of_an_address_already_confirmed_says_it_is_confirmed(client, issued_long_ago):
    subscriber = SubscriberFactory(status=Subscriber.Status.CONFIRMED)

    answer = client.post(urlsplit(confirm_url(subscriber)).path)

    assert answer.status_code == 200 and b"You are subscribed" in answer.content


def tampered_tokens(subscriber: Subscriber, other: Subscriber) -> dict[str, str]:
    token = urlsplit(confirm_url(subscriber)).path.split("/")[3]
    payload, stamp, signature = token.split(":")
    forged_payload = signing.b64_encode(f"[{other.pk},0]".encode()).decode()
    return {
        "another subscriber's id in the payload": f"{forged_payload}:{stamp}:{signature}",
        "a changed timestamp": f"{payload}:{signing.b62_encode(int(time.time()) + 86400)}:{signature}",
        "a changed signature": f"{payload}:{stamp}:{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}",
        "no signature": f"{payload}:{stamp}",
        "signed with another salt": signing.dumps([other.pk, 0], salt="notifications.something-else"),
        "signed with another key": signing.dumps([other.pk, 0], salt=CONFIRM_SALT, key="not-our-secret-key"),
        "made up": "x" * 60,
    }


@pytest.mark.parametrize(
    "case",
    [
        "another subscriber's id in the payload",
        "a changed timestamp",
        "a changed signature",
        "no signature",
        "signed with another salt",
        "signed with another key",
        "made up",
    ],
)
def test_a_tampered_link_is_a_404_and_confirms_nobody(client, case):
    subscriber, other = SubscriberFactory(), SubscriberFactory()
    token = tampered_tokens(subscriber, other)[case]

    shown, pressed = client.get(f"/subscribe/confirm/{token}/"), client.post(f"/subscribe/confirm/{token}/")

    assert (shown.status_code, pressed.status_code) == (404, 404)
    assert b"This link does not work" in pressed.content
    assert not Subscriber.objects.confirmed().exists()


def test_a_link_issued_before_an_unsubscribe_never_confirms_the_address_again(client):
    subscriber = subscriber_subscribe(email="reader@example.com")
    old_link = urlsplit(confirm_url(subscriber)).path
    client.post(f"/unsubscribe/{subscriber.unsubscribe_token}/")
    # Even if staff put the address back to pending (e.g. its owner asked), the old link stays dead.
    Subscriber.objects.update(status=Subscriber.Status.PENDING)

    answer = client.post(old_link)

    assert answer.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    fresh = client.post(urlsplit(confirm_url(subscriber)).path)
    assert fresh.status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


@pytest.mark.parametrize("status", [Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED])
def test_a_link_of_an_address_that_bounced_or_complained_confirms_nothing(client, status):
    subscriber = SubscriberFactory(email="reader@example.com")
    link = urlsplit(confirm_url(subscriber)).path

    subscriber_suppress(emails=["reader@example.com"], status=status)

    assert client.post(link).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == status


def test_only_confirmed_subscribers_are_ever_mailed_again():
    statuses = list(Subscriber.Status)
    rows = {status: SubscriberFactory(status=status) for status in statuses}

    assert list(Subscriber.objects.confirmed()) == [rows[Subscriber.Status.CONFIRMED]]
    assert [status for status in statuses if rows[status].can_be_emailed] == [Subscriber.Status.CONFIRMED]


def test_the_confirm_page_refuses_other_methods(client):
    path = urlsplit(confirm_url(SubscriberFactory())).path

    assert client.put(path).status_code == 405
    assert client.delete(path).status_code == 405
