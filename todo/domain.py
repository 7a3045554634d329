"""What the to-do API deals in: to-dos, pages of them, and the domain errors."""

import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from myblog.core.errors import ApplicationError, Conflict, NotFound

TITLE_MAX_LENGTH = 500
# `order` is a 32-bit signed integer, as the mobile clients store it.
ORDER_MIN, ORDER_MAX = -(2**31), 2**31 - 1
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 100, 500

# Crockford's base32: ids sort by creation time as strings and need no escaping in URLs.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 26
ID_PATTERN = "[0-9A-HJKMNP-TV-Z]{26}"


@dataclass(frozen=True)
class Todo:
    owner: str  # the Cognito `sub` of the user
    id: str
    title: str
    completed: bool
    order: int
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


@dataclass(frozen=True)
class TodoPage:
    items: list[Todo]
    cursor: str | None  # opaque; None on the last page


@dataclass(frozen=True)
class TodoChanges:
    """The fields a write sets; None leaves a field as it is."""

    title: str | None = None
    completed: bool | None = None
    order: int | None = None

    def is_empty(self) -> bool:
        return self.title is None and self.completed is None and self.order is None


def new_todo_id(now_ms: int | None = None) -> str:
    """A ULID-style id: 48 bits of milliseconds then 80 random bits, so ids sort by creation."""
    value = ((now_ms if now_ms is not None else time.time_ns() // 1_000_000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(ID_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


class TodoNotFound(NotFound):
    # Also the answer for another user's to-do: its existence is none of the caller's business.
    pass


class VersionConflict(Conflict):
    pass


class QuotaExceeded(ApplicationError):
    code = "quota_exceeded"


class InvalidCursor(ApplicationError):
    code = "invalid"

    def __init__(self) -> None:
        message = "The cursor is not valid; start again from the first page."
        super().__init__(message, fields={"cursor": [message]})


class InvalidInput(ApplicationError):
    code = "invalid"
