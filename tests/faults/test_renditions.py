"""Photo renditions when S3 fails or the task dies half-way: the delivery fails (so Lambda retries),
the photo is never shown ready with part of its renditions, and the retry completes it with
exactly the deterministic set of objects."""

from urllib.parse import quote_plus

import pytest
from botocore.exceptions import ClientError

from media import bucket
from media.events import on_upload
from media.models import Photo
from media.tasks import make_photo_renditions
from tests.faults.conftest import Faults, ProcessKilled
from tests.media.test_photos import jpeg_bytes, s3_keys, upload

pytestmark = pytest.mark.django_db(transaction=True)


def expected_keys(photo: Photo) -> list[str]:
    return sorted(f"renditions/{photo.pk}/w{width}.{fmt}" for width in (320, 640, 1280) for fmt in ("webp", "jpeg"))


def assert_complete(photo: Photo, local_aws: str) -> None:
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    assert sorted(r["key"] for r in photo.renditions) == expected_keys(photo)
    assert s3_keys(local_aws, "renditions/") == expected_keys(photo)


def pending_photo() -> Photo:
    """An accepted upload whose renditions are not made yet (the task is still to be delivered)."""
    return Photo.objects.create(original=upload(jpeg_bytes(1600, 1000)), title="Beach", alt_text="A red square")


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("SlowDown", 503)])
def test_s3_failing_on_the_third_rendition_fails_the_task_and_the_retry_completes_it(
    local_aws, faults: Faults, code, status
):
    photo = pending_photo()
    faults.add(bucket.client().meta.events, "s3", "PutObject", calls={3}, code=code, status=status)

    with pytest.raises(ClientError):
        make_photo_renditions(photo.pk)

    photo.refresh_from_db()
    assert (photo.status, photo.renditions) == (Photo.Status.PENDING, [])
    assert len(s3_keys(local_aws, "renditions/")) == 2  # written before the failure, under their final keys
    make_photo_renditions(photo.pk)  # Lambda's retry
    assert_complete(photo, local_aws)


def test_a_task_killed_after_some_renditions_completes_on_the_next_delivery(local_aws, faults: Faults):
    photo = pending_photo()
    faults.add(bucket.client().meta.events, "s3", "PutObject", calls={4}, kill=True)

    with pytest.raises(ProcessKilled):
        make_photo_renditions(photo.pk)

    photo.refresh_from_db()
    assert (photo.status, photo.renditions) == (Photo.Status.PENDING, [])
    make_photo_renditions(photo.pk)
    assert_complete(photo, local_aws)
    make_photo_renditions(photo.pk)  # a late duplicate changes nothing
    assert_complete(photo, local_aws)


def test_an_upload_event_killed_half_way_and_delivered_again_makes_one_photo(local_aws, faults: Faults):
    key = upload(jpeg_bytes(1600, 1000), filename="beach.jpg")
    event = {"Records": [{"s3": {"object": {"key": quote_plus(key), "size": 1}}}]}
    faults.add(bucket.client().meta.events, "s3", "PutObject", calls={5}, kill=True)

    with pytest.raises(ProcessKilled):
        on_upload(event, None)

    [photo] = Photo.objects.all()
    assert (photo.status, photo.renditions) == (Photo.Status.PENDING, [])
    assert on_upload(event, None) == [photo.pk]
    assert Photo.objects.count() == 1
    assert_complete(photo, local_aws)


def test_s3_failing_while_a_ready_photo_is_rendered_again_keeps_its_renditions(local_aws, faults: Faults):
    photo = pending_photo()
    make_photo_renditions(photo.pk)
    faults.add(bucket.client().meta.events, "s3", "PutObject", calls={2}, code="InternalError", status=500)

    with pytest.raises(ClientError):
        make_photo_renditions(photo.pk)  # a duplicate delivery that meets an S3 outage

    assert_complete(photo, local_aws)
