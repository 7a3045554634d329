"""The welcome email goes through SES (the local moto endpoint) exactly once per subscriber."""

import json
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.stub import Stubber
from django.core.management import CommandError, call_command
from django_ses import SESBackend

from notifications.emails import welcome_email
from notifications.models import Subscriber
from notifications.services import WelcomeEmailFailed, subscriber_send_welcome, subscriber_subscribe
from tests.concurrency import at_once
from tests.factories import SubscriberFactory


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


@pytest.fixture
def ses_failing(local_aws, monkeypatch):
    """SES answers every send with a throttling error, as moto never does (botocore's Stubber)."""
    client = boto3.client("sesv2", region_name="us-east-1", endpoint_url=local_aws)
    stubber = Stubber(client)
    for _ in range(5):
        stubber.add_client_error(
            "send_email",
            service_error_code="TooManyRequestsException",
            service_message="Slow down",
            http_status_code=429,
        )
    stubber.activate()
    monkeypatch.setattr(SESBackend, "create_session", lambda self: SimpleNamespace(client=lambda *a, **kw: client))
    yield stubber
    stubber.deactivate()


@pytest.mark.django_db(transaction=True)
def test_subscribing_sends_one_welcome_email_that_asks_to_confirm_with_one_click_unsubscribe_headers(
    settings, sent_mail
):
    settings.SITE_URL = "https://blog.example.com"
    settings.SITE_NAME = "MyBlog"

    subscriber = subscriber_subscribe(email="  Reader@Example.COM ")

    subscriber.refresh_from_db()
    assert subscriber.email == "reader@example.com"
    assert subscriber.welcome_sent_at is not None and subscriber.welcome_claimed_at is None
    [message] = sent_mail()
    assert message["To"] == "reader@example.com"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == "Welcome to MyBlog: please confirm your subscription"
    assert message["X-SES-CONFIGURATION-SET"] == settings.AWS_SES_CONFIGURATION_SET
    link = f"https://blog.example.com/unsubscribe/{subscriber.unsubscribe_token}/"
    mailto = f"mailto:{settings.EMAIL_UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{subscriber.unsubscribe_token}"
    # Long headers are folded onto several lines; unfolded, it is the two addresses.
    assert " ".join(message["List-Unsubscribe"].split()) == f"<{link}>, <{mailto}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert "Welcome to MyBlog" in text and link in text and "<" not in text
    assert "Welcome to MyBlog" in html and f'href="{link}"' in html
    assert 'href="https://blog.example.com/feed/"' in html
    [confirm] = [word for word in text.split() if "/subscribe/confirm/" in word]
    assert confirm.startswith("https://blog.example.com/subscribe/confirm/")
    assert f'href="{confirm}"' in html and "Confirm my subscription" in html
    assert "7 days" in text


@pytest.mark.django_db(transaction=True)
def test_the_unsubscribe_link_in_the_email_opens_the_unsubscribe_page(client, settings, sent_mail):
    settings.SITE_URL = "http://testserver"
    subscriber_subscribe(email="reader@example.com")
    [message] = sent_mail()
    text, _ = parts(message)
    link = next(word for word in text.split() if "/unsubscribe/" in word)

    page = client.get(urlsplit(link).path)

    assert page.status_code == 200
    assert b"reader@example.com" in page.content


