"""Each user's own folder, ``users/<sub>/``, in the user-files bucket (docs/architecture.md, decision 6).

The phone reads, lists and deletes in it directly with identity-pool credentials (the IAM role
allows only ``users/${aws:PrincipalTag/sub}/*``) and writes only through the presigned POST signed
here, because IAM cannot limit an object's size: the POST's size range is where the per-user quota
holds. The server addresses the same folder for listing, presigned URLs and deletes. Paths in the API are relative to the folder and checked here, so nothing the
client sends can reach outside it.
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.http import content_disposition_header

from myblog.core import aws
from myblog.core.errors import NotFound
from todo.domain import InvalidCursor, InvalidInput

USERS_PREFIX = "users/"
# Served inline on download; browsers never run script in these (SVG, which can, is not among them).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# S3 allows 1024 bytes per key; the folder prefix takes up to 6 + 64 + 1 of them.
PATH_MAX_BYTES = 900
# Keys per ListObjectsV2 call when adding up a folder (S3's maximum).
LIST_PAGE_SIZE = 1000


class FileNotFound(NotFound):
    pass


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the user's folder
    size: int
    last_modified: datetime
    etag: str


@dataclass(frozen=True)
class FilePage:
    items: list[StoredFile]
    cursor: str | None


def folder(owner: str) -> str:
    return f"{USERS_PREFIX}{owner}/"


def key_for(owner: str, path: str) -> str:
    """The object key of ``path`` in the owner's folder, or InvalidInput for anything that is not
    a plain relative path: ``..`` and ``.`` segments, absolute paths, empty segments, backslashes,
    control characters, a ``%`` left over from double encoding, or a path that names a user folder
    (``users/<someone>/...``) as if it were absolute."""
    problem = _path_problem(path)
    if problem:
        raise InvalidInput(f"Invalid path: {problem}", fields={"path": [problem]})
    return folder(owner) + path


def _path_problem(path: str) -> str | None:
    if not isinstance(path, str) or not path:
        return "A path is required."
    if len(path.encode("utf-8")) > PATH_MAX_BYTES:
        return f"At most {PATH_MAX_BYTES} bytes."
    if path.startswith("/"):
        return "Paths are relative to your folder; no leading slash."
    if "\\" in path:
        return "Use / to separate folders."
    if "%" in path:
        return "Percent signs are not allowed (send the path percent-encoded once)."
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") for char in path):
        return "Control and unassigned characters are not allowed."
    segments = path.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "Empty, . and .. segments are not allowed."
    if segments[0] == USERS_PREFIX.rstrip("/"):
        return "Paths are relative to your folder; they cannot name another user's folder."
    return None


def list_files(*, owner: str, limit: int, cursor: str | None) -> FilePage:
    request: dict[str, Any] = {"Bucket": settings.USER_FILES_BUCKET, "Prefix": folder(owner), "MaxKeys": limit}
    if cursor:
        try:
            request["ContinuationToken"] = signing.loads(cursor, salt=f"todo.files.cursor:{owner}")
        except signing.BadSignature as exc:
            raise InvalidCursor() from exc
    response = _call("list_objects_v2", **request)
    prefix = folder(owner)
    items = [
        StoredFile(
            path=entry["Key"][len(prefix) :],
            size=int(entry["Size"]),
            last_modified=entry["LastModified"],
            etag=str(entry.get("ETag", "")),
        )
        for entry in response.get("Contents", [])
    ]
    token = response.get("NextContinuationToken") if response.get("IsTruncated") else None
    return FilePage(items=items, cursor=signing.dumps(token, salt=f"todo.files.cursor:{owner}") if token else None)


def usage(*, owner: str, excluding: str | None = None) -> int:
    """Bytes in the owner's folder: the sizes of its current objects, every page of the listing,
    leaving out ``excluding`` (a key an upload is about to replace). Older versions, kept 30 days
    by the bucket's lifecycle, are not counted: the user sees and manages current files only."""
    request: dict[str, Any] = {"Bucket": settings.USER_FILES_BUCKET, "Prefix": folder(owner), "MaxKeys": LIST_PAGE_SIZE}
    total = 0
    while True:
        response = _call("list_objects_v2", **request)
        total += sum(int(entry["Size"]) for entry in response.get("Contents", []) if entry["Key"] != excluding)
        if not response.get("IsTruncated"):
            return total
        request["ContinuationToken"] = response["NextContinuationToken"]


def exists(*, key: str) -> bool:
    """A listing of the key as prefix (the key itself sorts first), not HeadObject: for a missing
    key S3 answers 404 only to callers allowed s3:ListBucket without an s3:prefix condition, and
    403 to the todo role, which may list only under users/."""
    listed = _call("list_objects_v2", Bucket=settings.USER_FILES_BUCKET, Prefix=key, MaxKeys=1).get("Contents", [])
    return bool(listed) and listed[0]["Key"] == key


def download_url(*, key: str, expires: int) -> str:
    """A presigned GET whose response S3 shapes by the signed ``response-*`` parameters: a safe
    image inline with its type, anything else as an ``application/octet-stream`` attachment named
    after the file. Whatever type the uploader chose, HTML, SVG or script never renders as a page
    of the bucket's origin."""
    stored = str(_call("head_object", Bucket=settings.USER_FILES_BUCKET, Key=key).get("ContentType", ""))
    media_type = stored.split(";", 1)[0].strip().lower()
    params = {"Bucket": settings.USER_FILES_BUCKET, "Key": key}
    if media_type in INLINE_TYPES:
        params["ResponseContentType"] = media_type
    else:
        params["ResponseContentType"] = "application/octet-stream"
        # Quoted and escaped, with an RFC 5987 filename* for names beyond ASCII.
        params["ResponseContentDisposition"] = content_disposition_header(True, key.rsplit("/", 1)[-1]) or "attachment"
    return str(_client().generate_presigned_url("get_object", Params=params, ExpiresIn=expires))


def upload_post(
    *, owner: str, key: str | None, content_type: str | None, max_bytes: int, expires: int
) -> dict[str, Any]:
    """A presigned POST into the owner's folder: to exactly ``key`` when given, else to any key
    under the folder (the form's ``key`` field then ends in ``${filename}``); at most ``max_bytes``."""
    fields: dict[str, str] = {}
    conditions: list[Any] = [["content-length-range", 1, max_bytes]]
    if key is None:
        key = folder(owner) + "${filename}"
        conditions.append(["starts-with", "$key", folder(owner)])
    if content_type:
        fields["Content-Type"] = content_type
        conditions.append({"Content-Type": content_type})
    post = _client().generate_presigned_post(
        Bucket=settings.USER_FILES_BUCKET, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires
    )
    return {"url": post["url"], "fields": post["fields"]}


def delete(*, key: str) -> None:
    _call("delete_object", Bucket=settings.USER_FILES_BUCKET, Key=key)


def _client() -> Any:
    return aws.client("s3")


def _call(operation: str, **kwargs: Any) -> dict[str, Any]:
    return aws.call(
        getattr(_client(), operation), unavailable="File storage is busy or unavailable; try again shortly.", **kwargs
    )
