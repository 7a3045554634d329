"""Per-client throttling of the subscribe endpoints, in a cache every Lambda instance shares.

Each Lambda instance has its own memory, so a local-memory cache would give every instance its
own allowance. The "shared" cache (settings.CACHES) is Django's DatabaseCache: one table in the
database all instances use; `manage.py createcachetable` creates it wherever `migrate` runs.
"""

import hashlib
import ipaddress
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


def client_address(request: HttpRequest) -> str:
    """The address AWS saw the request come from; never an X-Forwarded-For entry.

    API Gateway appends the caller to whatever X-Forwarded-For the client sent, and Zappa's
    REMOTE_ADDR is that header's second-to-last entry (it assumes CloudFront in front), so both
    can be forged. The address of the connection itself is requestContext's sourceIp in the
    event that Zappa keeps in environ["lambda.event"]. Behind CloudFront that is an edge address:
    THROTTLE_VIEWER_ADDRESS_HEADER names the viewer then — X-Viewer-Address, which the CDN's
    viewer-request function writes (a bare address), or CloudFront-Viewer-Address ("ip:port",
    IPv6 unbracketed) — only trustworthy when CloudFront is the only way in. Off Lambda
    (runserver, tests), REMOTE_ADDR is the connection's address.
    """
    header = settings.THROTTLE_VIEWER_ADDRESS_HEADER
    viewer = request.headers.get(header, "").strip() if header else ""
    if viewer:
        return viewer if _is_address(viewer) else viewer.rpartition(":")[0] or viewer
    event: dict[str, Any] = request.META.get("lambda.event") or {}
    context = event.get("requestContext") or {}
    source_ip = (context.get("identity") or {}).get("sourceIp") or (context.get("http") or {}).get("sourceIp")
    return source_ip or request.META.get("REMOTE_ADDR") or "unknown"


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_bucket(address: str) -> str:
    """What one allowance covers: an IPv4 address, or an IPv6 /64 (one site's usual prefix, so
    a client cannot get a new allowance per address it picks inside its own network)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


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
        ident = hashlib.sha256(client_bucket(client_address(request)).encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
