"""Tell, per update file, whether the updates CDN (infra/updates_cdn.yaml) can cache it.

Usage: python -m infra.updates_check URL... [--downloads N] [--edges M] [--period SECONDS]
                                            [--size-from-head] [--json]

Run it against the origin (or, after the deploy, against the distribution) before pointing
clients at the CDN. For each URL it sends a HEAD and a one-byte ranged GET (`Range: bytes=0-0`,
whose body is never read past the first byte) as CloudFront would send them: `User-Agent:
Amazon CloudFront`, no cookies, `Accept-Encoding: identity`. It reads the answers the way the
distribution's cache policy (MinTTL 0, DefaultTTL 1 day, MaxTTL 1 year, cache key = path) and
CloudFront's documented rules treat them:

- Cache-Control `no-store`, `private`, `no-cache` (without field names) or a zero max-age:
  CloudFront does not keep the file (or revalidates it on every download): not cacheable.
  Otherwise the TTL is `s-maxage`, else `max-age`, else `Expires` minus `Date` (CloudFront
  prefers max-age over Expires), else the distribution's DefaultTTL; capped at MaxTTL.
- `ETag` / `Last-Modified`: without either, every expiry costs a full download instead of a 304.
- Byte ranges: CloudFront serves ranges whatever the origin does; an origin that ignores Range
  makes CloudFront fetch the whole file on the first ranged request at each cache.
- `Vary`: CloudFront's cache key is the cache policy's (the path here), not Vary. `Vary: *`
  (with MinTTL 0) makes CloudFront go to the origin on every request; any other value but
  Accept-Encoding is ignored for the key and dropped, so one variant is served to every client.
- `Set-Cookie`: the rule relied on (CloudFront Developer Guide, "Cache content based on
  cookies"): when a cache behaviour forwards no cookies, as this one, CloudFront still caches
  the response and removes `Set-Cookie` from what it returns to viewers; were cookies forwarded,
  it would cache the `Set-Cookie` headers and send them to every viewer on later hits, unless
  the origin sends `Cache-Control: no-cache="Set-Cookie"`. So a cookie does not stop caching
  here, but the client never receives it.
- Content-Length: without it CloudFront cannot tell a dropped origin connection from the end of
  the file and may cache a truncated file.

The offload model, per file, for N downloads spread over PERIOD seconds across M edge caches:

    caches         = 1 with Origin Shield (every edge fills from the shield), else M
    windows        = ceil(PERIOD / TTL)           the number of times the cached copy expires
    origin_fetches = min(N, caches * windows)     N when the file is not cacheable
    full_transfers = min(origin_fetches, caches)  if the file has ETag/Last-Modified (later
                     fetches are 304 revalidations), else origin_fetches
    offload        = 1 - origin_fetches / N       requests the origin no longer answers
    byte offload   = 1 - full_transfers / N       bytes the origin no longer sends

It is an estimate: without Origin Shield M is an upper bound (edges behind the same regional
edge cache share its copy), and a rarely downloaded file may be evicted before its TTL ends,
which adds fetches. The exit status is 1 if any file is not cacheable, else 0.
"""

import argparse
import contextlib
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlsplit

import requests

# The cache policy of infra/updates_cdn.yaml (UpdatesCachePolicy); keep them equal.
MIN_TTL = 0
DEFAULT_TTL = 86_400
MAX_TTL = 31_536_000
# Below this a file is fetched from the origin often enough to be worth a remark.
SHORT_TTL = 3_600

CACHEABLE = "cacheable"
CAVEATS = "cacheable with caveats"
NOT_CACHEABLE = "not cacheable"

OK, CAVEAT, BAD = "ok", "caveat", "bad"

# What CloudFront sends to the origin with this distribution (no cookies, no viewer headers).
REQUEST_HEADERS = {"User-Agent": "Amazon CloudFront", "Accept-Encoding": "identity"}


@dataclass
class Finding:
    level: str  # ok, caveat or bad
    topic: str
    message: str
    advice: str = ""


@dataclass
class Offload:
    origin_shield: bool
    origin_fetches: int
    full_transfers: int
    offload: float
    byte_offload: float


@dataclass
class Probe:
    """What the origin answered: HEAD and the one-byte ranged GET (headers only)."""

    url: str
    head_status: int | None = None
    head_headers: dict[str, str] = field(default_factory=dict)
    range_status: int | None = None
    range_headers: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass
