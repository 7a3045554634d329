"""What the subscribe form and API accept as an email address: exactly one plain address.

Anything that could smuggle headers or extra recipients into a message (CR, LF, other control
characters, several addresses, a display name) is refused before it is stored, so no later
code has to trust the stored value.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_LENGTH = 254  # RFC 5321: the longest path a mail server must accept
# What str.splitlines() breaks on: CR, LF and their Unicode relatives, refused even at the ends.
LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


class InvalidAddress(ValueError):
    """The value is not one plain email address; ``str()`` says why, for the person who typed it."""


def address_normalize(value: object) -> str:
    """One email address, trimmed and lower-cased (so that uniqueness is case-insensitive)."""
    if not isinstance(value, str):
        raise InvalidAddress("Enter an email address.")
    if any(char in LINE_BREAKS for char in value):
        raise InvalidAddress("An email address cannot contain line breaks.")
    address = value.strip()
    if not address:
        raise InvalidAddress("Enter an email address.")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in address):
        raise InvalidAddress("An email address cannot contain control characters.")
    if any(separator in address for separator in (",", ";")) or address.count("@") > 1:
        raise InvalidAddress("Enter one email address only.")
    if any(char.isspace() for char in address):
        raise InvalidAddress("An email address cannot contain spaces.")
    if any(char in address for char in '<>()[]"\\'):
        raise InvalidAddress("Enter just the address, like name@example.com, without a name or brackets.")
    if len(address) > MAX_LENGTH:
        raise InvalidAddress(f"An email address has at most {MAX_LENGTH} characters.")
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidAddress("Enter a valid email address, like name@example.com.") from None
    return address.lower()
