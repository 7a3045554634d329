"""Typed readers for environment variables, used by settings."""

import os
from typing import overload

from django.core.exceptions import ImproperlyConfigured

# Every variable that settings declared required, whether set or not: what a deploy must provide
# (infra.stage_env checks each stage's against it).
REQUIRED: set[str] = set()


# With a default the value is always a string; without one it may be missing (None).
@overload
def env_str(name: str, default: str, *, required: bool = False) -> str: ...
@overload
def env_str(name: str, default: None = None, *, required: bool = False) -> str | None: ...
def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name)
    if required:
        REQUIRED.add(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"The environment variable {name} is required in production.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}.")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name: str, default: list[str], *, required: bool = False) -> list[str]:
    items = [item.strip() for item in (env_str(name, required=required) or "").split(",") if item.strip()]
    if required and not items:
        raise ImproperlyConfigured(f"The environment variable {name} is required in production.")
    return items or default
