"""Downloads of a user's files: anything but a safe image arrives as an attachment, so a file
someone uploaded as HTML or SVG never runs as a page of the bucket's origin in a reader's browser."""

from email.message import Message
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.todo.test_files import upload


def download(api, path: str) -> tuple[dict[str, str], requests.Response]:
    """The presigned URL's response overrides, and what fetching it from the endpoint answers."""
    answer = api.get(path)
    assert answer.status_code == 302, answer.content
    location = answer.headers["Location"]
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    return query, requests.get(location, timeout=10)


def filename_of(content_disposition: str) -> str | None:
    header = Message()
    header["Content-Disposition"] = content_disposition
    return header.get_filename()


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("page.html", "text/html"),
        ("drawing.svg", "image/svg+xml"),
        ("script.js", "application/javascript"),
        ("notes.txt", "text/plain"),
        ("looks-like.png", "text/html"),
    ],
)
def test_a_file_that_is_not_a_safe_image_downloads_as_an_attachment(alice_api, name, content_type):
    upload(alice_api, name, b"<script>alert(document.domain)</script>", content_type)

    query, fetched = download(alice_api, f"/api/files/{name}")

    assert query["response-content-disposition"].startswith("attachment;")
    assert query["response-content-type"] == "application/octet-stream"
    assert fetched.headers["Content-Disposition"].startswith("attachment;")
    assert filename_of(fetched.headers["Content-Disposition"]) == name
    assert fetched.headers["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg", "image/gif", "image/webp", "IMAGE/PNG"])
def test_a_safe_image_is_served_inline_with_its_type(alice_api, content_type):
    upload(alice_api, "photo", b"\x89PNG\r\n\x1a\n", content_type)

    query, fetched = download(alice_api, "/api/files/photo")

    assert "response-content-disposition" not in query
    assert query["response-content-type"] == content_type.lower()
    assert fetched.headers["Content-Type"] == content_type.lower()
    assert "attachment" not in fetched.headers.get("Content-Disposition", "")


@pytest.mark.parametrize("path", ['folder/say "hi"; x=1.txt', "Fotos 2026/été #1.txt", "a;b,c=d.txt"])
def test_the_attachment_filename_is_the_last_segment_quoted_so_it_cannot_break_the_header(alice_api, path):
    upload(alice_api, path, b"data", "text/plain")

    query, fetched = download(alice_api, "/api/files/" + requests.utils.quote(path))

    assert fetched.status_code == 200
    assert filename_of(query["response-content-disposition"]) == path.rsplit("/", 1)[-1]
    assert filename_of(fetched.headers["Content-Disposition"]) == path.rsplit("/", 1)[-1]
