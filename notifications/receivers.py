"""SES bounce and complaint events, as django-ses signals them after verifying the SNS signature."""

from typing import Any

from django_ses import signals
from django_ses.utils import get_emails_from_complaint_obj, get_permanent_bounced_emails_from_bounce_obj

from notifications.models import Subscriber
from notifications.services import subscriber_suppress


def on_bounce(sender: object, bounce_obj: dict[str, Any], **kwargs: object) -> None:
    # Transient bounces (mailbox full, ...) are not a reason to stop: only permanent ones are.
    subscriber_suppress(
        emails=get_permanent_bounced_emails_from_bounce_obj(bounce_obj), status=Subscriber.Status.BOUNCED
    )


def on_complaint(sender: object, complaint_obj: dict[str, Any], **kwargs: object) -> None:
    subscriber_suppress(emails=get_emails_from_complaint_obj(complaint_obj), status=Subscriber.Status.COMPLAINED)


def connect() -> None:
    signals.bounce_received.connect(on_bounce, dispatch_uid="notifications.on_bounce")
    signals.complaint_received.connect(on_complaint, dispatch_uid="notifications.on_complaint")
