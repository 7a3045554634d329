"""Reads of the to-do API: to-dos, the caller's files and what the app needs to reach them."""

from typing import Any

from django.conf import settings

from todo import cognito, user_files
from todo.authentication import CognitoUser
from todo.domain import Todo, TodoNotFound, TodoPage
from todo.repository import TodoRepository, todo_repository


def todo_get(*, owner: str, todo_id: str, repo: TodoRepository | None = None) -> Todo:
    todo = (repo or todo_repository()).get(owner=owner, todo_id=todo_id)
    if todo is None:
        raise TodoNotFound("No such to-do.")
    return todo


def todo_list(*, owner: str, limit: int, cursor: str | None = None, repo: TodoRepository | None = None) -> TodoPage:
    """One page of the owner's to-dos by ``order``, then creation: one DynamoDB request."""
    return (repo or todo_repository()).page(owner=owner, limit=limit, cursor=cursor)


def user_file_list(*, owner: str, limit: int, cursor: str | None = None) -> user_files.FilePage:
    return user_files.list_files(owner=owner, limit=limit, cursor=cursor)


def user_file_download_url(*, owner: str, path: str) -> str:
    """A short-lived presigned GET of one of the caller's files."""
    key = user_files.key_for(owner, path)
    if not user_files.exists(key=key):
        raise user_files.FileNotFound("No such file.")
    return user_files.download_url(key=key, expires=settings.USER_FILE_URL_EXPIRES_SECONDS)


def me_describe(*, user: CognitoUser) -> dict[str, Any]:
    """Who the caller is, and what the app needs to use its S3 folder with identity-pool credentials."""
    attributes = cognito.user_attributes(user.token.raw)
    return {
        "sub": user.sub,
        "email": attributes.get("email"),
        "storage": {
            "bucket": settings.USER_FILES_BUCKET,
            "region": settings.AWS_REGION,
            "prefix": user_files.folder(user.sub),
            "user_pool_id": cognito.user_pool_id(),
            "client_id": cognito.app_client_id(),
            "identity_pool_id": cognito.identity_pool_id(),
        },
    }
