"""The blog in a real browser: Playwright driving Debian's Chromium against the live server."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from tests.factories import PostFactory

# Debian's build, not Playwright's download: `playwright install` needs a network we lack.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start.
    "--disable-gpu",
    # Keep Chromium itself from calling home, so every request we see comes from the page.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # Containers often have a tiny /dev/shm.
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Media come from the local S3, the admin upload goes to it.
pytestmark = [pytest.mark.browser, pytest.mark.aws]

# Raw HTML in the source: the sanitizer must drop it, so the page never runs it.
HOSTILE_BODY = PostFactory.body + "\n<script>window.injected = true;</script>\n"


@pytest.fixture
def page(monkeypatch):
    # A missing browser is a broken setup, not a reason to skip: fail and say how to fix it.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    # The sync API keeps an asyncio loop running in this thread, so Django's guard against ORM
    # calls from async code would reject the test's own factory calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()
            # While the loop runs, Django keeps the test's database connection apart from the
            # usual one; close it here or it stays open and PostgreSQL refuses to drop the test DB.
            connections.close_all()


def test_reader_opens_a_post_from_the_index(live_server, page):
    other = PostFactory(title="Another post")
    post = PostFactory(title="Markdown in the browser", body=HOSTILE_BODY)
    console_errors, requests = [], []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.on("request", lambda request: requests.append(request.url))

    page.goto(live_server.url + "/")
    links = page.locator("article.post-summary h2 a")
    expect(links).to_have_count(2)
    assert set(links.all_text_contents()) == {post.title, other.title}

    links.filter(has_text=post.title).click()
    expect(page).to_have_url(live_server.url + post.get_absolute_url())
    expect(page.locator("h1")).to_have_text(post.title)
    body = page.locator("div.post-body")
    expect(body.locator("h2")).to_have_text("A heading")
    expect(body.locator("em")).to_have_text("text")
    expect(body.locator("code")).to_have_text("code")
    expect(body.locator("li")).to_have_text(["one", "two"])
    expect(body.locator("script")).to_have_count(0)
    expect(body).not_to_contain_text("window.injected")
    assert page.evaluate("window.injected") is None

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "post.png", full_page=True)

    assert console_errors == []
    server = urlsplit(live_server.url).netloc
    assert [url for url in requests if urlsplit(url).netloc != server] == []


def test_admin_uploads_a_photo_straight_to_s3_and_readers_see_it_on_its_post(live_server, page, tmp_path, monkeypatch):
    from infra import bootstrap
    from media.models import Photo
    from tests.factories import StaffFactory

    # The bucket's CORS rules of infra/storage.yaml, with the live server as the admin's origin.
    monkeypatch.setitem(
        bootstrap.PARAMETERS, "local", {**bootstrap.PARAMETERS["local"], "AdminOrigins": live_server.url}
    )
    bootstrap.bootstrap("local", out=lambda line: None)

    admin = StaffFactory(is_superuser=True)
    admin.set_password("correct horse battery")
    admin.save()
    picture = tmp_path / "harbour.jpg"
    Image.new("RGB", (2000, 1200), (30, 90, 160)).save(picture, "JPEG", quality=90)

    page.goto(live_server.url + "/admin/login/?next=/admin/media/photo/add/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.fill("#id_title", "Harbour")
    page.fill("#id_alt_text", "Blue water in the harbour")
    page.set_input_files("#photo-file", picture)
    expect(page.locator("#photo-status")).to_contain_text("Uploaded harbour.jpg")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("Harbour")

    photo = Photo.objects.get(title="Harbour")
    assert photo.status == Photo.Status.READY and photo.uploader == admin
    post = PostFactory(title="By the sea", cover_photo=photo, body=f"Look:\n\n![At noon](photo:{photo.pk})\n")

    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server.url + post.get_absolute_url())
    images = page.locator("article.post picture img")
    expect(images).to_have_count(2)
    for index in range(2):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_attribute("alt", "Blue water in the harbour")
        # Loaded from S3, and one of the renditions (WebP through <source>, never the original).
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        current = image.evaluate("img => img.currentSrc")
        assert f"/renditions/{photo.pk}/" in current and current.endswith(".webp")
    expect(page.locator("article.post figcaption")).to_have_text("At noon")


def test_reader_subscribes_through_the_form_in_the_page_and_sees_the_confirmation(
    live_server, page, local_aws, settings
):
    import requests
    from django.core.cache import caches

    from notifications.models import Subscriber

    caches[settings.THROTTLE_CACHE].clear()  # a table outside the models: flushing keeps it
    settings.SITE_URL = live_server.url
    post = PostFactory(title="Subscribe from here")
    console_errors = []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))

    page.goto(live_server.url + post.get_absolute_url())
    form = page.locator("footer form.subscribe-form")
    form.get_by_label("Get new posts by email").fill("reader@example.com")
    form.get_by_role("button", name="Subscribe").click()

    expect(page).to_have_url(live_server.url + "/subscribe/thanks/")
    expect(page.locator("h1")).to_have_text("Thanks for subscribing")
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    assert Subscriber.objects.get().email == "reader@example.com"
    sent = requests.get(f"{local_aws}/moto-api/data.json", timeout=5).json()["ses"]["RawMessage"]
    assert [message["destinations"][0] for message in sent] == ["reader@example.com"]

    # A second try with a mistyped address shows the error on the form page.
    page.goto(live_server.url + "/")
    page.locator("footer form.subscribe-form input[name=email]").fill("reader.example.com")
    # The browser's own check of type=email would stop the form; the server must answer too.
    page.locator("footer form.subscribe-form").evaluate("form => form.noValidate = true")
    page.locator("footer form.subscribe-form button").click()
    expect(page.locator("#subscribe-error")).to_contain_text("valid email address")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "subscribe-error.png", full_page=True)
    assert [error for error in console_errors if "400" not in error] == []
