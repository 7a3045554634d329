"""Photos embedded in post bodies.

An author writes ``![A caption](photo:42)`` on a line of its own. Markdown rendering turns it
into a marker, ``<figure data-photo="42"><figcaption>A caption</figcaption></figure>``, which is
what ``Post.body_html`` keeps. The marker becomes a responsive ``<picture>`` only when the post is
shown, because the photo's renditions are made asynchronously and may be ready only after the
post was saved. The alt text is the photo's own (required) alt text.
"""

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

if TYPE_CHECKING:
    from media.models import Photo
    from myblog.blog.models import Post

PHOTO_SRC = re.compile(r"photo:(\d+)")
# What nh3 leaves of the marker (it keeps only the attribute and the caption's text).
MARKER = re.compile(r'<figure data-photo="(\d+)">\s*(?:<figcaption>(.*?)</figcaption>)?\s*</figure>', re.S)
SIZES = "(max-width: 44rem) 100vw, 42rem"


class _PhotoEmbeds(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                match = PHOTO_SRC.fullmatch(child.get("src", "")) if child.tag == "img" else None
                if match is None:
                    continue
                caption = child.get("alt", "")
                alone = parent.tag == "p" and len(parent) == 1 and not (parent.text or "").strip()
                if alone and not (child.tail or "").strip():
                    parent.tag, parent.text = "figure", None
                    parent.attrib = {"data-photo": match.group(1)}
                    parent.remove(child)
                    if caption:
                        ET.SubElement(parent, "figcaption").text = caption
                else:
                    # A figure cannot sit inside a sentence: an inline embed keeps only its caption.
                    _replace_with_text(parent, index, child, caption)


def _replace_with_text(parent: ET.Element, index: int, child: ET.Element, text: str) -> None:
    text += child.tail or ""
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
    parent.remove(child)


class PhotoEmbedExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Markdown's API)
        # After "inline" (priority 20), which turns ![..](..) into <img>.
        md.treeprocessors.register(_PhotoEmbeds(md), "photo_embeds", 5)


def embedded_photo_ids(html: str) -> set[int]:
    return {int(photo_id) for photo_id, _ in MARKER.findall(html)}


def attach_bodies(posts: Iterable["Post"]) -> None:
    """Set ``post.body_display`` on each post: its body with the embedded photos, in one query."""
    from media.models import Photo

    posts = list(posts)
    ids = set().union(*(embedded_photo_ids(post.body_html) for post in posts)) if posts else set()
    photos = Photo.objects.in_bulk(ids) if ids else {}
    for post in posts:
        post.body_display = MARKER.sub(lambda m: _picture(photos.get(int(m.group(1))), m.group(2)), post.body_html)


def _picture(photo: "Photo | None", caption: str | None) -> str:
    if photo is None:  # deleted since the post was written
        return ""
    # The caption is already escaped: it comes out of the sanitizer.
    return render_to_string(
        "media/picture.html", {"photo": photo, "sizes": SIZES, "lazy": True, "caption_html": caption or ""}
    )
