"""Amazon S3: the media bucket (photo originals and renditions)."""

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from myblog.core import aws


class S3Error(Exception):
    pass


def client() -> Any:
    return aws.client("s3")


def bucket_check(*, prefix: str, bucket: str | None = None) -> None:
    """Raise S3Error unless the bucket exists and answers a listing of ``prefix``.

    A listing with a prefix rather than HeadBucket: both need s3:ListBucket, but HeadBucket
    carries no s3:prefix, so a role allowed to list only some prefixes is refused it on AWS."""
    name = bucket or settings.MEDIA_BUCKET
    try:
        client().list_objects_v2(Bucket=name, Prefix=prefix, MaxKeys=1)
    except (BotoCoreError, ClientError) as exc:
        raise S3Error(f"bucket {name}: {exc}") from exc


def presigned_post(*, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
    """A browser-usable POST to exactly ``key``, of this content type, at most ``max_bytes``."""
    return client().generate_presigned_post(
        Bucket=settings.MEDIA_BUCKET,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=expires,
    )


def size(key: str) -> int | None:
    """The object's size in bytes, or None when it does not exist.

    Read from a listing of the key as prefix (the key itself sorts first), not HeadObject: for a
    missing key S3 answers 404 only to callers allowed s3:ListBucket without an s3:prefix
    condition, and 403 to the blog role, which may list only uploads/ and renditions/."""
    listed = client().list_objects_v2(Bucket=settings.MEDIA_BUCKET, Prefix=key, MaxKeys=1).get("Contents", [])
    return int(listed[0]["Size"]) if listed and listed[0]["Key"] == key else None


def read(key: str) -> bytes:
    return client().get_object(Bucket=settings.MEDIA_BUCKET, Key=key)["Body"].read()


def write_immutable(*, key: str, data: bytes, content_type: str) -> None:
    """Store an object whose key changes whenever its content does, so caches may keep it forever."""
    client().put_object(
        Bucket=settings.MEDIA_BUCKET,
        Key=key,
        Body=data,
        ContentType=content_type,
        CacheControl="public, max-age=31536000, immutable",
    )
