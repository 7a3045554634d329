"""Subscribing through the API and through the form in the blog's pages."""

import pytest

from notifications.models import Subscriber
from tests.factories import PostFactory, SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/blog/subscribers/"

INJECTIONS = [
    pytest.param("reader@example.com\r\nBcc: victim@example.com", id="crlf-bcc"),
    pytest.param("reader@example.com\nSubject: hi", id="lf-header"),
    pytest.param("reader@example.com\r", id="trailing-cr"),
    pytest.param("reader@example.com, other@example.com", id="comma-list"),
    pytest.param("reader@example.com;other@example.com", id="semicolon-list"),
    pytest.param("reader@example.com other@example.com", id="space-list"),
    pytest.param("Reader <reader@example.com>", id="display-name"),
    pytest.param("reader@example.com\x00", id="nul"),
    pytest.param("reader@example.com\u2028", id="unicode-line-separator"),
]
INVALID = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("not-an-address", id="no-at"),
    pytest.param("reader@", id="no-domain"),
    pytest.param("a@b@example.com", id="two-ats"),
    pytest.param("x" * 250 + "@example.com", id="too-long"),
]


def subscribe_api(client, payload, **extra):
    return client.post(API, payload, content_type="application/json", **extra)


def test_the_api_subscribes_an_address_and_answers_202(client, sent_mail):
    response = subscribe_api(client, {"email": "Reader@Example.com"})

    assert response.status_code == 202
    assert "a link to confirm the subscription is on its way" in response.json()["message"]
    assert response.headers["Cache-Control"] == "private, no-store"
    assert Subscriber.objects.get().email == "reader@example.com"
    assert [message["To"] for message in sent_mail()] == ["reader@example.com"]


@pytest.mark.parametrize("status", list(Subscriber.Status))
def test_the_answer_does_not_reveal_whether_the_address_was_already_known(client, status):
    SubscriberFactory(email="known@example.com", status=status)

    known = subscribe_api(client, {"email": "KNOWN@example.com"})
    new = subscribe_api(client, {"email": "new@example.com"})

    assert (known.status_code, known.json()) == (new.status_code, new.json())
    assert Subscriber.objects.filter(email__iexact="known@example.com").count() == 1


def test_subscribing_twice_sends_one_welcome_email(client, sent_mail):
    subscribe_api(client, {"email": "reader@example.com"})
    subscribe_api(client, {"email": " READER@example.com"})

    assert len(sent_mail()) == 1


@pytest.mark.parametrize("status", [Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED])
def test_a_bounced_or_complained_address_is_never_emailed_again(client, sent_mail, status):
    SubscriberFactory(email="gone@example.com", status=status)

    assert subscribe_api(client, {"email": "gone@example.com"}).status_code == 202

    assert Subscriber.objects.get().status == status
    assert sent_mail() == []


@pytest.mark.parametrize("value", INJECTIONS)
def test_header_injection_attempts_get_a_400_and_store_nothing(client, sent_mail, value):
    response = subscribe_api(client, {"email": value})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] in ("invalid_email", "invalid")
    assert error["message"] and error["fields"]["email"]
    assert not Subscriber.objects.exists()
    assert sent_mail() == []


@pytest.mark.parametrize("value", INVALID)
def test_invalid_addresses_get_a_400_with_a_clear_message(client, value):
    response = subscribe_api(client, {"email": value})

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["email"]
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{", id="broken-json"),
        pytest.param("[]", id="a-list"),
        pytest.param('{"email": ["a@example.com", "b@example.com"]}', id="several-addresses"),
        pytest.param('{"email": 42}', id="a-number"),
        pytest.param('{"email": null}', id="null"),
        pytest.param("{}", id="missing"),
    ],
)
def test_malformed_requests_get_a_json_400_never_a_500(client, body):
    response = client.post(API, body, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not Subscriber.objects.exists()


def test_the_api_needs_no_csrf_token(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    assert subscribe_api(strict, {"email": "reader@example.com"}).status_code == 202


def test_the_api_is_throttled_per_client_with_retry_after(client, settings):
    settings.SUBSCRIBE_THROTTLE_RATE = "3/hour"

    answers = [subscribe_api(client, {"email": f"r{i}@example.com"}).status_code for i in range(3)]
    throttled = subscribe_api(client, {"email": "r9@example.com"})
    other_client = subscribe_api(client, {"email": "r10@example.com"}, REMOTE_ADDR="198.51.100.7")

    assert answers == [202, 202, 202]
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert 0 < int(throttled.headers["Retry-After"]) <= 3600
    assert other_client.status_code == 202
    assert not Subscriber.objects.filter(email="r9@example.com").exists()


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(client, settings):
    settings.SUBSCRIBE_THROTTLE_RATE = "2/hour"

    codes = [
        subscribe_api(client, {"email": f"r{i}@example.com"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(3)
    ]

    assert codes == [202, 202, 429]


def test_the_throttle_counts_live_in_the_shared_database_cache(client, settings):
    from django.core.cache import caches
    from django.db import connection

    settings.SUBSCRIBE_THROTTLE_RATE = "1/hour"
    subscribe_api(client, {"email": "reader@example.com"})

    assert caches[settings.THROTTLE_CACHE].__class__.__name__ == "DatabaseCache"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_shared_cache")
        assert cursor.fetchone()[0] == 1


# --- The form in the blog's pages ------------------------------------------------------------


def test_every_public_page_has_the_subscribe_form_without_a_csrf_token(client):
    post = PostFactory()

    for url in ("/", post.get_absolute_url()):
        page = client.get(url)
        html = page.content.decode()
        assert 'action="/subscribe/"' in html and 'name="email"' in html
        assert "csrfmiddlewaretoken" not in html
        assert "public" in page.headers["Cache-Control"]
        assert "Set-Cookie" not in page.headers and "Vary" not in page.headers or "Cookie" not in page.headers["Vary"]


def test_the_form_subscribes_and_shows_the_confirmation_without_javascript(client, sent_mail):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)  # a cached page carries no token, so none is sent

    answer = browser.post("/subscribe/", {"email": "reader@example.com"})

    assert answer.status_code == 303
    assert answer.headers["Location"] == "/subscribe/thanks/"
    done = browser.get(answer.headers["Location"])
    assert done.status_code == 200
    assert b"Thanks for subscribing" in done.content
    assert done.headers["Cache-Control"] == "private, no-store"
    assert Subscriber.objects.get().email == "reader@example.com"
    assert len(sent_mail()) == 1


@pytest.mark.parametrize(
    "value", ["not-an-address", "reader@example.com\r\nBcc: victim@example.com", "a@x.com, b@x.com"]
)
def test_the_form_shows_errors_with_a_400_and_keeps_nothing(client, value):
    answer = client.post("/subscribe/", {"email": value})

    assert answer.status_code == 400
    assert answer.headers["Cache-Control"] == "private, no-store"
    html = answer.content.decode()
    assert 'id="subscribe-error"' in html and 'role="alert"' in html
    assert not Subscriber.objects.exists()


def test_the_form_is_throttled_with_the_api(client, settings):
    settings.SUBSCRIBE_THROTTLE_RATE = "2/hour"

    subscribe_api(client, {"email": "a@example.com"})
    client.post("/subscribe/", {"email": "b@example.com"})
    answer = client.post("/subscribe/", {"email": "c@example.com"})

    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    assert b"Too many attempts" in answer.content
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert not Subscriber.objects.filter(email="c@example.com").exists()


def test_the_form_page_answers_get_and_refuses_other_methods(client):
    assert client.get("/subscribe/").status_code == 200
    assert client.put("/subscribe/").status_code == 405
