"""The Content-Security-Policy holds in Chromium: no page the audit visits, and no admin page,
does anything the policy refuses (issue 12).

Chromium reports each refusal as a securitypolicyviolation event and a console error; both are
collected on every page, and the test fails on any. The pages run their own scripts (Swagger UI,
the admin's JavaScript), so a refused script or style shows here even when the HTML looks fine.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

from media.models import Photo
from tests.factories import PostFactory, StaffFactory
from tests.myblog.test_browser import CHROMIUM, CHROMIUM_ARGS

# No local AWS: photo URLs point at the closed port every test without it gets (tests/conftest.py),
# which is all the policy is about; the images failing to load is no violation.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
# Before any script of the page: every refusal the browser reports, with what and where.
COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"} in ${e.sourceFile || e.documentURI}:${e.lineNumber}`
));
"""


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the factories run beside Playwright's loop
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.add_init_script(COLLECT_VIOLATIONS)
            yield page
        finally:
            browser.close()
            connections.close_all()


def violations_on(page: Page, url: str, console: list[str], drawn: str = "body") -> list[str]:
    """What the policy refused on the page at url, once `drawn` shows (what its scripts draw)."""
    console.clear()
    answer = page.goto(url, wait_until="networkidle")
    assert answer is not None and "content-security-policy" in answer.headers, url
    expect(page.locator(drawn).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    found: list[str] = page.evaluate("window.__csp")
    return [*found, *console]


def test_no_page_of_the_blog_or_the_admin_breaks_the_content_security_policy(live_server: Any, page: Page) -> None:
    photo = Photo.objects.create(
        title="Harbour",
        alt_text="Blue water",
        original="uploads/harbour.jpg",
        width=1600,
        height=1000,
        status=Photo.Status.READY,
        renditions=[
            {"width": 640, "height": 400, "format": "webp", "key": "renditions/1/w640.webp"},
            {"width": 640, "height": 400, "format": "jpeg", "key": "renditions/1/w640.jpg"},
        ],
    )
    post = PostFactory(title="Policies", cover_photo=photo, body=f"Text\n\n![Caption](photo:{photo.pk})\n")
    staff = StaffFactory()
    staff.set_password(PASSWORD)
    staff.save()
    console: list[str] = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and console.append(msg.text))
    base = live_server.url

    # The pages audit/run_audit.py visits (home and a post), and the other public pages.
    public = ["/", post.get_absolute_url(), "/subscribe/thanks/", "/no-such-page/"]
    found = {path: violations_on(page, base + path, console) for path in public}
    # Swagger UI's script draws the operations (and their icons) after the page has loaded.
    found["/api/docs/"] = violations_on(page, f"{base}/api/docs/", console, drawn="#swagger-ui .opblock")
    found["/api/todos/docs/"] = violations_on(page, f"{base}/api/todos/docs/", console, drawn="#swagger-ui .opblock")

    found["/admin/login/"] = violations_on(page, f"{base}/admin/login/", console)
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{base}/admin/")
    admin_pages = [
        "/admin/",
        "/admin/myblog/post/",
        f"/admin/myblog/post/{post.pk}/change/",
        "/admin/myblog/post/add/",
        f"/admin/myblog/post/{post.pk}/preview/",
        "/admin/media/photo/",
        "/admin/media/photo/add/",
        f"/admin/media/photo/{photo.pk}/change/",
        "/admin/notifications/subscriber/",
        "/admin/otp_totp/totpdevice/",
        "/admin/axes/accessattempt/",
    ]
    for path in admin_pages:
        found[path] = violations_on(page, base + path, console)
    found["/admin/two-factor/"] = violations_on(page, f"{base}/admin/two-factor/", console, drawn=".totp-qr svg")

    assert {path: refused for path, refused in found.items() if refused} == {}