@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_sends_one_email(sent_mail):
    subscriber = SubscriberFactory()

    assert subscriber_send_welcome(subscriber_id=subscriber.pk) is True
    assert subscriber_send_welcome(subscriber_id=subscriber.pk) is False

    assert len(sent_mail()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_at_the_same_moment_sends_one_email(sent_mail):
    subscriber = SubscriberFactory()
    results = at_once(lambda: subscriber_send_welcome(subscriber_id=subscriber.pk), attempts=20)

    assert sorted(results) == [False, False, False, True]
    assert len(sent_mail()) == 1
    subscriber.refresh_from_db()
    assert subscriber.welcome_sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_an_ses_error_releases_the_claim_and_raises_so_lambda_retries(ses_failing, sent_mail):
    subscriber = SubscriberFactory()

    with pytest.raises(WelcomeEmailFailed) as failure:
        subscriber_send_welcome(subscriber_id=subscriber.pk)

    assert failure.value.__cause__.response["Error"]["Code"] == "TooManyRequestsException"
    subscriber.refresh_from_db()
    assert (subscriber.welcome_claimed_at, subscriber.welcome_sent_at) == (None, None)
    assert subscriber.welcome_state == "pending"
    assert sent_mail() == []


@pytest.mark.django_db(transaction=True)
def test_the_retry_after_an_ses_error_sends_the_email(local_aws, monkeypatch, sent_mail):
    subscriber = SubscriberFactory()
    client = boto3.client("sesv2", region_name="us-east-1", endpoint_url=local_aws)
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code="InternalFailure", http_status_code=500)
        monkeypatch.setattr(SESBackend, "create_session", lambda self: SimpleNamespace(client=lambda *a, **kw: client))
        with pytest.raises(WelcomeEmailFailed):
            subscriber_send_welcome(subscriber_id=subscriber.pk)
    monkeypatch.undo()

    assert subscriber_send_welcome(subscriber_id=subscriber.pk) is True
    assert subscriber_send_welcome(subscriber_id=subscriber.pk) is False
    assert len(sent_mail()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_subscription_survives_an_ses_outage_and_stays_pending(client, ses_failing, sent_mail):
    response = client.post("/api/blog/subscribers/", {"email": "reader@example.com"}, content_type="application/json")

    assert response.status_code == 202
    subscriber = Subscriber.objects.get(email="reader@example.com")
    assert subscriber.welcome_state == "pending"
    assert sent_mail() == []


@pytest.mark.django_db(transaction=True)
def test_send_pending_welcome_emails_sends_what_failed_with_a_progress_bar(monkeypatch, local_aws, sent_mail, capsys):
    client = boto3.client("sesv2", region_name="us-east-1", endpoint_url=local_aws)
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
        stubber.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
        monkeypatch.setattr(SESBackend, "create_session", lambda self: SimpleNamespace(client=lambda *a, **kw: client))
        first, second = subscriber_subscribe(email="a@example.com"), subscriber_subscribe(email="b@example.com")
    monkeypatch.undo()
    SubscriberFactory(email="gone@example.com", status=Subscriber.Status.UNSUBSCRIBED)
    assert {first.email, second.email} == {"a@example.com", "b@example.com"}
    assert sent_mail() == []

    call_command("send_pending_welcome_emails")

    out, err = capsys.readouterr()
    assert "2 pending: 2 sent, 0 skipped, 0 failed." in out
    assert "Welcome emails: 100%" in err
    assert sorted(message["To"] for message in sent_mail()) == ["a@example.com", "b@example.com"]
    call_command("send_pending_welcome_emails")
    assert "0 pending" in capsys.readouterr().out
    assert len(sent_mail()) == 2


@pytest.mark.django_db(transaction=True)
def test_send_pending_welcome_emails_fails_loudly_while_ses_fails(ses_failing, sent_mail):
    SubscriberFactory()

    with pytest.raises(CommandError, match="1 welcome email"):
        call_command("send_pending_welcome_emails")

    assert Subscriber.objects.get().welcome_state == "pending"


@pytest.mark.parametrize("limit", ["0", "-1", "ten"])
def test_send_pending_welcome_emails_refuses_a_limit_that_is_not_a_positive_number(limit):
    with pytest.raises(CommandError, match=rf"argument --limit: must be a positive number, got '{limit}'"):
        call_command("send_pending_welcome_emails", "--limit", limit)


@pytest.mark.django_db(transaction=True)
def test_on_lambda_the_email_is_an_async_invocation_whose_payload_runs_the_task_once(monkeypatch, sent_mail):
    import zappa.asynchronous

    invocations = []

    class RecordingLambda:
        def invoke(self, **kwargs):
            invocations.append(kwargs)
            return {"StatusCode": 202}

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "myblog-dev")
    monkeypatch.setattr(zappa.asynchronous, "LAMBDA_CLIENT", RecordingLambda())

    subscriber = subscriber_subscribe(email="reader@example.com")

    assert sent_mail() == []  # only queued
    [invocation] = invocations
    assert (invocation["FunctionName"], invocation["InvocationType"]) == ("myblog-dev", "Event")
    payload = json.loads(invocation["Payload"])
    assert payload["task_path"] == "notifications.tasks.send_welcome_email"
    assert payload["args"] == [subscriber.pk]
    # What Zappa's handler runs for this payload; Lambda may deliver it twice.
    zappa.asynchronous.route_lambda_task(payload, None)
    zappa.asynchronous.route_lambda_task(payload, None)
    assert len(sent_mail()) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("site_name", ["MyBlog", 'Evil <script>alert(1)</script> & "Co"'])
def test_the_welcome_email_body_is_what_the_pages_sanitizer_keeps(settings, site_name):
    from django.test.html import parse_html

    from myblog.blog.markdown import sanitize

    settings.SITE_URL = "https://blog.example.com"
    settings.SITE_NAME = site_name
    settings.SITE_DESCRIPTION = "Notes <img src=x onerror=alert(1)> on software."
    message = welcome_email(SubscriberFactory(email="reader@example.com"))
    [(html, _)] = message.alternatives

    body = re.search(r"<body>(.*)</body>", html, re.DOTALL).group(1).strip()

    # The same document once parsed (the sanitizer writes " in text where Django's escaping wrote &quot;).
    assert parse_html(sanitize(body)) == parse_html(body)
    assert "<script" not in body and "<img" not in body
    assert "https://blog.example.com/subscribe/confirm/" in body
