"""Per-client throttling of the subscribe endpoints, in a cache every Lambda instance shares.

Each Lambda instance has its own memory, so a local-memory cache would give every instance its
own allowance. The "shared" cache (settings.CACHES) is Django's DatabaseCache: one table in the
database all instances use; `manage.py createcachetable` creates it wherever `migrate` runs.
"""

import hashlib

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


def client_address(request: HttpRequest) -> str:
    """The client's IP address as the last trusted proxy saw it.

    With THROTTLE_PROXY_COUNT = 0 that is REMOTE_ADDR (on Lambda, API Gateway's sourceIp).
    Behind N proxies that each append to X-Forwarded-For, the client is the N-th entry from the
    right; entries further left come from the client and could be anything.
    """
    proxies = settings.THROTTLE_PROXY_COUNT
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if proxies > 0 and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR") or "unknown"


class SubscribeThrottle(SimpleRateThrottle):
    """SUBSCRIBE_THROTTLE_RATE requests per client, for the form and the API together."""

    scope = "subscribe"

    # A property over DRF's class attribute: the cache is looked up when used, not at import.
    @property
    def cache(self) -> BaseCache:  # type: ignore[override]  # read-only, where DRF declares an attribute
        return caches[settings.THROTTLE_CACHE]

    def get_rate(self) -> str:
        return settings.SUBSCRIBE_THROTTLE_RATE

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        # Hashed: the address may come from a header, and cache keys must stay short and plain.
        ident = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
