"""Answers a public page this process already rendered, for an unchanged blog, before the rest of the middleware.

The pattern of Django's per-site cache (``FetchFromCacheMiddleware`` asks first,
``UpdateCacheMiddleware`` keeps what the whole stack answered last), in one middleware that sits
right after the request id and the origin check: a kept answer skips sessions, CSRF, auth,
messages, URL resolution and the view, while the headers the rest of the stack adds (HSTS,
nosniff, Referrer-Policy, X-Frame-Options, Content-Security-Policy) are kept with it, because it
was kept as it left that stack. The middleware before it add what must be fresh (X-Request-Id).

What is kept and for whom:

- only a 200 to an anonymous GET (no Cookie, no Authorization) that the stack made publicly
  cacheable (``myblog.blog.caching.public_cache``: ``Cache-Control: public`` and an ETag), sets no
  cookie, is not streamed, varies on no ``*`` and carries no CSP nonce (a nonce must never be
  replayed); everything else (the admin, the to-do API, forms, POSTs, errors) passes through;
- it is served to anonymous GET and HEAD requests for the same scheme, host (validated against
  ALLOWED_HOSTS first), path and query, with the same values of the headers its ``Vary`` names;
- only while it is still the current version of its page: it is kept with the release and the
  blog's freshness its ETag was made from (``public_cache``'s, checked when it is kept) and served
  only while both are still the ones in force, so any write to the blog makes it unreachable at
  once (within ``PUBLIC_FRESHNESS_TTL``, as for the ETags); and for at most ``CACHE_S_MAXAGE``
  seconds, as before;
- ``If-None-Match``/``If-Modified-Since`` get their 304 here too; a revalidation of a page kept
  before but now out of date is rendered as a plain GET, kept, and answered from it (``renew``);
- each process keeps at most ``max_entries`` answers and ``max_bytes`` of them, least recently used
  first out.

The store is the process's, shared by every handler it builds: Lambda's and gunicorn's one, and the
one myblog.snapstart warms before a snapshot, so a restored copy starts with the pages it answered.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.utils.cache import cc_delim_re, get_conditional_response
from django.utils.http import parse_http_date_safe, quote_etag

from myblog.blog.caching import page_version, request_freshness
from myblog.core.db_router import public_reads

# What describes a body, left out of a 304 (RFC 9110, 15.4.5); Content-Length is set as Django's
# CommonMiddleware sets it on a fresh 304, so both answer alike.
BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "content-language", "content-range"})
CSP_HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
# Bookkeeping per kept answer (the key, the entry, the header tuples), counted against max_bytes.
ENTRY_OVERHEAD_BYTES = 512
REVALIDATION_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
PRECONDITION_HEADERS = ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
CONDITIONAL_HEADERS = REVALIDATION_HEADERS + PRECONDITION_HEADERS
# ResponseHeaders' own storage: {lower-case name: (name, value)}, values already checked and encoded.
HeaderStore = dict[str, tuple[str, str]]


def _with_headers(response: HttpResponseBase, headers: HeaderStore) -> HttpResponseBase:
    """The response with a copy of headers that a ResponseHeaders checked when the answer was kept.

    Copied as ResponseHeaders stores them rather than set one by one: setting them checks and
    encodes each name and value again, a fifth of what a kept answer costs, for values that
    cannot have changed. (The tests compare every header of kept and fresh answers.)
    """
    response.headers._store = dict(headers)
    return response


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    """A 200 as it left the middleware after this one, and when it may be served."""

    etag: str
    last_modified: int | None
    release: str  # settings.RELEASE and the blog's freshness token the ETag was made from
    freshness: str
    vary: tuple[tuple[str, str], ...]  # (request.META name, the value it was answered for)
    headers: HeaderStore
    not_modified_headers: HeaderStore
    content: bytes
    expires: float  # time.monotonic()

    @property
    def size(self) -> int:
        return ENTRY_OVERHEAD_BYTES + len(self.content) + sum(len(n) + len(v) for n, v in self.headers.values())

    def response(self) -> HttpResponseBase:
        # A new response each time: the middleware before this one add headers to it.
        return _with_headers(HttpResponse(self.content), self.headers)

    def not_modified(self) -> HttpResponseBase:
        return _with_headers(HttpResponseNotModified(), self.not_modified_headers)


class AnswerStore:
    """Kept answers by key, least recently used first out, within a count and a size.

    An OrderedDict under a lock rather than a cache library: twenty lines, no dependency in the
    Lambda package, and the values stay Python objects (Django's local-memory cache would pickle
    every page on each read).
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, KeptAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> KeptAnswer | None:
        with self._lock:
            kept = self._entries.get(key)
            if kept is not None:
                self._entries.move_to_end(key)
            return kept

    def put(self, key: str, kept: KeptAnswer) -> None:
        if kept.size > self.max_bytes:
            return
        with self._lock:
            self._pop(key)
            self._entries[key] = kept
            self.bytes += kept.size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                self._pop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def discard(self, key: str) -> None:
        with self._lock:
            self._pop(key)

    def _pop(self, key: str) -> None:
        if (gone := self._entries.pop(key, None)) is not None:
            self.bytes -= gone.size


def _directives(header: str) -> set[str]:
    return {part.split("=", 1)[0].strip().lower() for part in cc_delim_re.split(header) if part.strip()}


def keepable(response: HttpResponseBase) -> bool:
    """Whether anyone may be given this answer: a complete, public 200 that names no one."""
    if response.status_code != 200 or response.streaming or response.cookies or "ETag" not in response:
        return False
    cache_control = _directives(response.get("Cache-Control", ""))
    if "public" not in cache_control or cache_control & {"private", "no-store", "no-cache"}:
        return False
    if "*" in _directives(response.get("Vary", "")):
        return False
    return not any("'nonce-" in response.get(header, "") for header in CSP_HEADERS)


