"""Amazon S3: the media bucket."""

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from myblog.aws import client as aws_client


class S3Error(Exception):
    pass


def client() -> Any:
    return aws_client("s3")


def bucket_check(bucket: str | None = None) -> None:
    """Raise S3Error unless the bucket exists and answers."""
    name = bucket or settings.MEDIA_BUCKET
    try:
        client().head_bucket(Bucket=name)
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


def head(key: str) -> dict[str, Any] | None:
    """The object's metadata, or None when it does not exist."""
    try:
        return client().head_object(Bucket=settings.MEDIA_BUCKET, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


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
