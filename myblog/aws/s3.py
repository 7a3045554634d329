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
