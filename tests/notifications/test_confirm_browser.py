"""A reader confirms in a real browser: the link from the email, one button, no script needed,
nothing the Content-Security-Policy refuses."""

import email
from email.policy import default as default_policy
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import caches
from playwright.sync_api import expect

from notifications.models import Subscriber
from tests.myblog.test_browser import page  # noqa: F401 - the Chromium page fixture

pytestmark = [pytest.mark.browser, pytest.mark.aws, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`));
"""


def test_a_reader_subscribes_follows_the_link_of_the_email_and_confirms(live_server, page, local_aws, settings):  # noqa: F811
    caches[settings.THROTTLE_CACHE].clear()
    settings.SITE_URL = live_server.url
    page.add_init_script(COLLECT_VIOLATIONS)
    console_errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))

    page.goto(live_server.url + "/subscribe/")
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator("h1")).to_have_text("Thanks for subscribing")
    [raw] = requests.get(f"{local_aws}/moto-api/data.json", timeout=5).json()["ses"]["RawMessage"]
    message = email.message_from_string(raw["raw_data"], policy=default_policy)
    text = message.get_body(preferencelist=("plain",)).get_content()
    [link] = [word for word in text.split() if "/subscribe/confirm/" in word]

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Confirm your subscription")
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    page.get_by_role("button", name="Confirm my subscription").click()

    expect(page.locator("h1")).to_have_text("You are subscribed")
    expect(page.get_by_role("status")).to_contain_text("reader@example.com")
    assert urlsplit(page.url).path == urlsplit(link).path
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED
    assert page.locator("script:not([src])").count() == 0  # no inline script on the page
    assert page.evaluate("window.__csp") == []
    assert console_errors == []