class FileReport:
    url: str
    verdict: str
    status: int | None
    ttl: int | None
    ttl_source: str
    size: int | None
    revalidates: bool
    findings: list[Finding]
    offload: list[Offload]


def probe(url: str, *, session: requests.Session | None = None, timeout: float = 10.0) -> Probe:
    """Send the HEAD and the ranged GET; never download more than the headers and a few bytes."""
    http = session or requests.Session()
    found = Probe(url=url)
    try:
        head = http.head(url, headers=REQUEST_HEADERS, allow_redirects=False, timeout=timeout)
        found.head_status, found.head_headers = head.status_code, _lower(head.headers)
        ranged = http.get(
            url,
            headers={**REQUEST_HEADERS, "Range": "bytes=0-0"},
            allow_redirects=False,
            timeout=timeout,
            stream=True,
        )
        # An origin that ignores Range answers 200 with the whole file: close without reading it.
        ranged.close()
        found.range_status, found.range_headers = ranged.status_code, _lower(ranged.headers)
    except requests.RequestException as exc:
        found.error = f"{type(exc).__name__}: {exc}"
    return found


def assess(
    found: Probe,
    *,
    downloads: int,
    edges: int,
    period: int,
    size_from_head: bool = False,
    now: datetime | None = None,
) -> FileReport:
    """Judge one probed file against the distribution's cache policy and CloudFront's rules."""
    findings: list[Finding] = []
    if found.error:
        findings.append(
            Finding(
                BAD, "origin", f"no answer from the origin ({found.error})", "check the URL and that the origin is up"
            )
        )
        return _report(found, findings, None, "", None, False, downloads, edges, period)

    headers = found.head_headers
    status = found.head_status
    if status in (405, 501) and found.range_status is not None:
        findings.append(
            Finding(
                CAVEAT,
                "status",
                f"the origin refuses HEAD ({status}); judged from the GET's headers",
                "answer HEAD like GET without a body (clients and CloudFront use it to check for updates)",
            )
        )
        headers, status = found.range_headers, found.range_status
    if status is not None and 300 <= status < 400:
        target = headers.get("location", "?")
        findings.append(
            Finding(
                BAD,
                "status",
                f"{status} redirect to {target}: CloudFront caches the redirect itself and does not follow it",
                "check the redirect target instead, or serve the file at this path",
            )
        )
        return _report(found, findings, None, "", None, False, downloads, edges, period, status=status)
    if status is None or not 200 <= status < 300:
        findings.append(
            Finding(BAD, "status", f"the origin answered {status}", "check the URL; only a 2xx file can be cached")
        )
        return _report(found, findings, None, "", None, False, downloads, edges, period, status=status)

    ttl, ttl_source = _freshness(headers, findings, now=now)
    revalidates = _validators(headers, findings)
    size = _ranges_and_size(found, headers, findings, size_from_head=size_from_head)
    _vary(headers, findings)
    _set_cookie(headers, findings)
    _query_string(found.url, findings)
    cache_status = headers.get("x-cache")
    if cache_status:
        findings.append(Finding(OK, "cloudfront", f"served by CloudFront (X-Cache: {cache_status})"))
    return _report(found, findings, ttl, ttl_source, size, revalidates, downloads, edges, period, status=status)


def origin_offload(
    *, downloads: int, edges: int, period: int, ttl: int | None, revalidates: bool, origin_shield: bool
) -> Offload:
    """The module docstring's model; ttl None means CloudFront does not cache the file."""
    caches = 1 if origin_shield else edges
    if not ttl or downloads <= 0:
        fetches = full = max(downloads, 0)
    else:
        windows = max(1, math.ceil(period / ttl))
        fetches = min(downloads, caches * windows)
        full = min(fetches, caches) if revalidates else fetches
    share = (lambda n: 1 - n / downloads) if downloads > 0 else (lambda n: 0.0)
    return Offload(
        origin_shield=origin_shield,
        origin_fetches=fetches,
        full_transfers=full,
        offload=share(fetches),
        byte_offload=share(full),
    )


def verdict_of(findings: Sequence[Finding]) -> str:
    levels = {finding.level for finding in findings}
    if BAD in levels:
        return NOT_CACHEABLE
    return CAVEATS if CAVEAT in levels else CACHEABLE