class PageCacheMiddleware:
    """Serves kept public answers before the rest of the stack; keeps the ones the stack made.

    In MIDDLEWARE after RequestIdMiddleware (a fresh X-Request-Id on every answer), the origin
    check (a request that did not come through CloudFront never gets an answer) and
    CdnScriptPrefixMiddleware (links depend on the script prefix), before everything else.
    """

    max_entries = 1000
    max_bytes = 16 * 1024 * 1024
    store = AnswerStore(max_entries, max_bytes)  # the process's (module docstring)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = self.key(request)
        if key is None:
            return self.get_response(request)
        kept = self.store.get(key)
        if kept is not None:
            if (answer := self.answer(request, key, kept)) is not None:
                return answer
            if (answer := self.renew(request, key)) is not None:
                return answer
        response = self.get_response(request)
        if request.method == "GET" and keepable(response):
            self.keep(request, key, response)
        return response

    @staticmethod
    def key(request: HttpRequest) -> str | None:
        """The URL an anonymous read asks for, or None when no kept answer may serve it."""
        if request.method not in ("GET", "HEAD"):
            return None
        # The public pages act for no one: whoever sends a session, or any credentials, gets what
        # the whole stack makes for them (a staff redirect, their messages, a 401).
        if request.META.get("HTTP_COOKIE") or request.META.get("HTTP_AUTHORIZATION"):
            return None
        try:
            host = request.get_host()  # checked against ALLOWED_HOSTS
        except DisallowedHost:
            return None  # the stack refuses it as it always has: a private 400 with its headers
        return f"{request.scheme}://{host}{request.path}?{request.META.get('QUERY_STRING', '')}"

    def answer(self, request: HttpRequest, key: str, kept: KeptAnswer) -> HttpResponseBase | None:
        """The kept answer (or its 304) when it is still the current version, else None."""
        if time.monotonic() >= kept.expires:
            self.store.discard(key)
            return None
        if kept.vary and any(request.META.get(name, "") != value for name, value in kept.vary):
            return None
        with public_reads():
            freshness = request_freshness(request)
        if freshness.token != kept.freshness or kept.release != settings.RELEASE:
            self.store.discard(key)  # the blog changed since: never serve it again
            return None
        meta = request.META
        if not any(name in meta for name in CONDITIONAL_HEADERS):
            return kept.response()
        # What a cache revalidating its copy sends: this very ETag and no precondition. It needs no
        # parsing (If-None-Match wins over If-Modified-Since, RFC 9110, 13.2.2).
        if meta.get("HTTP_IF_NONE_MATCH") == kept.etag and not any(name in meta for name in PRECONDITION_HEADERS):
            return kept.not_modified()
        conditional = get_conditional_response(request, etag=kept.etag, last_modified=kept.last_modified)
        if conditional is None:
            return kept.response()
        if conditional.status_code == 304:
            return kept.not_modified()
        return None  # a failed If-Match or If-Unmodified-Since: the stack answers it (412)

    def renew(self, request: HttpRequest, key: str) -> HttpResponseBase | None:
        """A revalidation of a page kept before (now out of date), answered from it rendered anew.

        Behind CloudFront most reads that reach an instance revalidate (If-None-Match), often with
        the ETag another instance gave: the stack would answer 304 and leave nothing to keep. So
        the page is rendered as a plain GET, kept, and the revalidation answered from it. Only for
        a page that was kept before (its answers are public), and None when this one cannot be
        kept after all: the stack then answers the request as it came.
        """
        meta = request.META
        if request.method != "GET" or any(name in meta for name in PRECONDITION_HEADERS):
            return None
        if not any(name in meta for name in REVALIDATION_HEADERS):
            return None  # a plain GET: rendered and kept on the way
        revalidation = {name: meta.pop(name) for name in REVALIDATION_HEADERS if name in meta}
        try:
            response = self.get_response(request)
        finally:
            meta.update(revalidation)
        if not keepable(response) or (kept := self.keep(request, key, response)) is None:
            return None
        return self.answer(request, key, kept)

    def keep(self, request: HttpRequest, key: str, response: HttpResponseBase) -> KeptAnswer | None:
        assert isinstance(response, HttpResponse)  # keepable(): not streamed
        # public_cache read the freshness for this request (no query here) and made the ETag from it;
        # an ETag made any other way is not one this cache can tell the staleness of.
        with public_reads():
            freshness = request_freshness(request)
        if response["ETag"] != quote_etag(page_version(request, freshness)):
            return None
        headers: HeaderStore = dict(response.headers._store)
        # What a 304 carries (RFC 9110, 15.4.5): everything but what describes the body, and the
        # Content-Length: 0 that CommonMiddleware gives a fresh 304.
        not_modified = {lower: item for lower, item in headers.items() if lower not in BODY_HEADERS}
        not_modified["content-length"] = ("Content-Length", "0")
        vary = tuple(
            (meta, request.META.get(meta, ""))
            for name in _directives(response.get("Vary", ""))
            for meta in ["HTTP_" + name.upper().replace("-", "_")]
        )
        kept = KeptAnswer(
            etag=response["ETag"],
            last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
            release=settings.RELEASE,
            freshness=freshness.token,
            vary=vary,
            headers=headers,
            not_modified_headers=not_modified,
            content=response.content,
            expires=time.monotonic() + settings.CACHE_S_MAXAGE,
        )
        self.store.put(key, kept)
        return kept
