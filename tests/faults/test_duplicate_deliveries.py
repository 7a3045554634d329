"""Twenty deliveries of the same async task at once, as Lambda may deliver duplicates: one
welcome email, one set of renditions."""

from collections.abc import Callable
from typing import Any

import pytest

from media.models import Photo
from media.tasks import make_photo_renditions
from notifications.tasks import send_welcome_email
from tests.concurrency import at_once
from tests.factories import SubscriberFactory
from tests.media.test_photos import jpeg_bytes, s3_keys, upload

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERIES = 20
# A delivery that fails is delivered again, as Lambda retries a failed async invocation. Here the
# failures are SQLite's: its shared in-memory test database fails a concurrent writer at once
# ("database table is locked") where PostgreSQL would make it wait.
REDELIVERIES = 50


def deliver_at_once(task: Callable[[int], Any], argument: int) -> None:
    """Run ``task(argument)`` in DELIVERIES threads released together, each redelivered until it
    returns; raises what no redelivery cured."""
    delivered = at_once(lambda: task(argument), times=DELIVERIES, attempts=REDELIVERIES, timeout=120)
    assert len(delivered) == DELIVERIES


def test_twenty_deliveries_of_the_welcome_email_at_once_send_one_email(sent_emails):
    subscriber = SubscriberFactory()

    deliver_at_once(send_welcome_email, subscriber.pk)

    assert sum(1 for raw in sent_emails() if f"To: {subscriber.email}" in raw) == 1
    assert len(sent_emails()) == 1
    subscriber.refresh_from_db()
    assert subscriber.welcome_state == "sent"
    assert subscriber.welcome_claimed_at is None


@pytest.mark.slow
def test_twenty_deliveries_of_the_renditions_task_at_once_leave_one_set_of_renditions(local_aws):
    photo = Photo.objects.create(original=upload(jpeg_bytes(1400, 900)), title="Dunes", alt_text="A red square")
    expected = sorted(f"renditions/{photo.pk}/w{width}.{fmt}" for width in (320, 640, 1280) for fmt in ("webp", "jpeg"))

    deliver_at_once(make_photo_renditions, photo.pk)

    assert s3_keys(local_aws, "renditions/") == expected
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    assert sorted(r["key"] for r in photo.renditions) == expected
    assert (photo.width, photo.height, photo.content_type) == (1400, 900, "image/jpeg")
    assert Photo.objects.count() == 1
