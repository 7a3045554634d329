"""Verification of Cognito user-pool access tokens (docs/architecture.md, decision 5).

A token is accepted only when all of these hold: RS256 (never ``none``, never an HMAC), a ``kid``
of the pool's key set, a valid signature, ``iss`` of the configured pool, ``token_use`` "access",
``client_id`` of the configured app client, ``exp`` in the future and ``iat``/``nbf`` not in the
future (with a small leeway for clock skew). API Gateway's Cognito authorizer checks the same in
production; checking here too keeps the Lambda safe when it is invoked some other way.

The key set is fetched from the JWKS URL once per process and kept; an unknown ``kid`` triggers at
most one refetch per minute (Cognito rotates keys rarely, and forged tokens with random ``kid``s
must not turn into a flood of fetches).
"""

import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from django.conf import settings

from myblog.core.errors import ServiceUnavailable
from todo import cognito

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
# A `sub` is a UUID; it becomes an S3 prefix and a partition key, so nothing else gets through.
# fullmatch, never `$`: it also matches before a trailing newline.
_SUB = re.compile(r"[A-Za-z0-9-]{1,64}")


class InvalidToken(Exception):
    """The bearer token is not a valid access token of our pool and app client."""


@dataclass(frozen=True)
class AccessToken:
    sub: str
    username: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: int
    raw: str


class KeySet:
    """The RSA public keys of one JWKS URL, fetched lazily and kept for the process."""

    def __init__(self, url: str, *, max_age: int, refetch_interval: int, timeout: float) -> None:
        self.url = url
        self.max_age = max_age
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")  # time.monotonic(), for the age on the request path
        self._fetched_wall = float("-inf")  # time.time(), which moves on while a SnapStart snapshot waits
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > self.max_age or (kid not in self._keys and age > self.refetch_interval):
                self._refresh()
            return self._keys.get(kid)

    def renew_if_stale(self) -> None:
        """Measure the keys' age by the wall clock and fetch them if they are older than max_age.

        For SnapStart (myblog/snapstart.py): keys fetched before the snapshot are kept by every
        restored copy, but their monotonic age does not count the days the snapshot waited.
        """
        with self._lock:
            age = max(time.time() - self._fetched_wall, 0.0)
            self._fetched_at = time.monotonic() - age
            if age > self.max_age:
                self._refresh()

    def _refresh(self) -> None:
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as response:  # noqa: S310 - a configured https URL
                document = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if self._keys:  # keep serving with the keys we have; try again on the next miss
                logger.warning("JWKS refresh from %s failed, keeping %d keys: %s", self.url, len(self._keys), exc)
                self._stamp()
                return
            raise ServiceUnavailable("The sign-in keys cannot be fetched; try again shortly.") from exc
        keys = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("alg", ALGORITHM) != ALGORITHM:
                continue
            if entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid"), str):
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM).key
            except jwt.PyJWKError:
                logger.warning("JWKS %s: skipping an unusable key %s", self.url, entry.get("kid"))
        self._keys = keys
        self._stamp()

    def _stamp(self) -> None:
        self._fetched_at, self._fetched_wall = time.monotonic(), time.time()


@lru_cache(maxsize=8)
def key_set(url: str) -> KeySet:
    """One key set per URL and process."""
    return KeySet(
        url,
        max_age=settings.COGNITO_JWKS_MAX_AGE_SECONDS,
        refetch_interval=60,
        timeout=settings.AWS_TIMEOUT_SECONDS,
    )


def signing_keys() -> KeySet:
    """The key set of the configured user pool."""
    return key_set(cognito.jwks_url(cognito.user_pool_id()))


def verify_access_token(token: str) -> AccessToken:
    """The claims of a valid access token; InvalidToken for anything else."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is not a JWT.") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("The token is not signed with RS256.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("The token names no signing key.")

    pool_id = cognito.user_pool_id()
    key = signing_keys().key(kid)
    if key is None:
        raise InvalidToken("The token is signed with an unknown key.")
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[ALGORITHM],
            issuer=cognito.issuer(pool_id),
            leeway=settings.COGNITO_TOKEN_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "sub", "token_use", "client_id"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The token has expired.") from exc
    except jwt.ImmatureSignatureError as exc:
        raise InvalidToken("The token is not valid yet.") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidToken("The token was issued by another user pool.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is invalid.") from exc

    if claims.get("token_use") != "access":
        raise InvalidToken("Send the access token, not the id or refresh token.")
    if claims.get("client_id") != cognito.app_client_id():
        raise InvalidToken("The token was issued to another app client.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not _SUB.fullmatch(sub):
        raise InvalidToken("The token's subject is malformed.")
    scope = claims.get("scope", "")
    return AccessToken(
        sub=sub,
        username=str(claims.get("username", sub)),
        client_id=str(claims["client_id"]),
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
        expires_at=int(claims["exp"]),
        raw=token,
    )
