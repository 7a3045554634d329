"""The updates CDN: its template (read as infra.templates reads it) and the origin checker.

The checker runs against a local origin (http.server on a loopback port) that serves one file
with the headers CloudFront needs and one file per thing that goes wrong.
"""

import email.utils
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra import updates_check
from infra.templates import Template, load
from infra.updates_check import CACHEABLE, CAVEATS, NOT_CACHEABLE, Probe, assess, main, origin_offload

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "origin-updates.example.com"


def updates_cdn(**parameters: str) -> Template:
    return load("updates_cdn.yaml", **{"OriginDomainName": ORIGIN, **parameters})


def distribution_config(template: Template) -> dict[str, Any]:
    return template.properties("Distribution")["DistributionConfig"]


def cache_policy(template: Template) -> dict[str, Any]:
    return template.properties("UpdatesCachePolicy")["CachePolicyConfig"]


# --- the template -------------------------------------------------------------------------------


def test_the_cache_key_is_the_path_only_without_cookies_headers_or_query_strings():
    key = cache_policy(updates_cdn())["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
    assert key["EnableAcceptEncodingGzip"] is False
    assert key["EnableAcceptEncodingBrotli"] is False


def test_only_the_named_query_strings_join_the_cache_key():
    key = cache_policy(updates_cdn(CacheQueryStrings="version, arch"))["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist", "QueryStrings": ["version", "arch"]}


def test_ttls_honour_the_origin_with_a_one_day_default_and_a_one_year_cap():
    policy = cache_policy(updates_cdn())
    assert (policy["MinTTL"], policy["DefaultTTL"], policy["MaxTTL"]) == (0, 86400, 31536000)


def test_the_checker_judges_with_the_templates_ttls():
    ttls = cache_policy(updates_cdn())
    template = (ttls["MinTTL"], ttls["DefaultTTL"], ttls["MaxTTL"])
    assert template == (updates_check.MIN_TTL, updates_check.DEFAULT_TTL, updates_check.MAX_TTL)


def test_viewers_get_https_http2_and_3_and_files_are_not_compressed_again():
    config = distribution_config(updates_cdn())
    behaviour = config["DefaultCacheBehavior"]
    assert config["HttpVersion"] == "http2and3"
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["Compress"] is False
    assert behaviour["CachePolicyId"] == "UpdatesCachePolicy"
    assert set(behaviour["AllowedMethods"]) <= {"GET", "HEAD", "OPTIONS"}
    assert behaviour["CachedMethods"] == ["GET", "HEAD"]
    # No origin request policy: nothing of the viewer's (cookies, headers) reaches the origin.
    assert "OriginRequestPolicyId" not in behaviour
    assert config.get("CacheBehaviors", []) == []


def test_the_origin_is_the_existing_host_over_https_by_default():
    (origin,) = distribution_config(updates_cdn())["Origins"]
    assert origin["DomainName"] == ORIGIN
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "OriginPath" not in origin
    (origin,) = distribution_config(updates_cdn(OriginProtocolPolicy="http-only", OriginPath="/updates"))["Origins"]
    assert (origin["CustomOriginConfig"]["OriginProtocolPolicy"], origin["OriginPath"]) == ("http-only", "/updates")


def test_origin_shield_is_on_only_when_a_region_is_given():
    (origin,) = distribution_config(updates_cdn())["Origins"]
    assert "OriginShield" not in origin
    (origin,) = distribution_config(updates_cdn(OriginShieldRegion="eu-west-1"))["Origins"]
    assert origin["OriginShield"] == {"Enabled": True, "OriginShieldRegion": "eu-west-1"}


def test_aliases_need_the_acm_certificate_and_price_class_is_a_parameter():
    config = distribution_config(updates_cdn())
    assert "Aliases" not in config
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert config["PriceClass"] == "PriceClass_100"
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"
    config = distribution_config(
        updates_cdn(Aliases="updates.example.com", CertificateArn=arn, PriceClass="PriceClass_All")
    )
    assert config["Aliases"] == ["updates.example.com"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == arn
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    assert config["PriceClass"] == "PriceClass_All"


def test_the_distribution_domain_and_id_are_outputs():
    outputs = updates_cdn().body["Outputs"]
    assert outputs["DistributionDomainName"]["Value"] == {"Fn::GetAtt": ["Distribution", "DomainName"]}
    assert outputs["DistributionId"]["Value"] == {"Ref": "Distribution"}


@pytest.mark.slow
def test_cfn_lint_reports_nothing_on_the_template():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(ROOT / "infra" / "updates_cdn.yaml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- a local origin -----------------------------------------------------------------------------

BODY = bytes(range(256)) * 40  # 10,240 bytes
LAST_MODIFIED = email.utils.formatdate(1_700_000_000, usegmt=True)
GOOD = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "ETag": '"v1-abc"',
    "Last-Modified": LAST_MODIFIED,
    "Accept-Ranges": "bytes",
}
# path -> (response headers, whether Range is honoured)
FILES: dict[str, tuple[dict[str, Any], bool]] = {
    "/good.bin": (GOOD, True),
    "/no-store.bin": ({**GOOD, "Cache-Control": "no-store"}, True),
    "/max-age-zero.bin": ({**GOOD, "Cache-Control": "public, max-age=0"}, True),
    "/set-cookie.bin": (
        {**GOOD, "Set-Cookie": "AWSALB=secret-value; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Path=/"},
        True,
    ),
    "/vary-user-agent.bin": ({**GOOD, "Vary": "Accept-Encoding, User-Agent"}, True),
    "/vary-star.bin": ({**GOOD, "Vary": "*"}, True),
    "/no-validators.bin": ({"Cache-Control": "public, max-age=3600", "Accept-Ranges": "bytes"}, True),
    "/no-ranges.bin": ({k: v for k, v in GOOD.items() if k != "Accept-Ranges"}, False),
    "/no-cache-control.bin": ({"ETag": '"v1"', "Accept-Ranges": "bytes"}, True),
    "/expires.bin": (
        {
            # http.server sends Date (now) itself; Expires is a day after the request (see _answer).
            "Expires": lambda: email.utils.formatdate(time.time() + 86_400, usegmt=True),
            "ETag": '"v1"',
            "Accept-Ranges": "bytes",
        },
        True,
    ),
}


class _Origin(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, *, body: bool) -> None:
        path = self.path.split("?", 1)[0]
        if path not in FILES:
            self.send_error(404)
            return
        headers, ranges = FILES[path]
        payload, status = BODY, 200
        requested = self.headers.get("Range", "")
        if ranges and body and requested.startswith("bytes="):
            first, _, last = requested[len("bytes=") :].partition("-")
            start, end = int(first), min(int(last), len(BODY) - 1)
            payload, status = BODY[start : end + 1], 206
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value() if callable(value) else value)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(BODY)}")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def checked(origin: str, path: str, **options: Any) -> updates_check.FileReport:
    (report,) = updates_check.check(
        [origin + path],
        downloads=options.pop("downloads", 100_000),
        edges=options.pop("edges", 20),
        period=options.pop("period", 86_400),
        **options,
    )
    return report


