"""SES bounces and complaints arrive as SNS notifications, accepted only with a valid signature.

The notifications are signed here with a self-made key and certificate, exactly as SNS signs
(SignatureVersion 1: SHA1 with RSA over the canonical field list). django-ses fetches the
certificate from the SigningCertURL with ``requests``; ``responses`` serves ours at an SNS
address, so the real fetch-and-verify code runs.
"""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from notifications.links import confirm_url
from notifications.models import Subscriber
from notifications.services import subscriber_send_welcome, subscriber_subscribe
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db(transaction=True)

ENDPOINT = "/notifications/ses-events/"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem"
SIGNED_FIELDS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
}


class Signer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, notification: dict[str, str]) -> dict[str, str]:
        fields = SIGNED_FIELDS[notification["Type"]]
        text = "".join(f"{name}\n{notification[name]}\n" for name in fields if notification.get(name))
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - SNS v1
        return {**notification, "Signature": base64.b64encode(signature).decode()}


@pytest.fixture(scope="module")
def sns():
    return Signer()


@pytest.fixture(scope="module")
def impostor():
    return Signer()


@pytest.fixture
def cert_server(sns, local_aws):
    """SNS's certificate host, serving our certificate; every other requests URL fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(local_aws)
        mock.get(CERT_URL, body=sns.pem)
        yield mock


def notification(settings, message: dict, **overrides: str) -> dict[str, str]:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": settings.SES_EVENTS_TOPIC_ARN,
        "Message": json.dumps(message),
        "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "SignatureVersion": "1",
        "SigningCertURL": CERT_URL,
        **overrides,
    }


def bounce(address: str, bounce_type: str = "Permanent") -> dict:
    status = "5.1.1" if bounce_type == "Permanent" else "4.2.2"
    return {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": status}],
            "timestamp": "2026-01-01T00:00:00.000Z",
            "feedbackId": "0100018c-feedback",
        },
        "mail": {"messageId": "0100018c-message", "destination": [address], "source": "newsletter@myblog.localhost"},
    }


def complaint(address: str) -> dict:
    return {
        "eventType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": address}],
            "complaintFeedbackType": "abuse",
            "timestamp": "2026-01-01T00:00:00.000Z",
            "feedbackId": "0100018c-feedback",
        },
        "mail": {"messageId": "0100018c-message", "destination": [address], "source": "newsletter@myblog.localhost"},
    }


def deliver(client, body: dict):
    # SNS posts JSON with a text/plain content type.
    return client.post(ENDPOINT, json.dumps(body), content_type="text/plain; charset=UTF-8")


def test_a_signed_bounce_marks_the_subscriber_bounced_and_it_is_never_emailed_again(
    client, settings, sns, cert_server, sent_mail
):
    subscriber = SubscriberFactory(email="reader@example.com")

    response = deliver(client, sns.sign(notification(settings, bounce("Reader@Example.com"))))

    assert response.status_code == 200
    assert [call.request.url for call in cert_server.calls] == [CERT_URL]
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED
    assert subscriber_send_welcome(subscriber_id=subscriber.pk) is False
    subscriber_subscribe(email="reader@example.com")
    assert Subscriber.objects.get().status == Subscriber.Status.BOUNCED
    assert sent_mail() == []


@pytest.mark.parametrize(
    ("event", "status"),
    [(bounce, Subscriber.Status.BOUNCED), (complaint, Subscriber.Status.COMPLAINED)],
    ids=["bounce", "complaint"],
)
def test_a_confirmed_subscriber_that_bounces_or_complains_leaves_the_confirmed_list_for_good(
    client, settings, sns, cert_server, event, status
):
    subscriber = SubscriberFactory(email="reader@example.com", status=Subscriber.Status.CONFIRMED)
    old_link = urlsplit(confirm_url(subscriber)).path

    assert deliver(client, sns.sign(notification(settings, event("reader@example.com")))).status_code == 200

    subscriber.refresh_from_db()
    assert subscriber.status == status
    assert not Subscriber.objects.confirmed().exists()
    # Neither its old confirmation link nor the form brings it back.
    client.post(old_link)
    subscriber_subscribe(email="reader@example.com")
    assert Subscriber.objects.get().status == status


def test_a_signed_complaint_marks_the_subscriber_complained(client, settings, sns, cert_server):
    subscriber = SubscriberFactory(email="reader@example.com")

    assert deliver(client, sns.sign(notification(settings, complaint("reader@example.com")))).status_code == 200

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


def test_a_transient_bounce_changes_nothing(client, settings, sns, cert_server):
    subscriber = SubscriberFactory(email="reader@example.com")

    assert (
        deliver(client, sns.sign(notification(settings, bounce("reader@example.com", "Transient")))).status_code == 200
    )

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_bounce_for_an_unknown_address_is_remembered_so_it_is_never_emailed(client, settings, sns, cert_server):
    assert deliver(client, sns.sign(notification(settings, bounce("stranger@example.com")))).status_code == 200

    subscriber_subscribe(email="stranger@example.com")

    assert Subscriber.objects.get(email="stranger@example.com").status == Subscriber.Status.BOUNCED


def test_an_unsigned_notification_is_rejected(client, settings, cert_server):
    subscriber = SubscriberFactory(email="reader@example.com")

    response = deliver(client, notification(settings, bounce("reader@example.com")))

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_notification_changed_after_signing_is_rejected(client, settings, sns, cert_server):
    victim = SubscriberFactory(email="victim@example.com")
    signed = sns.sign(notification(settings, bounce("someone@example.com")))
    forged = {**signed, "Message": json.dumps(bounce("victim@example.com"))}

    assert deliver(client, forged).status_code == 400

    victim.refresh_from_db()
    assert victim.status == Subscriber.Status.PENDING


def test_a_notification_signed_with_another_key_is_rejected(client, settings, impostor, cert_server):
    victim = SubscriberFactory(email="victim@example.com")

    assert deliver(client, impostor.sign(notification(settings, bounce("victim@example.com")))).status_code == 400

    victim.refresh_from_db()
    assert victim.status == Subscriber.Status.PENDING


def test_a_certificate_outside_sns_is_never_fetched_and_the_notification_rejected(
    client, settings, impostor, cert_server
):
    victim = SubscriberFactory(email="victim@example.com")
    evil_url = "https://attacker.example.com/SimpleNotificationService-1.pem"
    cert_server.get(evil_url, body=impostor.pem)
    body = impostor.sign(notification(settings, bounce("victim@example.com"), SigningCertURL=evil_url))

    assert deliver(client, body).status_code == 400

    assert len(cert_server.calls) == 0
    victim.refresh_from_db()
    assert victim.status == Subscriber.Status.PENDING


def test_a_validly_signed_notification_from_another_topic_is_rejected(client, settings, sns, cert_server):
    victim = SubscriberFactory(email="victim@example.com")
    other_topic = "arn:aws:sns:us-east-1:999999999999:someone-elses-topic"

    response = deliver(client, sns.sign(notification(settings, bounce("victim@example.com"), TopicArn=other_topic)))

    assert response.status_code == 400
    victim.refresh_from_db()
    assert victim.status == Subscriber.Status.PENDING


def test_bad_json_gets_a_400(client, cert_server):
    assert client.post(ENDPOINT, "{not json", content_type="text/plain").status_code == 400


def test_the_endpoint_needs_no_csrf_token_but_only_accepts_post(sns, settings, cert_server):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    assert deliver(strict, sns.sign(notification(settings, complaint("x@example.com")))).status_code == 200
    assert strict.get(ENDPOINT).status_code == 405


def test_a_signed_subscription_confirmation_is_confirmed_at_the_sns_address(
    client, settings, sns, cert_server, monkeypatch
):
    import django_ses.utils

    opened = []
    monkeypatch.setattr(django_ses.utils, "urlopen", lambda url: opened.append(url) or _Read())
    subscribe_url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc"
    body = sns.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": "abc",
            "TopicArn": settings.SES_EVENTS_TOPIC_ARN,
            "Message": "You have chosen to subscribe to the topic.",
            "SubscribeURL": subscribe_url,
            "Timestamp": "2026-01-01T00:00:00.000Z",
            "SignatureVersion": "1",
            "SigningCertURL": CERT_URL,
        }
    )

    assert deliver(client, body).status_code == 200
    assert opened == [subscribe_url]


class _Read:
    def read(self) -> bytes:
        return b"<ConfirmSubscriptionResponse/>"
