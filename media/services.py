"""Writes for photos: direct-to-S3 uploads, accepting them, and making renditions."""

import io
import logging
import mimetypes
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import get_valid_filename

from media import bucket
from media.models import Photo
from media.renditions import (
    ACCEPTED_TYPES,
    ImageRejected,
    SourceInfo,
    inspect_image,
    make_renditions,
    rendition_name,
)
from myblog.core.errors import ApplicationError
from myblog.core.observability import count_failures, metric_count

logger = logging.getLogger(__name__)

UPLOAD_PREFIX = "uploads/"
RENDITION_PREFIX = "renditions/"


class UploadRejected(ApplicationError):
    code = "upload_rejected"


class PresignedUpload(TypedDict):
    url: str
    fields: dict[str, str]  # the form fields S3 expects before the file
    key: str
    max_bytes: int


def photo_upload_presign(*, filename: str, content_type: str, size: int) -> PresignedUpload:
    """A presigned POST for one image under uploads/, limited in size and type."""
    allowed = set(ACCEPTED_TYPES.values())
    if content_type not in allowed:
        raise UploadRejected(
            f"{content_type or 'This file type'} is not accepted; upload one of: {', '.join(sorted(allowed))}.",
            fields={"file": ["Unsupported file type."]},
        )
    limit = settings.PHOTO_MAX_UPLOAD_BYTES
    if size <= 0 or size > limit:
        raise UploadRejected(
            f"The file must be between 1 byte and {limit // (1024 * 1024)} MB.", fields={"file": ["File too large."]}
        )
    stem = get_valid_filename(PurePosixPath(filename).stem)[:80] or "photo"
    extension = mimetypes.guess_extension(content_type) or ""
    key = f"{UPLOAD_PREFIX}{uuid.uuid4().hex}/{stem}{extension}"
    post = bucket.presigned_post(
        key=key, content_type=content_type, max_bytes=limit, expires=settings.PHOTO_UPLOAD_EXPIRES_SECONDS
    )
    return {"url": post["url"], "fields": post["fields"], "key": key, "max_bytes": limit}


@dataclass(frozen=True)
class UploadCheck:
    size: int
    info: SourceInfo


def photo_upload_check(*, key: str) -> UploadCheck:
    """Check what actually landed in S3 (moto enforces no POST policy, and clients may lie):
    the key, the size, and that Pillow can read the image."""
    if not key.startswith(UPLOAD_PREFIX) or ".." in key:
        raise UploadRejected("The upload key is not under uploads/.", fields={"upload_key": ["Invalid key."]})
    size = bucket.size(key)
    if size is None:
        raise UploadRejected("The upload was not found; upload the file again.", fields={"upload_key": ["Missing."]})
    if size <= 0 or size > settings.PHOTO_MAX_UPLOAD_BYTES:
        message = f"The stored file is {size} bytes; the limit is {settings.PHOTO_MAX_UPLOAD_BYTES}."
        raise UploadRejected(message, fields={"upload_key": [message]})
    try:
        info = inspect_image(io.BytesIO(bucket.read(key)))
    except ImageRejected as exc:
        raise UploadRejected(exc.reason, fields={"upload_key": [exc.reason]}) from exc
    return UploadCheck(size=size, info=info)


@transaction.atomic
def photo_create_from_upload(
    *,
    key: str,
    title: str,
    alt_text: str,
    uploader: User | None = None,
    checked: UploadCheck | None = None,
) -> Photo:
    """Accept an uploaded object as a photo, then make its renditions once the row is committed."""
    checked = checked or photo_upload_check(key=key)
    # The S3 event may have created the row first; the admin's title and alt text win.
    photo, _ = Photo.objects.select_for_update().get_or_create(
        original=key, defaults={"title": title, "alt_text": alt_text}
    )
    photo.title, photo.alt_text, photo.uploader = title, alt_text, uploader
    photo.width, photo.height, photo.content_type = checked.info.width, checked.info.height, checked.info.content_type
    photo.bytes = checked.size
    photo.save()
    transaction.on_commit(lambda: photo_enqueue_renditions(photo_id=photo.pk))
    return photo


def photo_enqueue_renditions(*, photo_id: int) -> None:
    # Imported here: zappa.asynchronous builds boto3 clients at import (~130 ms of cold start).
    from media.tasks import make_photo_renditions

    make_photo_renditions(photo_id)


@count_failures("RenditionsFailed")
def photo_render(*, photo_id: int) -> Photo:
    """Make and store every rendition of a photo. Idempotent: keys depend only on photo and size.

    A file Pillow rejects marks the photo failed and returns (retrying cannot help); S3 errors
    propagate so that the async invocation is retried. Either counts 1 in RenditionsFailed;
    success counts the renditions stored in RenditionsMade.
    """
    photo = Photo.objects.get(pk=photo_id)
    try:
        info, renditions = make_renditions(io.BytesIO(bucket.read(photo.original.name)))
    except ImageRejected as exc:
        Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.FAILED, failure_reason=exc.reason)
        photo.refresh_from_db()
        logger.warning("photo %s rejected: %s", photo.pk, exc.reason)
        metric_count("RenditionsFailed")
        return photo
    stored = []
    for rendition in renditions:
        key = f"{RENDITION_PREFIX}{photo.pk}/{rendition_name(rendition.width, rendition.format)}"
        bucket.write_immutable(key=key, data=rendition.data, content_type=rendition.content_type)
        stored.append({"width": rendition.width, "height": rendition.height, "format": rendition.format, "key": key})
    photo.width, photo.height, photo.content_type = info.width, info.height, info.content_type
    photo.renditions, photo.status, photo.failure_reason = stored, Photo.Status.READY, ""
    photo.save()
    metric_count("RenditionsMade", len(stored))
    return photo


def photo_from_upload_event(*, key: str, size: int) -> Photo | None:
    """Handle an S3 ObjectCreated event on uploads/: the row (made if missing), then renditions."""
    if not key.startswith(UPLOAD_PREFIX):
        return None  # renditions/ and everything else never trigger work: no recursion
    title = PurePosixPath(key).stem.replace("-", " ").replace("_", " ").strip() or "Photo"
    photo, _ = Photo.objects.get_or_create(original=key, defaults={"title": title, "alt_text": title, "bytes": size})
    return photo_render(photo_id=photo.pk)
