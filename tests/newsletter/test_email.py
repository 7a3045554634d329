"""The email of a new post: what the subscriber sees and what their mail client can do with it."""

import email
import re
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from media.models import Photo
from myblog.blog.markdown import sanitize
from myblog.blog.models import Post
from newsletter import services
from newsletter.emails import post_content, post_email
from notifications.models import Subscriber

from .conftest import bodies, confirmed_subscribers, visible_post

pytestmark = pytest.mark.django_db

CDN = "d111111abcdef8.cloudfront.net"


@pytest.fixture
def on_the_cdn(settings):
    """Production's media URLs: the CDN's https origin (settings.py with CDN_DOMAIN set)."""
    settings.AWS_S3_CUSTOM_DOMAIN, settings.AWS_S3_URL_PROTOCOL = CDN, "https:"
    settings.STORAGES = {**settings.STORAGES}
    settings.SITE_URL = "https://blog.example.com"


def as_sent(message: Any) -> EmailMessage:
    """The message as the recipient's mail client parses it."""
    return email.message_from_bytes(message.message().as_bytes(), policy=default_policy)  # type: ignore[return-value]


def a_photo() -> Photo:
    return Photo.objects.create(
        title="Harbour",
        alt_text="Boats in a harbour at dusk",
        original="uploads/abc/harbour.jpg",
        status=Photo.Status.READY,
        renditions=[
            {"width": w, "height": w * 2 // 3, "format": f, "key": f"renditions/1/w{w}.{f}"}
            for w in (320, 640, 1280)
            for f in ("webp", "jpeg")
        ],
    )


def test_every_recipient_gets_the_post_with_one_click_unsubscribe_headers_of_their_own(queue, sent_mail, settings):
    settings.SITE_URL = "https://blog.example.com"
    first, second = confirmed_subscribers(2)
    post = visible_post(title="Spring at the harbour", summary="What changed this spring.")

    services.mailing_start(post_id=post.pk)
    queue.drain()

    messages = {str(message["To"]): message for message in sent_mail()}
    assert set(messages) == {first.email, second.email}
    for subscriber in (first, second):
        message = messages[subscriber.email]
        unsubscribe = f"https://blog.example.com/unsubscribe/{subscriber.unsubscribe_token}/"
        assert message["Subject"] == "Spring at the harbour"
        # RFC 8058: an https URI in List-Unsubscribe, and the one-click POST body it accepts.
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.match(r"<(https://[^>]+)>", message["List-Unsubscribe"].strip()).group(1) == unsubscribe
        text, html = bodies(message)
        assert unsubscribe in text and f'href="{unsubscribe}"' in html
        assert "What changed this spring." in text and "What changed this spring." in html
        assert f"https://blog.example.com{post.get_absolute_url()}" in html


def test_the_unsubscribe_link_of_the_email_unsubscribes_with_one_click(queue, sent_mail, settings):
    (subscriber,) = confirmed_subscribers(1)
    services.mailing_start(post_id=visible_post().pk)
    queue.drain()
    [message] = sent_mail()
    link = re.match(r"<([^>]+)>", message["List-Unsubscribe"].strip()).group(1)

    # What a mail client does (RFC 8058): a POST without cookies, with this body only.
    answer = Client().post(urlsplit(link).path, {"List-Unsubscribe": "One-Click"})

    assert answer.status_code in (200, 204)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_photos_are_their_jpeg_rendition_by_absolute_url_on_the_cdn(on_the_cdn):
    photo = a_photo()
    post = visible_post(body=f"Look:\n\n![At dusk](photo:{photo.pk})\n\nA [related post](/posts/older/).")

    _, html = bodies(as_sent(post_email(post_content(post), Subscriber(email="a@example.com"))))

    assert f'<img src="https://{CDN}/renditions/1/w640.jpeg" alt="Boats in a harbour at dusk"' in html
    assert "<figcaption>At dusk</figcaption>" in html
    assert 'href="https://blog.example.com/posts/older/"' in html, "links of the site are absolute in an email"


def test_the_post_html_in_the_email_is_what_the_pages_sanitizer_keeps(on_the_cdn):
    photo = a_photo()
    body = (
        "Hello <script>alert(1)</script><img src=x onerror=alert(2)> "
        '<a href="javascript:alert(3)">x</a> <iframe src="https://evil.example/"></iframe>\n\n'
        f"![c](photo:{photo.pk})\n"
    )
    post = visible_post(body=body)

    content = post_content(post)
    _, html = bodies(as_sent(post_email(content, Subscriber(email="a@example.com"))))

    assert sanitize(content.body_html) == content.body_html
    assert content.body_html in html
    for banned in ("<script", "onerror", "javascript:", "<iframe"):
        assert banned not in html.lower()


def test_a_photo_whose_renditions_are_not_made_yet_is_left_out(on_the_cdn):
    photo = Photo.objects.create(title="t", alt_text="a", original="uploads/x/y.jpg")
    post = visible_post(body=f"![c](photo:{photo.pk})\n\nText.")

    assert "<img" not in post_content(post).body_html


def test_the_email_sanitizes_the_stored_html_again_whatever_wrote_it(on_the_cdn):
    """body_html is a cache that only Post.save() fills through the sanitizer; an UPDATE, a data
    migration or an older sanitizer may have written it: the email does not trust it."""
    post = visible_post()
    Post.objects.filter(pk=post.pk).update(
        body_html='<p onclick="x()">Hi</p><script>alert(1)</script><a href="javascript:alert(2)">y</a>'
    )
    post.refresh_from_db()

    html = post_content(post).body_html

    assert html == sanitize(html)
    for banned in ("<script", "onclick", "javascript:"):
        assert banned not in html
