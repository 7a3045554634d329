"""Markdown to safe HTML for post bodies."""

import markdown as md
import nh3

from myblog.blog.embeds import PhotoEmbedExtension

_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "smarty", PhotoEmbedExtension()]
_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "figure": {"data-photo"},  # an embedded photo (myblog.blog.embeds)
    "th": {"align"},
    "td": {"align"},
}


def render_markdown(text: str) -> str:
    """Render Markdown and keep only harmless HTML.

    Raw HTML in the source is allowed through Markdown and then sanitized, so no script,
    event handler, style or ``javascript:`` URL survives. ``h1`` is demoted out of the set:
    the page title is the only ``h1``.
    """
    return sanitize(md.markdown(text, extensions=_EXTENSIONS, output_format="html"))


def sanitize(html: str) -> str:
    """The one sanitizer of post HTML, for pages and for emails (newsletter/) alike."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