def by_topic(report: updates_check.FileReport) -> dict[str, updates_check.Finding]:
    return {finding.topic: finding for finding in report.findings if finding.level != "ok"}


# --- the checker against it ---------------------------------------------------------------------


def test_a_file_with_long_max_age_validators_and_ranges_is_cacheable(origin):
    report = checked(origin, "/good.bin")
    assert report.verdict == CACHEABLE
    assert (report.status, report.ttl, report.size, report.revalidates) == (200, 31_536_000, len(BODY), True)
    assert by_topic(report) == {}


@pytest.mark.parametrize("path", ["/no-store.bin", "/max-age-zero.bin", "/vary-star.bin"])
def test_files_cloudfront_would_fetch_on_every_download_are_not_cacheable(origin, path):
    report = checked(origin, path)
    assert report.verdict == NOT_CACHEABLE
    assert report.ttl is None
    for estimate in report.offload:
        assert (estimate.origin_fetches, estimate.offload) == (100_000, 0.0)


def test_no_store_advice_is_a_long_max_age(origin):
    finding = by_topic(checked(origin, "/no-store.bin"))["cache-control"]
    assert "no-store" in finding.message
    assert "max-age=31536000" in finding.advice


def test_a_cookie_does_not_stop_caching_but_is_stripped_and_its_value_never_shown(origin):
    report = checked(origin, "/set-cookie.bin")
    assert report.verdict == CAVEATS
    finding = by_topic(report)["set-cookie"]
    assert "AWSALB" in finding.message
    assert "strips Set-Cookie" in finding.message
    assert "stickiness" in finding.advice
    assert "secret-value" not in json.dumps([f.__dict__ for f in report.findings])


