"""/unsubscribe/<token>/: GET asks, POST (a button, or a mail client's one-click) unsubscribes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Subscriber
from notifications.services import subscriber_subscribe
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def url(subscriber):
    return f"/unsubscribe/{subscriber.unsubscribe_token}/"


def test_tokens_are_long_random_and_unique():
    tokens = {SubscriberFactory().unsubscribe_token for _ in range(20)}

    assert len(tokens) == 20
    assert all(len(token) >= 43 for token in tokens)


def test_get_shows_a_confirmation_and_changes_nothing(client):
    subscriber = SubscriberFactory(email="reader@example.com")

    page = client.get(url(subscriber))

    assert page.status_code == 200
    html = page.content.decode()
    assert "reader@example.com" in html
    assert f'<form method="post" action="{url(subscriber)}">' in html
    assert "csrfmiddlewaretoken" not in html
    assert page.headers["Cache-Control"] == "private, no-store"
    assert '<meta name="robots" content="noindex">' in html
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


@pytest.mark.parametrize("status", [Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED])
def test_a_one_click_post_from_a_mail_client_unsubscribes_without_csrf_or_cookies(client, status):
    subscriber = SubscriberFactory(status=status)
    mail_client = Client(enforce_csrf_checks=True)

    answer = mail_client.post(
        url(subscriber), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert answer.status_code == 200
    assert b"You are unsubscribed" in answer.content
    assert answer.headers["Cache-Control"] == "private, no-store"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert not Subscriber.objects.confirmed().exists()


def test_a_one_click_post_as_multipart_form_data_unsubscribes_too():
    # RFC 8058 3.1: the mail client SHOULD send multipart/form-data (Django's test client default).
    subscriber = SubscriberFactory(status=Subscriber.Status.CONFIRMED)

    answer = Client(enforce_csrf_checks=True).post(url(subscriber), {"List-Unsubscribe": "One-Click"})

    assert answer.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_unsubscribing_twice_is_harmless(client):
    subscriber = SubscriberFactory()

    first = client.post(url(subscriber))
    subscriber.refresh_from_db()
    when = subscriber.unsubscribed_at
    second = client.post(url(subscriber))

    assert (first.status_code, second.status_code) == (200, 200)
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.unsubscribed_at) == (Subscriber.Status.UNSUBSCRIBED, when)
    assert b"gets no emails" in client.get(url(subscriber)).content


def test_unsubscribing_keeps_a_bounced_address_bounced(client):
    subscriber = SubscriberFactory(status=Subscriber.Status.BOUNCED)

    assert client.post(url(subscriber)).status_code == 200

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


@pytest.mark.parametrize("token", ["nope", "x" * 43, "../../admin"])
def test_an_unknown_token_is_a_404(client, token):
    SubscriberFactory()

    assert client.get(f"/unsubscribe/{token}/").status_code == 404
    assert client.post(f"/unsubscribe/{token}/").status_code == 404
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_subscribing_again_through_the_form_after_unsubscribing_sends_nothing(client, sent_mail, settings):
    subscriber = subscriber_subscribe(email="reader@example.com")
    client.post(url(subscriber))
    # Long after the window of test_welcome_limits.py: the form cannot tell the owner from a stranger.
    Subscriber.objects.update(welcome_sent_at=timezone.now() - timedelta(days=30))

    again = client.post("/api/blog/subscribers/", {"email": "reader@example.com"}, content_type="application/json")

    assert again.status_code == 202
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert len(sent_mail()) == 1
    assert Subscriber.objects.count() == 1


def test_the_unsubscribed_page_offers_to_subscribe_again_which_confirms_without_another_email(client, sent_mail):
    subscriber = subscriber_subscribe(email="reader@example.com")

    gone = client.post(url(subscriber))
    assert f'action="{url(subscriber)}resubscribe/"' in gone.content.decode()
    back = Client(enforce_csrf_checks=True).post(f"{url(subscriber)}resubscribe/")

    assert back.status_code == 200
    assert b"You are subscribed" in back.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED and subscriber.unsubscribed_at is None
    assert subscriber.confirmed_at is not None
    assert len(sent_mail()) == 1  # the first welcome email only


@pytest.mark.parametrize("status", [Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED])
def test_a_bounced_or_complained_address_cannot_be_subscribed_again_from_its_unsubscribe_page(client, status):
    subscriber = SubscriberFactory(status=status)

    page = client.get(url(subscriber)).content.decode()
    forced = client.post(f"{url(subscriber)}resubscribe/")

    assert "resubscribe" not in page
    assert forced.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == status


def test_subscribing_again_needs_a_post_with_a_known_token(client):
    subscriber = SubscriberFactory(status=Subscriber.Status.UNSUBSCRIBED)

    assert client.get(f"{url(subscriber)}resubscribe/").status_code == 405
    assert client.post(f"/unsubscribe/{'x' * 43}/resubscribe/").status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.parametrize(
    ("site_url", "errors"),
    [("https://blog.example.com", []), ("http://blog.example.com", ["notifications.E001"])],
)
def test_a_deploy_check_refuses_a_site_url_whose_unsubscribe_links_mail_clients_cannot_one_click(
    settings, site_url, errors
):
    from django.core.checks import run_checks

    settings.SITE_URL = site_url

    found = [error.id for error in run_checks(include_deployment_checks=True, tags=["notifications"])]

    assert found == errors
