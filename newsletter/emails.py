"""The email of a new post: the post rendered once per batch, then one message per recipient.

Everything in it is absolute (emails are read outside the site): links under SITE_URL, photos as
their JPEG rendition on the CDN (settings.AWS_S3_CUSTOM_DOMAIN). The post's HTML goes through the
same sanitizer as the pages (myblog.blog.markdown.sanitize) after its photos are put in.
"""

import re
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe

from media.models import Photo
from myblog.blog.embeds import MARKER, embedded_photo_ids
from myblog.blog.markdown import sanitize
from myblog.blog.models import Post
from notifications.links import absolute_url, list_unsubscribe_headers, unsubscribe_url
from notifications.models import Subscriber

# href="/..." or src="/..." (not protocol-relative "//host"): a link of the site, made absolute.
_SITE_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


@dataclass(frozen=True)
class PostContent:
    """What every recipient's email of one post shares."""

    post_id: int
    subject: str
    summary: str
    url: str
    body_html: str  # sanitized
    body_text: str


def post_content(post: Post) -> PostContent:
    photos = Photo.objects.in_bulk(embedded_photo_ids(post.body_html))

    def photo(match: re.Match[str]) -> str:
        found = photos.get(int(match.group(1)))
        fallback = found.fallback() if found else None
        if found is None or fallback is None:  # deleted, or its renditions are not made yet
            return ""
        caption = f"<figcaption>{match.group(2)}</figcaption>" if match.group(2) else ""
        return (
            f'<figure><img src="{escape(fallback["url"])}" alt="{escape(found.alt_text)}" '
            f'width="{fallback["width"]}" height="{fallback["height"]}">{caption}</figure>'
        )

    with_photos = MARKER.sub(photo, post.body_html)
    site = settings.SITE_URL.rstrip("/")
    body_html = sanitize(_SITE_RELATIVE.sub(rf"\1{site}/", with_photos))
    return PostContent(
        post_id=post.pk,
        subject=post.title,
        summary=post.summary,
        url=absolute_url(post.get_absolute_url()),
        body_html=body_html,
        body_text=" ".join(strip_tags(body_html).split()),
    )


def post_email(content: PostContent, subscriber: Subscriber) -> EmailMultiAlternatives:
    """One recipient's message, with their own unsubscribe link and RFC 8058 one-click headers."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": absolute_url(reverse("post-index")),
        "post": content,
        "body_html": mark_safe(content.body_html),  # noqa: S308 - the output of the pages' sanitizer
        "unsubscribe_url": unsubscribe_url(subscriber),
        "email": subscriber.email,
    }
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].split("@")[-1]
    message = EmailMultiAlternatives(
        subject=" ".join(content.subject.split()),
        body=render_to_string("newsletter/email/post.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={**list_unsubscribe_headers(subscriber), "List-Id": f"{settings.SITE_NAME} <posts.{domain}>"},
    )
    message.attach_alternative(render_to_string("newsletter/email/post.html", context), "text/html")
    return message