def test_vary_on_user_agent_is_a_caveat_because_cloudfront_keys_on_the_path_only(origin):
    report = checked(origin, "/vary-user-agent.bin")
    assert report.verdict == CAVEATS
    finding = by_topic(report)["vary"]
    assert "User-Agent" in finding.message and "Accept-Encoding" not in finding.message
    assert "put the variant in the path" in finding.advice


def test_without_validators_every_expiry_is_a_full_download(origin):
    report = checked(origin, "/no-validators.bin", downloads=10_000, edges=10, period=86_400)
    assert report.verdict == CAVEATS
    assert "ETag or Last-Modified" in by_topic(report)["validators"].advice
    shield, no_shield = report.offload
    # max-age=3600 over a day: 24 windows; one cache with Origin Shield, ten without.
    assert (shield.origin_fetches, shield.full_transfers) == (24, 24)
    assert (no_shield.origin_fetches, no_shield.full_transfers) == (240, 240)
    assert shield.offload == pytest.approx(1 - 24 / 10_000)
    assert no_shield.byte_offload == pytest.approx(1 - 240 / 10_000)


def test_an_origin_that_ignores_range_is_a_caveat(origin):
    report = checked(origin, "/no-ranges.bin")
    assert report.verdict == CAVEATS
    finding = by_topic(report)["ranges"]
    assert "got 200" in finding.message
    assert "206" in finding.advice
    assert report.size == len(BODY)  # from HEAD, as there is no Content-Range


def test_no_cache_headers_fall_back_to_the_default_ttl(origin):
    report = checked(origin, "/no-cache-control.bin")
    assert report.verdict == CAVEATS
    assert (report.ttl, report.ttl_source) == (86_400, "the distribution's DefaultTTL")


def test_expires_counts_from_the_origins_date(origin):
    report = checked(origin, "/expires.bin")
    assert report.verdict == CACHEABLE
    assert 86_400 - 60 <= report.ttl <= 86_400
    assert report.ttl_source.startswith("Expires:")


def test_a_missing_file_and_an_unreachable_origin_are_not_cacheable(origin):
    assert checked(origin, "/missing.bin").verdict == NOT_CACHEABLE
    (report,) = updates_check.check(["http://127.0.0.1:9/x.bin"], downloads=10, edges=2, period=60, timeout=2)
    assert report.verdict == NOT_CACHEABLE
    assert "no answer" in report.findings[0].message


def test_a_query_string_is_ignored_unless_named(origin):
    finding = by_topic(checked(origin, "/good.bin?version=2"))["query-string"]
    assert "version" in finding.message
    assert "CacheQueryStrings" in finding.advice


# --- the offload arithmetic ---------------------------------------------------------------------


def test_origin_shield_means_one_origin_fetch_per_ttl_window_and_validators_make_refills_304s():
    with_shield = origin_offload(
        downloads=1_000, edges=10, period=86_400, ttl=3_600, revalidates=True, origin_shield=True
    )
    without = origin_offload(downloads=1_000, edges=10, period=86_400, ttl=3_600, revalidates=True, origin_shield=False)
    assert (with_shield.origin_fetches, with_shield.full_transfers) == (24, 1)
    assert (without.origin_fetches, without.full_transfers) == (240, 10)
    assert with_shield.offload == pytest.approx(0.976)
    assert without.offload == pytest.approx(0.76)
    assert with_shield.byte_offload == pytest.approx(0.999)
    assert without.byte_offload == pytest.approx(0.99)


