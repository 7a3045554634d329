"""Writes of the to-do API: to-dos and the caller's files."""

import re
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from todo import user_files
from todo.domain import InvalidInput, QuotaExceeded, Todo, TodoChanges, new_todo_id
from todo.repository import TodoRepository, todo_repository

# Used with fullmatch: `$` also matches before a trailing newline.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")


def todo_create(
    *, owner: str, title: str, completed: bool = False, order: int = 0, repo: TodoRepository | None = None
) -> Todo:
    """A new to-do, unless the owner has reached TODO_QUOTA."""
    now = datetime.now(UTC)
    todo = Todo(
        owner=owner,
        id=new_todo_id(),
        title=title,
        completed=completed,
        order=order,
        created_at=now,
        updated_at=now,
        version=1,
    )
    return (repo or todo_repository()).create(todo=todo, quota=settings.TODO_QUOTA)


def todo_update(
    *,
    owner: str,
    todo_id: str,
    changes: TodoChanges,
    expected_versions: list[int] | None = None,
    repo: TodoRepository | None = None,
) -> Todo:
    """Change some fields (PATCH) or all of them (PUT); ``expected_versions`` is the If-Match."""
    if changes.is_empty():
        raise InvalidInput("Send at least one of title, completed and order.")
    return (repo or todo_repository()).update(
        owner=owner, todo_id=todo_id, changes=changes, expected_versions=expected_versions
    )


def todo_delete(
    *, owner: str, todo_id: str, expected_versions: list[int] | None = None, repo: TodoRepository | None = None
) -> None:
    (repo or todo_repository()).delete(owner=owner, todo_id=todo_id, expected_versions=expected_versions)


def todo_delete_all(*, owner: str, repo: TodoRepository | None = None) -> int:
    return (repo or todo_repository()).delete_all(owner=owner)


def user_file_upload_presign(
    *, owner: str, path: str | None = None, content_type: str | None = None, size: int | None = None
) -> dict[str, Any]:
    """A presigned POST into the caller's folder for at most USER_FILE_MAX_BYTES, what is left of
    USER_STORAGE_QUOTA_BYTES and ``size`` when given; QuotaExceeded when not even that fits."""
    key = user_files.key_for(owner, path) if path is not None else None
    if content_type is not None and not _MEDIA_TYPE.fullmatch(content_type):
        raise InvalidInput("Invalid content type.", fields={"content_type": ["Use a media type such as image/jpeg."]})
    largest = settings.USER_FILE_MAX_BYTES
    if size is not None and size > largest:
        raise InvalidInput("The file is too large.", fields={"size": [f"At most {largest} bytes per file."]})
    quota = settings.USER_STORAGE_QUOTA_BYTES
    # A file replaced by this upload (same key) stops counting once the new one arrives.
    used = user_files.usage(owner=owner, excluding=key)
    left = max(quota - used, 0)
    if left < (size or 1):
        message = f"Only {left} bytes of your {quota}-byte storage are left; delete some files first."
        raise QuotaExceeded(message, fields={"size": [message]})
    max_bytes = min(largest, left, size or largest)
    expires = settings.USER_FILE_UPLOAD_EXPIRES_SECONDS
    post = user_files.upload_post(owner=owner, key=key, content_type=content_type, max_bytes=max_bytes, expires=expires)
    return {
        **post,
        "key": key or f"{user_files.folder(owner)}${{filename}}",
        "prefix": user_files.folder(owner),
        "max_bytes": max_bytes,
        "used_bytes": used,
        "quota_bytes": quota,
        "expires_in": expires,
    }


def user_file_delete(*, owner: str, path: str) -> None:
    key = user_files.key_for(owner, path)
    if not user_files.exists(key=key):
        raise user_files.FileNotFound("No such file.")
    user_files.delete(key=key)