def check(
    urls: Sequence[str],
    *,
    downloads: int,
    edges: int,
    period: int,
    size_from_head: bool = False,
    timeout: float = 10.0,
) -> list[FileReport]:
    with requests.Session() as session:
        return [
            assess(
                probe(url, session=session, timeout=timeout),
                downloads=downloads,
                edges=edges,
                period=period,
                size_from_head=size_from_head,
            )
            for url in urls
        ]


def render(reports: Sequence[FileReport], *, downloads: int, edges: int, period: int) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(report.url)
        lines.append(f"  verdict: {report.verdict.upper()}")
        facts = [f"status {report.status}" if report.status is not None else "no answer"]
        if report.size is not None:
            facts.append(f"{report.size:,} bytes")
        if report.ttl:
            facts.append(f"CloudFront keeps it {_duration(report.ttl)} ({report.ttl_source})")
        lines.append("  " + ", ".join(facts))
        for finding in report.findings:
            lines.append(f"  {finding.level:<7}{finding.topic:<15}{finding.message}")
            if finding.advice and finding.level != OK:
                lines.append(f"  {'':<22}change: {finding.advice}")
        lines.append(f"  origin load for {downloads:,} downloads in {_duration(period)} across {edges} edge caches:")
        for estimate in report.offload:
            label = "with Origin Shield:   " if estimate.origin_shield else "without Origin Shield:"
            lines.append(
                f"    {label} {estimate.origin_fetches:>9,} origin {_plural(estimate.origin_fetches, 'fetch')}"
                f" ({estimate.full_transfers:,} full), offload {estimate.offload:.3%} of requests,"
                f" {estimate.byte_offload:.3%} of bytes"
            )
        lines.append("")
    counts = {verdict: sum(r.verdict == verdict for r in reports) for verdict in (CACHEABLE, CAVEATS, NOT_CACHEABLE)}
    lines += [
        f"{counts[CACHEABLE]} cacheable, {counts[CAVEATS]} cacheable with caveats, {counts[NOT_CACHEABLE]} not cacheable",
        "",
        "How the offload is estimated, per file (N downloads in the period, M edge caches):",
        "  caches = 1 with Origin Shield (every edge fills from it), else M",
        "  origin fetches = min(N, caches x ceil(period / TTL)); N when the file is not cacheable",
        "  full = fetches that send the whole file: one per cache if ETag/Last-Modified allow 304s, else all",
        "  offload = 1 - origin fetches / N (requests); 1 - full / N (bytes)",
        "  An estimate: without Origin Shield M is an upper bound (edges share regional caches);",
        "  rarely downloaded files may be evicted before their TTL ends, which adds fetches.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.updates_check",
        description="Tell per file whether the updates CDN can cache it and the expected origin offload.",
    )
    parser.add_argument("urls", nargs="+", metavar="URL", help="update files on the origin (or the CDN)")
    parser.add_argument("--downloads", type=_positive, default=100_000, metavar="N", help="downloads of each file")
    parser.add_argument("--edges", type=_positive, default=20, metavar="M", help="edge caches that serve them")
    parser.add_argument(
        "--period", type=_positive, default=DEFAULT_TTL, metavar="SECONDS", help="time the downloads are spread over"
    )
    parser.add_argument(
        "--size-from-head",
        action="store_true",
        help="take each file's size from HEAD's Content-Length rather than the ranged GET's Content-Range",
    )
    parser.add_argument("--timeout", type=_seconds, default=10.0, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    reports = check(
        args.urls,
        downloads=args.downloads,
        edges=args.edges,
        period=args.period,
        size_from_head=args.size_from_head,
        timeout=args.timeout,
    )
    if args.json:
        model = {"downloads": args.downloads, "edges": args.edges, "period": args.period}
        print(json.dumps({"model": model, "files": [asdict(report) for report in reports]}, indent=2))
    else:
        print(render(reports, downloads=args.downloads, edges=args.edges, period=args.period))
    return 1 if any(report.verdict == NOT_CACHEABLE for report in reports) else 0


def _report(
    found: Probe,
    findings: list[Finding],
    ttl: int | None,
    ttl_source: str,
    size: int | None,
    revalidates: bool,
    downloads: int,
    edges: int,
    period: int,
    *,
    status: int | None = None,
) -> FileReport:
    verdict = verdict_of(findings)
    cached_ttl = ttl if verdict != NOT_CACHEABLE else None
    return FileReport(
        url=found.url,
        verdict=verdict,
        status=status,
        ttl=cached_ttl,
        ttl_source=ttl_source if cached_ttl else "",
        size=size,
        revalidates=revalidates,
        findings=findings,
        offload=[
            origin_offload(
                downloads=downloads,
                edges=edges,
                period=period,
                ttl=cached_ttl,
                revalidates=revalidates,
                origin_shield=shield,
            )
            for shield in (True, False)
        ],
    )


def _freshness(headers: Mapping[str, str], findings: list[Finding], *, now: datetime | None) -> tuple[int | None, str]:
    raw = headers.get("cache-control", "")
    directives = cache_control(raw)
    long_lived = (
        "send Cache-Control: public, max-age=31536000, immutable for files whose name changes with each version"
    )
    for name in ("no-store", "private"):
        if name in directives:
            findings.append(
                Finding(BAD, "cache-control", f"Cache-Control: {raw} - CloudFront does not store it", long_lived)
            )
            return None, ""
    if "no-cache" in directives and not directives["no-cache"]:
        findings.append(
            Finding(
                BAD,
                "cache-control",
                f"Cache-Control: {raw} - CloudFront asks the origin again on every download",
                long_lived + ' (no-cache="Set-Cookie" is fine: it names only that header)',
            )
        )
        return None, ""
    ttl: int | None = None
    source = ""
    for name in ("s-maxage", "max-age"):
        seconds = _int(directives.get(name))
        if seconds is not None:
            ttl, source = seconds, f"{name}={seconds}"
            break
    if ttl is None and "expires" in headers:
        ttl, source = _expires_ttl(headers, now=now), f"Expires: {headers['expires']}"
    if ttl is None:
        findings.append(
            Finding(
                CAVEAT,
                "cache-control",
                f"no Cache-Control max-age/s-maxage and no Expires: CloudFront keeps it its DefaultTTL ({_duration(DEFAULT_TTL)})",
                long_lived + "; a manifest that changes in place keeps a short max-age",
            )
        )
        return DEFAULT_TTL, "the distribution's DefaultTTL"
    if ttl <= MIN_TTL:
        findings.append(
            Finding(
                BAD,
                "cache-control",
                f"{source}: already stale, so every download goes to the origin",
                long_lived,
            )
        )
        return None, ""
    if ttl > MAX_TTL:
        findings.append(Finding(OK, "cache-control", f"{source}, capped at the distribution's MaxTTL (1 year)"))
        return MAX_TTL, f"{source}, capped at MaxTTL"
    if ttl < SHORT_TTL:
        findings.append(
            Finding(
                CAVEAT,
                "cache-control",
                f"{source}: only {_duration(ttl)}, so each cache goes back to the origin that often",
                "fine for a manifest that changes in place; for a versioned file use max-age=31536000, immutable",
            )
        )
        return ttl, source
    findings.append(Finding(OK, "cache-control", f"{source} ({_duration(ttl)})"))
    return ttl, source


def _validators(headers: Mapping[str, str], findings: list[Finding]) -> bool:
    present = [name for name in ("etag", "last-modified") if name in headers]
    if present:
        shown = ", ".join(f"{'ETag' if n == 'etag' else 'Last-Modified'}: {headers[n]}" for n in present)
        findings.append(Finding(OK, "validators", f"{shown} - an expired copy is revalidated with a 304"))
        return True
    findings.append(
        Finding(
            CAVEAT,
            "validators",
            "no ETag or Last-Modified: every expiry costs a full download from the origin instead of a 304",
            "send ETag or Last-Modified (static file servers do by default) and answer If-None-Match/If-Modified-Since",
        )
    )
    return False


def _ranges_and_size(
    found: Probe, headers: Mapping[str, str], findings: list[Finding], *, size_from_head: bool
) -> int | None:
    head_length = _int(headers.get("content-length"))
    total: int | None = None
    ranged = found.range_headers
    match = re.fullmatch(r"bytes\s+0-0/(\d+)", ranged.get("content-range", "").strip())
    if found.range_status == 206 and match:
        total = int(match.group(1))
        findings.append(Finding(OK, "ranges", "byte ranges work (206 to Range: bytes=0-0)"))
        if ranged.get("transfer-encoding", "").lower() == "chunked":
            findings.append(
                Finding(
                    CAVEAT,
                    "ranges",
                    "the ranged answer is chunked: CloudFront then returns the whole file to a Range request",
                    "send ranged answers with Content-Length",
                )
            )
    else:
        advertised = f"Accept-Ranges: {headers['accept-ranges']}" if "accept-ranges" in headers else "no Accept-Ranges"
        findings.append(
            Finding(
                CAVEAT,
                "ranges",
                f"Range: bytes=0-0 got {found.range_status} ({advertised}): CloudFront fetches the whole"
                " file on the first ranged request at each cache, then serves ranges from its copy",
                "enable byte-range support on the origin (answer Range with 206 and Content-Range)",
            )
        )
    if head_length is None:
        findings.append(
            Finding(
                CAVEAT,
                "length",
                "no Content-Length: CloudFront may cache a truncated file if the origin connection drops",
                "send Content-Length",
            )
        )
    elif total is not None and total != head_length:
        findings.append(
            Finding(
                CAVEAT,
                "length",
                f"HEAD says {head_length:,} bytes but the ranged GET says {total:,}",
                "make HEAD and GET describe the same file",
            )
        )
    if size_from_head or total is None:
        return head_length
    return total


def _vary(headers: Mapping[str, str], findings: list[Finding]) -> None:
    names = [name.strip() for name in headers.get("vary", "").split(",") if name.strip()]
    others = [name for name in names if name.lower() != "accept-encoding"]
    if "*" in others:
        findings.append(
            Finding(
                BAD,
                "vary",
                "Vary: * - CloudFront forwards every request to the origin, without If-None-Match/If-Modified-Since",
                "drop Vary: * for update files",
            )
        )
    elif others:
        shown = ", ".join(others)
        findings.append(
            Finding(
                CAVEAT,
                "vary",
                f"Vary: {shown} - CloudFront's cache key is the path only, so it ignores this, caches the one"
                " copy the origin gave CloudFront and serves it to every client (other shared caches would split"
                " their cache per value instead)",
                f"drop Vary: {shown}; if the file really differs by {shown}, put the variant in the path"
                " (or a query string named in CacheQueryStrings)",
            )
        )


def _set_cookie(headers: Mapping[str, str], findings: list[Finding]) -> None:
    raw = headers.get("set-cookie", "")
    if not raw:
        return
    # Only the names: the values may be someone's session.
    names = sorted({part.split("=", 1)[0].strip() for part in re.split(r",\s*(?=[^;,=\s]+=)", raw) if "=" in part})
    sticky = [name for name in names if name.upper().startswith("AWSALB")]
    hint = " (ALB stickiness: turn it off on this target group)" if sticky else ""
    findings.append(
        Finding(
            CAVEAT,
            "set-cookie",
            f"Set-Cookie ({', '.join(names)}): this distribution forwards no cookies, so CloudFront caches the file"
            " and strips Set-Cookie - clients never get the cookie (were cookies forwarded, CloudFront would replay"
            " it to every client)",
            f'stop setting cookies on update files{hint}; if one must stay, add Cache-Control: no-cache="Set-Cookie"',
        )
    )


def _query_string(url: str, findings: list[Finding]) -> None:
    query = urlsplit(url).query
    if query:
        names = sorted({name for name, _ in parse_qsl(query, keep_blank_values=True)}) or [query]
        findings.append(
            Finding(
                CAVEAT,
                "query-string",
                f"the URL has a query string ({', '.join(names)}): the distribution ignores it unless named in"
                " CacheQueryStrings, so all values share one cached file",
                "name the query strings that select a file in CacheQueryStrings, or put them in the path",
            )
        )


def cache_control(value: str) -> dict[str, str]:
    """Cache-Control directives, lower-cased names mapped to their (unquoted) values."""
    directives: dict[str, str] = {}
    for part in re.findall(r'(?:[^,"]|"[^"]*")+', value):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"')
    return directives


def _expires_ttl(headers: Mapping[str, str], *, now: datetime | None) -> int:
    try:
        expires = parsedate_to_datetime(headers["expires"])
    except (TypeError, ValueError):
        return 0  # an invalid Expires means already expired
    reference = now or datetime.now(UTC)
    if "date" in headers:
        with contextlib.suppress(TypeError, ValueError):
            reference = parsedate_to_datetime(headers["date"])
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    return max(0, int((expires - reference).total_seconds()))


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _duration(seconds: int) -> str:
    for unit, size in (("year", 31_536_000), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds:,} s"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "es"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _seconds(text: str) -> float:
    # requests refuses a timeout of 0 or less (with a traceback, after the argument was taken).
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