def test_a_ttl_longer_than_the_period_is_one_window_and_fetches_never_exceed_downloads():
    year = origin_offload(downloads=100, edges=20, period=86_400, ttl=31_536_000, revalidates=True, origin_shield=False)
    assert (year.origin_fetches, year.offload) == (20, pytest.approx(0.8))
    few = origin_offload(downloads=5, edges=20, period=86_400, ttl=31_536_000, revalidates=True, origin_shield=False)
    assert (few.origin_fetches, few.offload) == (5, 0.0)
    uncached = origin_offload(downloads=100, edges=20, period=86_400, ttl=None, revalidates=True, origin_shield=True)
    assert (uncached.origin_fetches, uncached.full_transfers, uncached.offload) == (100, 100, 0.0)


def test_assess_reads_headers_without_the_network():
    found = Probe(
        url="https://origin/x.bin",
        head_status=200,
        head_headers={
            "cache-control": 's-maxage=600, max-age=60, no-cache="Set-Cookie"',
            "etag": '"1"',
            "content-length": "9",
        },
        range_status=206,
        range_headers={"content-range": "bytes 0-0/9"},
    )
    report = assess(found, downloads=1_000, edges=5, period=3_600)
    assert (report.ttl, report.ttl_source, report.size) == (600, "s-maxage=600", 9)
    assert report.verdict == CAVEATS  # ten minutes is short: a caveat, not a failure
    assert by_topic(report).keys() == {"cache-control"}


# --- the command ---------------------------------------------------------------------------------


def test_the_command_exits_zero_when_everything_is_cacheable(origin, capsys):
    assert main([f"{origin}/good.bin", f"{origin}/set-cookie.bin", "--downloads", "1000", "--edges", "10"]) == 0
    out = capsys.readouterr().out
    assert "verdict: CACHEABLE" in out
    assert "verdict: CACHEABLE WITH CAVEATS" in out
    assert "1 cacheable, 1 cacheable with caveats, 0 not cacheable" in out
    assert "How the offload is estimated" in out
    # A one-year TTL over a day: 1 fetch with Origin Shield, 10 without, of 1000 downloads.
    assert "with Origin Shield:            1 origin fetch (1 full), offload 99.900% of requests" in out
    assert "without Origin Shield:        10 origin fetches (10 full), offload 99.000% of requests" in out


def test_the_command_exits_non_zero_when_a_file_is_not_cacheable_and_speaks_json(origin, capsys):
    assert main([f"{origin}/good.bin", f"{origin}/no-store.bin", "--json", "--size-from-head"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == {"downloads": 100_000, "edges": 20, "period": 86_400}
    assert [f["verdict"] for f in result["files"]] == [CACHEABLE, NOT_CACHEABLE]
    assert result["files"][0]["size"] == len(BODY)
    bad = [f for f in result["files"][1]["findings"] if f["level"] == "bad"]
    assert bad and bad[0]["advice"]


def test_it_runs_as_a_module(origin):
    result = subprocess.run(
        [sys.executable, "-m", "infra.updates_check", f"{origin}/vary-star.bin", "--downloads", "10"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "verdict: NOT CACHEABLE" in result.stdout


@pytest.mark.parametrize(
    ("option", "value"),
    [("--downloads", "many"), ("--edges", "0"), ("--period", "-1"), ("--timeout", "0"), ("--timeout", "-2.5")],
)
def test_a_count_or_a_timeout_that_is_not_positive_is_a_usage_error_naming_the_option(option, value, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["http://127.0.0.1:9/update.bin", option, value])

    assert exit.value.code == 2
    assert f"argument {option}: must be a positive number, got {value!r}" in capsys.readouterr().err
